#!/usr/bin/env bash
# t0105: a key regenerated, revoked or whose owner is suspended through the API is refused
# at once on every worker of the host (the key cache is dropped by a shared generation
# counter), not only after key_cache_ms.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/portal_lib.sh"

new_user kc
AUTH=(-H "Authorization: Bearer $ACCESS")
topup "$U_NAME" 2 || fail "top-up" "tollgatectl user topup failed"
body='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi [mock chunks=1]"}]}'

# calls KEY N: N calls; prints how many answered 200 (spread over every worker).
calls() {
    local key=$1 n=$2 i ok=0
    for ((i = 0; i < n; i++)); do
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 -H "Authorization: Bearer $key" \
            -H 'Content-Type: application/json' --data-binary "$body" "$BASE_URL/v1/chat/completions")
        [ "$code" = 200 ] && ok=$((ok + 1))
    done
    echo "$ok"
}

req POST /api/client/keys '{"name":"cache"}' "${AUTH[@]}"
check_status 201 "key created"
id=$(jq -r .id <<<"$BODY")
old=$(jq -r .key <<<"$BODY")
check_eq "$(calls "$old" 10)" 10 "the key works (and is now cached on the workers)"

req POST "/api/client/keys/$id/regenerate" '' "${AUTH[@]}"
check_status 200 "regenerated"
new=$(jq -r .key <<<"$BODY")
check_eq "$(calls "$old" 10)" 0 "the old secret is refused at once after regenerate"
check_eq "$(calls "$new" 10)" 10 "the new secret works"

req DELETE "/api/client/keys/$id" '' "${AUTH[@]}"
check_jq 'true' "revoked"
check_eq "$(calls "$new" 10)" 0 "a revoked key is refused at once"

finish
