#!/usr/bin/env bash
# t0010-relay-failover: a higher-priority channel that fails before the first byte (500,
# 429, 401 from the mock's fault keys) is skipped for a working one, and the call is
# charged once; a 401 auto-disables the channel with a reason; a stream cut after its
# first events is never retried on another channel; when every channel fails the caller
# gets a mapped error with Retry-After and pays nothing; the breaker stops retrying a
# failing channel, and a model whose every channel is behind an open breaker is
# unavailable (503 / 529 with Retry-After), not unknown (404).
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/relay_lib.sh
. "$(dirname "$0")/relay_lib.sh"

fk() { jq -r --arg m "$1" 'to_entries[] | select(.value == $m) | .key' \
    <<<"$MOCK_FAULT_KEYS_JSON" | head -n 1; }
FK500=$(fk status=500)
FK429=$(fk status=429)
FK401=$(fk status=401)
FKCUT=$(fk truncate-after=2)
if [ -z "$FK500" ] || [ -z "$FK429" ] || [ -z "$FK401" ] || [ -z "$FKCUT" ]; then
    fail "stack.json lists the mock's fault keys" "$MOCK_FAULT_KEYS_JSON"
    finish
fi
ok "stack.json lists the mock's fault keys"

U=t10f$RL_TAG
T=t10f-$RL_TAG
P_IN=1000000 P_OUT=4000000
rl_user "$U" 5
KEY=$(rl_key "$U")
AUTH=(-H "Authorization: Bearer $KEY")
for m in 500 429 401 cut all an open aopen probe; do rl_price "$T-$m" $P_IN $P_OUT; done
rl_channel "$T-500-bad" openai-compatible "$FK500" "$T-500" 10 >/dev/null
GOOD=$(rl_channel "$T-good" openai-compatible "$MOCK_KEY" "$T-500,$T-429,$T-401,$T-cut" 0)
rl_channel "$T-429-bad" openai-compatible "$FK429" "$T-429" 10 >/dev/null
BAD401=$(rl_channel "$T-401-bad" openai-compatible "$FK401" "$T-401" 10)
CUT=$(rl_channel "$T-cut-bad" openai-compatible "$FKCUT" "$T-cut" 10)
rl_channel "$T-all-a" openai-compatible "$FK500" "$T-all" 10 >/dev/null
rl_channel "$T-all-b" openai-compatible "$FK500" "$T-all" 0 >/dev/null
rl_channel "$T-an-bad" anthropic "$FK500" "$T-an" 10 >/dev/null
GOOD_AN=$(rl_channel "$T-an-good" anthropic "$MOCK_KEY" "$T-an" 0)
rl_channel "$T-open-bad" openai-compatible "$FK500" "$T-open" 0 >/dev/null
rl_channel "$T-aopen-bad" anthropic "$FK500" "$T-aopen" 0 >/dev/null
rl_cache_wait

D="[mock chunks=3 input=20] $(printf '%*s' 40 '' | tr ' ' z)"
COST=$(rl_cost 20 $P_IN 3 $P_OUT)
chat() { # MODEL [stream]
    local s=${2:-false}
    if [ "$s" = true ]; then
        sreq /v1/chat/completions "{\"model\":\"$1\",\"stream\":true,\"max_tokens\":9,
            \"messages\":[{\"role\":\"user\",\"content\":\"$D\"}]}" "${AUTH[@]}"
    else
        req POST /v1/chat/completions "{\"model\":\"$1\",\"max_tokens\":9,
            \"messages\":[{\"role\":\"user\",\"content\":\"$D\"}]}" "${AUTH[@]}"
    fi
}

# failed_over NAME MODEL STREAM WANT_UPSTREAM_CALLS: served by the good channel, one charge.
failed_over() {
    local name=$1 r0 rid
    r0=$(mock_stat requests)
    chat "$2" "$3"
    check_status 200 "$name: 200"
    if [ "$3" = true ]; then
        check_eq "$(tail -n 1 <<<"$SSE_DATA")" "[DONE]" "$name: complete stream"
    else
        check_json '.choices[0].message.content' "tok1 tok2 tok3 " "$name: the answer"
    fi
    check_eq "$(($(mock_stat requests) - r0))" "$4" "$name: $4 upstream calls"
    rid=$(rl_rid)
    check_row "$name" 20 3 0 0 "$COST"
    check_eq "$ROW_CHAN" "$GOOD" "$name: logged on the good channel"
    check_eq "$(mysql_q "SELECT COUNT(*) FROM ledger WHERE request_id = '$rid'")" 1 \
        "$name: one ledger row (one reservation, one settlement)"
}

failed_over "500 first, then good" "$T-500" false 2
failed_over "500 first, then good, streamed" "$T-500" true 2
failed_over "429 first, then good" "$T-429" false 2
failed_over "401 first, then good" "$T-401" false 2
check_eq "$(rl_ctl channel list | jq -r ".data[] | select(.id == $BAD401) | .status")" \
    auto_disabled "401: the channel is auto_disabled"
REASON=$(rl_ctl channel list | jq -r ".data[] | select(.id == $BAD401) | .status_reason")
case $REASON in *401*) ok "401: the reason says so ($REASON)" ;;
*) fail "401: the reason says so" "'$REASON'" ;; esac
rl_cache_wait
failed_over "401 channel disabled: straight to the good one" "$T-401" false 1

# Anthropic dialect, streamed.
r0=$(mock_stat requests)
sreq /v1/messages "{\"model\":\"$T-an\",\"stream\":true,\"max_tokens\":9,\"messages\":[{
    \"role\":\"user\",\"content\":\"$D\"}]}" -H "x-api-key: $KEY"
check_status 200 "messages, 500 first: 200"
check_eq "$(sse_events | tail -n 1)" message_stop "messages, 500 first: complete stream"
check_eq "$(($(mock_stat requests) - r0))" 2 "messages, 500 first: 2 upstream calls"
check_row "messages, 500 first" 20 3 0 0 "$(rl_cost 20 $P_IN 3 $P_OUT)"
check_eq "$ROW_CHAN" "$GOOD_AN" "messages, 500 first: logged on the good channel"

# ---- no retry after the first byte
r0=$(mock_stat requests)
sreq /v1/chat/completions "{\"model\":\"$T-cut\",\"stream\":true,\"max_tokens\":9,
    \"messages\":[{\"role\":\"user\",\"content\":\"[mock chunks=6 input=20] $D\"}]}" \
    "${AUTH[@]}"
check_status 200 "cut after 2 events: 200 (the stream had started)"
check_eq "$(jq -rj '.choices[0].delta.content // ""' <<<"$(grep '"choices"' <<<"$SSE_DATA")")" \
    "tok1 tok2 " "cut after 2 events: the client got the first events"
check_eq "$(tail -n 1 <<<"$SSE_DATA" | jq -r '.error.type // empty')" server_error \
    "cut after 2 events: then one error event"
check_eq "$(grep -c '^\[DONE\]$' <<<"$SSE_DATA")" 0 "cut after 2 events: no [DONE]"
check_eq "$(($(mock_stat requests) - r0))" 1 "cut after 2 events: exactly one upstream call"
RID=$(rl_rid)
rl_row "$RID"
check_eq "$ROW_CHAN/$ROW_CLASS/$ROW_EST" "$CUT/truncated/1" \
    "cut after 2 events: logged on the cut channel, truncated, estimated"
rl_ledger "$RID" >/dev/null
check_eq "$(mysql_q "SELECT COUNT(*), MIN(state), MIN(-amount) > 0 FROM ledger
    WHERE request_id = '$RID'" | tr '\t' ' ')" "1 settled 1" \
    "cut after 2 events: charged once for what was delivered"

# ---- every channel fails: a mapped error, Retry-After, no charge, nothing echoed
r0=$(mock_stat requests)
chat "$T-all"
check_status 503 "every channel 500: 503"
check_jq '.error.type == "server_error"' "every channel 500: OpenAI error shape"
[ -n "$(header retry-after)" ] && ok "every channel 500: Retry-After" ||
    fail "every channel 500: Retry-After" missing
case $BODY in *"mock fault"*) fail "every channel 500: upstream body not echoed" "$BODY" ;;
*) ok "every channel 500: upstream body not echoed" ;; esac
check_eq "$(($(mock_stat requests) - r0))" 2 "every channel 500: each channel tried once"
check_eq "$(rl_ledger "$(rl_rid)")" "0 released" "every channel 500: reservation released"

# ---- the breaker: a failing channel stops being tried (at most 5 failures per process)
r0=$(mock_stat requests)
n200=0
for _ in $(seq 30); do
    chat "$T-500"
    [ "$STATUS" = 200 ] && n200=$((n200 + 1))
done
check_eq "$n200" 30 "breaker: 30 calls, all served"
SPENT=$(($(mock_stat requests) - r0))
if [ "$SPENT" -ge 30 ] && [ "$SPENT" -le 40 ]; then
    ok "breaker: $SPENT upstream calls for 30 (the failing channel was skipped)"
else
    fail "breaker: at most 30 + 2 workers x 5 upstream calls" "$SPENT"
fi

# each_status N CMD...: run CMD N times; print the distinct statuses it got.
each_status() {
    local n=$1 got=''
    shift
    for _ in $(seq "$n"); do
        "$@"
        got="$got $STATUS"
    done
    tr ' ' '\n' <<<"$got" | grep -v '^$' | sort -u | xargs
}

# ---- every channel of a model behind an open breaker: unavailable, not unknown
# Each worker opens the breaker after 5 failures: 12 calls open it on both.
check_eq "$(each_status 12 chat "$T-open")" 503 "breaker opening: every call 503"
r0=$(mock_stat requests)
chat "$T-open"
check_status 503 "breaker open on every channel: 503, not 404"
check_jq '.error.type == "server_error" and .error.code != "model_not_found"' \
    "breaker open on every channel: server_error"
RA=$(header retry-after)
if [ -n "$RA" ] && [ "$RA" -ge 1 ] && [ "$RA" -le 31 ]; then
    ok "breaker open on every channel: Retry-After $RA s (the cool-down left)"
else
    fail "breaker open on every channel: Retry-After within the cool-down" "'$RA'"
fi
check_eq "$(($(mock_stat requests) - r0))" 0 "breaker open on every channel: no upstream call"
check_eq "$(rl_ledger "$(rl_rid)")" "" "breaker open on every channel: nothing reserved"
messages() { # MODEL
    req POST /v1/messages "{\"model\":\"$1\",\"max_tokens\":9,\"messages\":[{
        \"role\":\"user\",\"content\":\"$D\"}]}" -H "x-api-key: $KEY"
}
each_status 12 messages "$T-aopen" >/dev/null
messages "$T-aopen"
check_status 529 "messages, breaker open on every channel: 529, not 404"
check_jq '.type == "error" and .error.type == "overloaded_error"' \
    "messages, breaker open on every channel: overloaded_error"
[ -n "$(header retry-after)" ] && ok "messages, breaker open: Retry-After" ||
    fail "messages, breaker open: Retry-After" missing

# ---- a half-open probe that never reached the channel does not hold it back for good
# The breaker of the model's one channel opens (upstream 500s), cools down for 1 s; then
# calls that admission refuses (an empty balance) take the half-open probe of the worker
# they land on, after the channel was picked. Once the probe's hold ends (10 s) the next
# call probes the channel again, and it is served.
rl_reload_set breaker_cooldown 1
rl_channel "$T-probe-ch" openai-compatible "$MOCK_KEY" "$T-probe" 0 >/dev/null
rl_cache_wait
rl_user "${U}b" 0
BROKE=$(rl_key "${U}b")
probe_call() { # TEXT KEY
    req POST /v1/chat/completions "{\"model\":\"$T-probe\",\"max_tokens\":9,
        \"messages\":[{\"role\":\"user\",\"content\":\"$1\"}]}" \
        -H "Authorization: Bearer $2"
}
check_eq "$(each_status 12 probe_call "[mock input=20 fault=status=500]" "$KEY")" 503 \
    "probe: the upstream fails, the breakers open"
sleep 1.5
GOT=$(each_status 8 probe_call "$D" "$BROKE")
case " $GOT " in *" 429 "*) ok "probe: calls refused for their balance took the probe ($GOT)" ;;
*) fail "probe: a call refused for its balance" "$GOT" ;; esac
sleep 11
check_eq "$(each_status 10 chat "$T-probe")" 200 \
    "probe: 10 s later the channel is probed again and serves"

rl_quiet failover
finish
