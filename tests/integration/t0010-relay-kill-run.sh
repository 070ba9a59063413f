#!/usr/bin/env bash
# t0010-relay-kill-run: the master killed with SIGKILL, then master and workers killed
# together, under load on a busy key (calls settled on balance leases). Neither loses a
# charge or a usage row:
#  - without their master, workers drain and stop by themselves, writing everything;
#  - killed all at once, they leave their unwritten ledger and usage rows in the journal
#    file (journal_file); the next start finds them and its first worker writes them.
# After each kill the stack's tollgate-fcgi is started again (scripts/stack app-start).
# shellcheck disable=SC2317  # the helpers below run through wait_for
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/relay_lib.sh
. "$(dirname "$0")/relay_lib.sh"

STACK=$(_sj .repo)/scripts/stack
rl_busy_key t10r

restart() {
    if "$STACK" app-start "$(_sj .dir)" >"$T_TMP/app-start.log" 2>&1; then
        ok "tollgate-fcgi started again ($1)"
    else
        fail "tollgate-fcgi started again ($1)" "$(tail -n 5 "$T_TMP/app-start.log")"
    fi
}

gone() { ! pid_alive "$1"; }
log_mark() { stat -c %s "$LOG_DIR/tollgate.log"; }
# logged_since MARK PATTERN: tollgate.log has PATTERN after byte MARK.
logged_since() { tail -c +$(($1 + 1)) "$LOG_DIR/tollgate.log" | grep -q -- "$2"; }

# kill_under_load TARGET: 16 connections of calls for 4 s; 2 s in, SIGKILL the current
# tollgate master (TARGET master) or its whole process group (TARGET group). Sets kids
# (its workers), mark (tollgate.log's size before) and good (calls answered 200).
kill_under_load() {
    local master
    master=$(stack_pid tollgate)
    mapfile -t kids < <(children_of "$master")
    mark=$(log_mark)
    if [ "$1" = group ]; then master="-$master"; fi
    rl_wrk_during 4 2 kill -KILL -- "$master"
    good=$((WRK_N - WRK_BAD))
}
stopped() { for k in "${kids[@]}"; do pid_alive "$k" && return 1; done; return 0; }

# 1. SIGKILL the master alone: its workers notice, drain and stop.
kill_under_load master
good1=$good
if [ "${#kids[@]}" -ge 1 ] && wait_for 15 stopped; then
    ok "the ${#kids[@]} workers of a killed master stopped by themselves"
else
    fail "workers of a killed master stopped" "still running: ${kids[*]}"
fi
if logged_since "$mark" "pid=${kids[0]} .*event=draining"; then
    ok "they drained (event=draining logged)"
else
    fail "workers drained" "no event=draining in tollgate.log"
fi
rl_calls_add_up "$good1" 16 "master killed"
restart "after the master was killed"

# 2. SIGKILL master and workers at once (the process group): the journal file keeps
# what they had not written.
master=$(stack_pid tollgate)
kill_under_load group
good2=$good
if wait_for 5 gone "$master" && stopped; then
    ok "master and ${#kids[@]} workers killed at once"
else
    fail "master and workers killed" "some still run"
fi
restart "after everything was killed"
if logged_since "$mark" "event=journal_left_by_previous_run"; then
    ok "the new run found what the killed one left in the journal file"
else
    fail "journal file read at start" "no event=journal_left_by_previous_run"
fi
recovered() { logged_since "$mark" "event=usage_rows_recovered"; }
if wait_for 10 recovered; then
    ok "its usage rows were written by the new run"
else
    fail "usage rows recovered" "no event=usage_rows_recovered in tollgate.log"
fi
rl_calls_add_up $((good1 + good2)) 32 "everything killed"
check_eq "$(mysql_q "SELECT u.quota + COALESCE((SELECT SUM(reserved) FROM ledger
    WHERE user_id = u.id AND state = 'reserved'), 0) - (SELECT SUM(amount) FROM ledger
    WHERE user_id = u.id) FROM users u WHERE u.id = $RL_UID")" 0 \
    "balance + open reservations = ledger sum"
req GET /api/status
check_status 200 "the restarted gateway answers"

finish
