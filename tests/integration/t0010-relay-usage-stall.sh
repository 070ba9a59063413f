#!/usr/bin/env bash
# t0010-relay-usage-stall: the usage queue full under load. With usage_queue = 16 (reloaded
# with SIGHUP) and 64 connections on a busy key, most calls find their worker's queue full
# and write their own usage row. They write it on the database connection they already
# hold: taking a second one while every pooled connection is held that way drained the
# pool (503 after db_timeout, rows lost). The writer thread has a connection of its own,
# so request threads that hold the pool never starve it. Then usage_logs is locked for 2 s
# under the same load: everything waits and goes on. Every call answers 200, is charged
# once and logged once.
# shellcheck disable=SC2317  # the helpers below run through wait_for and at_exit
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/relay_lib.sh
. "$(dirname "$0")/relay_lib.sh"

if rl_reload_set usage_queue 16; then
    ok "reloaded with usage_queue = 16"
else
    fail "reloaded with usage_queue = 16" "workers now: $(rl_workers | tr '\n' ' ')"
    finish
fi

rl_busy_key t10u
mark=$(stat -c %s "$LOG_DIR/tollgate.log")
since() { tail -c +$((mark + 1)) "$LOG_DIR/tollgate.log"; }
lock_usage() {
    mysql_q "LOCK TABLES usage_logs WRITE; SELECT SLEEP(2); UNLOCK TABLES;" \
        >"$T_TMP/lock.log" 2>&1
}
RL_CONNS=64 rl_wrk_during 8 4 lock_usage
if grep -qx 0 "$T_TMP/lock.log"; then
    ok "usage_logs locked for 2 s under load"
else
    fail "usage_logs locked for 2 s under load" "$(head -c 300 "$T_TMP/lock.log")"
fi
if [ "$WRK_N" -gt 500 ] && [ "$WRK_BAD" -eq 0 ]; then
    ok "64 connections for 8 s: all $WRK_N calls answered 200"
else
    fail "every call answered 200 with the queue full" \
        "$WRK_BAD of $WRK_N failed; $(grep -E 'Non-2xx|Socket' <<<"$WRK_OUT" | tr '\n' ' ')"
fi
if since | grep -q 'event=usage_rows_lost'; then
    fail "no usage row lost" "$(since | grep -c 'event=usage_rows_lost') lost"
else
    ok "no usage row lost"
fi
check_eq "$(since | grep -c 'status=503')" 0 "no call refused with 503 (pool drained)"
rl_calls_add_up "$((WRK_N - WRK_BAD))" 64 "usage queue full"
rl_quiet "usage queue full"

finish
