#!/usr/bin/env bash
# t0100-portal-flow: the whole self-service path through the real stack: register (with
# the proof of work) -> verify by the mail in the stack's mail folder -> login -> create a
# key -> call /v1/chat/completions -> usage and billing show the call -> regenerate (old
# secret refused) -> revoke -> logout (access token refused); then password reset by mail
# and account deletion.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/portal_lib.sh"

NAME=$(uniq_name flow)
EMAIL="$NAME@Example.com"
LOWER_EMAIL=$(tr '[:upper:]' '[:lower:]' <<<"$EMAIL")
PASS=$PORTAL_PASS

# ---- challenge and registration
req GET /api/client/auth/challenge
check_status 200 "challenge: 200"
check_jq '.challenge | type == "string" and startswith("v1.")' "challenge: signed v1 string"
check_jq '.difficulty | type == "number" and . >= 0' "challenge: difficulty given"
check_eq "$(header cache-control)" "no-store" "challenge: Cache-Control no-store"
CH=$(jq -r .challenge <<<"$BODY")
BITS=$(jq -r .difficulty <<<"$BODY")

if [ "$BITS" -gt 0 ]; then
    body=$(jq -nc --arg u "$NAME" --arg e "$EMAIL" --arg p "$PASS" --arg c "$CH" \
        '{username: $u, email: $e, password: $p, challenge: $c, nonce: "not-a-solution"}')
    req POST /api/client/auth/register "$body"
    check_status 400 "register: wrong nonce refused"
    check_json '.error.param' nonce "register: wrong nonce names the nonce"

    body=$(jq -nc --arg u "$NAME" --arg e "$EMAIL" --arg p "$PASS" \
        '{username: $u, email: $e, password: $p}')
    req POST /api/client/auth/register "$body"
    check_status 400 "register: missing challenge refused"
    check_json '.error.param' challenge "register: missing challenge names it"
fi

NONCE=$(pow_solve "$CH" "$BITS")
body=$(jq -nc --arg u "$NAME" --arg e "$EMAIL" --arg p "$PASS" --arg c "$CH" --arg n "$NONCE" \
    '{username: $u, email: $e, password: $p, challenge: $c, nonce: $n}')
req POST /api/client/auth/register "$body"
check_status 201 "register: 201"
check_json '.email_verified' false "register: e-mail not verified yet"
check_json '.plan' free "register: free plan"
check_json '.email' "$LOWER_EMAIL" "register: e-mail stored in lower case"
USER_ID=$(jq -r .id <<<"$BODY")
check_eq "$(mysql_q "SELECT plan, email_verified, status FROM users WHERE id = $USER_ID")" \
    "free	0	active" "register: row is free, unverified, active"
check_eq "$(mysql_q "SELECT password_hash LIKE '\$argon2id\$%' FROM users WHERE id = $USER_ID")" \
    1 "register: password stored as argon2id"

if [ "$BITS" -gt 0 ]; then
    body=$(jq -nc --arg c "$CH" --arg n "$NONCE" --arg e "x$EMAIL" --arg p "$PASS" \
        '{username: "other\($n)x", email: $e, password: $p, challenge: $c, nonce: $n}')
    req POST /api/client/auth/register "$body"
    check_status 400 "register: a spent challenge is refused"
    check_json '.error.param' challenge "register: spent challenge names the challenge"
fi

register "$NAME" "other-$EMAIL" "$PASS"
check_status 409 "register: taken username 409"
check_json '.error.param' username "register: taken username names the field"
register "$(uniq_name flowb)" "$(tr '[:lower:]' '[:upper:]' <<<"$EMAIL")" "$PASS"
check_status 409 "register: taken e-mail (other case) 409"
check_json '.error.param' email "register: taken e-mail names the field"
register "$(uniq_name flowc)" "c-$EMAIL" "password123"
check_status 400 "register: common password refused"
check_json '.error.param' password "register: weak password names the field"
register "$(uniq_name flowd)" "not-an-address" "$PASS"
check_status 400 "register: bad e-mail refused"
check_json '.error.param' email "register: bad e-mail names the field"
register "$(uniq_name flowe)" "e-$EMAIL" "$PASS" '{"role": "admin"}'
check_status 400 "register: unknown field (role) refused"
check_json '.error.param' role "register: unknown field named"

# ---- verification by mail
wait_for 5 mail_token "$LOWER_EMAIL" verify >/dev/null
TOKEN=$(mail_token "$LOWER_EMAIL" verify)
check_eq "${#TOKEN}" 43 "verify mail: token in the mail folder"
check_eq "$(mysql_q "SELECT COUNT(*) FROM email_tokens WHERE user_id = $USER_ID AND \
    token_hash = UNHEX(SHA2('$TOKEN', 256)) AND purpose = 'verify'")" 1 \
    "verify mail: only the token's SHA-256 is stored"
req POST /api/client/auth/verify-email "$(json token "$TOKEN")"
check_status 200 "verify-email: 200"
check_json '.email_verified' true "verify-email: verified"
req POST /api/client/auth/verify-email "$(json token "$TOKEN")"
check_status 400 "verify-email: the same token again is refused"
check_json '.error.param' token "verify-email: reuse names the token"
check_eq "$(mysql_q "SELECT email_verified FROM users WHERE id = $USER_ID")" 1 \
    "verify-email: row verified"

# ---- login
login_as "$LOWER_EMAIL" "$PASS"
check_status 200 "login by e-mail: 200"
check_json '.token_type' Bearer "login: token_type Bearer"
check_jq '.expires_in > 0 and .expires_in <= 900' "login: short-lived access token"
A1=$ACCESS
login_as "$NAME" "$PASS"
check_status 200 "login by username: 200"
ACC=$ACCESS
REF=$REFRESH
check_eq "$(mysql_q "SELECT COUNT(*) FROM login_events WHERE user_id = $USER_ID AND ok = 1")" 2 \
    "login: both logins recorded"
check_eq "$(mysql_q "SELECT last_login_at IS NOT NULL FROM users WHERE id = $USER_ID")" 1 \
    "login: last_login_at set"
AUTH=(-H "Authorization: Bearer $ACC")

req GET /api/client/users/profile '' "${AUTH[@]}"
check_status 200 "profile: 200"
check_json '.username' "$NAME" "profile: username"
check_json '.email_verified' true "profile: verified"
check_json '.notifications.security' true "profile: default notifications"

req PUT /api/client/users/profile '{"display_name": "Flow Tester", "notifications": {"product_news": true}}' "${AUTH[@]}"
check_status 200 "profile update: 200"
check_json '.display_name' "Flow Tester" "profile update: display_name"
check_json '.notifications.product_news' true "profile update: notification switch"
check_json '.notifications.security' true "profile update: other switches kept"

# ---- a key, a call, usage and billing
req POST /api/client/keys '{"name": "flow key", "description": "integration", "services": ["openai"], "models": ["gpt-4o-mini"]}' "${AUTH[@]}"
check_status 201 "key create: 201"
check_eq "$(header cache-control)" "no-store" "key create: Cache-Control no-store"
KEY1=$(jq -r .key <<<"$BODY")
KEY_ID=$(jq -r .id <<<"$BODY")
check_jq '.key | test("^tg_[A-Za-z0-9]{49}$")' "key create: secret shown once (tg_ + 49 base62)"
check_jq '.rpm == 60 and .rpd == 1000 and .tpm == 100000' "key create: plan ceilings by default"
req GET /api/client/keys '' "${AUTH[@]}"
check_status 200 "key list: 200"
check_jq "[.data[] | select(.id == $KEY_ID)] | length == 1" "key list: has the key"
if grep -qF "$KEY1" <<<"$BODY"; then
    fail "key list: never shows the secret" "it does"
else
    ok "key list: never shows the secret"
fi
check_jq ".data[0].key | endswith(\"${KEY1: -4}\")" "key list: masked key ends with last four"
check_eq "$(mysql_q "SELECT COUNT(*) FROM api_keys WHERE id = $KEY_ID AND \
    key_hash = UNHEX(SHA2('$KEY1', 256))")" 1 "key create: only the SHA-256 is stored"

topup "$NAME" 2 || true
QUOTA0=$(settled_quota "$USER_ID")
check_eq "$QUOTA0" 1000000 "top-up: 2 USD = 1,000,000 quota"

chat "$KEY1" "hello from the portal flow"
check_status 200 "chat with the new key: 200"
check_jq '.choices[0].message.content | length > 0' "chat: has content"

usage_has_call() {
    req GET "/api/client/users/usage" '' "${AUTH[@]}"
    jq -e '.totals.requests >= 1' <<<"$BODY" >/dev/null 2>&1
}
wait_for 10 usage_has_call
check_status 200 "usage: 200"
check_json '.totals.requests' 1 "usage: one request"
check_json '.by_model[0].model' gpt-4o-mini "usage: by model"
check_json ".by_key[0].key_id" "$KEY_ID" "usage: by key"
check_json '.by_day | length' 1 "usage: by day"
check_json '.items[0].key_id' "$KEY_ID" "usage: the call itself"
check_jq '.totals.quota > 0 and .totals.tokens > 0' "usage: tokens and quota counted"
CHARGED=$(jq -r .totals.quota <<<"$BODY")

req GET "/api/client/keys/$KEY_ID/usage" '' "${AUTH[@]}"
check_status 200 "key usage: 200"
check_json '.totals.requests' 1 "key usage: one request"

SETTLED=$(settled_quota "$USER_ID")
req GET /api/client/users/billing '' "${AUTH[@]}"
check_status 200 "billing: 200"
check_json '.topups.count' 1 "billing: one top-up"
check_json '.topups.usd' 2.000000 "billing: top-up in USD"
check_json '.charges.requests' 1 "billing: one charged request"
check_json '.charges.quota' "$CHARGED" "billing: charge equals usage"
check_eq "$SETTLED" "$((QUOTA0 - CHARGED))" "billing: balance = top-up - charge"
check_json '.quota' "$SETTLED" "billing: shows the balance"
check_jq '.balance_usd | test("^[0-9]+\\.[0-9]{6}$")' "billing: balance in USD text"

req GET '/api/client/users/usage?from=2024-02-30' '' "${AUTH[@]}"
check_status 400 "usage: impossible date refused"
check_json '.error.param' from "usage: bad date names the parameter"
req GET '/api/client/users/usage?limit=100000' '' "${AUTH[@]}"
check_status 400 "usage: limit out of range refused"

# ---- regenerate, revoke
req POST "/api/client/keys/$KEY_ID/regenerate" '' "${AUTH[@]}"
check_status 200 "regenerate: 200"
KEY2=$(jq -r .key <<<"$BODY")
check_jq '.key | startswith("tg_")' "regenerate: new secret shown"
if [ "$KEY1" != "$KEY2" ]; then ok "regenerate: secret changed"; else fail "regenerate: secret changed" same; fi
t0=$(now_ms)
old_refused() {
    chat "$KEY1"
    [ "$STATUS" = 401 ]
}
if wait_for 3 old_refused; then
    ms=$(($(now_ms) - t0))
    # Keys are cached per process for at most key_cache_ms (1 s by default).
    if [ $ms -le 1500 ]; then ok "regenerate: old secret refused (after ${ms} ms)"; else
        fail "regenerate: old secret refused within the key cache bound" "${ms} ms"; fi
else
    fail "regenerate: old secret refused" "status $STATUS"
fi
chat "$KEY2"
check_status 200 "regenerate: new secret works"

req DELETE "/api/client/keys/$KEY_ID" '' "${AUTH[@]}"
check_status 200 "revoke: 200"
check_json '.status' revoked "revoke: status revoked"
new_refused() {
    chat "$KEY2"
    [ "$STATUS" = 401 ]
}
if wait_for 3 new_refused; then ok "revoke: key refused"; else fail "revoke: key refused" "$STATUS"; fi
req POST "/api/client/keys/$KEY_ID/regenerate" '' "${AUTH[@]}"
check_status 409 "revoke: a revoked key cannot be regenerated"
req PUT "/api/client/keys/$KEY_ID" '{"name": "again"}' "${AUTH[@]}"
check_status 409 "revoke: a revoked key cannot be changed"

# ---- logout
req POST /api/client/auth/logout '' "${AUTH[@]}"
check_status 200 "logout: 200"
req GET /api/client/users/profile '' "${AUTH[@]}"
check_status 401 "logout: access token refused"
req POST /api/client/auth/refresh "$(json refresh_token "$REF")"
check_status 401 "logout: refresh token refused"
req GET /api/client/users/profile '' -H "Authorization: Bearer $A1"
check_status 200 "logout: the other session lives on"

# ---- password reset by mail
req POST /api/client/auth/forgot-password "$(json email "nobody-$LOWER_EMAIL")"
check_status 200 "forgot-password, unknown address: 200"
UNKNOWN_BODY=$BODY
req POST /api/client/auth/forgot-password "$(json email "$EMAIL")"
check_status 200 "forgot-password, known address: 200"
check_eq "$BODY" "$UNKNOWN_BODY" "forgot-password: same answer known or not"
wait_for 5 mail_token "$LOWER_EMAIL" reset >/dev/null
RTOKEN=$(mail_token "$LOWER_EMAIL" reset)
check_eq "${#RTOKEN}" 43 "forgot-password: reset mail delivered"
req POST /api/client/auth/reset-password "$(jq -nc --arg t "$RTOKEN" '{token: $t, password: "short"}')"
check_status 400 "reset: weak password refused"
check_json '.error.param' password "reset: weak password names the field"
NEWPASS='Copper-Meadow-93?'
req POST /api/client/auth/reset-password "$(json token "$RTOKEN" password "$NEWPASS")"
check_status 200 "reset: 200 (token still valid after the weak try)"
req POST /api/client/auth/reset-password "$(json token "$RTOKEN" password "$NEWPASS-2")"
check_status 400 "reset: token single use"
req GET /api/client/users/profile '' -H "Authorization: Bearer $A1"
check_status 401 "reset: every session ended"
login_as "$NAME" "$PASS"
check_status 401 "reset: old password refused"
login_as "$NAME" "$NEWPASS"
check_status 200 "reset: new password works"
AUTH=(-H "Authorization: Bearer $ACCESS")

# ---- account deletion
req POST /api/client/keys '{"name": "to be revoked"}' "${AUTH[@]}"
KEY3=$(jq -r .key <<<"$BODY")
USAGE_ROWS=$(mysql_q "SELECT COUNT(*) FROM usage_logs WHERE user_id = $USER_ID")
req DELETE /api/client/users/account "$(json password "wrong-$NEWPASS")" "${AUTH[@]}"
check_status 401 "delete account: wrong password refused"
check_json '.error.param' password "delete account: names the password"
req DELETE /api/client/users/account "$(json password "$NEWPASS")" "${AUTH[@]}"
check_status 200 "delete account: 200"
check_eq "$(mysql_q "SELECT status, username = CONCAT('deleted-', id), email IS NULL, \
    display_name IS NULL, password_hash IS NULL FROM users WHERE id = $USER_ID")" \
    "deleted	1	1	1	1" "delete account: personal data scrubbed"
check_eq "$(mysql_q "SELECT COUNT(*) FROM api_keys WHERE user_id = $USER_ID AND status <> 'revoked'")" \
    0 "delete account: keys revoked"
check_eq "$(mysql_q "SELECT COUNT(*) FROM usage_logs WHERE user_id = $USER_ID")" \
    "$USAGE_ROWS" "delete account: usage rows kept ($USAGE_ROWS)"
check_eq "$(mysql_q "SELECT COUNT(*) FROM login_events WHERE user_id = $USER_ID")" 0 \
    "delete account: login events removed"
key3_refused() {
    chat "$KEY3"
    [ "$STATUS" = 401 ]
}
if wait_for 3 key3_refused; then ok "delete account: key refused"; else
    fail "delete account: key refused" "status $STATUS"; fi
req GET /api/client/users/profile '' "${AUTH[@]}"
check_status 401 "delete account: session ended"
login_as "$NAME" "$NEWPASS"
check_status 401 "delete account: cannot log in"

finish
