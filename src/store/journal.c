/* journal: unwritten ledger and usage rows in shared memory until they are written. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/journal.h"
#include "util/err.h"
#include "util/log.h"

#define J_SLOTS  132  /* 64 workers, twice (a reload overlaps two generations), spare */
#define J_CAP    4096 /* lease entries a worker may have unwritten at once */
#define J_UCAP   JOURNAL_USAGE_CAP
#define J_LCAP   JOURNAL_LEASE_CAP
#define J_MAGIC  0x334c4e524a475455ULL /* "UTGJRNL3" */
#define J_HEAD   4096                  /* header page of a journal file */
#define ADOPTING INT_MIN

struct j_urow {
    int32_t used; /* 1 while the row may be unwritten */
    int32_t pad;
    struct usage_log row;
};

struct j_lease {
    int32_t used; /* 1 while the lease may be open */
    char id[44];  /* a ledger request_id (< 40 bytes); 48 bytes a row */
};

struct j_slot {
    int32_t owner; /* pid; 0 free; -pid: its worker died with entries; ADOPTING */
    int32_t dead;  /* the pid of the worker that left it */
    int32_t count; /* entries in use (the owner's own bookkeeping) */
    int32_t hint;  /* where the next free entry probably is */
    struct journal_entry e[J_CAP];
    struct j_urow u[J_UCAP];
    struct j_lease l[J_LCAP];
};

/* First page of a journal file: what layout the rest has. */
struct j_head {
    uint64_t magic;
    uint32_t slots, cap, ucap, lcap;
    uint32_t slot_size, entry_size, row_size;
};

static struct j_slot *slots; /* shared, J_SLOTS of them */
/* Shared too (after the header): slots up for adoption or being adopted, so that the
 * writers' regular look finds none without touching every slot's page. */
static int32_t *orphans;
static struct j_slot *mine; /* this process's slot */

static const struct j_head layout = {J_MAGIC,
                                     J_SLOTS,
                                     J_CAP,
                                     J_UCAP,
                                     J_LCAP,
                                     sizeof(struct j_slot),
                                     sizeof(struct journal_entry),
                                     sizeof(struct usage_log)};

static int cas(int32_t *v, int32_t from, int32_t to)
{
    return __atomic_compare_exchange_n(v, &from, to, 0, __ATOMIC_ACQ_REL,
                                       __ATOMIC_ACQUIRE);
}

static int slot_used(const struct j_slot *s)
{
    for (int i = 0; i < J_CAP; i++)
        if (__atomic_load_n(&s->e[i].used, __ATOMIC_ACQUIRE))
            return 1;
    for (int i = 0; i < J_UCAP; i++)
        if (__atomic_load_n(&s->u[i].used, __ATOMIC_ACQUIRE))
            return 1;
    for (int i = 0; i < J_LCAP; i++)
        if (__atomic_load_n(&s->l[i].used, __ATOMIC_ACQUIRE))
            return 1;
    return 0;
}

/* A file just opened: every slot a previous run held is now an orphan (none of its
 * processes runs: they held the lock). Returns how many hold something. */
static int orphan_all(void)
{
    int n = 0;

    for (int i = 0; i < J_SLOTS; i++) {
        struct j_slot *s = &slots[i];

        if (s->owner == 0)
            continue;
        if (s->owner > 0)
            s->dead = s->owner;
        s->owner = slot_used(s) ? -(s->dead > 0 ? s->dead : 1) : 0;
        n += s->owner != 0;
    }
    *orphans = n;
    return n;
}

/* Lock fd for this process tree, waiting up to wait_s seconds for another holder. */
static int lock_file(int fd, int wait_s)
{
    for (int waited = 0;; waited++) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            return 0;
        if (errno != EWOULDBLOCK || waited >= wait_s * 10)
            return -1;
        struct timespec t = {0, 100 * 1000 * 1000};
        nanosleep(&t, NULL);
    }
}

/* fd holds a journal of this layout (or is empty: then make it one). Moves a file of
 * another layout aside. Returns 0, 1 (moved aside: reopen), -1. */
static int check_layout(int fd, const char *path, size_t size, struct tg_err *err)
{
    struct j_head h;
    struct stat st;
    char aside[PATH_MAX];

    if (fstat(fd, &st) != 0)
        return err_set(err, TG_EINTERNAL, "journal %s: cannot stat", path);
    if (st.st_size == 0) {
        if (ftruncate(fd, (off_t)size) != 0 ||
            pwrite(fd, &layout, sizeof(layout), 0) != (ssize_t)sizeof(layout))
            return err_set(err, TG_EINTERNAL, "journal %s: cannot size it", path);
        return 0;
    }
    if ((size_t)st.st_size == size && pread(fd, &h, sizeof(h), 0) == (ssize_t)sizeof(h) &&
        memcmp(&h, &layout, sizeof(h)) == 0)
        return 0;
    snprintf(aside, sizeof(aside), "%s.bad-%lld", path, (long long)time(NULL));
    if (rename(path, aside) != 0)
        return err_set(err, TG_EINTERNAL, "journal %s: another layout, cannot move it",
                       path);
    log_error("journal",
              "event=journal_moved_aside file=%s (another layout: its rows "
              "are not read)",
              aside);
    return 1;
}

static void *map_file(const char *path, size_t size, int wait_s, struct tg_err *err)
{
    for (int tries = 0; tries < 2; tries++) {
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600), rc;
        void *p;

        if (fd < 0) {
            err_set(err, TG_EINTERNAL, "journal %s: cannot open it", path);
            return NULL;
        }
        if (lock_file(fd, wait_s) != 0) {
            close(fd);
            err_set(err, TG_EINTERNAL, "journal %s is in use by another tollgate-fcgi",
                    path);
            return NULL;
        }
        rc = check_layout(fd, path, size, err);
        if (rc == 1) {
            close(fd); /* moved aside: a fresh one */
            continue;
        }
        p = rc == 0 ? mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
                    : MAP_FAILED;
        if (rc == 0 && p == MAP_FAILED)
            err_set(err, TG_EINTERNAL, "journal %s: cannot map it", path);
        if (p == MAP_FAILED) {
            close(fd);
            return NULL;
        }
        return p; /* fd stays open, unclosed by exec: it holds the lock */
    }
    err_set(err, TG_EINTERNAL, "journal %s: cannot replace it", path);
    return NULL;
}

int journal_init(const char *path, int wait_s, struct tg_err *err)
{
    size_t size = J_HEAD + sizeof(struct j_slot) * J_SLOTS;
    char *p;

    if (slots)
        return 0;
    /* Pages are only touched (and, in a file, only take space) as they are used: a
     * worker touches those of its unwritten entries, a few megabytes at most. */
    if (!path || !*path) {
        p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return err_set(err, TG_EINTERNAL, "cannot map the journal");
    } else if (!(p = map_file(path, size, wait_s, err))) {
        return -1;
    }
    slots = (struct j_slot *)(void *)(p + J_HEAD);
    orphans = (int32_t *)(void *)(p + J_HEAD / 2);
    if (path && *path) {
        int left = orphan_all();

        if (left)
            log_warn("journal",
                     "event=journal_left_by_previous_run slots=%d (written by "
                     "the first worker)",
                     left);
    }
    return 0;
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
        d->has_row = e->has_row;
        if (e->has_row)
            d->row = e->row;
        /* Last: an entry is whole before it counts (a worker may die at any point). */
        __atomic_store_n(&d->used, 1, __ATOMIC_RELEASE);
        mine->count++;
        mine->hint = (i + 1) % J_CAP;
        return i;
    }
    return -1;
}

int journal_room(void)
{
    return mine ? J_CAP - mine->count : 0;
}

void journal_done(int i)
{
    if (!mine || i < 0 || i >= J_CAP || !mine->e[i].used)
        return;
    __atomic_store_n(&mine->e[i].used, 0, __ATOMIC_RELEASE);
    mine->count--;
}

int journal_usage_put(int i, const struct usage_log *row)
{
    struct j_urow *d;

    if (!mine || i < 0 || i >= J_UCAP)
        return -1;
    d = &mine->u[i];
    if (__atomic_load_n(&d->used, __ATOMIC_ACQUIRE))
        return -1;
    d->row = *row;
    __atomic_store_n(&d->used, 1, __ATOMIC_RELEASE); /* whole before it counts */
    return 0;
}

void journal_usage_done(int i)
{
    if (mine && i >= 0 && i < J_UCAP)
        __atomic_store_n(&mine->u[i].used, 0, __ATOMIC_RELEASE);
}

int journal_lease_open(const char *id)
{
    if (!mine)
        return JOURNAL_NONE;
    for (int i = 0; i < J_LCAP; i++) {
        struct j_lease *d = &mine->l[i];

        if (__atomic_load_n(&d->used, __ATOMIC_ACQUIRE))
            continue;
        memset(d->id, 0, sizeof(d->id));
        memcpy(d->id, id, strnlen(id, 39));
        __atomic_store_n(&d->used, 1, __ATOMIC_RELEASE); /* whole before it counts */
        return i;
    }
    return -1;
}

void journal_lease_closed(int i)
{
    if (mine && i >= 0 && i < J_LCAP)
        __atomic_store_n(&mine->l[i].used, 0, __ATOMIC_RELEASE);
}

/* Process pid has left slot s: up for adoption if it holds something, else free. */
static void slot_leave(struct j_slot *s, int32_t pid)
{
    s->dead = pid;
    if (slot_used(s)) {
        __atomic_add_fetch(orphans, 1, __ATOMIC_ACQ_REL);
        cas(&s->owner, pid, -pid);
    } else {
        cas(&s->owner, pid, 0);
    }
}

void journal_detach(void)
{
    int32_t pid = (int32_t)getpid();

    if (!mine)
        return;
    slot_leave(mine, pid);
    mine = NULL;
}

void journal_orphan(int pid)
{
    if (!slots || pid <= 0)
        return;
    for (int i = 0; i < J_SLOTS; i++) {
        struct j_slot *s = &slots[i];

        if (__atomic_load_n(&s->owner, __ATOMIC_ACQUIRE) != pid)
            continue;
        slot_leave(s, pid);
    }
}

/* Copy slot s's used entries and rows into o. Returns 0 or -1 (out of memory). */
static int copy_out(const struct j_slot *s, struct journal_orphan *o)
{
    o->e = malloc(sizeof(*o->e) * J_CAP);
    o->u = malloc(sizeof(*o->u) * J_UCAP);
    o->leases = malloc(sizeof(*o->leases) * J_LCAP);
    if (!o->e || !o->u || !o->leases) {
        journal_orphan_free(o);
        return -1;
    }
    for (int j = 0; j < J_CAP; j++)
        if (__atomic_load_n(&s->e[j].used, __ATOMIC_ACQUIRE))
            o->e[o->n++] = s->e[j];
    for (int j = 0; j < J_UCAP; j++)
        if (__atomic_load_n(&s->u[j].used, __ATOMIC_ACQUIRE))
            o->u[o->nu++] = s->u[j].row;
    for (int j = 0; j < J_LCAP; j++)
        if (__atomic_load_n(&s->l[j].used, __ATOMIC_ACQUIRE)) {
            memcpy(o->leases[o->nl], s->l[j].id, 39);
            o->leases[o->nl++][39] = 0;
        }
    return 0;
}

int journal_adopt(struct journal_orphan *o)
{
    memset(o, 0, sizeof(*o));
    if (!slots || __atomic_load_n(orphans, __ATOMIC_ACQUIRE) <= 0)
        return -1;
    for (int i = 0; i < J_SLOTS; i++) {
        struct j_slot *s = &slots[i];
        int32_t own = __atomic_load_n(&s->owner, __ATOMIC_ACQUIRE);

        if (own >= 0 || own == ADOPTING || !cas(&s->owner, own, ADOPTING))
            continue;
        if (copy_out(s, o) != 0) {
            cas(&s->owner, ADOPTING, own);
            return -1;
        }
        return i;
    }
    return -1;
}

void journal_orphan_free(struct journal_orphan *o)
{
    free(o->e);
    free(o->u);
    free(o->leases);
    memset(o, 0, sizeof(*o));
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
        for (int j = 0; j < J_UCAP; j++)
            __atomic_store_n(&s->u[j].used, 0, __ATOMIC_RELEASE);
        for (int j = 0; j < J_LCAP; j++)
            __atomic_store_n(&s->l[j].used, 0, __ATOMIC_RELEASE);
        s->count = 0;
        if (cas(&s->owner, ADOPTING, 0))
            __atomic_sub_fetch(orphans, 1, __ATOMIC_ACQ_REL);
    } else {
        cas(&s->owner, ADOPTING, -s->dead);
    }
}
