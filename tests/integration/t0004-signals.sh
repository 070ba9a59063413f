#!/usr/bin/env bash
# t0004-signals: the master replaces a worker killed with SIGKILL, and a SIGHUP reload under
# load loses no request.
# shellcheck disable=SC2317  # the helpers below run through wait_for
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

master=$(stack_pid tollgate)
if [ -n "$master" ] && pid_alive "$master"; then
    ok "master runs (pid $master)"
else
    fail "master runs" "no live tollgate pid in stack.json"
    finish
fi

workers() { children_of "$master" | sort -n; }
before=$(workers)
n_before=$(wc -w <<<"$before")
if [ "$n_before" -ge 1 ]; then
    ok "master has $n_before worker(s)"
else
    fail "master has workers" "no children of $master"
    finish
fi

victim=$(head -n 1 <<<"$before")
kill -KILL "$victim"
replaced() {
    local now
    now=$(workers)
    ! grep -qx "$victim" <<<"$now" && [ "$(wc -w <<<"$now")" -ge "$n_before" ]
}
if wait_for 5 replaced; then
    ok "killed worker $victim replaced within 5 s"
else
    fail "killed worker replaced within 5 s" "workers now: $(workers | tr '\n' ' ')"
fi

seen=''
for _ in $(seq 20); do
    req GET /api/status
    seen+="$STATUS "
done
check_eq "$seen" "$(printf '200 %.0s' $(seq 20))" "20 requests after the kill all answer 200"

# 200 sequential requests in the background; SIGHUP the master once 50 are done.
codes=$T_TMP/codes
: >"$codes"
(
    for _ in $(seq 200); do
        curl -s -o /dev/null -w '%{http_code}\n' --max-time 10 "$BASE_URL/api/status" ||
            true
    done >>"$codes"
) &
load=$!
at_exit "kill $load 2>/dev/null"
fifty() { [ "$(wc -l <"$codes")" -ge 50 ]; }
if wait_for 60 fifty; then
    kill -HUP "$master"
    ok "SIGHUP sent after $(wc -l <"$codes") requests"
else
    fail "load reached 50 requests" "only $(wc -l <"$codes") in 60 s"
fi
wait "$load"
if [ "$(grep -cx 200 "$codes")" = 200 ]; then
    ok "200 requests across SIGHUP all answer 200"
else
    fail "200 requests across SIGHUP all answer 200" \
        "got $(sort "$codes" | uniq -c | tr -s ' \n' ' ')"
fi
if pid_alive "$master"; then ok "master survives SIGHUP"; else fail "master survives SIGHUP" "gone"; fi
back() { [ "$(workers | wc -w)" -eq "$n_before" ]; }
if wait_for 10 back; then
    ok "$n_before worker(s) again after the reload"
else
    fail "worker count back to $n_before after the reload" "now $(workers | wc -w)"
fi

finish
