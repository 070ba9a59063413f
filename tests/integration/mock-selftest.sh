#!/bin/bash
# mock-selftest.sh: checks tollgate-mock-llm on its own, over loopback with curl.
# Usage: tests/integration/mock-selftest.sh [PATH/TO/tollgate-mock-llm]
# (default ./tollgate-mock-llm, so it runs from the build directory as an automake test)
# Starts the mock on a free loopback port (port 0: the kernel picks one, the mock prints
# it), checks every dialect streaming and not with exact usage numbers, some faults, auth
# and the /_mock endpoints, stops the mock, prints "N passed, N failed" and exits non-zero
# on any failure. Needs only bash, curl, grep, sed and tr.
set -euo pipefail

MOCK=${1:-./tollgate-mock-llm}
if [ ! -x "$MOCK" ]; then
    echo "usage: $0 [PATH/TO/tollgate-mock-llm]" >&2
    exit 2
fi
command -v curl >/dev/null || { echo "curl missing: skipped" >&2; exit 77; }

KEY=selftest-key
TMP=$(mktemp -d)
PID=
passed=0
failed=0

cleanup()
{
    if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
        kill -TERM "$PID" 2>/dev/null || true
        wait "$PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT

ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1${2:+: $2}"; }

# has NAME TEXT FILE...: FILE contains the fixed string TEXT.
has() { if grep -qF -- "$2" "$3"; then ok "$1"; else bad "$1" "missing $2"; fi; }
# hasnt NAME TEXT FILE: FILE does not contain TEXT.
hasnt() { if grep -qF -- "$2" "$3"; then bad "$1" "unexpected $2"; else ok "$1"; fi; }
# count NAME WANT TEXT FILE: TEXT occurs on exactly WANT lines of FILE.
count()
{
    local n
    n=$(grep -cF -- "$3" "$4" || true)
    if [ "$n" = "$2" ]; then ok "$1"; else bad "$1" "$n lines with $3, want $2"; fi
}
# same NAME GOT WANT
same() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1" "got '$2', want '$3'"; fi; }

# --- start the mock -------------------------------------------------------------------
: >"$TMP/mock.err"
"$MOCK" --listen 127.0.0.1:0 --key "$KEY" 2>"$TMP/mock.err" &
PID=$!
PORT=
for _ in $(seq 50); do
    PORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$TMP/mock.err" || true)
    [ -n "$PORT" ] && break
    sleep 0.1
done
if [ -z "$PORT" ]; then
    echo "mock did not start:" >&2
    cat "$TMP/mock.err" >&2
    exit 1
fi
U=http://127.0.0.1:$PORT

# call FILE PATH BODY [curl args...]: POST with the key; body to FILE, headers to FILE.h.
call()
{
    local out=$1 path=$2 body=$3
    shift 3
    curl -sSN -m 20 -D "$out.h" -o "$out" -H "Authorization: Bearer $KEY" \
        -H 'Content-Type: application/json' --data-binary "$body" "$@" "$U$path" \
        2>"$out.err" || echo "curl exit $?" >>"$out.err"
}
stat_field() { curl -sS "$U/_mock/stats" | sed -n "s/.*\"$1\":\([0-9-]*\).*/\1/p"; }

curl -sS -X POST "$U/_mock/reset" >/dev/null

# --- Chat Completions -------------------------------------------------------------------
F=$TMP/chat
call "$F" /v1/chat/completions '{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}' \
    -H 'X-Mock-Chunks: 4' -H 'X-Mock-Input-Tokens: 100' -H 'X-Mock-Cache-Read: 30'
has "chat: status 200" "HTTP/1.1 200" "$F.h"
has "chat: model echoed" '"model":"gpt-4o"' "$F"
has "chat: content" '"content":"tok1 tok2 tok3 tok4 "' "$F"
has "chat: usage includes cache reads" \
    '"usage":{"prompt_tokens":130,"completion_tokens":4,"total_tokens":134,"prompt_tokens_details":{"cached_tokens":30' \
    "$F"

F=$TMP/chat-stream
call "$F" /v1/chat/completions \
    '{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"[mock chunks=3 input=50 cache_read=5]"}]}' \
    -H 'X-Mock-Chunks: 9'
has "chat stream: event-stream" "Content-Type: text/event-stream" "$F.h"
has "chat stream: chunked" "Transfer-Encoding: chunked" "$F.h"
count "chat stream: body directive beats header (3 deltas)" 3 '"delta":{"content":"tok' "$F"
count "chat stream: usage null on 5 chunks" 5 '"usage":null}' "$F"
has "chat stream: finish chunk" '"delta":{},"logprobs":null,"finish_reason":"stop"}' "$F"
has "chat stream: usage chunk" \
    '"choices":[],"usage":{"prompt_tokens":55,"completion_tokens":3,"total_tokens":58,"prompt_tokens_details":{"cached_tokens":5' \
    "$F"
same "chat stream: [DONE] last" "$(grep -v '^$' "$F" | tail -n 1)" "data: [DONE]"

F=$TMP/chat-nousage
call "$F" /v1/chat/completions '{"model":"m","stream":true,"messages":[]}'
hasnt "chat stream: no usage chunk unless asked" '"choices":[]' "$F"
has "chat stream: [DONE] without include_usage" "data: [DONE]" "$F"

# --- legacy Completions -----------------------------------------------------------------
F=$TMP/cmpl
call "$F" /v1/completions '{"model":"inst","prompt":"x","stream":true,"stream_options":{"include_usage":true}}' \
    -H 'X-Mock-Chunks: 2' -H 'X-Mock-Input-Tokens: 11'
count "completions stream: text chunks" 2 '"text":"tok' "$F"
has "completions stream: usage" '"prompt_tokens":11,"completion_tokens":2,"total_tokens":13' "$F"
F=$TMP/cmpl-ns
call "$F" /v1/completions '{"model":"inst","prompt":"x"}' -H 'X-Mock-Chunks: 2' \
    -H 'X-Mock-Input-Tokens: 11'
has "completions: text" '"text":"tok1 tok2 "' "$F"
has "completions: usage" '"prompt_tokens":11,"completion_tokens":2,"total_tokens":13' "$F"

# --- Anthropic Messages -----------------------------------------------------------------
F=$TMP/msg
call "$F" '/v1/messages?beta=true' '{"model":"claude-sonnet-4-20250514","max_tokens":9,"messages":[]}' \
    -H 'X-Mock-Chunks: 2' -H 'X-Mock-Input-Tokens: 100' -H 'X-Mock-Cache-Read: 10' \
    -H 'X-Mock-Cache-Write: 5'
has "messages: usage" \
    '"usage":{"input_tokens":100,"cache_creation_input_tokens":5,"cache_read_input_tokens":10,"cache_creation":{"ephemeral_5m_input_tokens":5,"ephemeral_1h_input_tokens":0},"output_tokens":2' \
    "$F"
has "messages: stop_reason" '"stop_reason":"end_turn"' "$F"

F=$TMP/msg-stream
call "$F" /v1/messages \
    '{"model":"claude-sonnet-4-20250514","max_tokens":9,"stream":true,"messages":[{"role":"user","content":"[mock chunks=3 input=100 cache_read=10 cache_write=5]"}]}'
same "messages stream: event order" "$(sed -n 's/^event: //p' "$F" | tr '\n' ' ')" \
    "message_start content_block_start ping content_block_delta content_block_delta content_block_delta content_block_stop message_delta message_stop "
has "messages stream: start usage" \
    '"usage":{"input_tokens":100,"cache_creation_input_tokens":5,"cache_read_input_tokens":10,"cache_creation":{"ephemeral_5m_input_tokens":5,"ephemeral_1h_input_tokens":0},"output_tokens":1' \
    "$F"
has "messages stream: delta usage" '"usage":{"output_tokens":3}' "$F"

F=$TMP/count
call "$F" /v1/messages/count_tokens '{"model":"c","messages":[]}' -H 'X-Mock-Input-Tokens: 2095'
same "count_tokens" "$(cat "$F")" '{"input_tokens":2095}'

# --- Responses --------------------------------------------------------------------------
F=$TMP/resp-stream
call "$F" /v1/responses '{"model":"gpt-5","stream":true,"input":"[mock chunks=2 input=50 cache_read=20]"}'
same "responses stream: event order" "$(sed -n 's/^event: //p' "$F" | tr '\n' ' ')" \
    "response.created response.in_progress response.output_item.added response.content_part.added response.output_text.delta response.output_text.delta response.output_text.done response.content_part.done response.output_item.done response.completed "
same "responses stream: sequence numbers" \
    "$(grep -o '"sequence_number":[0-9]*' "$F" | cut -d: -f2 | tr '\n' ' ')" "0 1 2 3 4 5 6 7 8 9 "
has "responses stream: completed usage" \
    '"usage":{"input_tokens":70,"input_tokens_details":{"cached_tokens":20},"output_tokens":2,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":72}' \
    "$F"
has "responses stream: complete item" \
    '"type":"response.output_item.done","output_index":0,"item":{"id":"msg_mock' "$F"

F=$TMP/resp
call "$F" /v1/responses '{"model":"gpt-5","input":"[mock chunks=2 input=50 cache_read=20]"}'
has "responses: status" '"status":"completed"' "$F"
has "responses: usage" '"input_tokens":70,"input_tokens_details":{"cached_tokens":20},"output_tokens":2' "$F"
F=$TMP/compact
call "$F" /v1/responses/compact '{"model":"gpt-5","input":"x"}' -H 'X-Mock-Input-Tokens: 40' \
    -H 'X-Mock-Chunks: 1'
has "responses compact: usage" '"input_tokens":40,"input_tokens_details":{"cached_tokens":0},"output_tokens":1' "$F"

# --- Embeddings, Models, derived input --------------------------------------------------
F=$TMP/emb
call "$F" /v1/embeddings '{"model":"emb","input":["a","b"]}' -H 'X-Mock-Input-Tokens: 42'
count "embeddings: two vectors" 1 '"index":1,"embedding":[' "$F"
has "embeddings: usage" '"usage":{"prompt_tokens":42,"total_tokens":42}' "$F"
F=$TMP/models
curl -sS -m 10 -o "$F" -H "x-api-key: $KEY" "$U/v1/models" || true
has "models: x-api-key accepted, list" '"object":"list"' "$F"

BODY='{"model":"m","messages":[{"role":"user","content":"'$(printf 'a%.0s' $(seq 200))'"}]}'
F=$TMP/derived
call "$F" /v1/chat/completions "$BODY"
has "chat: input = 10 + body/100 (${#BODY} bytes)" \
    "\"prompt_tokens\":$((10 + ${#BODY} / 100)),\"completion_tokens\":5" "$F"

F=$TMP/chunked
call "$F" /v1/chat/completions '{"model":"chunky","messages":[],"x":"[mock chunks=1 input=7]"}' \
    -H 'Transfer-Encoding: chunked'
has "chunked request body" '"model":"chunky"' "$F"
has "chunked request body: usage" '"prompt_tokens":7,"completion_tokens":1' "$F"

# --- auth and errors --------------------------------------------------------------------
F=$TMP/noauth
curl -sS -m 10 -o "$F" -w '%{http_code}' -d '{}' "$U/v1/messages" >"$F.code" || true
same "auth: missing key is 401" "$(cat "$F.code")" 401
has "auth: Anthropic error shape" '"type":"error","error":{"type":"authentication_error"' "$F"
F=$TMP/badjson
call "$F" /v1/chat/completions '{oops'
has "bad JSON: 400" "HTTP/1.1 400" "$F.h"
has "bad JSON: OpenAI error shape" '"error":{"message":"invalid JSON body' "$F"

# --- faults -----------------------------------------------------------------------------
F=$TMP/f429
call "$F" /v1/chat/completions '{"model":"m","messages":[]}' -H 'X-Mock-Fault: status=429'
has "fault status=429: status" "HTTP/1.1 429" "$F.h"
has "fault status=429: Retry-After" "Retry-After: 1" "$F.h"
has "fault status=429: body" '"code":"rate_limit_exceeded"' "$F"

F=$TMP/ftrunc
call "$F" /v1/chat/completions \
    '{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"[mock chunks=6 fault=truncate-after=2]"}]}'
count "fault truncate-after=2: two deltas" 2 '"delta":{"content":"tok' "$F"
hasnt "fault truncate-after=2: no usage" '"choices":[]' "$F"
hasnt "fault truncate-after=2: no [DONE]" "[DONE]" "$F"
has "fault truncate-after=2: transfer cut" "curl exit 18" "$F.err"

F=$TMP/ferr
call "$F" /v1/messages \
    '{"model":"c","max_tokens":5,"stream":true,"messages":[{"role":"user","content":"[mock fault=error-mid-stream]"}]}'
same "fault error-mid-stream: events" "$(sed -n 's/^event: //p' "$F" | tr '\n' ' ')" \
    "message_start content_block_start ping content_block_delta content_block_delta error "
has "fault error-mid-stream: overloaded" '"type":"overloaded_error"' "$F"

F=$TMP/fneg
call "$F" /v1/responses '{"model":"m","input":"x"}' -H 'X-Mock-Fault: negative-usage'
has "fault negative-usage" '"input_tokens":-1000000' "$F"

F=$TMP/fredir
call "$F" /v1/chat/completions '{"model":"m"}' -H 'X-Mock-Fault: redirect=http://127.0.0.1:9/x'
has "fault redirect: 302" "HTTP/1.1 302" "$F.h"
has "fault redirect: Location" "Location: http://127.0.0.1:9/x" "$F.h"

# --- introspection ----------------------------------------------------------------------
F=$TMP/last
call "$TMP/lastreq" '/v1/chat/completions?a=1' '{"model":"last-one"}' -H 'X-Custom-Thing: Yes'
curl -sS -m 10 -o "$F" "$U/_mock/last" || true
has "last: path" '"path":"/v1/chat/completions"' "$F"
has "last: query" '"query":"a=1"' "$F"
has "last: lowercased header" '"x-custom-thing":"Yes"' "$F"
has "last: raw body" '"body":"{\"model\":\"last-one\"}"' "$F"

curl -sS -X POST "$U/_mock/reset" >/dev/null
for i in 1 2 3; do call "$TMP/r$i" /v1/chat/completions '{"model":"m"}'; done
same "stats: requests after reset" "$(stat_field requests)" 3
same "stats: completed" "$(stat_field completed)" 3

# A client that leaves mid-stream is counted as aborted.
curl -sSN -m 1 -o /dev/null -H "Authorization: Bearer $KEY" -H 'X-Mock-Delay-Ms: 400' \
    -H 'X-Mock-Chunks: 10' -d '{"model":"m","stream":true}' "$U/v1/chat/completions" \
    2>/dev/null || true
aborted=0
for _ in $(seq 30); do
    aborted=$(stat_field aborted)
    [ "$aborted" = 1 ] && break
    sleep 0.1
done
same "stats: client cut counted as aborted" "$aborted" 1
same "stats: nothing left open" "$(stat_field open)" 0

# --- stop -------------------------------------------------------------------------------
kill -TERM "$PID"
rc=0
wait "$PID" || rc=$?
PID=
same "SIGTERM: clean exit" "$rc" 0

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
