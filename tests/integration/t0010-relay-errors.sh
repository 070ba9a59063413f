#!/usr/bin/env bash
# t0010-relay-errors: errors raised before relaying come in the caller's dialect (OpenAI
# shape on OpenAI routes, {"type":"error",...} on /v1/messages): bad or missing key 401,
# empty balance 429 insufficient_quota / 402 billing_error, unknown model 404, invalid
# bodies 400 naming the field, a key limited to some models 403, rpm 429; every 429 has
# Retry-After; none of them reaches the upstream or charges anything.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/relay_lib.sh
. "$(dirname "$0")/relay_lib.sh"

U=t10x$RL_TAG
POOR=t10xp$RL_TAG
OA=t10x-oa-$RL_TAG
AN=t10x-an-$RL_TAG
rl_user "$U" 5
KEY=$(rl_key "$U")
KEY_LIMITED=$(rl_key "$U" --models "$OA")
KEY_RPM=$(rl_key "$U" --rpm 1)
rl_user "$POOR" 0
POOR_UID=$RL_UID
KEY_POOR=$(rl_key "$POOR")
rl_price "$OA" 1000000 2000000
rl_price "$AN" 3000000 15000000
rl_channel "$OA" openai-compatible "$MOCK_KEY" "$OA" >/dev/null
rl_channel "$AN" anthropic "$MOCK_KEY" "$AN" >/dev/null
rl_cache_wait
REQS0=$(mock_stat requests)

CHAT="{\"model\":\"$OA\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"
MSG="{\"model\":\"$AN\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"
RESP="{\"model\":\"$OA\",\"input\":\"hi\"}"

openai_shape() { # NAME TYPE [CODE]
    check_jq ".error.type == \"$2\" and (.error.message | length > 0) and
        (has(\"type\") | not)" "$1: OpenAI error shape, type $2"
    [ -z "${3:-}" ] || check_json '.error.code' "$3" "$1: code $3"
}

anthropic_shape() { # NAME TYPE
    check_jq ".type == \"error\" and .error.type == \"$2\" and
        (.error.message | length > 0)" "$1: Anthropic error shape, type $2"
}

# ---- keys
req POST /v1/chat/completions "$CHAT" -H 'Authorization: Bearer tg_not_a_real_key'
check_status 401 "bad key on chat: 401"
openai_shape "bad key on chat" invalid_request_error invalid_api_key
req POST /v1/chat/completions "$CHAT"
check_status 401 "no key on chat: 401"
openai_shape "no key on chat" invalid_request_error invalid_api_key
req POST /v1/messages "$MSG" -H 'x-api-key: tg_not_a_real_key'
check_status 401 "bad key on messages: 401"
anthropic_shape "bad key on messages" authentication_error
req POST /api/client/v1/messages "$MSG" -H 'Authorization: Bearer tg_not_a_real_key'
check_status 401 "bad key on /api/client/v1/messages: 401"
anthropic_shape "bad key on /api/client/v1/messages" authentication_error
req POST /v1/responses "$RESP" -H 'Authorization: Bearer tg_not_a_real_key'
check_status 401 "bad key on responses: 401"
openai_shape "bad key on responses" invalid_request_error invalid_api_key
req GET /v1/models '' -H 'x-api-key: tg_not_a_real_key' -H 'anthropic-version: 2023-06-01'
check_status 401 "bad key on models with anthropic-version: 401"
anthropic_shape "bad key on models with anthropic-version" authentication_error

# ---- empty balance
for path in /v1/chat/completions /api/client/v1/chat/completions; do
    req POST $path "$CHAT" -H "Authorization: Bearer $KEY_POOR"
    check_status 429 "empty balance on $path: 429"
    openai_shape "empty balance on $path" insufficient_quota insufficient_quota
    check_jq '.error.message | test("up to [1-9]")' \
        "empty balance on $path: says what the call may cost"
    [ -n "$(header retry-after)" ] && ok "empty balance on $path: Retry-After" ||
        fail "empty balance on $path: Retry-After" "missing"
done
req POST /v1/responses "$RESP" -H "Authorization: Bearer $KEY_POOR"
check_status 429 "empty balance on responses: 429"
openai_shape "empty balance on responses" insufficient_quota insufficient_quota
req POST /v1/embeddings "{\"model\":\"$OA\",\"input\":\"x\"}" -H "Authorization: Bearer $KEY_POOR"
check_status 429 "empty balance on embeddings: 429"
req POST /v1/messages "$MSG" -H "x-api-key: $KEY_POOR"
check_status 402 "empty balance on messages: 402 (not 429: Claude Code would retry)"
anthropic_shape "empty balance on messages" billing_error
check_eq "$(mysql_q "SELECT COUNT(*) FROM ledger WHERE user_id = $POOR_UID")" 0 \
    "empty balance: no ledger rows"

# ---- unknown model
req POST /v1/chat/completions "{\"model\":\"t10x-nope-$RL_TAG\",\"messages\":[{\"role\":
    \"user\",\"content\":\"hi\"}]}" -H "Authorization: Bearer $KEY"
check_status 404 "unknown model on chat: 404"
openai_shape "unknown model on chat" invalid_request_error model_not_found
check_json '.error.param' model "unknown model on chat: param model"
req POST /v1/messages "{\"model\":\"t10x-nope-$RL_TAG\",\"max_tokens\":5,\"messages\":[{
    \"role\":\"user\",\"content\":\"hi\"}]}" -H "x-api-key: $KEY"
check_status 404 "unknown model on messages: 404"
anthropic_shape "unknown model on messages" not_found_error

# ---- invalid bodies: 400 naming the field
bad() { # NAME PATH BODY FIELD [curl args]
    local name=$1 path=$2 body=$3 field=$4
    shift 4
    req POST "$path" "$body" "$@"
    check_status 400 "$name: 400"
    if [ "$field" = - ]; then
        check_jq '(.error.message | length) > 0' "$name: error message"
    elif [ "$path" = /v1/messages ]; then
        anthropic_shape "$name" invalid_request_error
        check_jq ".error.message | contains(\"$field\")" "$name: message names $field"
    else
        openai_shape "$name" invalid_request_error
        check_json '.error.param' "$field" "$name: param $field"
    fi
}
OAH=(-H "Authorization: Bearer $KEY")
ANH=(-H "x-api-key: $KEY")
bad "invalid JSON on chat" /v1/chat/completions '{"model": "x", "messages": [' - "${OAH[@]}"
openai_shape "invalid JSON on chat" invalid_request_error
bad "invalid JSON on messages" /v1/messages '{"model": ' - "${ANH[@]}"
anthropic_shape "invalid JSON on messages" invalid_request_error
bad "chat without messages" /v1/chat/completions "{\"model\":\"$OA\"}" messages "${OAH[@]}"
bad "chat with empty messages" /v1/chat/completions "{\"model\":\"$OA\",\"messages\":[]}" \
    messages "${OAH[@]}"
bad "chat without model" /v1/chat/completions '{"messages":[{"role":"user","content":"x"}]}' \
    model "${OAH[@]}"
bad "chat with stream \"yes\"" /v1/chat/completions "{\"model\":\"$OA\",\"stream\":\"yes\",
    \"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}" stream "${OAH[@]}"
bad "chat with max_tokens -1" /v1/chat/completions "{\"model\":\"$OA\",\"max_tokens\":-1,
    \"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}" max_tokens "${OAH[@]}"
bad "messages without max_tokens" /v1/messages "{\"model\":\"$AN\",\"messages\":[{\"role\":
    \"user\",\"content\":\"x\"}]}" max_tokens "${ANH[@]}"
bad "messages without messages" /v1/messages "{\"model\":\"$AN\",\"max_tokens\":5}" \
    messages "${ANH[@]}"
bad "completions without prompt" /v1/completions "{\"model\":\"$OA\"}" prompt "${OAH[@]}"
bad "embeddings without input" /v1/embeddings "{\"model\":\"$OA\"}" input "${OAH[@]}"
bad "responses with input 5" /v1/responses "{\"model\":\"$OA\",\"input\":5}" input "${OAH[@]}"

# ---- a key limited to some models
req POST /v1/chat/completions "{\"model\":\"$OA\",\"messages\":[{\"role\":\"user\",\"content\":
    \"[mock chunks=1 input=5]\"}]}" -H "Authorization: Bearer $KEY_LIMITED"
check_status 200 "limited key, its model: 200"
REQS0=$((REQS0 + 1))
req POST /v1/messages "$MSG" -H "x-api-key: $KEY_LIMITED"
check_status 403 "limited key, another model on messages: 403"
anthropic_shape "limited key on messages" permission_error
req POST /v1/chat/completions "{\"model\":\"$AN\",\"messages\":[{\"role\":\"user\",
    \"content\":\"x\"}]}" -H "Authorization: Bearer $KEY_LIMITED"
check_status 403 "limited key, another model on chat: 403"
openai_shape "limited key on chat" permission_error

check_eq "$(mock_stat requests)" "$REQS0" "no refused call reached the upstream"

# ---- rpm 1: the second call in a minute is limited, with Retry-After, in each dialect
req POST /v1/chat/completions "{\"model\":\"$OA\",\"messages\":[{\"role\":\"user\",\"content\":
    \"[mock chunks=1 input=5]\"}]}" -H "Authorization: Bearer $KEY_RPM"
check_status 200 "rpm 1: first call 200"
req POST /v1/chat/completions "$CHAT" -H "Authorization: Bearer $KEY_RPM"
check_status 429 "rpm 1: second call 429"
openai_shape "rpm 1 on chat" requests rate_limit_exceeded
RA=$(header retry-after)
[ -n "$RA" ] && [ "$RA" -ge 1 ] && ok "rpm 1 on chat: Retry-After $RA" ||
    fail "rpm 1 on chat: Retry-After" "'$RA'"
req POST /v1/messages "$MSG" -H "x-api-key: $KEY_RPM"
check_status 429 "rpm 1 on messages: 429"
anthropic_shape "rpm 1 on messages" rate_limit_error
[ -n "$(header retry-after)" ] && ok "rpm 1 on messages: Retry-After" ||
    fail "rpm 1 on messages: Retry-After" missing
finish
