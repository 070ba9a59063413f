#!/usr/bin/env bash
# t0102-portal-limits: per-key limits through the relay, across every worker process:
# rpm=5 admits exactly 5 of 20 concurrent calls; a refused call gets 429 + Retry-After in
# the caller's dialect and is charged nothing; tpm stops a key once its token budget is
# used; the concurrency cap holds; rpd counts the day.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/portal_lib.sh"

new_user lim
AUTH=(-H "Authorization: Bearer $ACCESS")
if ! topup "$U_NAME" 5; then
    fail "top-up for the limit tests" "tollgatectl user topup failed"
    finish
fi

# make_key SPEC: create a key, print "id secret".
make_key() {
    req POST /api/client/keys "$1" "${AUTH[@]}"
    [ "$STATUS" = 201 ] || {
        echo "make_key: $STATUS $BODY" >&2
        return 1
    }
    jq -r '"\(.id) \(.key)"' <<<"$BODY"
}

# burst N KEY CONTENT [STREAM]: N concurrent chat calls; status, headers and body of each
# into $T_TMP/burst.
burst() {
    local n=$1 key=$2 content=$3 stream=${4:-false} i body
    rm -rf "$T_TMP/burst"
    mkdir -p "$T_TMP/burst"
    body=$(jq -nc --arg c "$content" --argjson s "$stream" \
        '{model: "gpt-4o-mini", stream: $s, messages: [{role: "user", content: $c}]}')
    for ((i = 0; i < n; i++)); do
        curl -sS -o "$T_TMP/burst/$i.body" -D "$T_TMP/burst/$i.head" -w '%{http_code}' \
            --max-time 30 -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
            --data-binary "$body" "$BASE_URL/v1/chat/completions" >"$T_TMP/burst/$i.code" \
            2>/dev/null &
    done
    wait
}
count_code() {
    local f
    for f in "$T_TMP"/burst/*.code; do
        cat "$f"
        echo
    done | grep -c "^$1\$"
}

quota_now() { settled_quota "$U_ID"; }
# Settled charges of a key (the relay may also hold quota leases, released later).
ledger_rows() { mysql_q "SELECT COUNT(*) FROM ledger WHERE key_id = $1 AND state = 'settled'"; }
usage_rows() { mysql_q "SELECT COUNT(*) FROM usage_logs WHERE key_id = $1"; }

# ---- rpm = 5: exactly 5 of 20 concurrent calls
read -r K1 S1 < <(make_key '{"name": "rpm5", "rpm": 5}')
Q0=$(quota_now)
burst 20 "$S1" "rpm burst"
check_eq "$(count_code 200)" 5 "rpm=5: exactly 5 of 20 concurrent calls admitted"
check_eq "$(count_code 429)" 15 "rpm=5: the other 15 get 429"
ra=$(grep -il '^retry-after: [1-9]' "$T_TMP"/burst/*.head | wc -l)
check_eq "$ra" 15 "rpm=5: every 429 carries Retry-After"
one429=$(grep -lx 429 "$T_TMP"/burst/*.code | head -n 1)
BODY=$(cat "${one429%.code}.body")
check_json '.error.code' rate_limit_exceeded "rpm: 429 in the OpenAI dialect"
check_json '.error.param' rpm "rpm: the error names the limit"
retry=$(awk -F': *' 'tolower($1) == "retry-after" { gsub(/\r/, "", $2); print $2 }' \
    "${one429%.code}.head")
if [ "${retry:-0}" -ge 1 ] && [ "${retry:-0}" -le 12 ]; then
    ok "rpm: Retry-After $retry s (one slot every 12 s)"
else
    fail "rpm: Retry-After between 1 and 12" "got '$retry'"
fi
rows_settled() { [ "$(usage_rows "$K1")" -ge 5 ]; }
wait_for 10 rows_settled
sleep 0.5
check_eq "$(usage_rows "$K1")" 5 "rpm: only the 5 admitted calls are logged"
check_eq "$(ledger_rows "$K1")" 5 "rpm: only the 5 admitted calls reached billing"
CHARGED=$(mysql_q "SELECT COALESCE(SUM(quota), 0) FROM usage_logs WHERE key_id = $K1")
check_eq "$(quota_now)" "$((Q0 - CHARGED))" "rpm: the balance fell by the 5 charges only"

# The 429 in the Anthropic dialect, for a /v1/messages call of the same key.
req POST /v1/messages '{"model": "claude-haiku-4-5", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}' \
    -H "x-api-key: $S1" -H 'anthropic-version: 2023-06-01'
check_status 429 "rpm: /v1/messages also limited"
check_json '.type' error "rpm: Anthropic-dialect error body"
check_jq '.error.type | type == "string"' "rpm: Anthropic-dialect error type"
if [ -n "$(header retry-after)" ]; then ok "rpm: Anthropic 429 has Retry-After"; else
    fail "rpm: Anthropic 429 has Retry-After" "missing"; fi

# ---- tpm: 100 input tokens a call (mock directive) against a budget of 250
read -r K2 S2 < <(make_key '{"name": "tpm", "tpm": 250}')
codes=''
for i in 1 2 3 4 5 6; do
    chat "$S2" "[mock input=100] call $i"
    codes="$codes $STATUS"
    [ "$STATUS" = 429 ] && break
done
check_eq "$codes" " 200 200 200 429" "tpm=250: three calls of 105 tokens, then 429"
check_json '.error.param' tpm "tpm: the error names the limit"
retry=$(header retry-after)
if [ "${retry:-0}" -ge 1 ] && [ "${retry:-0}" -le 120 ]; then ok "tpm: Retry-After $retry s"; else
    fail "tpm: Retry-After between 1 and 120 s" "got '$retry'"; fi
check_eq "$(mysql_q "SELECT SUM(tokens) FROM key_tokens_minute WHERE key_id = $K2")" 315 \
    "tpm: counted the tokens billed (3 x 105)"
Q1=$(quota_now)
L1=$(ledger_rows "$K2")
U1=$(usage_rows "$K2")
chat "$S2" "[mock input=100] refused"
check_status 429 "tpm: still refused"
sleep 1
check_eq "$(quota_now)" "$Q1" "tpm: a refused call charges nothing"
check_eq "$(ledger_rows "$K2") $(usage_rows "$K2")" "$L1 $U1" "tpm: a refused call leaves no rows"

# ---- concurrency: 2 slots, 6 slow calls at once
read -r K3 S3 < <(make_key '{"name": "conc", "max_concurrency": 2}')
burst 6 "$S3" "[mock chunks=4 delay=500] slow" true
check_eq "$(count_code 200)" 2 "max_concurrency=2: 2 of 6 slow calls run"
check_eq "$(count_code 429)" 4 "max_concurrency=2: the rest get 429"
check_eq "$(mysql_q "SELECT COUNT(*) FROM key_leases WHERE key_id = $K3")" 0 \
    "max_concurrency: leases released after the calls"
chat "$S3" "after the burst"
check_status 200 "max_concurrency: a slot is free again"

# ---- rpd: 3 a day
read -r K4 S4 < <(make_key '{"name": "rpd", "rpd": 3}')
codes=''
for i in 1 2 3 4; do
    chat "$S4" "day $i"
    codes="$codes $STATUS"
done
check_eq "$codes" " 200 200 200 429" "rpd=3: the fourth call of the day is refused"
check_json '.error.param' rpd "rpd: the error names the limit"
retry=$(header retry-after)
if [ "${retry:-0}" -ge 1 ] && [ "${retry:-0}" -le 86400 ]; then ok "rpd: Retry-After until midnight ($retry s)"; else
    fail "rpd: Retry-After until midnight" "got '$retry'"; fi
check_eq "$(mysql_q "SELECT n FROM key_day WHERE key_id = $K4")" 3 "rpd: refused calls not counted"

finish
