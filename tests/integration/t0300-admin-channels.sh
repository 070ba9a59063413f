#!/usr/bin/env bash
# t0300-admin-channels: /api/admin/channels CRUD and test call; the upstream key never
# appears in a response and is stored only as "v1:" ciphertext bound to its row; base URLs
# that point at private space are refused at save (RELIABILITY.md row 29, 31).
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

TOKEN=$(admin_token) || {
    fail "admin login" "no token"
    finish
}
AUTH=(-H "Authorization: Bearer $TOKEN")
CANARY_A="sk-canary-t0300-a-$(date +%s%N)"
CANARY_B="sk-canary-t0300-b-$(date +%s%N)"
: >"$T_TMP/bodies"

# areq METHOD PATH [BODY]: an admin request; every body is kept for the canary grep.
areq() {
    req "$1" "$2" "${3-}" "${AUTH[@]}"
    printf '%s\n' "$BODY" >>"$T_TMP/bodies"
}

cleanup_channels() {
    mysql_q "DELETE FROM channels WHERE name LIKE 't0300-%'" >/dev/null 2>&1
}
cleanup_channels
at_exit cleanup_channels

# ---- create
body=$(jq -nc --arg u "$MOCK_URL/" --arg k "$CANARY_A" '{name: "t0300-a", type:
    "openai-compatible", base_url: $u, key: $k, models: ["t0300-model", "t0300-m2"],
    model_map: {"t0300-public": "t0300-model"}, priority: 5, weight: 3}')
areq POST /api/admin/channels "$body"
check_status 201 "create: 201"
check_jq '.id | type == "number" and . > 0' "create: id"
check_json '.name' t0300-a "create: name"
check_json '.base_url' "$MOCK_URL" "create: base_url stored without the trailing slash"
check_json '.key_set' true "create: key_set true"
check_json '.key_ok' true "create: key_ok true"
check_jq 'has("key") | not' "create: no key field"
check_json '.models | join(",")' "t0300-model,t0300-m2" "create: models"
check_json '.model_map["t0300-public"]' t0300-model "create: model_map"
check_json '.priority' 5 "create: priority"
check_json '.weight' 3 "create: weight"
check_json '.status' enabled "create: status enabled"
ID_A=$(jq -r '.id' <<<"$BODY")

body=$(jq -nc --arg u "$MOCK_URL" --arg k "$CANARY_B" '{name: "t0300-b", type: "anthropic",
    base_url: $u, key: $k, models: "t0300-claude"}')
areq POST /api/admin/channels "$body"
check_status 201 "create with models as a comma string: 201"
ID_B=$(jq -r '.id' <<<"$BODY")

areq POST /api/admin/channels "$body"
check_status 409 "create with a taken name: 409"
check_json '.error.param' name "create with a taken name: names the field"

# ---- validation: 400 naming the field, nothing stored
bad_create() {
    local name=$1 json=$2 field=$3
    areq POST /api/admin/channels "$json"
    check_status 400 "$name: 400"
    check_json '.error.param' "$field" "$name: names $field"
}
ok_base=$(jq -nc --arg u "$MOCK_URL" '{name: "t0300-x", type: "openai", base_url: $u,
    key: "k", models: ["m"]}')
bad_create "unknown field" "$(jq -c '. + {colour: "red"}' <<<"$ok_base")" body
bad_create "missing key" "$(jq -c 'del(.key)' <<<"$ok_base")" key
bad_create "missing models" "$(jq -c 'del(.models)' <<<"$ok_base")" models
bad_create "empty models" "$(jq -c '.models = []' <<<"$ok_base")" models
bad_create "bad type" "$(jq -c '.type = "azure"' <<<"$ok_base")" type
bad_create "priority as a string" "$(jq -c '.priority = "1"' <<<"$ok_base")" priority
bad_create "weight 0" "$(jq -c '.weight = 0' <<<"$ok_base")" weight
bad_create "numeric name" "$(jq -c '.name = "123"' <<<"$ok_base")" name
bad_create "model with a space" "$(jq -c '.models = ["a b"]' <<<"$ok_base")" models
bad_create "model_map not an object" "$(jq -c '.model_map = "a=b"' <<<"$ok_base")" model_map
bad_create "status auto_disabled" "$(jq -c '.status = "auto_disabled"' <<<"$ok_base")" status

# ---- SSRF refusals at save
for url in "http://169.254.169.254/latest/meta-data/" "http://127.0.0.1:3306" \
    "http://[::1]:8080" "http://2130706433/" "http://0x7f.1/" "http://0.0.0.0:80" \
    "http://[::ffff:127.0.0.1]/" "file:///etc/passwd" "gopher://127.0.0.1:25/" \
    "https://user:pass@example.com/" "https://x.example/#frag"; do
    bad_create "base_url $url" "$(jq -c --arg u "$url" '.base_url = $u' <<<"$ok_base")" \
        base_url
    areq PUT "/api/admin/channels/$ID_A" "$(jq -nc --arg u "$url" '{base_url: $u}')"
    check_status 400 "update to base_url $url: 400"
done
check_eq "$(mysql_q "SELECT COUNT(*) FROM channels WHERE name = 't0300-x'")" 0 \
    "refused creates stored nothing"
check_eq "$(mysql_q "SELECT base_url FROM channels WHERE id = $ID_A")" "$MOCK_URL" \
    "refused updates changed nothing"

# ---- read
areq GET /api/admin/channels
check_status 200 "list: 200"
check_jq "[.data[] | select(.id == $ID_A)] | length == 1" "list: has channel a"
check_jq '[.data[] | has("key") or has("key_enc")] | any | not' "list: no key fields"
check_jq '[.data[] | .key_set] | all' "list: key_set on every row"

areq GET "/api/admin/channels/$ID_A"
check_status 200 "get: 200"
check_json '.name' t0300-a "get: name"
areq GET /api/admin/channels/999999999
check_status 404 "get unknown id: 404"
areq GET /api/admin/channels/abc
check_status 404 "get non-numeric id: 404"

# ---- update
areq PUT "/api/admin/channels/$ID_A" '{"weight": 7, "status": "disabled"}'
check_status 200 "update weight and status: 200"
check_json '.weight' 7 "update: weight 7"
check_json '.status' disabled "update: status disabled"
check_json '.priority' 5 "update: untouched priority kept"
check_json '.models | join(",")' "t0300-model,t0300-m2" "update: untouched models kept"
areq PUT "/api/admin/channels/$ID_A" '{"status": "enabled"}'
check_json '.status' enabled "update: enabled again"
areq PUT "/api/admin/channels/$ID_A" '{}'
check_status 400 "update with nothing: 400"
areq PUT "/api/admin/channels/$ID_A" '{"name": "t0300-b"}'
check_status 409 "update to a taken name: 409"
areq PUT /api/admin/channels/999999999 '{"weight": 2}'
check_status 404 "update unknown id: 404"

# ---- the key at rest
enc_a=$(mysql_q "SELECT key_enc FROM channels WHERE id = $ID_A")
case $enc_a in v1:*) ok "key_enc is v1: ciphertext" ;; *) fail "key_enc is v1: ciphertext" \
    "got '${enc_a:0:20}'" ;; esac
if mysql_q "SELECT * FROM channels" | grep -qF -e "$CANARY_A" -e "$CANARY_B" -e "$MOCK_KEY"; then
    fail "no plaintext key in the channels table" "found"
else
    ok "no plaintext key in the channels table"
fi
if mysql_q "SELECT detail FROM audit_log" | grep -qF -e "$CANARY_A" -e "$CANARY_B"; then
    fail "no plaintext key in the audit log" "found"
else
    ok "no plaintext key in the audit log"
fi
n=$(mysql_q "SELECT COUNT(*) FROM audit_log WHERE target_type = 'channel'
    AND target_id = '$ID_A' AND action IN ('channel.create', 'channel.update')")
if [ "$n" -ge 3 ]; then
    ok "audit rows for create and updates ($n)"
else
    fail "audit rows for create and updates" "got $n"
fi

# The mock upstream checks its key: give channel a the real one for the test call.
areq PUT "/api/admin/channels/$ID_A" "$(jq -nc --arg k "$MOCK_KEY" '{key: $k}')"
check_status 200 "update key: 200"
enc_a2=$(mysql_q "SELECT key_enc FROM channels WHERE id = $ID_A")
if [ "$enc_a2" != "$enc_a" ]; then
    ok "update key: ciphertext changed"
else
    fail "update key: ciphertext changed" "same"
fi

# ---- the test call through the relay (mock upstream)
areq POST "/api/admin/channels/$ID_A/test"
check_status 200 "test call: 200"
check_json '.ok' true "test call: ok"
check_jq '.ms | type == "number"' "test call: ms"

# Ciphertext copied to another row must not decrypt there (the AAD binds it to its id).
mysql_q "UPDATE channels SET key_enc = '$enc_a2' WHERE id = $ID_B"
areq GET "/api/admin/channels/$ID_B"
check_json '.key_set' true "copied key_enc: key_set"
check_json '.key_ok' false "copied key_enc: key_ok false (does not decrypt)"
areq POST "/api/admin/channels/$ID_B/test"
if [ "$STATUS" = 200 ]; then
    check_json '.ok' false "copied key_enc: test call fails"
else
    case $STATUS in 4?? | 5??) ok "copied key_enc: test call refused ($STATUS)" ;;
    *) fail "copied key_enc: test call refused" "status $STATUS" ;; esac
fi
areq GET "/api/admin/channels/$ID_A"
check_json '.key_ok' true "the original row still decrypts"

# ---- delete
areq DELETE "/api/admin/channels/$ID_B"
check_status 200 "delete: 200"
check_json '.deleted' true "delete: deleted"
areq DELETE "/api/admin/channels/$ID_B"
check_status 404 "delete again: 404"
areq POST "/api/admin/channels/$ID_B/test"
case $STATUS in 404 | 400) ok "test of a deleted channel: $STATUS" ;;
*) fail "test of a deleted channel: 404" "status $STATUS" ;; esac
check_eq "$(mysql_q "SELECT COUNT(*) FROM audit_log WHERE action = 'channel.delete'
    AND target_id = '$ID_B'")" 1 "delete: audit row"

# ---- no response ever held a key
if grep -qF -e "$CANARY_A" -e "$CANARY_B" -e "$MOCK_KEY" "$T_TMP/bodies"; then
    fail "no response contains an upstream key" "found one"
else
    ok "no response contains an upstream key ($(wc -l <"$T_TMP/bodies") responses)"
fi

finish
