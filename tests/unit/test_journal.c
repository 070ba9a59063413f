/* Unit tests for store/journal: unwritten ledger and usage rows that outlive the process
 * that queued them (a worker killed with SIGKILL, or a whole run killed at once). The
 * journal is mapped once per process, so each case runs in a child of its own, which
 * exits with the line of its first failed check (0 when all pass). */
#include <glob.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cu_main.h"
#include "store/journal.h"

#define NEED(cond)                                                                       \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "journal test: %s failed (line %d)\n", #cond, __LINE__);     \
            _exit(__LINE__ % 250 + 1);                                                   \
        }                                                                                \
    } while (0)

static char dir[64];

/* Run fn in a child; its exit status is the test's result. */
static void in_child(void (*fn)(void))
{
    int st = -1;
    pid_t pid = fork();

    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        fn();
        _exit(0);
    }
    CU_ASSERT_EQUAL(waitpid(pid, &st, 0), pid);
    CU_ASSERT_TRUE(WIFEXITED(st));
    CU_ASSERT_EQUAL(WEXITSTATUS(st), 0);
}

static void path_of(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", dir, name);
}

static struct usage_log row(const char *id, int64_t quota)
{
    struct usage_log u;

    memset(&u, 0, sizeof(u));
    snprintf(u.request_id, sizeof(u.request_id), "%s", id);
    snprintf(u.model, sizeof(u.model), "m-%s", id);
    u.user_id = 7;
    u.quota = quota;
    return u;
}

static struct journal_entry entry(const char *id, int64_t charge)
{
    struct journal_entry e;

    memset(&e, 0, sizeof(e));
    snprintf(e.request_id, sizeof(e.request_id), "%s", id);
    snprintf(e.lease_id, sizeof(e.lease_id), "lease-%s", id);
    e.user_id = 7;
    e.reserved = 100;
    e.charge = charge;
    return e;
}

/* A worker's life: attach, queue entries and rows, write some, then die (SIGKILL) or
 * detach cleanly. Returns its pid (already exited). */
static pid_t worker_run(int die)
{
    pid_t pid = fork();
    int st;

    NEED(pid >= 0);
    if (pid == 0) {
        struct journal_entry a = entry("r1", 40), b = entry("r2", 60);
        struct usage_log u1 = row("r1", 40), u2 = row("r2", 60);
        int i, room;

        a.has_row = 1; /* r1's usage row also recorded with its charge */
        a.row = u1;
        NEED(journal_attach() == 0);
        NEED((room = journal_room()) > 2); /* what admission on a lease checks */
        NEED(journal_add(&a) >= 0);
        NEED((i = journal_add(&b)) >= 0);
        NEED(journal_room() == room - 2);
        journal_done(i); /* r2's ledger row written */
        NEED(journal_room() == room - 1);
        NEED(journal_usage_put(5, &u1) == 0);
        NEED(journal_usage_put(6, &u2) == 0);
        NEED(journal_usage_put(6, &u2) == -1); /* position still unwritten */
        journal_usage_done(6);                 /* r2's usage row written */
        if (die)
            raise(SIGKILL);
        journal_done(0);
        journal_usage_done(5);
        journal_detach();
        _exit(0);
    }
    NEED(waitpid(pid, &st, 0) == pid);
    return pid;
}

/* What a dead worker left: r1's ledger entry and r1's usage row, nothing else. */
static void expect_r1_left(void)
{
    struct journal_orphan o;
    int h = journal_adopt(&o);

    NEED(h >= 0);
    NEED(o.n == 1 && strcmp(o.e[0].request_id, "r1") == 0 && o.e[0].charge == 40);
    NEED(strcmp(o.e[0].lease_id, "lease-r1") == 0);
    NEED(o.e[0].has_row && strcmp(o.e[0].row.request_id, "r1") == 0);
    NEED(o.e[0].row.quota == 40 && strcmp(o.e[0].row.model, "m-r1") == 0);
    NEED(o.nu == 1 && strcmp(o.u[0].request_id, "r1") == 0 && o.u[0].quota == 40);
    NEED(strcmp(o.u[0].model, "m-r1") == 0);
    journal_orphan_free(&o);
    NEED(journal_adopt(&o) == -1); /* adopted: nobody else takes it meanwhile */
    journal_release(h, 0);         /* the write failed: up for adoption again */
    NEED((h = journal_adopt(&o)) >= 0 && o.n == 1 && o.nu == 1);
    journal_orphan_free(&o);
    journal_release(h, 1);
    NEED(journal_adopt(&o) == -1);
}

static void case_worker_killed(void)
{
    struct tg_err err = {0};
    struct journal_orphan o;

    NEED(journal_init(NULL, 0, &err) == 0);
    journal_orphan(worker_run(0)); /* clean exit: nothing left */
    NEED(journal_adopt(&o) == -1);
    journal_orphan(worker_run(1));
    expect_r1_left();
}

static void test_worker_killed(void)
{
    in_child(case_worker_killed);
}

/* A worker with open leases (and nothing else unwritten): a clean exit that closed them
 * leaves nothing; a killed one leaves the ids of those still open. */
static pid_t lease_worker(int die)
{
    pid_t pid = fork();
    int st;

    NEED(pid >= 0);
    if (pid == 0) {
        int a, b, i, full = 0;

        NEED(journal_attach() == 0);
        NEED((a = journal_lease_open("lease-a")) >= 0);
        NEED((b = journal_lease_open("lease-b")) >= 0 && b != a);
        journal_lease_closed(a); /* closed by the flusher */
        /* A bounded number open at once; a closed one makes room again. */
        for (i = 0; i < JOURNAL_LEASE_CAP + 1; i++)
            if (journal_lease_open("lease-x") == -1)
                full++;
        NEED(full == 2); /* b and JOURNAL_LEASE_CAP - 1 others fit */
        for (i = 0; i < JOURNAL_LEASE_CAP; i++)
            if (i != b)
                journal_lease_closed(i);
        if (die)
            raise(SIGKILL);
        journal_lease_closed(b);
        journal_detach();
        _exit(0);
    }
    NEED(waitpid(pid, &st, 0) == pid);
    return pid;
}

static void case_leases_left(void)
{
    struct tg_err err = {0};
    struct journal_orphan o;
    int h;

    NEED(journal_init(NULL, 0, &err) == 0);
    journal_orphan(lease_worker(0));
    NEED(journal_adopt(&o) == -1);
    journal_orphan(lease_worker(1));
    NEED((h = journal_adopt(&o)) >= 0);
    NEED(o.n == 0 && o.nu == 0 && o.nl == 1 && strcmp(o.leases[0], "lease-b") == 0);
    journal_orphan_free(&o);
    journal_release(h, 1);
    NEED(journal_adopt(&o) == -1);
}

static void test_leases_left(void)
{
    in_child(case_leases_left);
}

/* A whole run killed at once: master and worker gone, the file keeps what they left. */
static void case_run_killed(void)
{
    char path[128];
    pid_t pid;
    int st;

    path_of(path, sizeof(path), "run.journal");
    pid = fork();
    NEED(pid >= 0);
    if (pid == 0) {
        struct tg_err err = {0};

        NEED(journal_init(path, 0, &err) == 0);
        worker_run(1);
        raise(SIGKILL); /* the master too, before it orphans anything */
    }
    NEED(waitpid(pid, &st, 0) == pid && WIFSIGNALED(st));
    struct tg_err err = {0};
    NEED(journal_init(path, 0, &err) == 0);
    expect_r1_left();
}

static void test_run_killed(void)
{
    in_child(case_run_killed);
}

/* A file held by a live run is refused (after the wait), with a clear reason. */
static void case_file_in_use(void)
{
    char path[128], c;
    int fds[2];
    pid_t pid;
    struct tg_err err = {0};

    path_of(path, sizeof(path), "busy.journal");
    NEED(pipe(fds) == 0);
    pid = fork();
    NEED(pid >= 0);
    if (pid == 0) {
        NEED(journal_init(path, 0, &err) == 0);
        NEED(write(fds[1], "k", 1) == 1);
        pause();
        _exit(0);
    }
    NEED(read(fds[0], &c, 1) == 1);
    NEED(journal_init(path, 0, &err) == -1);
    NEED(strstr(err.msg, "in use") != NULL);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    NEED(journal_init(path, 1, &err) == 0); /* free now */
}

static void test_file_in_use(void)
{
    in_child(case_file_in_use);
}

/* A file of another layout is moved aside, not read, and a fresh journal replaces it. */
static void case_other_layout(void)
{
    char path[128], pat[160];
    struct tg_err err = {0};
    struct journal_orphan o;
    glob_t g;
    FILE *f;

    path_of(path, sizeof(path), "old.journal");
    f = fopen(path, "w");
    NEED(f != NULL);
    fputs("not a journal of this layout", f);
    fclose(f);
    NEED(journal_init(path, 0, &err) == 0);
    NEED(journal_adopt(&o) == -1);
    snprintf(pat, sizeof(pat), "%s.bad-*", path);
    NEED(glob(pat, 0, NULL, &g) == 0 && g.gl_pathc == 1);
    globfree(&g);
    NEED(journal_attach() == 0);
}

static void test_other_layout(void)
{
    in_child(case_other_layout);
}

static void test_no_journal(void)
{
    struct usage_log u = row("x", 1);
    struct journal_entry e = entry("x", 1);
    struct journal_orphan o;

    /* Never mapped in this process: every call is a no-op. */
    CU_ASSERT_EQUAL(journal_attach(), -1);
    CU_ASSERT_EQUAL(journal_add(&e), -1);
    CU_ASSERT_EQUAL(journal_room(), 0);
    CU_ASSERT_EQUAL(journal_usage_put(0, &u), -1);
    CU_ASSERT_EQUAL(journal_lease_open("lease-x"), JOURNAL_NONE);
    CU_ASSERT_EQUAL(journal_adopt(&o), -1);
    journal_usage_done(0);
    journal_lease_closed(0);
    journal_detach();
}

static const struct cu_test tests[] = {
    {"no journal: calls are no-ops", test_no_journal},
    {"a killed worker's rows are adopted once", test_worker_killed},
    {"a killed worker's open leases are adopted", test_leases_left},
    {"a file keeps what a killed run left", test_run_killed},
    {"a file in use by a live run is refused", test_file_in_use},
    {"a file of another layout is moved aside", test_other_layout},
    {NULL, NULL},
};

int main(void)
{
    int rc;

    snprintf(dir, sizeof(dir), "/tmp/tg-journal.XXXXXX");
    if (!mkdtemp(dir))
        return 2;
    rc = cu_run("journal", tests);
    if (fork() == 0) {
        execlp("rm", "rm", "-rf", dir, (char *)NULL);
        _exit(127);
    }
    wait(NULL);
    return rc;
}
