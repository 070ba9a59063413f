/* buf: a growable byte buffer with a ceiling. */
#ifndef TG_BUF_H
#define TG_BUF_H

#include <stddef.h>

struct buf {
    char *ptr;  /* owned; always NUL-terminated when non-NULL */
    size_t len; /* bytes used, excluding the NUL */
    size_t cap; /* bytes allocated */
    size_t max; /* ceiling on len; 0 = none */
};

/* Set up an empty buffer that will refuse to grow past max bytes (0 = unlimited). */
void buf_init(struct buf *b, size_t max);
/* Append n bytes. Returns 0, or -1 when the ceiling would be passed or memory ran out
 * (the buffer is unchanged). */
int buf_append(struct buf *b, const void *data, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Drop the first n bytes. */
void buf_consume(struct buf *b, size_t n);
void buf_reset(struct buf *b);
/* Release memory (the buffer can be reused after buf_init). */
void buf_free(struct buf *b);
/* Hand the bytes over to the caller (NUL-terminated, maybe NULL if empty); b becomes
 * empty. */
char *buf_take(struct buf *b);

#endif
