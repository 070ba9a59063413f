#!/usr/bin/env bash
# t0006-keepalive: nginx keeps its FastCGI connections to tollgate open (one connection
# serves many requests), and three SIGHUP reloads under wrk load (POSTs on 32 connections)
# fail no call: a draining worker closes its kept connections, and nginx sends a request
# that met such a close again on another connection (fastcgi_next_upstream error
# non_idempotent; tollgate had not read it). Each call is logged and charged once.
# shellcheck disable=SC2317  # the helpers below run through wait_for
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/relay_lib.sh
. "$(dirname "$0")/relay_lib.sh"

metric() {
    curl -s --max-time 5 "$BASE_URL/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}

# 1. Kept connections: 100 requests, each from a new client connection, need far fewer
#    FastCGI connections (one each without keep-alive).
c0=$(metric tollgate_fcgi_connections_total)
codes=''
for _ in $(seq 100); do
    codes+="$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$BASE_URL/api/status") "
done
c1=$(metric tollgate_fcgi_connections_total)
check_eq "$codes" "$(printf '200 %.0s' $(seq 100))" "100 status requests answer 200"
if [ -n "$c0" ] && [ -n "$c1" ] && [ $((c1 - c0)) -le 20 ]; then
    ok "100 requests used $((c1 - c0)) new FastCGI connection(s) (kept connections)"
else
    fail "kept FastCGI connections" "connections before '$c0', after '$c1'"
fi

# 2. Reloads under load: wrk, 32 connections for 8 s of relayed POSTs, SIGHUP three
#    times while it runs. POSTs are what nginx may only send again when told to.
U=t6k$RL_TAG
M=t6k-$RL_TAG
rl_price "$M" 1000000 2000000
rl_user "$U" 50
KEY=$(rl_key "$U")
rl_channel "$M" openai-compatible "$MOCK_KEY" "$M" >/dev/null
rl_cache_wait
master=$(stack_pid tollgate)
drained0=$(grep -c 'event=draining' "$LOG_DIR/tollgate.log")
(
    for _ in 1 2 3; do
        sleep 2
        kill -HUP "$master"
    done
) &
hups=$!
at_exit "kill $hups 2>/dev/null"
rl_wrk 32 8 "$M" "$KEY"
wait "$hups"
n=$WRK_N
if [ "$n" -gt 100 ] && [ "$WRK_BAD" = 0 ]; then
    ok "$n relayed calls across three reloads: none failed"
else
    fail "relayed calls across three reloads all answer 200" "$(tr '\n' ' ' <<<"$WRK_OUT")"
fi
drained() { [ $(($(grep -c 'event=draining' "$LOG_DIR/tollgate.log") - drained0)) -ge 3 ]; }
if wait_for 10 drained; then ok "old workers drained on each reload"; else
    fail "old workers drained on each reload" "$(grep -c 'event=draining' "$LOG_DIR/tollgate.log")"
fi
# wrk stops with up to 32 calls in flight, which tollgate still serves and logs.
rows=''
settled() {
    rows=$(mysql_q "SELECT COUNT(*) FROM usage_logs WHERE user_id = $RL_UID")
    [ "$rows" -ge "${n:-0}" ]
}
if wait_for 10 settled && [ "$rows" -le $((${n:-0} + 32)) ]; then
    ok "one usage row per call ($rows rows for $n calls answered to wrk)"
else
    fail "one usage row per call" "$rows rows, $n calls answered"
fi
check_eq "$(mysql_q "SELECT COUNT(DISTINCT request_id) FROM usage_logs
    WHERE user_id = $RL_UID")" "$rows" "no call logged twice"
rl_quiet "reloads under load"

finish
