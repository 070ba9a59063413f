#!/usr/bin/env bash
# t0303-admin-guard: every /api/admin route of the route table answers 403 to a signed-in
# user who is not an admin, and 401 without a token; nothing changes.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

LOGIN=t0303-user
PASS=t0303-password-$$
cleanup() {
    mysql_q "DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE username
        = '$LOGIN')"
    mysql_q "DELETE FROM users WHERE username = '$LOGIN'"
} >/dev/null 2>&1
cleanup
at_exit cleanup

out=$("$CTL" -c "$CONFIG" --json user create "$LOGIN" --email t0303@example.com \
    --password "$PASS" 2>&1)
U=$(jq -r '.id // empty' <<<"$out")
if [ -n "$U" ]; then ok "user created by tollgatectl"; else fail "user created" "$out"; fi
check_eq "$(jq -r .role <<<"$out")" user "tollgatectl user create: role user"

req POST /api/client/auth/login "$(json login "$LOGIN" password "$PASS")"
check_status 200 "user login: 200"
TOKEN=$(jq -r '.access_token // empty' <<<"$BODY")

# Every admin route of the table: METHOD PATH with :params filled in.
ROUTES=$(grep -oE '\{"(GET|POST|PUT|DELETE|PATCH)", *"/api/admin[^"]*"' \
    "$REPO/src/router/routes.c" | sed -E 's/\{"([A-Z]+)", *"([^"]*)"/\1 \2/')
n=$(wc -l <<<"$ROUTES")
if [ "$n" -ge 14 ]; then ok "route table lists $n admin routes"; else
    fail "route table lists the admin routes" "found $n"
fi

before=$(mysql_q "SELECT (SELECT COUNT(*) FROM channels), (SELECT COUNT(*) FROM prices),
    (SELECT COUNT(*) FROM api_keys), (SELECT SUM(quota) FROM users),
    (SELECT COUNT(*) FROM audit_log)")
while read -r method path; do
    [ -n "$method" ] || continue
    p=$(sed -E -e "s#:id#$U#g" -e 's#:model#t0303-model#g' -e 's#:[a-z_]+#1#g' <<<"$path")
    body='{}'
    case "$path" in
    */quota) body='{"delta": 1000000}' ;;
    /api/admin/channels) body='{"name": "t0303", "type": "openai", "base_url":
        "https://example.com", "key": "k", "models": ["m"]}' ;;
    /api/admin/prices/*) body='{"input": 0, "output": 0}' ;;
    /api/admin/keys) body="{\"user_id\": $U}" ;;
    esac
    [ "$method" = GET ] || [ "$method" = DELETE ] && body=''
    req "$method" "$p" "$body" -H "Authorization: Bearer $TOKEN"
    check_status 403 "user token: $method $p"
    check_jq '.error | type == "object"' "user token: $method $p: JSON error"
    req "$method" "$p" "$body"
    check_status 401 "no token: $method $p"
done <<<"$ROUTES"
after=$(mysql_q "SELECT (SELECT COUNT(*) FROM channels), (SELECT COUNT(*) FROM prices),
    (SELECT COUNT(*) FROM api_keys), (SELECT SUM(quota) FROM users),
    (SELECT COUNT(*) FROM audit_log)")
check_eq "$after" "$before" "refused calls changed nothing"

finish
