#!/usr/bin/env bash
# t0010-relay-overage: an upstream that counts more input than the body has bytes (an
# image by URL, a stored conversation) makes a charge above the call's reservation. The
# rest is taken from what the user has left, in its own ledger row 'over-<request id>':
# all of it when the balance covers it, else exactly what is left (the balance ends at 0,
# never below), and never beyond the key's quota limit. The usage row logs what was
# charged; the ledger sums to the balance.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/relay_lib.sh
. "$(dirname "$0")/relay_lib.sh"

M=t10o-$RL_TAG
P_IN=1000000 P_OUT=2000000
rl_price "$M" $P_IN $P_OUT
rl_channel "$M" openai-compatible "$MOCK_KEY" "$M" >/dev/null
rl_cache_wait
IN=200000 # input tokens the mock reports, for a body of about 150 bytes
WANT=$(rl_cost $IN $P_IN 4 $P_OUT)

body() { # STREAM
    printf '{"model":"%s","max_tokens":30,"stream":%s,"messages":[{"role":"user",
        "content":"[mock chunks=4 input=%d] look at the picture"}]}' "$M" "$1" "$IN"
}

# call NAME STREAM KEY: one call; sets RID, RES (its reservation), OVER (its overage
# row's charge, '' if none).
call() {
    if [ "$2" = true ]; then
        sreq /v1/chat/completions "$(body true)" -H "Authorization: Bearer $3"
    else
        req POST /v1/chat/completions "$(body false)" -H "Authorization: Bearer $3"
    fi
    check_status 200 "$1: 200"
    RID=$(rl_rid)
    RES=$(rl_reserved "$RID")
    OVER=$(mysql_q "SELECT CONCAT(-amount, ' ', state) FROM ledger
        WHERE request_id = 'over-$RID'")
    rl_row "$RID" || fail "$1: usage row" none
}

# 1. The balance covers it: the full price-table charge.
for stream in false true; do
    rl_user "t10o$stream$RL_TAG" 1
    KEY=$(rl_key "t10o$stream$RL_TAG")
    call "covered stream=$stream" $stream "$KEY"
    if [ "${RES:-0}" -gt 0 ] && [ "$RES" -lt "$WANT" ]; then
        ok "covered stream=$stream: reservation $RES is below the charge $WANT"
    else
        fail "covered stream=$stream: reservation below the charge" "$RES vs $WANT"
    fi
    check_eq "$ROW_IN/$ROW_QUOTA/$ROW_EST" "$IN/$WANT/0" \
        "covered stream=$stream: logged $IN input tokens, quota = price table ($WANT)"
    check_eq "$(rl_ledger "$RID")" "$RES settled" \
        "covered stream=$stream: the call's ledger row holds its reservation"
    check_eq "$OVER" "$((WANT - RES)) settled" \
        "covered stream=$stream: the rest in its overage row"
    check_eq "$(rl_quota)" $((500000 - WANT)) "covered stream=$stream: balance = 1 USD - charge"
    rl_quiet "covered stream=$stream"
done

# 2. The balance runs short: it goes to exactly 0.
rl_user "t10os$RL_TAG" 0
rl_ctl user topup "t10os$RL_TAG" --usd 0.01 >/dev/null
KEY=$(rl_key "t10os$RL_TAG")
call "short balance" false "$KEY"
check_eq "$ROW_QUOTA" 5000 "short balance: charged all the user had (5000 of $WANT)"
check_eq "$OVER" "$((5000 - RES)) settled" "short balance: overage row = what was left"
check_eq "$(rl_quota)" 0 "short balance: balance 0, not below"
rl_quiet "short balance"
req POST /v1/chat/completions "$(body false)" -H "Authorization: Bearer $KEY"
check_status 429 "short balance: the next call is refused"
check_json .error.code insufficient_quota "short balance: for its quota"

# 3. The key's quota limit caps it.
rl_user "t10ok$RL_TAG" 1
KEY=$(rl_key "t10ok$RL_TAG" --quota-limit 3000)
call "key limit" false "$KEY"
check_eq "$ROW_QUOTA" 3000 "key limit: charged up to the key's limit (3000 of $WANT)"
check_eq "$(mysql_q "SELECT quota_used FROM api_keys WHERE user_id = $RL_UID")" 3000 \
    "key limit: the key's quota_used = its limit"
check_eq "$(rl_quota)" $((500000 - 3000)) "key limit: the user paid what the key allowed"
rl_quiet "key limit"

finish
