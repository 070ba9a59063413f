#!/usr/bin/env bash
# t0900: canary secrets never leak. Runs last, after every other test put traffic through
# the stack: the admin password, an API key, the upstream (channel) key, the partner
# secret, the JWT and master keys appear in no log and nowhere in the database but as a
# hash or ciphertext.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

conf_dir=$(dirname "$CONFIG")
dump=$T_TMP/dump.sql

# A fresh key that was used for a call (so it passed through auth, relay and logs).
user="canary$$"
"$CTL" -c "$CONFIG" --json user create "$user" --email "$user@example.com" \
    --password "canary-password-$$" >/dev/null
"$CTL" -c "$CONFIG" --json user topup "$user" --usd 1 >/dev/null
api_key=$("$CTL" -c "$CONFIG" --json key create --user "$user" | jq -r .key)
req POST /v1/chat/completions '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}' \
    -H "Authorization: Bearer $api_key"
check_status 200 "a call with the canary key works"
req POST /api/client/auth/login "{\"login\":\"$user\",\"password\":\"canary-password-$$\"}"
check_status 200 "a login with the canary password works"
sleep 0.5

mariadb-dump --no-defaults -h "$DB_HOST" -P "$DB_PORT" -u "$DB_USER" -p"$DB_PASS" \
    --skip-extended-insert "$DB_NAME" >"$dump" 2>/dev/null
[ -s "$dump" ] && ok "database dumped" || fail "database dumped" "mariadb-dump failed"

declare -A secrets=(
    [admin_password]=$ADMIN_PASS
    [user_password]="canary-password-$$"
    [api_key]=$api_key
    [channel_key]=$MOCK_KEY
    [jwt_key]=$(head -c 40 "$conf_dir/jwt.key")
    [master_key]=$(cat "$conf_dir/master.key")
)
[ -z "$PARTNER_SECRET" ] || secrets[partner_secret]=$PARTNER_SECRET

for name in "${!secrets[@]}"; do
    s=${secrets[$name]}
    [ -n "$s" ] || { fail "$name known" "empty"; continue; }
    if grep -rqF -- "$s" "$LOG_DIR"; then
        fail "$name is in no log" "found in $(grep -rlF -- "$s" "$LOG_DIR" | head -n 3 | tr '\n' ' ')"
    else
        ok "$name is in no log"
    fi
    if grep -qF -- "$s" "$dump"; then
        fail "$name is not stored in the database" "found in the dump"
    else
        ok "$name is not stored in the database"
    fi
done

# What is stored instead: a SHA-256 of the key, sealed channel keys.
digest=$(printf '%s' "$api_key" | sha256sum | cut -d' ' -f1)
check_eq "$(mysql_q "SELECT COUNT(*) FROM api_keys WHERE key_hash = UNHEX('$digest')")" 1 \
    "the API key is stored as its SHA-256"
check_eq "$(mysql_q "SELECT COUNT(*) FROM channels WHERE key_enc IS NOT NULL AND key_enc NOT LIKE 'v1:%'")" \
    0 "channel keys are stored sealed (v1:...)"
check_eq "$(mysql_q "SELECT COUNT(*) FROM users WHERE password_hash NOT LIKE '\$argon2id\$%' AND password_hash IS NOT NULL")" \
    0 "passwords are stored as argon2id hashes"

finish
