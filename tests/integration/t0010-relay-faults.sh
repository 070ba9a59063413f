#!/usr/bin/env bash
# t0010-relay-faults: each fault mode of the mock upstream once, through the real stack.
# Before any byte (status=500|429|401): a mapped error in the caller's dialect, nothing of
# the upstream's body echoed, no charge. After the first byte (malformed-sse,
# bad-json-in-data, cut-mid-event, truncate-after, rst, error-mid-stream): one error event
# ends the stream, billed by estimate within the reservation, the worker survives. Usage
# faults: no-usage is estimated, zero-usage costs 0, negative and huge usage are clamped,
# incomplete-with-usage is billed from its usage. hang-* wait for 300 s timeouts: the
# client-gone cases of t0010-relay-stream cover those paths.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/relay_lib.sh
. "$(dirname "$0")/relay_lib.sh"

U=t10m$RL_TAG
T=t10m-$RL_TAG
P_IN=1000000 P_OUT=3000000 P_CR=500000 P_CW=1250000
rl_user "$U" 5
KEY=$(rl_key "$U")
OAH=(-H "Authorization: Bearer $KEY")
ANH=(-H "x-api-key: $KEY")
for m in oa an s500 s429 s401 s500an; do rl_price "$T-$m" $P_IN $P_OUT $P_CR $P_CW; done
rl_channel "$T-oa" openai-compatible "$MOCK_KEY" "$T-oa" >/dev/null
rl_channel "$T-an" anthropic "$MOCK_KEY" "$T-an" >/dev/null
rl_channel "$T-s500" openai-compatible "$MOCK_KEY" "$T-s500" >/dev/null
rl_channel "$T-s429" openai-compatible "$MOCK_KEY" "$T-s429" >/dev/null
S401=$(rl_channel "$T-s401" openai-compatible "$MOCK_KEY" "$T-s401")
rl_channel "$T-s500an" anthropic "$MOCK_KEY" "$T-s500an" >/dev/null
rl_cache_wait
DIED0=$(grep -c 'event=worker_died' "$LOG_DIR/tollgate.log")
PAD=$(printf '%*s' 80 '' | tr ' ' p)

chat_body() { # MODEL MODE [stream]
    printf '{"model":"%s","max_tokens":30,"stream":%s,"messages":[{"role":"user",
        "content":"[mock chunks=4 input=30 cache_read=10 fault=%s] %s"}]}' \
        "$1" "${3:-true}" "$2" "$PAD"
}
msg_body() {
    printf '{"model":"%s","max_tokens":30,"stream":%s,"messages":[{"role":"user",
        "content":"[mock chunks=4 input=30 cache_read=10 cache_write=6 fault=%s] %s"}]}' \
        "$1" "${3:-true}" "$2" "$PAD"
}
resp_body() {
    printf '{"model":"%s","max_output_tokens":30,"stream":true,
        "input":"[mock chunks=4 input=30 cache_read=10 fault=%s] %s"}' "$1" "$2" "$PAD"
}

reserved_of() { rl_reserved "$1"; }

# estimated NAME CLASS: the last call was billed by estimate, within its reservation.
estimated() {
    local rid res
    rid=$(rl_rid)
    rl_row "$rid" || {
        fail "$1: usage row" none
        return
    }
    res=$(reserved_of "$rid")
    check_eq "$ROW_CLASS/$ROW_EST" "$2/1" "$1: logged $2, estimated"
    if [ "$ROW_QUOTA" -gt 0 ] && [ "$ROW_QUOTA" -le "${res:-0}" ]; then
        ok "$1: charged $ROW_QUOTA, within the reservation $res"
    else
        fail "$1: charged within the reservation" "quota $ROW_QUOTA reserved $res"
    fi
    check_eq "$(rl_ledger "$rid")" "$ROW_QUOTA settled" "$1: one settled charge"
}

# chat_cut NAME MODE CLASS: the chat stream got its first events, then one error event.
chat_cut() {
    sreq /v1/chat/completions "$(chat_body "$T-oa" "$2")" "${OAH[@]}"
    check_status 200 "$1: 200"
    [ "$(grep -c '"content":"tok' <<<"$SSE_DATA")" -ge 1 ] &&
        ok "$1: the first events reached the client" ||
        fail "$1: the first events reached the client" "$(head -c 300 "$SSE_FILE")"
    check_eq "$(tail -n 1 <<<"$SSE_DATA" | jq -r '.error.type // empty' 2>/dev/null)" \
        server_error "$1: the stream ends with an error event"
    check_eq "$(grep -c '^\[DONE\]$' <<<"$SSE_DATA")" 0 "$1: no [DONE]"
    check_eq "$(grep -c 'not server-sent\|cut-mid-event\|"broken"' <<<"$SSE_DATA")" 0 \
        "$1: the broken bytes were not passed on"
    estimated "$1" "$3"
}

# ---- before any byte: mapped errors, nothing echoed, nothing charged
before_byte() { # NAME PATH BODY STATUS SHAPE-CHECK [curl args]
    local name=$1 path=$2 body=$3 want=$4 shape=$5
    shift 5
    req POST "$path" "$body" "$@"
    check_status "$want" "$name: $want"
    check_jq "$shape" "$name: error in the caller's dialect"
    [ -n "$(header retry-after)" ] && ok "$name: Retry-After" ||
        fail "$name: Retry-After" missing
    case $BODY in *"mock fault"* | *"req_mock"*) fail "$name: nothing echoed" "$BODY" ;;
    *) ok "$name: nothing of the upstream's body echoed" ;; esac
    check_eq "$(rl_ledger "$(rl_rid)")" "0 released" "$name: reservation released, no charge"
}
OA_SHAPE='.error.type == "server_error" and (has("type") | not)'
before_byte "status=500" /v1/chat/completions "$(chat_body "$T-s500" status=500 false)" 503 \
    "$OA_SHAPE" "${OAH[@]}"
before_byte "status=429" /v1/chat/completions "$(chat_body "$T-s429" status=429)" 503 \
    "$OA_SHAPE" "${OAH[@]}"
before_byte "status=401" /v1/chat/completions "$(chat_body "$T-s401" status=401 false)" 503 \
    "$OA_SHAPE" "${OAH[@]}"
check_eq "$(rl_ctl channel list | jq -r ".data[] | select(.id == $S401) | .status")" \
    auto_disabled "status=401: the channel is auto_disabled"
before_byte "status=500 on messages" /v1/messages "$(msg_body "$T-s500an" status=500)" 529 \
    '.type == "error" and .error.type == "overloaded_error"' "${ANH[@]}"

# ---- after the first byte: one error event, an estimate
chat_cut "malformed-sse" malformed-sse malformed
chat_cut "bad-json-in-data" bad-json-in-data malformed
chat_cut "cut-mid-event" cut-mid-event malformed
chat_cut "truncate-after=2" truncate-after=2 truncated
chat_cut "rst" rst truncated

sreq /v1/chat/completions "$(chat_body "$T-oa" error-mid-stream)" "${OAH[@]}"
check_eq "$(tail -n 1 <<<"$SSE_DATA" | jq -r '.error.type')" server_error \
    "error-mid-stream (chat): ends with the error event"
estimated "error-mid-stream (chat)" upstream_error_event

sreq /v1/messages "$(msg_body "$T-an" truncate-after=2)" "${ANH[@]}"
check_eq "$(sse_events | tail -n 1)" error "truncate-after=2 (messages): event: error last"
check_eq "$(tail -n 1 <<<"$SSE_DATA" | jq -r '.type + " " + .error.type')" "error api_error" \
    "truncate-after=2 (messages): Anthropic error shape"
estimated "truncate-after=2 (messages)" truncated
check_eq "$ROW_IN/$ROW_CR/$ROW_CW" "30/10/6" \
    "truncate-after=2 (messages): input and cache counts kept from message_start"

sreq /v1/responses "$(resp_body "$T-oa" truncate-after=2)" "${OAH[@]}"
check_eq "$(sse_events | tail -n 2 | tr '\n' ' ')" "error response.failed " \
    "truncate-after=2 (responses): error, then response.failed"
estimated "truncate-after=2 (responses)" truncated

check_eq "$(($(grep -c 'event=worker_died' "$LOG_DIR/tollgate.log") - DIED0))" 0 \
    "no worker died"

# ---- usage faults
sreq /v1/chat/completions "$(chat_body "$T-oa" no-usage)" "${OAH[@]}"
check_eq "$(tail -n 1 <<<"$SSE_DATA")" "[DONE]" "no-usage: complete stream"
estimated "no-usage" -
req POST /v1/chat/completions "$(chat_body "$T-oa" no-usage false)" "${OAH[@]}"
check_status 200 "no-usage (not streamed): 200"
estimated "no-usage (not streamed)" -
sreq /v1/messages "$(msg_body "$T-an" no-usage)" "${ANH[@]}"
estimated "no-usage (messages)" -

zero() { # NAME
    check_row "$1" 0 0 0 0 0
    check_eq "$ROW_EST" 0 "$1: not estimated"
}
sreq /v1/chat/completions "$(chat_body "$T-oa" zero-usage)" "${OAH[@]}"
zero "zero-usage (chat)"
sreq /v1/messages "$(msg_body "$T-an" zero-usage)" "${ANH[@]}"
zero "zero-usage (messages)"
sreq /v1/responses "$(resp_body "$T-oa" zero-usage)" "${OAH[@]}"
zero "zero-usage (responses)"

sreq /v1/chat/completions "$(chat_body "$T-oa" negative-usage)" "${OAH[@]}"
RID=$(rl_rid)
rl_row "$RID"
check_eq "$ROW_IN/$ROW_OUT/$ROW_EST" "0/0/1" "negative-usage: clamped to 0, flagged"
check_eq "$(rl_ledger "$RID")" "$(rl_cost 10 $P_CR) settled" \
    "negative-usage: only the valid cache reads billed, no credit"

sreq /v1/chat/completions "$(chat_body "$T-oa" huge-usage)" "${OAH[@]}"
RID=$(rl_rid)
rl_row "$RID"
check_eq "$ROW_EST" 1 "huge-usage: flagged"
check_eq "$ROW_QUOTA" "$(reserved_of "$RID")" "huge-usage: charge capped at the reservation"
check_eq "$(rl_ledger "$RID")" "$ROW_QUOTA settled" "huge-usage: one settled charge"

C_OA=$(rl_cost 30 $P_IN 4 $P_OUT 10 $P_CR)
C_AN=$(rl_cost 30 $P_IN 4 $P_OUT 10 $P_CR 6 $P_CW)
sreq /v1/chat/completions "$(chat_body "$T-oa" incomplete-with-usage)" "${OAH[@]}"
check_row "incomplete-with-usage (chat)" 30 4 10 0 "$C_OA"
sreq /v1/messages "$(msg_body "$T-an" incomplete-with-usage)" "${ANH[@]}"
check_eq "$(jq -r 'select(.type == "message_delta") | .delta.stop_reason' <<<"$SSE_DATA")" \
    max_tokens "incomplete-with-usage (messages): stop_reason max_tokens"
check_row "incomplete-with-usage (messages)" 30 4 10 6 "$C_AN"
sreq /v1/responses "$(resp_body "$T-oa" incomplete-with-usage)" "${OAH[@]}"
check_eq "$(sse_events | tail -n 1)" response.incomplete \
    "incomplete-with-usage (responses): response.incomplete"
check_row "incomplete-with-usage (responses)" 30 4 10 0 "$C_OA"
check_eq "$ROW_EST" 0 "incomplete-with-usage (responses): from its usage, not estimated"
sreq /v1/responses "$(resp_body "$T-oa" error-mid-stream)" "${OAH[@]}"
check_eq "$(sse_events | tail -n 1)" response.failed "error-mid-stream (responses): failed"
check_row "error-mid-stream (responses): billed from response.failed's usage" 30 4 10 0 \
    "$C_OA"

# ---- non-streamed bodies that are cut, garbled, dripped, huge or redirected
not_streamed_fail() { # MODE
    req POST /v1/chat/completions "$(chat_body "$T-oa" "$1" false)" "${OAH[@]}"
    check_status 502 "$1 (not streamed): 502"
    check_jq '.error.type == "server_error"' "$1 (not streamed): OpenAI error shape"
    check_eq "$(rl_ledger "$(rl_rid)")" "0 released" "$1 (not streamed): no charge"
}
not_streamed_fail truncate-after=2
not_streamed_fail bad-json-in-data
not_streamed_fail rst
R0=$(mock_stat requests)
req POST /v1/chat/completions "$(chat_body "$T-oa" "redirect=$MOCK_URL/v1/models" false)" \
    "${OAH[@]}"
check_status 502 "redirect: 502"
check_eq "$(($(mock_stat requests) - R0))" 1 "redirect: not followed"
check_eq "$(rl_ledger "$(rl_rid)")" "0 released" "redirect: no charge"

req POST /v1/chat/completions "$(chat_body "$T-oa" slow-drip false)" "${OAH[@]}"
check_status 200 "slow-drip (not streamed): 200"
check_row "slow-drip (not streamed)" 30 4 10 0 "$C_OA"

STATUS=$(curl -s -o /dev/null -D "$HEADERS" -w '%{http_code}' --max-time 120 \
    -H 'Content-Type: application/json' --data-binary "$(chat_body "$T-oa" oversize-body \
    false)" "${OAH[@]}" "$BASE_URL/v1/chat/completions")
RID=$(rl_rid)
rl_row "$RID"
RES=$(reserved_of "$RID")
if [ -n "$ROW_QUOTA" ] && [ "$ROW_QUOTA" -le "${RES:-0}" ]; then
    ok "oversize-body: status $STATUS, charge $ROW_QUOTA within the reservation $RES"
else
    fail "oversize-body: charge within the reservation" "quota '$ROW_QUOTA' reserved '$RES'"
fi

rl_quiet faults
check_eq "$(($(grep -c 'event=worker_died' "$LOG_DIR/tollgate.log") - DIED0))" 0 \
    "no worker died"
finish
