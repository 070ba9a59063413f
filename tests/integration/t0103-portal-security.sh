#!/usr/bin/env bash
# t0103-portal-security: login throttling per account and per address (429 +
# Retry-After, unknown users cost the same), refresh tokens (rotation, reuse revokes the
# family, expiry), forged access tokens (tampered, alg none, other algorithms), SQL
# metacharacters stored and returned verbatim, malformed bodies.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/portal_lib.sh"

clear_throttle
at_exit clear_throttle

new_user sec
V_NAME=$U_NAME V_ID=$U_ID V_PASS=$U_PASS
new_user bys
O_NAME=$U_NAME O_PASS=$U_PASS

# ---- unknown users take as long as wrong passwords (argon2 against a dummy hash)
time_login() {
    local t0 i
    t0=$(date +%s%N)
    for i in 1 2 3; do login_as "$1" "wrong-password-$i"; done
    echo $((($(date +%s%N) - t0) / 3000000))
}
known_ms=$(time_login "$V_NAME")
unknown_ms=$(time_login "nobody-$V_NAME")
clear_throttle
# Loose bounds (the machine may be busy); a path that skips hashing is many times faster.
if [ "$unknown_ms" -ge $((known_ms / 3)) ] && [ "$unknown_ms" -le $((known_ms * 3 + 5)) ]; then
    ok "unknown user ${unknown_ms} ms vs wrong password ${known_ms} ms: same cost"
else
    fail "unknown users cost the same as wrong passwords" "${unknown_ms} ms vs ${known_ms} ms"
fi

# ---- per account: 5 failures, then 429 with Retry-After even for the right password
codes=''
for i in 1 2 3 4 5 6; do
    login_as "$V_NAME" "guess-$i-$V_PASS"
    codes="$codes $STATUS"
done
check_eq "$codes" " 401 401 401 401 401 429" "account: 5 wrong passwords, then 429"
retry=$(header retry-after)
if [ "${retry:-0}" -ge 1 ] && [ "${retry:-0}" -le 900 ]; then ok "account: Retry-After $retry s"; else
    fail "account: 429 carries Retry-After" "got '$retry'"; fi
check_json '.error.param' login "account: 429 names the login"
login_as "$V_NAME" "$V_PASS"
check_status 429 "account: blocked even with the right password"
login_as "$(tr '[:lower:]' '[:upper:]' <<<"$V_NAME")" "$V_PASS"
check_status 429 "account: the block ignores case"
login_as "$O_NAME" "$O_PASS"
check_status 200 "account: another account still logs in"
check_eq "$(mysql_q "SELECT COUNT(*) FROM login_events WHERE user_id = $V_ID AND ok = 0")" 8 \
    "account: failed attempts recorded (3 timed + 5 guesses)"
# Time passes: the block ends, the right password works and clears the counter.
mysql_q "UPDATE throttle SET blocked_until = 0 WHERE subject = 'acct:$(tr '[:upper:]' '[:lower:]' <<<"$V_NAME")'"
login_as "$V_NAME" "$V_PASS"
check_status 200 "account: after the block the right password works"
check_eq "$(mysql_q "SELECT COUNT(*) FROM throttle WHERE subject = 'acct:$(tr '[:upper:]' '[:lower:]' <<<"$V_NAME")'")" \
    0 "account: a good login clears the account's counter"
clear_throttle

# ---- per address: one password against many accounts
codes=''
for i in $(seq 1 21); do
    login_as "spray$i-$V_NAME" "Summer2024!"
    codes="$codes $STATUS"
done
check_eq "$(tr ' ' '\n' <<<"$codes" | grep -c 401)" 20 "address: 20 failures allowed"
check_eq "${codes##* }" 429 "address: the 21st is refused with 429"
retry=$(header retry-after)
if [ "${retry:-0}" -ge 1 ]; then ok "address: Retry-After $retry s"; else
    fail "address: 429 carries Retry-After" "got '$retry'"; fi
IP_FAILS=$(mysql_q "SELECT failures FROM throttle WHERE subject LIKE 'ip:%'")
login_as "spray99-$V_NAME" "Summer2024!"
check_status 429 "address: blocked attempts stay blocked"
# A blocked attempt stops before the password check: it counts no further failure.
check_eq "$(mysql_q "SELECT failures FROM throttle WHERE subject LIKE 'ip:%'")" "$IP_FAILS" \
    "address: a blocked attempt never reaches the password check"
clear_throttle

# ---- refresh tokens
login_as "$V_NAME" "$V_PASS"
R1=$REFRESH
req POST /api/client/auth/refresh "$(json refresh_token "$R1")"
check_status 200 "refresh: 200"
R2=$(jq -r .refresh_token <<<"$BODY")
A2=$(jq -r .access_token <<<"$BODY")
if [ "$R1" != "$R2" ]; then ok "refresh: rotated"; else fail "refresh: rotated" same; fi
req POST /api/client/auth/refresh "$(json refresh_token "$R1")"
check_status 401 "refresh: a reused (rotated) token is refused"
req POST /api/client/auth/refresh "$(json refresh_token "$R2")"
check_status 401 "refresh: reuse revoked the whole family"
req GET /api/client/users/profile '' -H "Authorization: Bearer $A2"
check_status 401 "refresh: the family's access token is refused too"
login_as "$V_NAME" "$V_PASS"
R3=$REFRESH
mysql_q "UPDATE sessions SET expires_at = CURRENT_TIMESTAMP(3) - INTERVAL 1 SECOND \
    WHERE token_hash = UNHEX(SHA2('$R3', 256))"
req POST /api/client/auth/refresh "$(json refresh_token "$R3")"
check_status 401 "refresh: an expired token is refused"
req POST /api/client/auth/refresh '{"refresh_token": "not-a-token"}'
check_status 401 "refresh: junk refused"
req POST /api/client/auth/refresh '{"refresh_token": 12}'
check_status 400 "refresh: wrong type 400"

# ---- forged access tokens
login_as "$V_NAME" "$V_PASS"
TOK=$ACCESS
IFS=. read -r H P S <<<"$TOK"
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
unb64url() {
    local s
    s=$(tr -- '-_' '+/' <<<"$1")
    while [ $((${#s} % 4)) -ne 0 ]; do s="$s="; done
    base64 -d <<<"$s"
}
PAYLOAD=$(unb64url "$P")
ADMIN_ID=$(mysql_q "SELECT id FROM users WHERE username = '$ADMIN_USER'")
EVIL=$(jq -c --argjson id "$ADMIN_ID" '.sub = ($id | tostring) | .role = "admin"' <<<"$PAYLOAD" | b64url)
[ -n "$EVIL" ] || EVIL=$(jq -c '.role = "admin"' <<<"$PAYLOAD" | b64url)
NONE=$(printf '{"alg":"none","typ":"JWT"}' | b64url)
HS512=$(printf '{"alg":"HS512","typ":"JWT"}' | b64url)
req GET /api/client/users/profile '' -H "Authorization: Bearer $TOK"
check_status 200 "jwt: the real token works"
# A signature with one of its middle characters changed (the last one may carry only
# padding bits).
c=${S:20:1}
if [ "$c" = A ]; then c=B; else c=A; fi
BADSIG="${S:0:20}$c${S:21}"
for t in "$H.$EVIL.$S" "$NONE.$P." "$NONE.$EVIL." "$NONE.$P.$S" "$HS512.$P.$S" "$H.$P." \
    "$H.$P.$BADSIG" "$H.$P" "$TOK.x"; do
    req GET /api/client/users/profile '' -H "Authorization: Bearer $t"
    check_status 401 "jwt: forged token refused (${t:0:24}...)"
    req GET /api/admin/users '' -H "Authorization: Bearer $t"
    check_status 401 "jwt: forged token refused on admin routes"
done

# ---- SQL metacharacters stored and returned verbatim
NASTY="Robert'); DROP TABLE users;-- \"q\" \\\\ % _ \` ; /* */ 😀"
req PUT /api/client/users/profile "$(jq -nc --arg d "$NASTY" '{display_name: $d}')" \
    -H "Authorization: Bearer $TOK"
check_status 200 "sql: profile with metacharacters 200"
check_json '.display_name' "$NASTY" "sql: display_name returned verbatim"
# Compared as hex: the mysql client may not print UTF-8, and -B escapes backslashes.
hex_of() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n' | tr a-f A-F; }
NASTY_HEX=$(hex_of "$NASTY")
check_eq "$(mysql_q "SELECT HEX(display_name) FROM users WHERE id = $V_ID")" \
    "$NASTY_HEX" "sql: display_name stored verbatim"
KNAME="x' OR '1'='1"
KDESC="a\\b'; DELETE FROM api_keys; -- %_"
req POST /api/client/keys "$(jq -nc --arg n "$KNAME" --arg d "$KDESC" '{name: $n, description: $d}')" \
    -H "Authorization: Bearer $TOK"
check_status 201 "sql: key with metacharacters 201"
KID=$(jq -r .id <<<"$BODY")
req GET "/api/client/keys/$KID" '' -H "Authorization: Bearer $TOK"
check_json '.name' "$KNAME" "sql: key name returned verbatim"
check_json '.description' "$KDESC" "sql: key description returned verbatim"
check_eq "$(mysql_q "SELECT HEX(name), HEX(description) FROM api_keys WHERE id = $KID")" \
    "$(hex_of "$KNAME")	$(hex_of "$KDESC")" "sql: key name and description stored verbatim"
check_eq "$(mysql_q "SELECT COUNT(*) > 0 FROM api_keys")" 1 "sql: api_keys intact"
QNAME=$(uniq_name quote)
QMAIL="o'brien+$QNAME--%_@example.com"
register "$QNAME" "$QMAIL" "$PORTAL_PASS"
check_status 201 "sql: e-mail with a quote registers"
check_json '.email' "$QMAIL" "sql: e-mail returned verbatim"
check_eq "$(mysql_q "SELECT COUNT(*) FROM users WHERE email = '$(sed "s/'/''/g" <<<"$QMAIL")'")" 1 \
    "sql: e-mail stored verbatim"
login_as "$QMAIL" "$PORTAL_PASS"
check_status 200 "sql: log in with that e-mail"
login_as "' OR '1'='1" "' OR '1'='1"
check_status 401 "sql: injection in login is just a wrong login"
clear_throttle
req GET "/api/client/users/usage?from=2024-01-01'%20OR%201=1--" '' -H "Authorization: Bearer $TOK"
check_status 400 "sql: injection in a query parameter is a 400"

# ---- malformed bodies
req PUT /api/client/users/profile '{"display_name": ' -H "Authorization: Bearer $TOK"
check_status 400 "body: invalid JSON 400"
req PUT /api/client/users/profile '{"display_name": "a", "display_name": "b"}' -H "Authorization: Bearer $TOK"
check_status 400 "body: duplicate keys 400"
req PUT /api/client/users/profile '["display_name"]' -H "Authorization: Bearer $TOK"
check_status 400 "body: array instead of object 400"
printf '{"display_name": "\xff\xfe"}' >"$T_TMP/bad.json"
req PUT /api/client/users/profile "@$T_TMP/bad.json" -H "Authorization: Bearer $TOK"
check_status 400 "body: invalid UTF-8 400"
req PUT /api/client/users/profile '{"display_name": "line\u0000break"}' -H "Authorization: Bearer $TOK"
check_status 400 "body: NUL in a string 400"
req POST /api/client/keys '{"name": 5}' -H "Authorization: Bearer $TOK"
check_status 400 "body: key name of the wrong type 400"
check_json '.error.param' name "body: wrong type names the field"
req POST /api/client/auth/register '{"username": "x"}'
check_status 400 "body: register with missing fields 400"
req POST /api/client/auth/verify-email '{"token": ["x"]}'
check_status 400 "body: token of the wrong type 400"
check_json '.error.param' token "body: names the token"
check_eq "$(mysql_q "SELECT HEX(display_name) FROM users WHERE id = $V_ID")" \
    "$NASTY_HEX" "body: refused updates changed nothing"

finish
