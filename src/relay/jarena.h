/* jarena: a per-thread bump arena for short-lived jansson parses.
 *
 * Parsing an SSE event or an upstream answer to read its usage allocates every value,
 * key and hashtable separately, and frees them all a few microseconds later. Between
 * jarena_begin() and jarena_end() a thread's jansson allocations come from its arena
 * (a fixed block, malloc beyond it) and frees of them do nothing; jarena_end() makes the
 * block reusable. Every json_t made in between must be released (or never used again)
 * before jarena_end(). Other threads and code outside the pair use malloc as before.
 * Sanitizer builds keep malloc throughout (so they still check the parsers). */
#ifndef TG_RELAY_JARENA_H
#define TG_RELAY_JARENA_H

#include <stddef.h>

/* Route jansson's allocations through the arena hooks; once, before threads start. */
void jarena_install(void);
void jarena_begin(void);
void jarena_end(void);
/* Bytes of the arena the current pair has used (0 outside a pair or when off). */
size_t jarena_used(void);
/* 1 when the arena is in use in this build (0 in sanitizer builds). */
int jarena_enabled(void);

#endif
