#!/usr/bin/env bash
# t0010-relay-stream: streamed events reach the client as the upstream sends them (arrival
# times per line), in every dialect; include_usage is always asked upstream but the usage
# chunk is passed on only to callers who asked; a client that leaves mid-stream or before
# the first byte stops the upstream transfer and is billed for what was delivered.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/relay_lib.sh
. "$(dirname "$0")/relay_lib.sh"

U=t10s$RL_TAG
OA=t10s-oa-$RL_TAG
AN=t10s-an-$RL_TAG
P_IN=2000000 P_OUT=8000000
A_IN=3000000 A_OUT=15000000

rl_user "$U" 5
KEY=$(rl_key "$U")
rl_price "$OA" $P_IN $P_OUT
rl_price "$OA-gone" $P_IN $P_OUT
rl_price "$AN" $A_IN $A_OUT
rl_channel "$OA" openai-compatible "$MOCK_KEY" "$OA,$OA-gone" >/dev/null
rl_channel "$AN" anthropic "$MOCK_KEY" "$AN" >/dev/null
rl_cache_wait
AUTH=(-H "Authorization: Bearer $KEY")

# content_times PATTERN: arrival times (us) of the stream lines matching PATTERN.
content_times() { grep -E "^[0-9]+ data: .*$1" "$SSE_FILE" | awk '{ print $1 }'; }

# check_spread NAME PATTERN: five content events, the first >= 1 s before the last, and
# at least one more arrival in between (not one burst at the end).
check_spread() {
    local t first last n
    t=$(content_times "$2")
    n=$(wc -l <<<"$t")
    first=$(head -n 1 <<<"$t")
    last=$(tail -n 1 <<<"$t")
    check_eq "$n" 5 "$1: five content events"
    if [ -n "$first" ] && [ $((last - first)) -ge 1000000 ]; then
        ok "$1: first content event $(((last - first) / 1000)) ms before the last (>= 1000)"
    else
        fail "$1: first content event >= 1 s before the last" "spread $(((${last:-0} - \
${first:-0}) / 1000)) ms"
    fi
    if [ "$(awk -v f="$first" -v l="$last" '$1 > f + 150000 && $1 < l - 150000' <<<"$t" |
        wc -l)" -ge 1 ]; then
        ok "$1: events spread over the stream"
    else
        fail "$1: events spread over the stream" "$(tr '\n' ' ' <<<"$t")"
    fi
}

D="[mock chunks=5 delay=300 input=20]"
sreq /v1/chat/completions "{\"model\":\"$OA\",\"stream\":true,\"max_tokens\":20,
    \"messages\":[{\"role\":\"user\",\"content\":\"$D\"}]}" "${AUTH[@]}"
check_status 200 "chat stream: 200"
check_spread "chat stream" '"content":"tok'
sreq /v1/completions "{\"model\":\"$OA\",\"stream\":true,\"prompt\":\"$D\",\"max_tokens\":9}" \
    "${AUTH[@]}"
check_spread "completions stream" '"text":"tok'
sreq /v1/messages "{\"model\":\"$AN\",\"stream\":true,\"max_tokens\":20,
    \"messages\":[{\"role\":\"user\",\"content\":\"$D\"}]}" -H "x-api-key: $KEY"
check_status 200 "messages stream: 200"
check_spread "messages stream" '"text_delta"'
sreq /v1/responses "{\"model\":\"$OA\",\"stream\":true,\"input\":\"$D\"}" "${AUTH[@]}"
check_spread "responses stream" '"type":"response.output_text.delta"'

# ---- include_usage
D="[mock chunks=4 input=50] $(printf '%*s' 60 '' | tr ' ' y)"
COST=$(rl_cost 50 $P_IN 4 $P_OUT)
sreq /v1/chat/completions "{\"model\":\"$OA\",\"stream\":true,\"max_tokens\":20,
    \"messages\":[{\"role\":\"user\",\"content\":\"$D\"}]}" "${AUTH[@]}"
check_eq "$(grep -v '^\[DONE\]$' <<<"$SSE_DATA" | jq -c 'select(.usage != null)' | wc -l)" 0 \
    "no stream_options: no usage chunk reaches the client"
check_eq "$(grep -v '^\[DONE\]$' <<<"$SSE_DATA" | jq -c 'select(.choices == [])' | wc -l)" 0 \
    "no stream_options: no chunk with empty choices"
check_eq "$(tail -n 1 <<<"$SSE_DATA")" "[DONE]" "no stream_options: still ends with [DONE]"
check_row "no stream_options: billed exactly" 50 4 0 0 "$COST"
req GET "$MOCK_URL/_mock/last"
check_json '.body | fromjson | .stream_options.include_usage' true \
    "no stream_options: include_usage asked upstream anyway"

sreq /v1/chat/completions "{\"model\":\"$OA\",\"stream\":true,\"max_tokens\":20,
    \"stream_options\":{\"include_usage\":false},
    \"messages\":[{\"role\":\"user\",\"content\":\"$D\"}]}" "${AUTH[@]}"
check_eq "$(grep -v '^\[DONE\]$' <<<"$SSE_DATA" | jq -c 'select(.usage != null)' | wc -l)" 0 \
    "include_usage false: no usage chunk"
check_row "include_usage false: billed exactly" 50 4 0 0 "$COST"

sreq /v1/chat/completions "{\"model\":\"$OA\",\"stream\":true,\"max_tokens\":20,
    \"stream_options\":{\"include_usage\":true},
    \"messages\":[{\"role\":\"user\",\"content\":\"$D\"}]}" "${AUTH[@]}"
check_eq "$(grep -v '^\[DONE\]$' <<<"$SSE_DATA" | jq -c 'select(.usage != null and
    .choices == []) | .usage.prompt_tokens, .usage.completion_tokens' | tr '\n' ' ')" \
    "50 4 " "include_usage true: one usage chunk with the call's usage"
check_row "include_usage true: billed exactly" 50 4 0 0 "$COST"

# ---- the client leaves mid-stream (after about ten of fifty events)
leave_mid() {
    local name=$1 path=$2 body=$3 a0 got rid reserved i
    shift 3
    a0=$(mock_stat aborted)
    sreq "$path" "$body" --max-time 1 "$@"
    got=$(grep -c 'tok[0-9]' "$SSE_FILE")
    if [ "$got" -ge 2 ] && [ "$got" -lt 50 ]; then
        ok "$name: the client got $got content events, then left"
    else
        fail "$name: the client got some content events, then left" "got $got"
    fi
    for i in $(seq 30); do
        [ "$(mock_stat aborted)" -gt "$a0" ] && break
        sleep 0.1
    done
    check_eq "$(($(mock_stat aborted) - a0))" 1 \
        "$name: the upstream connection was closed (mock aborted +1)"
    rid=$(rl_rid)
    if ! rl_row "$rid"; then
        fail "$name: usage row" "none"
        return
    fi
    check_eq "$ROW_CLASS" client_gone "$name: error_class client_gone"
    check_eq "$ROW_EST" 1 "$name: flagged estimated"
    reserved=$(rl_reserved "$rid")
    if [ "$ROW_QUOTA" -gt 0 ] && [ "$ROW_QUOTA" -le "${reserved:-0}" ] &&
        [ "$ROW_OUT" -ge "$got" ] && [ "$ROW_OUT" -le 60 ]; then
        ok "$name: billed for what was delivered ($ROW_OUT output tokens >= $got events;" \
            "quota $ROW_QUOTA <= reserved $reserved)"
    else
        fail "$name: billed for what was delivered" \
            "quota $ROW_QUOTA out $ROW_OUT reserved $reserved"
    fi
    check_eq "$(rl_ledger "$rid")" "$ROW_QUOTA settled" "$name: one settled charge"
}

D="[mock chunks=50 delay=100 input=30]"
leave_mid "chat, client gone" /v1/chat/completions "{\"model\":\"$OA\",\"stream\":true,
    \"max_tokens\":60,\"messages\":[{\"role\":\"user\",\"content\":\"$D\"}]}" "${AUTH[@]}"
leave_mid "messages, client gone" /v1/messages "{\"model\":\"$AN\",\"stream\":true,
    \"max_tokens\":60,\"messages\":[{\"role\":\"user\",\"content\":\"$D\"}]}" "${AUTH[@]}"
leave_mid "responses, client gone" /v1/responses "{\"model\":\"$OA\",\"stream\":true,
    \"input\":\"$D\",\"max_output_tokens\":60}" "${AUTH[@]}"

# ---- the client leaves before the first byte: nothing delivered, nothing charged (the
# call has a model of its own: without response headers its request id is found by it)
a0=$(mock_stat aborted)
sreq /v1/chat/completions "{\"model\":\"$OA-gone\",\"stream\":true,\"max_tokens\":5,
    \"messages\":[{\"role\":\"user\",\"content\":\"[mock fault=hang-before-headers]\"}]}" \
    --max-time 1 "${AUTH[@]}"
for _ in $(seq 30); do
    [ "$(mock_stat aborted)" -gt "$a0" ] && break
    sleep 0.1
done
check_eq "$(($(mock_stat aborted) - a0))" 1 "gone before the first byte: upstream closed"
RID=''
for _ in $(seq 30); do
    RID=$(mysql_q "SELECT request_id FROM usage_logs WHERE user_id = $RL_UID
        AND model = '$OA-gone'")
    [ -n "$RID" ] && break
    sleep 0.1
done
if [ -n "$RID" ] && rl_row "$RID"; then
    check_eq "$ROW_CLASS/$ROW_QUOTA" client_gone/0 "gone before the first byte: row, quota 0"
else
    fail "gone before the first byte: usage row" "none for $RID"
fi
check_eq "$(rl_ledger "$RID")" "0 released" \
    "gone before the first byte: reservation released, no charge"

rl_quiet stream
check_eq "$(mock_stat open)" 0 "the mock has no request open"
finish
