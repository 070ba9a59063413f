#!/usr/bin/env bash
# t0010-relay-revoke: a revoked key (tollgatectl key revoke) and a suspended user are
# refused on every worker within 1 s, though both workers had the key cached; a stream
# that was open at the revocation finishes and is billed.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/relay_lib.sh
. "$(dirname "$0")/relay_lib.sh"

U=t10r$RL_TAG
U2=t10rs$RL_TAG
OA=t10r-oa-$RL_TAG
rl_user "$U" 2
UID1=$RL_UID
OUT=$(rl_ctl key create --user "$U")
KEY=$(jq -r .key <<<"$OUT")
KID=$(jq -r .id <<<"$OUT")
rl_user "$U2" 2
KEY2=$(rl_key "$U2")
rl_price "$OA" 1000000 2000000
rl_channel "$OA" openai-compatible "$MOCK_KEY" "$OA" >/dev/null
rl_channel "$OA-an" anthropic "$MOCK_KEY" "$OA" >/dev/null
rl_cache_wait

CHAT() { printf '{"model":"%s","max_tokens":20,"stream":%s,"messages":[{"role":"user",
    "content":"[mock chunks=%s delay=%s input=8] padding padding"}]}' "$OA" "$1" "$2" "$3"; }

# statuses N KEY: N calls alternating /v1/models, chat and messages; prints the statuses.
statuses() {
    local i codes=''
    for i in $(seq "$1"); do
        case $((i % 3)) in
        0) req GET /v1/models '' -H "Authorization: Bearer $2" ;;
        1) req POST /v1/chat/completions "$(CHAT false 1 0)" -H "Authorization: Bearer $2" ;;
        2) req POST /v1/messages "$(CHAT false 1 0)" -H "x-api-key: $2" ;;
        esac
        codes+="$STATUS "
    done
    echo "$codes"
}

# Warm both workers' key caches (20 calls spread over the worker processes).
W=$(statuses 20 "$KEY")
check_eq "$W" "$(printf '200 %.0s' $(seq 20))" "before revoking: 20 calls accepted"

# A stream open across the revocation.
sreq_bg() {
    HEADERS=$T_TMP/open-stream.h # sreq and check_row read it
    sreq /v1/chat/completions "$(CHAT true 10 200)" -H "Authorization: Bearer $KEY"
    cp "$SSE_FILE" "$T_TMP/open-stream"
}
sreq_bg &
BG=$!
sleep 0.5

T0=$(now_ms)
rl_ctl key revoke "$KID" >/dev/null || fail "key revoke" "$(tail -n 3 "$T_TMP/ctl.err")"
# Measure: call until 1.5 s after the revocation; from 1.0 s on every answer is 401.
LATE_OK=0
FIRST401=''
while [ $(($(now_ms) - T0)) -lt 1500 ]; do
    t=$(now_ms)
    req GET /v1/models '' -H "Authorization: Bearer $KEY"
    if [ "$STATUS" = 401 ]; then
        [ -n "$FIRST401" ] || FIRST401=$((t - T0))
    elif [ $((t - T0)) -ge 1000 ]; then
        LATE_OK=$((LATE_OK + 1))
    fi
done
check_eq "$LATE_OK" 0 "revoked: no call admitted 1 s or more after the revocation"
[ -n "$FIRST401" ] && ok "revoked: first 401 after ${FIRST401} ms" ||
    fail "revoked: refused within 1.5 s" "no 401"
sleep 0.1
S=$(statuses 20 "$KEY")
check_eq "$S" "$(printf '401 %.0s' $(seq 20))" "revoked, 1.1 s later: 20 calls all 401"
req POST /v1/messages "$(CHAT false 1 0)" -H "x-api-key: $KEY"
check_jq '.type == "error" and .error.type == "authentication_error"' \
    "revoked on messages: Anthropic authentication_error"

wait "$BG"
check_eq "$(grep -c '^[0-9]* data: \[DONE\]$' "$T_TMP/open-stream")" 1 \
    "the stream open at the revocation finished"
HEADERS=$T_TMP/open-stream.h check_row "the stream open at the revocation" 8 10 0 0 \
    "$(rl_cost 8 1000000 10 2000000)"

# ---- a suspended user: refused within 1 s too
W=$(statuses 12 "$KEY2")
check_eq "$W" "$(printf '200 %.0s' $(seq 12))" "before suspending: 12 calls accepted"
rl_ctl user suspend "$U2" >/dev/null || fail "user suspend" "$(tail -n 3 "$T_TMP/ctl.err")"
sleep 1.1
S=$(statuses 20 "$KEY2")
check_eq "$(tr ' ' '\n' <<<"$S" | grep -Ev '^(401|403|)$' | wc -l)" 0 \
    "suspended, 1.1 s later: 20 calls all refused ($S)"

RL_UID=$UID1 rl_quiet "revoked key's user"
finish
