#!/usr/bin/env bash
# t0002-errors: unknown routes, wrong methods, oversized and malformed bodies, login and
# the admin guard all answer with the right status and a JSON error.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

req GET /api/nope
check_status 404 "unknown route: 404"
check_jq '.error.type | type == "string" and length > 0' "unknown route: JSON .error.type"
# Its access line names the error's class and the message the client got; a served
# request's line has neither.
rid=$(header x-request-id)
access_line() { grep -m1 "access .* rid=$1 " "$LOG_DIR/tollgate.log"; }
wait_for 3 access_line "$rid" >/dev/null
check_eq "$(access_line "$rid" | sed -n 's/.* status=404 .* error=\([a-z_]*\) reason=\(.*\)$/\1 \2/p')" \
    'not_found "no route for GET /api/nope"' "unknown route: access line has error and reason"
req GET /api/status
rid=$(header x-request-id)
wait_for 3 access_line "$rid" >/dev/null
case $(access_line "$rid") in
*status=200*error=* | *reason=* | '') fail "served request: access line without error" \
    "$(access_line "$rid")" ;;
*status=200*) ok "served request: access line without error or reason" ;;
*) fail "served request: access line with status 200" "$(access_line "$rid")" ;;
esac

req GET /v1/chat/completions
check_status 405 "GET chat/completions: 405"
check_jq '.error | type == "object"' "GET chat/completions: JSON error"

# 33 MB: over nginx's client_max_body_size (32m) and the app's max_body_bytes.
head -c $((33 * 1024 * 1024)) /dev/zero | tr '\0' ' ' >"$T_TMP/big.json"
req POST /api/client/auth/login "@$T_TMP/big.json"
check_status 413 "33 MB body: 413"
check_jq '.error | type == "object"' "33 MB body: JSON error"

req POST /api/client/auth/login '{"login": "admin", "password": '
check_status 400 "invalid JSON: 400"
check_jq '.error.message | type == "string" and length > 0' "invalid JSON: JSON error message"

req POST /api/client/auth/login '["login", "password"]'
case $STATUS in 4??) ok "JSON array instead of object: 4xx ($STATUS)" ;;
*) fail "JSON array instead of object: 4xx" "status $STATUS" ;; esac

req POST /api/client/auth/login "$(json login "$ADMIN_USER" password "$ADMIN_PASS")"
check_status 200 "admin login: 200"
check_jq '.access_token | type == "string" and length > 0' "admin login: access_token"
check_jq '.refresh_token | type == "string" and length > 0' "admin login: refresh_token"
check_json '.token_type' Bearer "admin login: token_type Bearer"
check_jq '.expires_in | type == "number" and . > 0' "admin login: expires_in > 0"
token=$(jq -r '.access_token // empty' <<<"$BODY")

req POST /api/client/auth/login "$(json login "$ADMIN_USER" password "wrong-$ADMIN_PASS")"
case $STATUS in 400 | 401 | 403) ok "wrong password: refused ($STATUS)" ;;
*) fail "wrong password: refused with 400, 401 or 403" "status $STATUS" ;; esac
check_jq '.error | type == "object"' "wrong password: JSON error"
if grep -q "$ADMIN_PASS" <<<"$BODY"; then
    fail "wrong password: body does not echo the password" "it does"
else
    ok "wrong password: body does not echo the password"
fi

req GET /api/admin/users
check_status 401 "admin route without token: 401"
check_jq '.error | type == "object"' "admin route without token: JSON error"

req GET /api/admin/users '' -H 'Authorization: Bearer not.a.token'
check_status 401 "admin route with a garbage token: 401"

req GET /api/admin/users '' -H "Authorization: Bearer $token"
check_status 200 "admin route with the admin's token: 200"

finish
