/* jarena: a per-thread bump arena for short-lived jansson parses (see jarena.h). */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#include "relay/jarena.h"

#if defined(__SANITIZE_ADDRESS__)
#define JARENA_OFF 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define JARENA_OFF 1
#endif
#endif
#ifndef JARENA_OFF
#define JARENA_OFF 0
#endif

#define ARENA_BYTES 8192 /* a typical event or answer needs 1-3 KB */
#define ALIGN       16

static __thread char *arena; /* this thread's block, made on first use */
static __thread size_t used;
static __thread int on;

static void *ja_malloc(size_t n)
{
    size_t need = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);

    if (on && need >= n && need <= ARENA_BYTES - used) {
        void *p = arena + used;
        used += need;
        return p;
    }
    return malloc(n);
}

static void ja_free(void *p)
{
    /* Only this thread allocates from its arena, and nothing allocated there outlives
     * jarena_end(), so a pointer inside it is one of ours. */
    if (arena && (uintptr_t)p >= (uintptr_t)arena &&
        (uintptr_t)p < (uintptr_t)arena + ARENA_BYTES)
        return;
    free(p);
}

void jarena_install(void)
{
    if (!JARENA_OFF)
        json_set_alloc_funcs(ja_malloc, ja_free);
}

void jarena_begin(void)
{
    if (JARENA_OFF)
        return;
    if (!arena)
        arena = malloc(ARENA_BYTES);
    used = 0;
    on = arena != NULL;
}

void jarena_end(void)
{
    on = 0;
    used = 0;
}

size_t jarena_used(void)
{
    return on ? used : 0;
}

int jarena_enabled(void)
{
    return !JARENA_OFF;
}
