#!/usr/bin/env bash
# t0010-relay-db-blip: MariaDB stopped under load on a busy key, then started again.
# Calls answered 200 before the stop were admitted and settled in memory on a balance
# lease; their ledger and usage rows, still queued when the database went away, are kept
# and written once it is back, not dropped: every call answered 200 is charged and logged
# once, and balance + open reservations = the ledger's sum.
# shellcheck disable=SC2317  # the helpers below run through wait_for and at_exit
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/relay_lib.sh
. "$(dirname "$0")/relay_lib.sh"

db_running() { [ -n "$(stack_pid mariadb)" ] && pid_alive "$(stack_pid mariadb)"; }
# Whatever happens below, later tests need the database back.
# shellcheck disable=SC2016
at_exit 'db_running || "$STACK" db-start "$STACK_DIR" >/dev/null 2>&1'

rl_busy_key t10b
mark=$(stat -c %s "$LOG_DIR/tollgate.log")

db_stop() { "$STACK" db-stop "$STACK_DIR" >"$T_TMP/db-stop.log" 2>&1; }
rl_wrk_during 4 2 db_stop
good=$((WRK_N - WRK_BAD))
if ! db_running && [ "$good" -gt 200 ]; then
    ok "MariaDB stopped under load ($good of $WRK_N calls answered 200)"
else
    fail "MariaDB stopped under load" "$good of $WRK_N answered; $(cat "$T_TMP/db-stop.log")"
fi
sleep 1 # the writer meets the database gone
if "$STACK" db-start "$STACK_DIR" >"$T_TMP/db-start.log" 2>&1 && db_running; then
    ok "MariaDB started again"
else
    fail "MariaDB started again" "$(tail -n 5 "$T_TMP/db-start.log")"
fi
retried() {
    tail -c +$((mark + 1)) "$LOG_DIR/tollgate.log" | grep -q "event=usage_rows_retry"
}
if retried; then
    ok "rows queued when the database went away were kept (event=usage_rows_retry)"
else
    fail "rows kept for a retry" "no event=usage_rows_retry in tollgate.log"
fi
if tail -c +$((mark + 1)) "$LOG_DIR/tollgate.log" | grep -q "event=usage_rows_lost"; then
    fail "no usage row lost" "$(grep -c 'event=usage_rows_lost' "$LOG_DIR/tollgate.log") lost"
else
    ok "no usage row lost"
fi
rl_calls_add_up "$good" 16 "database stopped and started"
rl_quiet "database stopped and started"

finish
