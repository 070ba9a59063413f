#!/usr/bin/env bash
# t0010-relay-endpoints: every relay endpoint under /v1 and /api/client/v1, streamed and
# not: status, body shape, the tokens logged in usage_logs and the exact quota charged
# against the price table (OpenAI cached tokens, Anthropic cache reads and writes);
# /v1/models in both shapes; count_tokens is relayed but never billed.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/relay_lib.sh
. "$(dirname "$0")/relay_lib.sh"

U=t10e$RL_TAG
OA=t10e-oa-$RL_TAG
AN=t10e-an-$RL_TAG
EMB=t10e-emb-$RL_TAG
# micro-USD per million tokens: distinct, odd prices so that rounding shows
P_IN=1500000 P_OUT=6000000 P_CR=750000
A_IN=3000000 A_OUT=15000000 A_CR=300000 A_CW=3750000
E_IN=130000
INITIAL=5000000 # 10 USD

rl_user "$U" 10
KEY=$(rl_key "$U")
[ -n "$KEY" ] && ok "key created" || fail "key created" "$(tail -n 3 "$T_TMP/ctl.err")"
rl_price "$OA" $P_IN $P_OUT $P_CR
rl_price "$AN" $A_IN $A_OUT $A_CR $A_CW
rl_price "$EMB" $E_IN 0
rl_channel "$OA" openai-compatible "$MOCK_KEY" "$OA,$EMB" >/dev/null
rl_channel "$AN" anthropic "$MOCK_KEY" "$AN" >/dev/null
rl_cache_wait
BEARER=(-H "Authorization: Bearer $KEY")
XKEY=(-H "x-api-key: $KEY" -H 'anthropic-version: 2023-06-01')
CHARGED=0

# text N: what the mock streams for N chunks.
text() { for i in $(seq "$1"); do printf 'tok%d ' "$i"; done; }

msgs() { jq -nc --arg c "$1" '[{role: "user", content: $c}]'; }

# pad N: N filler bytes. A reservation assumes no more input tokens than body bytes, so
# bodies are at least as long as the token counts the mock is told to report.
pad() { printf '%*s' "$1" '' | tr ' ' x; }

# ---- OpenAI chat and completions (prompt_tokens include cached_tokens)
oa_chat() {
    local px=$1 d cost
    d="[mock chunks=7 input=1001 cache_read=400] $(pad 1500)"
    cost=$(rl_cost 1001 $P_IN 7 $P_OUT 400 $P_CR)
    req POST "$px/chat/completions" \
        "{\"model\":\"$OA\",\"messages\":$(msgs "hello $d"),\"max_tokens\":50}" "${BEARER[@]}"
    check_status 200 "$px chat: 200"
    check_json '.object' chat.completion "$px chat: object"
    check_json '.choices[0].message.content' "$(text 7)" "$px chat: content"
    check_json '.usage.prompt_tokens' 1401 "$px chat: usage passed on"
    check_row "$px chat" 1001 7 400 0 "$cost"
    CHARGED=$((CHARGED + cost))

    sreq "$px/chat/completions" "{\"model\":\"$OA\",\"stream\":true,\"max_tokens\":50,
        \"stream_options\":{\"include_usage\":true},\"messages\":$(msgs "hi $d")}" \
        "${BEARER[@]}"
    check_status 200 "$px chat stream: 200"
    check_eq "$(header content-type)" text/event-stream "$px chat stream: content type"
    check_eq "$(tail -n 1 <<<"$SSE_DATA")" "[DONE]" "$px chat stream: ends with [DONE]"
    local chunks
    chunks=$(grep -v '^\[DONE\]$' <<<"$SSE_DATA")
    check_eq "$(jq -rj '.choices[0].delta.content // ""' <<<"$chunks")" "$(text 7)" \
        "$px chat stream: content"
    check_eq "$(jq -r 'select(.usage) | .usage.prompt_tokens' <<<"$chunks")" 1401 \
        "$px chat stream: usage chunk (include_usage)"
    check_row "$px chat stream" 1001 7 400 0 "$cost"
    CHARGED=$((CHARGED + cost))
}

oa_completions() {
    local px=$1 d cost
    d="[mock chunks=5 input=333 cache_read=0] $(pad 400)"
    cost=$(rl_cost 333 $P_IN 5 $P_OUT)
    req POST "$px/completions" "{\"model\":\"$OA\",\"prompt\":\"say $d\",\"max_tokens\":9}" \
        "${BEARER[@]}"
    check_status 200 "$px completions: 200"
    check_json '.object + " " + .choices[0].text' "text_completion $(text 5)" \
        "$px completions: shape and text"
    check_row "$px completions" 333 5 0 0 "$cost"
    CHARGED=$((CHARGED + cost))

    sreq "$px/completions" "{\"model\":\"$OA\",\"prompt\":\"say $d\",\"max_tokens\":9,
        \"stream\":true}" "${BEARER[@]}"
    check_status 200 "$px completions stream: 200"
    check_eq "$(grep -v '^\[DONE\]$' <<<"$SSE_DATA" | jq -rj '.choices[0].text // ""')" \
        "$(text 5)" "$px completions stream: text"
    check_eq "$(grep -v '^\[DONE\]$' <<<"$SSE_DATA" | jq -c 'select(.usage)' | wc -l)" 0 \
        "$px completions stream: no usage chunk (not asked for)"
    check_row "$px completions stream" 333 5 0 0 "$cost"
    CHARGED=$((CHARGED + cost))
}

oa_embeddings() {
    local px=$1 cost
    cost=$(rl_cost 321 $E_IN)
    req POST "$px/embeddings" "{\"model\":\"$EMB\",\"input\":\"vec [mock input=321] $(pad 400)\"}" \
        "${BEARER[@]}"
    check_status 200 "$px embeddings: 200"
    check_jq '.object == "list" and (.data[0].embedding | length) > 0' "$px embeddings: shape"
    check_row "$px embeddings" 321 0 0 0 "$cost"
    CHARGED=$((CHARGED + cost))
}

# ---- Responses (input_tokens include cached_tokens)
responses() {
    local px=$1 d cost
    d="[mock chunks=6 input=2001 cache_read=1000] $(pad 3100)"
    cost=$(rl_cost 2001 $P_IN 6 $P_OUT 1000 $P_CR)
    req POST "$px/responses" "{\"model\":\"$OA\",\"input\":\"go $d\",\"max_output_tokens\":40}" \
        "${BEARER[@]}"
    check_status 200 "$px responses: 200"
    check_json '.object + " " + .status + " " + .output[0].content[0].text' \
        "response completed $(text 6)" "$px responses: shape"
    check_row "$px responses" 2001 6 1000 0 "$cost"
    CHARGED=$((CHARGED + cost))

    sreq "$px/responses" "{\"model\":\"$OA\",\"input\":\"go $d\",\"stream\":true,
        \"max_output_tokens\":40}" "${BEARER[@]}"
    check_status 200 "$px responses stream: 200"
    check_eq "$(sse_events | head -n 1) $(sse_events | tail -n 1)" \
        "response.created response.completed" "$px responses stream: first and last event"
    check_eq "$(sse_events | grep -c '^response.output_text.delta$')" 6 \
        "$px responses stream: 6 text deltas"
    check_eq "$(sse_events | grep -c '^response.output_item.done$')" 1 \
        "$px responses stream: output_item.done"
    check_row "$px responses stream" 2001 6 1000 0 "$cost"
    CHARGED=$((CHARGED + cost))

    cost=$(rl_cost 501 $P_IN 3 $P_OUT)
    req POST "$px/responses/compact" "{\"model\":\"$OA\",\"input\":[{\"role\":\"user\",
        \"content\":\"long history [mock chunks=3 input=501] $(pad 600)\"}]}" "${BEARER[@]}"
    check_status 200 "$px responses/compact: 200"
    check_json '.object' response.compaction "$px responses/compact: shape"
    check_row "$px responses/compact" 501 3 0 0 "$cost"
    CHARGED=$((CHARGED + cost))
}

# ---- Anthropic Messages (input_tokens exclude cache reads and writes)
messages() {
    local px=$1 d cost
    d="[mock chunks=9 input=900 cache_read=5000 cache_write=1200] $(pad 7200)"
    cost=$(rl_cost 900 $A_IN 9 $A_OUT 5000 $A_CR 1200 $A_CW)
    req POST "$px/messages" "{\"model\":\"$AN\",\"max_tokens\":64,\"messages\":$(msgs "$d")}" \
        "${XKEY[@]}"
    check_status 200 "$px messages (x-api-key): 200"
    check_json '.type + " " + .content[0].text' "message $(text 9)" "$px messages: shape"
    check_json '.usage.cache_read_input_tokens' 5000 "$px messages: usage passed on"
    check_row "$px messages" 900 9 5000 1200 "$cost"
    CHARGED=$((CHARGED + cost))

    sreq "$px/messages" "{\"model\":\"$AN\",\"max_tokens\":64,\"stream\":true,
        \"messages\":$(msgs "$d")}" "${BEARER[@]}" -H 'anthropic-version: 2023-06-01'
    check_status 200 "$px messages stream (Bearer): 200"
    check_eq "$(sse_events | sort -u | tr '\n' ' ')" "content_block_delta content_block_start \
content_block_stop message_delta message_start message_stop ping " \
        "$px messages stream: event types"
    check_eq "$(sse_events | tail -n 1)" message_stop "$px messages stream: ends message_stop"
    check_eq "$(jq -rj 'select(.type == "content_block_delta") | .delta.text' <<<"$SSE_DATA")" \
        "$(text 9)" "$px messages stream: text"
    check_row "$px messages stream" 900 9 5000 1200 "$cost"
    CHARGED=$((CHARGED + cost))

    cost=$(rl_cost 40 $A_IN 2 $A_OUT)
    req POST "$px/messages?beta=true" "{\"model\":\"$AN\",\"max_tokens\":8,
        \"messages\":$(msgs "[mock chunks=2 input=40]")}" "${XKEY[@]}" \
        -H 'anthropic-beta: claude-code-20250219'
    check_status 200 "$px messages?beta=true: 200"
    req GET "$MOCK_URL/_mock/last"
    check_json '.path + "?" + .query' "/v1/messages?beta=true" \
        "$px messages?beta=true: query passed upstream"
    check_json '.headers["anthropic-beta"]' claude-code-20250219 \
        "$px messages?beta=true: anthropic-beta forwarded"
    check_jq ".headers[\"x-api-key\"] == \"$MOCK_KEY\" and (.headers.authorization == null)" \
        "$px messages: channel key upstream, caller's key not forwarded"
    # req above replaced the headers: charge of the beta call from its ledger row
    CHARGED=$((CHARGED + cost))
}

count_tokens() {
    local px=$1 rid
    req POST "$px/messages/count_tokens?beta=true" "{\"model\":\"$AN\",
        \"messages\":$(msgs "count me [mock input=777]")}" "${XKEY[@]}"
    check_status 200 "$px count_tokens: 200"
    check_json '.input_tokens' 777 "$px count_tokens: the upstream's count"
    rid=$(rl_rid)
    sleep 0.3
    check_eq "$(mysql_q "SELECT COUNT(*) FROM ledger WHERE request_id = '$rid'")" 0 \
        "$px count_tokens: no ledger row (not billed)"
    check_eq "$(mysql_q "SELECT COUNT(*) FROM usage_logs WHERE request_id = '$rid'")" 0 \
        "$px count_tokens: no usage row"
}

models() {
    local px=$1
    req GET "$px/models" '' "${BEARER[@]}"
    check_status 200 "$px models: 200"
    check_jq ".object == \"list\" and (.data | map(select(.id == \"$OA\" and .object ==
        \"model\" and (.created | type == \"number\") and (.owned_by | type == \"string\")))
        | length) == 1" "$px models: OpenAI shape lists $OA"
    check_jq "[.data[].id] | index(\"$AN\") != null" "$px models: lists $AN"
    req GET "$px/models" '' -H "x-api-key: $KEY" -H 'anthropic-version: 2023-06-01'
    check_status 200 "$px models (anthropic-version): 200"
    check_jq ".has_more == false and (.first_id | type == \"string\") and (.last_id | type ==
        \"string\") and (.data | map(select(.id == \"$AN\" and .type == \"model\" and
        (.display_name | type == \"string\") and (.created_at | type == \"string\"))) |
        length) == 1" "$px models: Anthropic fields"
    req GET "$px/models" '' -H "x-api-key: $KEY"
    check_status 200 "$px models (x-api-key alone): 200"
    check_jq ".has_more == false and (.data | map(select(.id == \"$AN\" and .type ==
        \"model\" and (.display_name | type == \"string\"))) | length) == 1" \
        "$px models (x-api-key alone): Anthropic fields"
}

for px in /v1 /api/client/v1; do
    oa_chat $px
    oa_completions $px
    oa_embeddings $px
    responses $px
    messages $px
    count_tokens $px
    models $px
done

# A key limited to one model lists only that model.
KEY1=$(rl_key "$U" --models "$OA")
req GET /v1/models '' -H "Authorization: Bearer $KEY1"
check_json '[.data[].id] | join(",")' "$OA" "models: a key limited to $OA lists only it"

# The balance moved by exactly the sum of the expected charges (count_tokens included
# at none), and the ledger agrees.
rl_quiet "endpoints"
check_eq "$(rl_quota)" $((INITIAL - CHARGED)) "balance = initial - sum of expected charges"
finish
