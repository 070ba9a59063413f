/* journal: settled lease calls in shared memory until their ledger rows are written. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "store/journal.h"

#define J_SLOTS  132  /* 64 workers, twice (a reload overlaps two generations), spare */
#define J_CAP    8192 /* entries a worker may have unwritten at once */
#define ADOPTING INT_MIN

struct j_slot {
    int32_t owner; /* pid; 0 free; -pid: its worker died with entries; ADOPTING */
    int32_t dead;  /* the pid of the worker that left it */
    int32_t count; /* entries in use (the owner's own bookkeeping) */
    int32_t hint;  /* where the next free entry probably is */
    struct journal_entry e[J_CAP];
};

static struct j_slot *slots; /* shared, J_SLOTS of them */
static struct j_slot *mine;  /* this process's slot */

int journal_init(void)
{
    void *p;

    if (slots)
        return 0;
    /* Pages are only touched as they are used: a worker touches those of its unwritten
     * entries, a few hundred kilobytes at most. */
    p = mmap(NULL, sizeof(struct j_slot) * J_SLOTS, PROT_READ | PROT_WRITE,
             MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    slots = p;
    return 0;
}

static int cas(int32_t *v, int32_t from, int32_t to)
{
    return __atomic_compare_exchange_n(v, &from, to, 0, __ATOMIC_ACQ_REL,
                                       __ATOMIC_ACQUIRE);
}

int journal_attach(void)
{
    int32_t pid = (int32_t)getpid();

    if (!slots)
        return -1;
    for (int i = 0; i < J_SLOTS; i++)
        if (cas(&slots[i].owner, 0, pid)) {
            mine = &slots[i];
            mine->count = 0;
            mine->hint = 0;
            return 0;
        }
    return -1;
}

int journal_add(const struct journal_entry *e)
{
    if (!mine || mine->count >= J_CAP)
        return -1;
    for (int k = 0; k < J_CAP; k++) {
        int i = (mine->hint + k) % J_CAP;
        struct journal_entry *d = &mine->e[i];

        if (__atomic_load_n(&d->used, __ATOMIC_ACQUIRE))
            continue;
        memcpy(d->request_id, e->request_id, sizeof(d->request_id));
        memcpy(d->lease_id, e->lease_id, sizeof(d->lease_id));
        d->request_id[sizeof(d->request_id) - 1] = d->lease_id[sizeof(d->lease_id) - 1] =
            0;
        d->user_id = e->user_id;
        d->key_id = e->key_id;
        d->reserved = e->reserved;
        d->charge = e->charge;
        d->released = e->released;
        /* Last: an entry is whole before it counts (a worker may die at any point). */
        __atomic_store_n(&d->used, 1, __ATOMIC_RELEASE);
        mine->count++;
        mine->hint = (i + 1) % J_CAP;
        return i;
    }
    return -1;
}

void journal_done(int i)
{
    if (!mine || i < 0 || i >= J_CAP || !mine->e[i].used)
        return;
    __atomic_store_n(&mine->e[i].used, 0, __ATOMIC_RELEASE);
    mine->count--;
}

void journal_detach(void)
{
    int32_t pid = (int32_t)getpid();

    if (!mine)
        return;
    if (mine->count > 0) {
        mine->dead = pid;
        cas(&mine->owner, pid, -pid);
    } else {
        cas(&mine->owner, pid, 0);
    }
    mine = NULL;
}

static int slot_used(const struct j_slot *s)
{
    for (int i = 0; i < J_CAP; i++)
        if (__atomic_load_n(&s->e[i].used, __ATOMIC_ACQUIRE))
            return 1;
    return 0;
}

void journal_orphan(int pid)
{
    if (!slots || pid <= 0)
        return;
    for (int i = 0; i < J_SLOTS; i++) {
        struct j_slot *s = &slots[i];

        if (__atomic_load_n(&s->owner, __ATOMIC_ACQUIRE) != pid)
            continue;
        s->dead = pid;
        cas(&s->owner, pid, slot_used(s) ? -pid : 0);
    }
}

int journal_adopt(struct journal_entry **out, int *n)
{
    *out = NULL;
    *n = 0;
    if (!slots)
        return -1;
    for (int i = 0; i < J_SLOTS; i++) {
        struct j_slot *s = &slots[i];
        int32_t o = __atomic_load_n(&s->owner, __ATOMIC_ACQUIRE);
        struct journal_entry *v;
        int k = 0;

        if (o >= 0 || o == ADOPTING || !cas(&s->owner, o, ADOPTING))
            continue;
        v = malloc(sizeof(*v) * J_CAP);
        if (!v) {
            cas(&s->owner, ADOPTING, o);
            return -1;
        }
        for (int j = 0; j < J_CAP; j++)
            if (__atomic_load_n(&s->e[j].used, __ATOMIC_ACQUIRE))
                v[k++] = s->e[j];
        *out = v;
        *n = k;
        return i;
    }
    return -1;
}

void journal_release(int handle, int done)
{
    struct j_slot *s;

    if (!slots || handle < 0 || handle >= J_SLOTS)
        return;
    s = &slots[handle];
    if (done) {
        for (int j = 0; j < J_CAP; j++)
            __atomic_store_n(&s->e[j].used, 0, __ATOMIC_RELEASE);
        s->count = 0;
        cas(&s->owner, ADOPTING, 0);
    } else {
        cas(&s->owner, ADOPTING, -s->dead);
    }
}
