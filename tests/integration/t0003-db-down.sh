#!/usr/bin/env bash
# t0003-db-down: with MariaDB stopped, /api/status and a login answer 503 JSON quickly (no
# hang); after MariaDB restarts, both work again without restarting tollgate.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

db_running() { [ -n "$(stack_pid mariadb)" ] && pid_alive "$(stack_pid mariadb)"; }
# Whatever happens below, later tests need the database back.
# shellcheck disable=SC2016
at_exit 'db_running || "$STACK" db-start "$STACK_DIR" >/dev/null 2>&1'

login_body=$(json login "$ADMIN_USER" password "$ADMIN_PASS")

# wait_status PATH WANT SECONDS [BODY]: repeat the request until it answers WANT.
wait_status() {
    local path=$1 want=$2 secs=$3 body=${4-} method=GET end
    [ -z "$body" ] || method=POST
    end=$(($(now_ms) + secs * 1000))
    while :; do
        REQ_TIMEOUT=$secs req "$method" "$path" "$body"
        [ "$STATUS" != "$want" ] || return 0
        [ "$(now_ms)" -lt "$end" ] || return 1
        sleep 0.2
    done
}

req GET /api/status
check_status 200 "before: /api/status 200"

if "$STACK" db-stop "$STACK_DIR" >"$T_TMP/db-stop.log" 2>&1 && ! db_running; then
    ok "MariaDB stopped"
else
    fail "MariaDB stopped" "$(cat "$T_TMP/db-stop.log")"
fi

t0=$(now_ms)
wait_status /api/status 503 10
check_status 503 "db down: /api/status 503 within 10 s ($(($(now_ms) - t0)) ms)"
check_jq '. | type == "object"' "db down: /api/status body is JSON"
check_jq '.database != "up"' "db down: /api/status does not say the database is up"

t0=$(now_ms)
REQ_TIMEOUT=15 req POST /api/client/auth/login "$login_body"
ms=$(($(now_ms) - t0))
check_status 503 "db down: login 503"
check_jq '.error | type == "object"' "db down: login body is a JSON error"
if [ $ms -le 10000 ]; then
    ok "db down: login answered in $ms ms"
else
    fail "db down: login answers within 10 s" "took $ms ms"
fi

if "$STACK" db-start "$STACK_DIR" >"$T_TMP/db-start.log" 2>&1 && db_running; then
    ok "MariaDB restarted"
else
    fail "MariaDB restarted" "$(cat "$T_TMP/db-start.log")"
fi

t0=$(now_ms)
wait_status /api/status 200 10
check_status 200 "db back: /api/status 200 within 10 s ($(($(now_ms) - t0)) ms)"
check_json '.database' up "db back: database up"

# Every pooled connection of every worker died with the server: none may leak a failure
# now that the database is back (idempotent work is retried on a fresh connection).
# 48 requests, 16 at a time, reach many pooled connections.
seq 48 | xargs -P 16 -I{} curl -s -o /dev/null -w '%{http_code}\n' --max-time 15 \
    "$BASE_URL/api/status" >"$T_TMP/codes" 2>/dev/null
codes=$(sort "$T_TMP/codes" | uniq -c | tr -s ' \n' ' ')
check_eq "$codes" " 48 200 " "db back: 48 concurrent /api/status all 200"

wait_status /api/client/auth/login 200 10 "$login_body"
check_status 200 "db back: login 200"
check_jq '.access_token | type == "string" and length > 0' "db back: login gives a token"

finish
