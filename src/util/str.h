/* str: small string helpers that the C library lacks or gets wrong. */
#ifndef TG_STR_H
#define TG_STR_H

#include <stddef.h>
#include <stdint.h>

/* Parse a whole decimal integer in [min, max]. Returns 0, or -1 (out unchanged). */
int str_to_i64(const char *s, int64_t min, int64_t max, int64_t *out);
/* Copy at most cap-1 bytes and NUL-terminate. Returns 0, or -1 if truncated. */
int str_copy(char *dst, size_t cap, const char *src);
/* Case-insensitive ASCII equality. */
int str_ieq(const char *a, const char *b);
/* 1 if s (n bytes) is valid UTF-8 without NUL bytes. */
int str_valid_utf8(const char *s, size_t n);
/* Value of one hex digit (either case), or -1. */
int str_hexval(int c);
/* Percent-decode in (a path segment) into out. Returns 0, or -1 for a bad escape, a NUL
 * byte (%00), an empty result or one that does not fit in cap. */
int str_pct_decode(const char *in, char *out, size_t cap);
/* Lowercase hex of n bytes into out (2n+1 bytes). */
void str_hex(const unsigned char *in, size_t n, char *out);
/* Microseconds since the epoch / a monotonic clock. */
int64_t str_now_us(void);
int64_t str_mono_us(void);
/* This process's id without a system call (cached; a forked child gets its own). */
int str_pid(void);

#endif
