#!/usr/bin/env bash
# t0301-admin-prices-keys: /api/admin/prices (set, list, delete; USD per million as numbers
# or strings, exact to the micro-dollar) and /api/admin/keys (create for a user, list,
# revoke; the secret shown once and stored only as its SHA-256).
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

TOKEN=$(admin_token) || {
    fail "admin login" "no token"
    finish
}
AUTH=(-H "Authorization: Bearer $TOKEN")
areq() { req "$1" "$2" "${3-}" "${AUTH[@]}"; }

cleanup() {
    mysql_q "DELETE FROM prices WHERE model LIKE 't0301-%' OR model = 'org/t0301-slash'"
    mysql_q "DELETE FROM api_keys WHERE user_id IN (SELECT id FROM users WHERE username
        = 't0301-user')"
    mysql_q "DELETE FROM users WHERE username = 't0301-user'"
} >/dev/null 2>&1
cleanup
at_exit cleanup

# ---- prices
areq PUT /api/admin/prices/t0301-model \
    '{"input": 3, "output": "15", "cache_read": 0.3, "cache_write": "3.75"}'
check_status 200 "price set: 200"
check_json '.model' t0301-model "price set: model"
check_json '.input' 3 "price set: input"
check_json '.output' 15 "price set: output"
check_json '.cache_read' 0.3 "price set: cache_read"
check_json '.cache_write' 3.75 "price set: cache_write"
check_eq "$(mysql_q "SELECT CONCAT_WS(',', input_micro, output_micro, cache_read_micro,
    cache_write_micro) FROM prices WHERE model = 't0301-model'")" \
    "3000000,15000000,300000,3750000" "price set: stored exactly in micro-USD"

areq PUT /api/admin/prices/t0301-model '{"input": "0.000001", "output": 0.15}'
check_status 200 "price update: 200"
check_eq "$(mysql_q "SELECT CONCAT_WS(',', input_micro, output_micro, cache_read_micro)
    FROM prices WHERE model = 't0301-model'")" "1,150000,0" \
    "price update: replaced (absent cache fields are 0)"

areq GET /api/admin/prices
check_status 200 "price list: 200"
check_json '.data[] | select(.model == "t0301-model") | .output' 0.15 "price list: has it"

areq PUT /api/admin/prices/org%2Ft0301-slash '{"input": 1, "output": 2}'
check_status 200 "price of a model with a slash (encoded): 200"
check_json '.model' org/t0301-slash "price of a model with a slash: decoded name"

bad_price() {
    areq PUT /api/admin/prices/t0301-bad "$2"
    check_status 400 "$1: 400"
    check_json '.error.param' "$3" "$1: names $3"
}
bad_price "7 decimals" '{"input": 1.1234567, "output": 1}' input
bad_price "7 decimals as a string" '{"input": "1.1234567", "output": 1}' input
bad_price "negative" '{"input": -1, "output": 1}' input
bad_price "exponent string" '{"input": "1e3", "output": 1}' input
bad_price "missing output" '{"input": 1}' output
bad_price "boolean" '{"input": true, "output": 1}' input
bad_price "too large" '{"input": 1000001, "output": 1}' input
bad_price "unknown field" '{"input": 1, "output": 1, "currency": "EUR"}' body
check_eq "$(mysql_q "SELECT COUNT(*) FROM prices WHERE model = 't0301-bad'")" 0 \
    "refused prices stored nothing"

areq DELETE /api/admin/prices/t0301-model
check_status 200 "price delete: 200"
areq DELETE /api/admin/prices/t0301-model
check_status 404 "price delete again: 404"
check_eq "$(mysql_q "SELECT COUNT(*) FROM audit_log WHERE target_type = 'price'
    AND target_id = 't0301-model'")" 3 "price changes: three audit rows"

# ---- keys
"$CTL" -c "$CONFIG" --json user create t0301-user --email t0301@example.com \
    --password 't0301-password' >"$T_TMP/user.json" 2>&1
UID_=$(jq -r '.id // empty' "$T_TMP/user.json")
if [ -n "$UID_" ]; then ok "user for keys created"; else
    fail "user for keys created" "$(cat "$T_TMP/user.json")"
fi

areq POST /api/admin/keys "{\"user_id\": $UID_, \"name\": \"t0301-k\", \"models\":
    [\"gpt-4o-mini\"], \"rpm\": 30, \"quota_limit\": 100000, \"expires_in_days\": 7}"
check_status 201 "key create: 201"
check_jq '.key | test("^tg_[0-9A-Za-z]{49}$")' "key create: the secret, once"
check_json '.user_id' "$UID_" "key create: user_id"
check_json '.rpm' 30 "key create: rpm"
check_json '.quota_limit' 100000 "key create: quota_limit"
check_eq "$(header cache-control)" no-store "key create: Cache-Control no-store"
SECRET=$(jq -r '.key' <<<"$BODY")
KID=$(jq -r '.id' <<<"$BODY")
check_eq "$(mysql_q "SELECT HEX(key_hash) = UPPER(SHA2('$SECRET', 256)) FROM api_keys
    WHERE id = $KID")" 1 "key create: stored as SHA-256"
if mysql_q "SELECT * FROM api_keys WHERE id = $KID" | grep -qF "$SECRET"; then
    fail "key create: secret not stored" "found"
else
    ok "key create: secret not stored"
fi

areq GET "/api/admin/keys?user_id=$UID_"
check_status 200 "key list: 200"
check_json '.data | length' 1 "key list by user: one key"
check_jq ".data[0].key | endswith(\"${SECRET: -4}\") and (contains(\"$SECRET\") | not)" \
    "key list: masked key only"
areq GET "/api/admin/keys?limit=1"
check_json '.data | length' 1 "key list: limit"
areq GET "/api/admin/keys?limit=0"
check_status 400 "key list: limit 0 refused"

# The key works on the relay, then revocation takes effect.
req GET /v1/models '' -H "Authorization: Bearer $SECRET"
check_status 200 "new key: accepted by the relay"

areq DELETE "/api/admin/keys/$KID"
check_status 200 "key revoke: 200"
check_json '.status' revoked "key revoke: revoked"
areq DELETE "/api/admin/keys/$KID"
check_status 200 "key revoke again: 200 (idempotent)"
areq DELETE /api/admin/keys/999999999
check_status 404 "revoke unknown key: 404"
check_eq "$(mysql_q "SELECT COUNT(*) FROM audit_log WHERE target_type = 'api_key'
    AND target_id = '$KID'")" 2 "key: create and revoke audit rows"
# shellcheck disable=SC2317 # called through wait_for
revoked_refused() {
    req GET /v1/models '' -H "Authorization: Bearer $SECRET"
    [ "$STATUS" = 401 ] || [ "$STATUS" = 403 ]
}
if wait_for 3 revoked_refused; then
    ok "revoked key: refused by the relay ($STATUS)"
else
    fail "revoked key: refused by the relay" "status $STATUS"
fi

bad_key() {
    areq POST /api/admin/keys "$2"
    check_status 400 "$1: 400"
    check_json '.error.param' "$3" "$1: names $3"
}
bad_key "key without user_id" '{"name": "x"}' user_id
bad_key "key for no such user" '{"user_id": 999999999}' user_id
bad_key "user_id as a string" "{\"user_id\": \"$UID_\"}" user_id
bad_key "unknown key field" "{\"user_id\": $UID_, \"colour\": 1}" body
bad_key "negative rpm" "{\"user_id\": $UID_, \"rpm\": -1}" rpm
bad_key "bad service" "{\"user_id\": $UID_, \"services\": [\"gemini\"]}" services
check_eq "$(mysql_q "SELECT COUNT(*) FROM api_keys WHERE user_id = $UID_")" 1 \
    "refused key creates stored nothing"

finish
