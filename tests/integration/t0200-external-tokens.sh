#!/usr/bin/env bash
# t0200-external-tokens: key listing is masked, revocation is at once and scoped to the
# user, stats validate their date range, external ids travel percent-encoded in paths,
# suspended users get no new keys.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/ext_lib.sh
. "$(dirname "$0")/ext_lib.sh"

U=$(ext_id tok)
V=$(ext_id tok-v)
for x in "$U" "$V"; do
    ext_req POST /api/user/external/sync "{\"external_user_id\": \"$x\"}"
done
ext_req POST /api/user/external/topup "{\"external_user_id\": \"$U\", \"amount_usd\": \"1\",
    \"payment_id\": \"tok-$U\"}"

ext_req POST /api/user/external/token "$(jq -nc --arg u "$U" '{external_user_id: $u,
    name: "k1", services: ["openai"], models: ["gpt-4o-mini"], rpm: 10, rpd: 100,
    tpm: 10000, quota_limit: 100000, expires_in_days: 30}')"
check_status 201 "token: 201"
check_jq '.services == ["openai"] and .models == ["gpt-4o-mini"]' "token: services, models"
check_jq '.rpm == 10 and .rpd == 100 and .tpm == 10000 and .quota_limit == 100000' \
    "token: limits stored"
check_jq '.expires_at - now | . > 29 * 86400 and . < 31 * 86400' "token: expires in 30 days"
check_eq "$(jq -r .replayed <<<"$BODY")" false "token: not a replay"
SECRET=$(jq -r .key <<<"$BODY")
K1=$(jq -r .id <<<"$BODY")
ext_req POST /api/user/external/token "{\"external_user_id\": \"$V\", \"name\": \"v's\"}"
KV=$(jq -r .id <<<"$BODY")

for bad in "{\"external_user_id\": \"$U\"}" "{\"external_user_id\": \"$U\", \"name\": \"\"}" \
    "{\"external_user_id\": \"$U\", \"name\": \"x\", \"services\": [\"fax\"]}" \
    "{\"external_user_id\": \"$U\", \"name\": \"x\", \"rpm\": -1}" \
    "{\"external_user_id\": \"$U\", \"name\": \"x\", \"expires_in_days\": 0}" \
    "{\"external_user_id\": \"$U\", \"name\": \"x\", \"idempotency_key\": \"\"}" \
    "{\"external_user_id\": \"$U\", \"name\": \"x\", \"owner\": 1}"; do
    ext_req POST /api/user/external/token "$bad"
    check_status 400 "token refused: $(cut -c 30-90 <<<"$bad")"
done

ext_req GET "/api/user/external/$U/tokens"
check_status 200 "tokens: 200"
check_jq '.data | length == 1' "tokens: only this user's key"
check_jq ".data[0].id == $K1 and (.data[0].masked_key | test(\"[.][.][.]\"))" \
    "tokens: masked key"
if grep -qF "$SECRET" <<<"$BODY"; then
    fail "tokens: the secret is not listed" "found"
else
    ok "tokens: the secret is not listed"
fi
ext_req GET "/api/user/external/$U/tokens?limit=0"
check_status 400 "tokens: limit 0 refused"

# ---- revocation ----------------------------------------------------------------------------
ext_req DELETE "/api/user/external/$U/tokens/$KV"
check_status 404 "revoke: another user's key id is 404"
check_eq "$(mysql_q "SELECT status FROM api_keys WHERE id = $KV")" active \
    "revoke: the other user's key stays active"
ext_req DELETE "/api/user/external/$U/tokens/999999999"
check_status 404 "revoke: unknown key 404"
ext_req DELETE "/api/user/external/$U/tokens/abc"
check_status 404 "revoke: non-numeric id 404"
ext_req DELETE "/api/user/external/$U/tokens/$K1"
check_status 200 "revoke: 200"
check_json '.status' revoked "revoke: says revoked"
check_eq "$(mysql_q "SELECT status FROM api_keys WHERE id = $K1")" revoked "revoke: row revoked"
ext_req DELETE "/api/user/external/$U/tokens/$K1"
check_status 200 "revoke again: harmless 200"
sleep 1.2 # the key cache's staleness bound (key_cache_ms, 1 s by default)
req POST /v1/chat/completions '{"model": "gpt-4o-mini", "messages": [{"role": "user",
    "content": "hi"}]}' -H "Authorization: Bearer $SECRET"
check_status 401 "revoke: the key no longer relays (needs the relay)"

# ---- stats range -------------------------------------------------------------------------
ext_req GET "/api/user/external/$U/stats?from=2025-01-01&to=2025-01-31"
check_status 200 "stats: explicit range 200"
check_jq '.from == "2025-01-01" and .to == "2025-01-31" and .totals.requests == 0' \
    "stats: range echoed, nothing in it"
ext_req GET "/api/user/external/$U/stats"
check_jq '.topups.count == 1 and .topups.amount_usd == "1"' "stats: default range has today"
for q in "from=2025-02-30" "from=2025-13-01" "from=yesterday" "from=2025-03-01&to=2025-02-01" \
    "from=2023-01-01&to=2025-01-01" "to=2025-1-1"; do
    ext_req GET "/api/user/external/$U/stats?$q"
    check_status 400 "stats: $q refused"
done

# ---- ids with any characters travel percent-encoded -----------------------------------------
W="odd/id with spaces+ü?&$(date +%N)"
ext_req POST /api/user/external/sync "$(jq -nc --arg u "$W" '{external_user_id: $u}')"
check_status 200 "odd id: sync"
ENC=$(jq -rn --arg u "$W" '$u | @uri')
ext_req GET "/api/user/external/$ENC"
check_status 200 "odd id: info by percent-encoded path"
check_json '.external_user_id' "$W" "odd id: decoded exactly"
ext_req GET "/api/user/external/%ZZ"
check_status 400 "bad percent-encoding: 400"
ext_req GET "/api/user/external/${U}%00tail"
check_status 400 "an encoded NUL cannot cut an id short: 400"

# ---- suspended users -------------------------------------------------------------------------
ext_req POST /api/user/external/sync "{\"external_user_id\": \"$V\", \"status\": \"suspended\"}"
check_json '.status' suspended "suspend: status suspended"
check_eq "$(mysql_q "SELECT COUNT(*) FROM audit_log WHERE action = 'external.status' AND
    target_id = (SELECT id FROM users WHERE partner_id = $PARTNER_ID AND
    external_user_id = '$V')")" 1 "suspend: audited"
ext_req POST /api/user/external/token "{\"external_user_id\": \"$V\", \"name\": \"no\"}"
check_status 403 "suspended: no new key"
ext_req POST /api/user/external/topup "{\"external_user_id\": \"$V\", \"amount_usd\": \"1\",
    \"payment_id\": \"susp-$V\"}"
check_status 200 "suspended: top-ups still credit"
ext_req POST /api/user/external/sync "{\"external_user_id\": \"$V\", \"status\": \"active\"}"
check_json '.status' active "reactivate"

finish
