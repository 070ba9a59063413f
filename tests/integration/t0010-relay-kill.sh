#!/usr/bin/env bash
# t0010-relay-kill: a worker killed with SIGKILL while calls of a busy key are admitted
# and settled on its balance lease loses no charge and no usage row. The calls it had
# settled in memory and the usage rows it had queued, not yet written, sit in the shared
# journal; the next worker writes them and closes the dead worker's lease. Every call a
# client got a 200 for is charged once and logged once, and balance + open reservations
# = the ledger's sum. A worker killed while its lease is open but every call on it is
# written (nothing in the journal but the lease's id) has that lease closed by the next
# worker too, within seconds rather than when the reaper finds it minutes later.
# shellcheck disable=SC2317  # the helpers below run through wait_for
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/relay_lib.sh
. "$(dirname "$0")/relay_lib.sh"

rl_busy_key t10k
master=$(stack_pid tollgate)
victim=$(children_of "$master" | sort -n | head -n 1)
rl_wrk_during 6 3 kill -KILL "$victim"
if pid_alive "$victim"; then fail "worker $victim killed" "still alive"; else
    ok "worker $victim killed with SIGKILL under load"; fi
n=$WRK_N
good=$((n - WRK_BAD))
if [ "$n" -gt 200 ]; then ok "$good of $n calls answered 200"; else
    fail "wrk ran" "$(tr '\n' ' ' <<<"$WRK_OUT")"; fi
# Up to 16 calls in flight when wrk stops are still served and charged, and so may be
# the calls in flight on the killed worker that it had already answered (the client then
# sees the connection cut before the end): at most twice the connections above.
rl_calls_add_up "$good" 32 "worker killed"
recovered() { grep -q 'event=lease_recovered' "$LOG_DIR/tollgate.log"; }
if wait_for 5 recovered; then
    ok "the dead worker's unwritten charges were recovered from the journal"
else
    fail "journal recovery ran" "no event=lease_recovered in tollgate.log"
fi
rows_back() { grep -q 'event=usage_rows_recovered' "$LOG_DIR/tollgate.log"; }
if wait_for 5 rows_back; then
    ok "the dead worker's queued usage rows were written from the journal"
else
    fail "usage rows recovered" "no event=usage_rows_recovered in tollgate.log"
fi
# open_leases PID: the 'reserved' lease rows of worker PID.
open_leases() {
    mysql_q "SELECT COUNT(*) FROM ledger WHERE user_id = $RL_UID AND state = 'reserved'
        AND request_id LIKE 'lease-%' AND worker = 'pid:$1'"
}
closed() { [ "$(open_leases "$1")" = 0 ]; }
if wait_for 5 closed "$victim"; then ok "the dead worker's lease is closed"; else
    fail "the dead worker's lease is closed" "$(open_leases "$victim") still reserved"; fi

# A short load, then a pause: every call is written (the flusher runs within 200 ms),
# the lease stays open (it closes after 5 s idle). Kill its worker within that window.
rl_wrk "${RL_CONNS:-16}" 1 "$M" "$KEY"
sleep 1
victim2=''
for w in $(rl_workers); do
    [ "$(open_leases "$w")" != 0 ] && victim2=$w && break
done
if [ -n "$victim2" ]; then
    kill -KILL "$victim2"
    ok "worker $victim2 with an open lease and nothing unwritten killed"
    if wait_for 3 closed "$victim2"; then
        ok "its open lease is closed by the next worker"
    else
        fail "its open lease is closed by the next worker" \
            "$(open_leases "$victim2") still reserved after 3 s"
    fi
else
    fail "a worker holds an open lease after a short load" "none of $(rl_workers | xargs)"
fi
check_eq "$(mysql_q "SELECT u.quota + COALESCE((SELECT SUM(reserved) FROM ledger
    WHERE user_id = u.id AND state = 'reserved'), 0) - (SELECT SUM(amount) FROM ledger
    WHERE user_id = u.id) FROM users u WHERE u.id = $RL_UID")" 0 \
    "balance + open reservations = ledger sum"

finish
