#!/usr/bin/env bash
# t0010-relay-db-blip: MariaDB stopped under load on a busy key, then started again.
# Calls answered 200 before the stop were admitted and settled in memory on a balance
# lease; their ledger and usage rows, still queued when the database went away, are kept
# and written once it is back, not dropped: every call answered 200 is charged and logged
# once, and balance + open reservations = the ledger's sum.
# Then the same with a usage queue of 256 rows: calls admitted on the lease without a
# connection would fill it within milliseconds of the stop. Such calls are admitted only
# while the queue has room for every call a worker may have in flight (64 threads);
# past that they take the way through the database, which answers 503 while it is away,
# so no row and no charge is dropped.
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
db_stop() { "$STACK" db-stop "$STACK_DIR" >"$T_TMP/db-stop.log" 2>&1; }

# blip USER LABEL: load on a fresh busy key, the database stopped 2 s in and started
# again after the load; every answer accounted for.
blip() {
    local mark good
    rl_busy_key "$1"
    mark=$(stat -c %s "$LOG_DIR/tollgate.log")
    rl_wrk_during 4 2 db_stop
    good=$((WRK_N - WRK_BAD))
    if ! db_running && [ "$good" -gt 200 ]; then
        ok "$2: MariaDB stopped under load ($good of $WRK_N calls answered 200)"
    else
        fail "$2: MariaDB stopped under load" \
            "$good of $WRK_N answered; $(cat "$T_TMP/db-stop.log")"
    fi
    sleep 1 # the writer meets the database gone
    if "$STACK" db-start "$STACK_DIR" >"$T_TMP/db-start.log" 2>&1 && db_running; then
        ok "$2: MariaDB started again"
    else
        fail "$2: MariaDB started again" "$(tail -n 5 "$T_TMP/db-start.log")"
    fi
    since() { tail -c +$((mark + 1)) "$LOG_DIR/tollgate.log"; }
    if since | grep -q "event=usage_rows_retry"; then
        ok "$2: rows queued when the database went away were kept (usage_rows_retry)"
    else
        fail "$2: rows kept for a retry" "no event=usage_rows_retry in tollgate.log"
    fi
    if since | grep -q "event=usage_rows_lost"; then
        fail "$2: no usage row lost" "$(since | grep -c 'event=usage_rows_lost') lost"
    else
        ok "$2: no usage row lost"
    fi
    rl_calls_add_up "$good" 16 "$2"
    rl_quiet "$2"
}

blip t10b "database stopped and started"
if rl_reload_set usage_queue 256; then
    ok "reloaded with usage_queue = 256"
    blip t10q "the same, usage queue of 256"
else
    fail "reloaded with usage_queue = 256" "workers now: $(rl_workers | tr '\n' ' ')"
fi

finish
