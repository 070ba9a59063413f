#!/usr/bin/env bash
# t0101-portal-ownership: a second user gets 404 on every id-bearing route of the first
# user's key and changes nothing; nobody raises their own quota, role, plan, status or
# limits beyond the plan; user tokens are refused on admin routes; the admin endpoints and
# tollgatectl commands for users (show, suspend, unsuspend, plan, list) work.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/portal_lib.sh"

new_user owna
A_NAME=$U_NAME A_ID=$U_ID A_ACC=$ACCESS
new_user ownb
B_NAME=$U_NAME B_ID=$U_ID B_ACC=$ACCESS B_PASS=$U_PASS
AUTH_A=(-H "Authorization: Bearer $A_ACC")
AUTH_B=(-H "Authorization: Bearer $B_ACC")

req POST /api/client/keys '{"name": "a-key", "rpm": 10, "tpm": 5000}' "${AUTH_A[@]}"
check_status 201 "A creates a key"
KID=$(jq -r .id <<<"$BODY")
KSECRET=$(jq -r .key <<<"$BODY")
row_of_a() {
    mysql_q "SELECT CONCAT_WS('|', name, description, status, rpm, rpd, tpm, HEX(key_hash), \
        COALESCE(models, ''), updated_at) FROM api_keys WHERE id = $KID"
}
BEFORE=$(row_of_a)

# ---- every id-bearing key route, as B
for route in "GET /api/client/keys/$KID" "PUT /api/client/keys/$KID" \
    "DELETE /api/client/keys/$KID" "POST /api/client/keys/$KID/regenerate" \
    "GET /api/client/keys/$KID/usage"; do
    set -- $route
    body=''
    [ "$1" = PUT ] && body='{"name": "stolen", "rpm": 1}'
    req "$1" "$2" "$body" "${AUTH_B[@]}"
    check_status 404 "B: $route is 404"
    check_jq '.error.message | test("no such key")' "B: $route says only 'no such key'"
done
check_eq "$(row_of_a)" "$BEFORE" "B's attempts changed nothing in A's key"
req GET /api/client/keys '' "${AUTH_B[@]}"
check_jq "[.data[] | select(.id == $KID)] | length == 0" "B's list does not show A's key"
req GET "/api/client/users/usage?key_id=$KID" '' "${AUTH_B[@]}"
check_jq ".by_key | map(select(.key_id == $KID)) | length == 0" "B's usage never shows A's key"

# Unknown and malformed ids look the same as other users' ids.
for id in 999999999 0 -1 abc "1%20OR%201=1"; do
    req GET "/api/client/keys/$id" '' "${AUTH_A[@]}"
    check_status 404 "key id '$id': 404"
done
req GET "/api/client/keys/$KID" '' "${AUTH_A[@]}"
check_status 200 "A still sees the key"

# ---- no self-service escalation
QROW="SELECT CONCAT_WS('|', role, plan, status, quota, user_group, email_verified) FROM users WHERE id = $B_ID"
B_BEFORE=$(mysql_q "$QROW")
for field in '"quota": 999999999' '"role": "admin"' '"plan": "pro"' '"status": "active"' \
    '"group": "vip"' '"email_verified": true' '"used_quota": 0' '"email": "x@example.com"'; do
    name=$(sed 's/^"\([a-z_]*\)".*/\1/' <<<"$field")
    req PUT /api/client/users/profile "{$field}" "${AUTH_B[@]}"
    check_status 400 "profile PUT with $name: 400"
    check_json '.error.param' "$name" "profile PUT with $name: names the field"
done
req PUT /api/client/users/profile '{"display_name": "ok", "quota": 1}' "${AUTH_B[@]}"
check_status 400 "profile PUT mixing a good and a forbidden field: 400"
check_eq "$(mysql_q "$QROW")" "$B_BEFORE" "B's role, plan, status and quota unchanged"
check_eq "$(mysql_q "SELECT COALESCE(display_name, '') FROM users WHERE id = $B_ID")" "" \
    "a refused update changes nothing at all"
req PUT /api/client/users/profile '{"notifications": {"root_access": true}}' "${AUTH_B[@]}"
check_status 400 "unknown notification switch: 400"
req PUT /api/client/users/profile '{"display_name": 42}' "${AUTH_B[@]}"
check_status 400 "display_name of the wrong type: 400"
check_json '.error.param' display_name "wrong type names the field"

# Limits beyond the free plan (rpm 60, rpd 1000, tpm 100000, concurrency 5).
for spec in '"rpm": 61' '"rpd": 1001' '"tpm": 100001' '"max_concurrency": 6'; do
    name=$(sed 's/^"\([a-z_]*\)".*/\1/' <<<"$spec")
    req POST /api/client/keys "{$spec}" "${AUTH_B[@]}"
    check_status 400 "key create with $name above the plan: 400"
    check_json '.error.param' "$name" "key create above the plan names $name"
done
req POST /api/client/keys '{"name": "b", "user_id": '"$A_ID"'}' "${AUTH_B[@]}"
check_status 400 "key create with user_id: 400"
req POST /api/client/keys '{"name": "b", "rpm": "5"}' "${AUTH_B[@]}"
check_status 400 "key create with rpm as a string: 400"
check_json '.error.param' rpm "key create with rpm as a string names rpm"
req POST /api/client/keys '{"name": "b", "services": ["claude", "gemini"]}' "${AUTH_B[@]}"
check_status 400 "key create with an unknown service: 400"
req POST /api/client/keys '{"name": "b-key", "rpm": 60}' "${AUTH_B[@]}"
check_status 201 "key create at the plan's ceiling: 201"
BKID=$(jq -r .id <<<"$BODY")
req PUT "/api/client/keys/$BKID" '{"tpm": 2000000}' "${AUTH_B[@]}"
check_status 400 "key PUT above the plan: 400"
check_json '.error.param' tpm "key PUT above the plan names tpm"
req PUT "/api/client/keys/$BKID" '{"quota_used": 0}' "${AUTH_B[@]}"
check_status 400 "key PUT with quota_used: 400"
req PUT "/api/client/keys/$BKID" '{"status": "revoked"}' "${AUTH_B[@]}"
check_status 400 "key PUT status revoked (DELETE does that): 400"
req PUT "/api/client/keys/$BKID" '{"name": "renamed", "rpm": 30, "status": "suspended", "models": ["gpt-4o-mini"]}' "${AUTH_B[@]}"
check_status 200 "key PUT within the plan: 200"
check_jq '.name == "renamed" and .rpm == 30 and .status == "suspended" and .models == ["gpt-4o-mini"]' \
    "key PUT: fields changed"
check_jq '.tpm == 100000' "key PUT: fields not sent unchanged"
req PUT "/api/client/keys/$BKID" '{"status": "active", "models": []}' "${AUTH_B[@]}"
check_jq '.status == "active" and .models == []' "key PUT: reactivated, models cleared"

# The free plan allows 5 live keys.
for i in 2 3 4 5; do req POST /api/client/keys "{\"name\": \"b$i\"}" "${AUTH_B[@]}"; done
check_status 201 "keys up to the plan's count: 201"
req POST /api/client/keys '{"name": "b6"}' "${AUTH_B[@]}"
check_status 403 "a sixth key on the free plan: 403"
check_json '.error.param' plan "too many keys names the plan"

# ---- user tokens on admin routes
for route in "GET /api/admin/users" "GET /api/admin/users/$A_ID" \
    "POST /api/admin/users/$A_ID/suspend" "POST /api/admin/users/$A_ID/unsuspend" \
    "PUT /api/admin/users/$B_ID/plan"; do
    set -- $route
    body=''
    [ "$1" = PUT ] && body='{"plan": "pro"}'
    req "$1" "$2" "$body" "${AUTH_B[@]}"
    check_status 403 "user token on $route: 403"
done
check_eq "$(mysql_q "$QROW")" "$B_BEFORE" "admin routes refused B: nothing changed"

# ---- the admin's side
ADM=$(admin_token)
AUTH_ADM=(-H "Authorization: Bearer $ADM")
req GET "/api/admin/users/$B_ID" '' "${AUTH_ADM[@]}"
check_status 200 "admin: show user"
check_json '.username' "$B_NAME" "admin: show user's name"
req GET /api/admin/users/999999999 '' "${AUTH_ADM[@]}"
check_status 404 "admin: unknown user 404"
req PUT "/api/admin/users/$B_ID/plan" '{"plan": "gold"}' "${AUTH_ADM[@]}"
check_status 400 "admin: unknown plan 400"
check_json '.error.param' plan "admin: unknown plan names the field"
req PUT "/api/admin/users/$B_ID/plan" '{"plan": "basic"}' "${AUTH_ADM[@]}"
check_status 200 "admin: plan basic"
check_json '.plan' basic "admin: plan changed"
req POST /api/client/keys '{"name": "b6", "rpm": 600}' "${AUTH_B[@]}"
check_status 201 "basic plan: sixth key with rpm 600 allowed"
req PUT "/api/admin/users/$B_ID/plan" '{"plan": "free"}' "${AUTH_ADM[@]}"
check_status 200 "admin: back to free"
check_eq "$(mysql_q "SELECT MAX(rpm) FROM api_keys WHERE user_id = $B_ID AND status <> 'revoked'")" \
    60 "downgrade: keys brought within the free plan"
check_eq "$(mysql_q "SELECT COUNT(*) FROM audit_log WHERE action = 'user.plan' AND target_id = '$B_ID'")" \
    2 "plan changes audited"

req POST "/api/admin/users/$B_ID/suspend" '' "${AUTH_ADM[@]}"
check_status 200 "admin: suspend"
check_json '.status' suspended "admin: suspended"
req GET /api/client/users/profile '' "${AUTH_B[@]}"
check_status 401 "suspended: session ended"
login_as "$B_NAME" "$B_PASS"
check_status 403 "suspended: login refused"
req POST "/api/admin/users/$B_ID/unsuspend" '' "${AUTH_ADM[@]}"
check_status 200 "admin: unsuspend"
login_as "$B_NAME" "$B_PASS"
check_status 200 "unsuspended: login works"
ADMIN_ID=$(mysql_q "SELECT id FROM users WHERE username = '$ADMIN_USER'")
req POST "/api/admin/users/$ADMIN_ID/suspend" '' "${AUTH_ADM[@]}"
check_status 403 "admin cannot suspend themselves"

# ---- tollgatectl
out=$("$CTL" -c "$CONFIG" --json user list --q "$A_NAME")
check_eq "$(jq -r '.data[0].username' <<<"$out")" "$A_NAME" "ctl user list --q finds A"
# A has no balance: the key passes authentication and stops at the quota check.
chat "$KSECRET"
BEFORE_STATUS=$STATUS
case $STATUS in 401 | 403) fail "A's key authenticates before suspension" "$STATUS" ;;
*) ok "A's key authenticates before suspension ($STATUS)" ;; esac
out=$("$CTL" -c "$CONFIG" --json user suspend "$A_NAME")
check_eq "$(jq -r .status <<<"$out")" suspended "ctl user suspend"
check_eq "$(mysql_q "SELECT status FROM users WHERE id = $A_ID")" suspended "ctl suspend: row"
key_stopped() {
    chat "$KSECRET"
    [ "$STATUS" = 401 ] || [ "$STATUS" = 403 ]
}
if wait_for 3 key_stopped; then ok "suspended user's key refused ($STATUS)"; else
    fail "suspended user's key refused" "status $STATUS"; fi
out=$("$CTL" -c "$CONFIG" --json user unsuspend "$A_NAME")
check_eq "$(jq -r .status <<<"$out")" active "ctl user unsuspend"
key_back() {
    chat "$KSECRET"
    [ "$STATUS" = "$BEFORE_STATUS" ]
}
if wait_for 3 key_back; then ok "unsuspended user's key works again"; else
    fail "unsuspended user's key works again" "status $STATUS"; fi
out=$("$CTL" -c "$CONFIG" --json user plan "$A_NAME" pro)
check_eq "$(jq -r .plan <<<"$out")" pro "ctl user plan"
out=$("$CTL" -c "$CONFIG" --json user plan "$A_NAME" platinum)
check_jq_out() { jq -e "$1" <<<"$out" >/dev/null 2>&1; }
if check_jq_out '.error | test("plan")'; then ok "ctl user plan: unknown plan refused"; else
    fail "ctl user plan: unknown plan refused" "$out"; fi
out=$("$CTL" -c "$CONFIG" --json user suspend "no-such-user-$A_NAME")
if check_jq_out '.error | test("no such user")'; then ok "ctl: unknown user refused"; else
    fail "ctl: unknown user refused" "$out"; fi

finish
