#!/usr/bin/env bash
# t0304-admin-ctl: the --json output of every tollgatectl command of the relay area, as
# DESIGN.md's contract names it: user create|show|topup, key create|revoke|list,
# channel add|list|test|disable|enable, price set|list; errors as {"error"} with exit 1.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

LOGIN=t0304-user
CANARY="sk-canary-t0304-$(date +%s%N)"
cleanup() {
    mysql_q "DELETE FROM channels WHERE name LIKE 't0304-%'"
    mysql_q "DELETE FROM prices WHERE model LIKE 't0304-%'"
    mysql_q "DELETE FROM api_keys WHERE user_id IN (SELECT id FROM users WHERE username
        = '$LOGIN')"
    mysql_q "DELETE FROM ledger WHERE user_id IN (SELECT id FROM users WHERE username
        = '$LOGIN')"
    mysql_q "DELETE FROM topups WHERE user_id IN (SELECT id FROM users WHERE username
        = '$LOGIN')"
    mysql_q "DELETE FROM users WHERE username = '$LOGIN'"
} >/dev/null 2>&1
cleanup
at_exit cleanup
: >"$T_TMP/outputs"

# ctl ARGS...: run tollgatectl --json; sets BODY (stdout) and RC.
ctl() {
    BODY=$("$CTL" -c "$CONFIG" --json "$@" 2>"$T_TMP/ctl.err")
    RC=$?
    printf '%s\n' "$BODY" >>"$T_TMP/outputs"
}
check_rc() {
    if [ "$RC" = "$1" ]; then ok "$2"; else
        fail "$2" "exit $RC, expected $1; out: $(_snippet "$BODY") err: $(_snippet \
            "$(cat "$T_TMP/ctl.err")")"
    fi
}

# ---- users
ctl user create "$LOGIN" --email t0304@example.com --password t0304-password
check_rc 0 "user create: exit 0"
check_jq '.id | type == "number"' "user create: id"
check_json '.username' "$LOGIN" "user create: username"
U=$(jq -r .id <<<"$BODY")
ctl user create "$LOGIN" --email t0304@example.com --password t0304-password
check_rc 1 "user create again: exit 1"
check_jq '.error | type == "string"' "user create again: {\"error\"}"

ctl user show "$LOGIN"
check_rc 0 "user show: exit 0"
check_jq 'has("id") and has("status") and has("plan") and has("quota") and
    has("used_quota") and has("request_count")' "user show: the contract's fields"
check_json '.id' "$U" "user show: id"
check_json '.quota' 0 "user show: quota 0"
ctl user show t0304-nobody
check_rc 1 "user show unknown: exit 1"

ctl user topup "$LOGIN" --usd 1.5 --payment-id t0304-pay-1
check_rc 0 "user topup: exit 0"
check_json '.quota_added' 750000 "user topup: 1.5 USD = 750000 quota"
check_json '.quota' 750000 "user topup: balance"
check_json '.replayed' false "user topup: first time"
ctl user topup "$LOGIN" --usd 1.5 --payment-id t0304-pay-1
check_json '.replayed' true "user topup repeated: replayed"
check_json '.quota' 750000 "user topup repeated: credited once"
ctl user topup "$LOGIN" --usd 2 --payment-id t0304-pay-1
check_rc 1 "user topup, same payment id, other amount: exit 1"
ctl user topup "$LOGIN" --usd 0.000001
check_rc 0 "user topup without a payment id: exit 0"
check_jq '.payment_id | length > 0' "user topup: a payment id is made up"
for amt in 0 -1 1e3 1.0000001 abc; do
    ctl user topup "$LOGIN" --usd "$amt"
    check_rc 1 "user topup --usd $amt: refused"
done
ctl user show "$LOGIN"
check_json '.quota' 750000 "user show after top-ups: 750000 (1 micro-USD carries)"

# ---- keys
ctl key create --user "$LOGIN" --name t0304-k --models gpt-4o-mini,gpt-4o --rpm 5 \
    --rpd 50 --tpm 5000 --quota-limit 1000 --expires-days 3
check_rc 0 "key create: exit 0"
check_jq '(.id | type == "number") and (.key | test("^tg_"))' "key create: {id, key}"
K=$(jq -r .id <<<"$BODY")
SECRET=$(jq -r .key <<<"$BODY")
ctl key create --user "$LOGIN" --rpm -5
check_rc 1 "key create --rpm -5: exit 1"
ctl key create --user "$LOGIN" --modles x
check_rc 1 "key create with a misspelt option: exit 1"
ctl key create --user t0304-nobody
check_rc 1 "key create for an unknown user: exit 1"

ctl key list --user "$LOGIN"
check_rc 0 "key list: exit 0"
check_json '.data | length' 1 "key list --user: one key"
check_json '.data[0].models | join(",")' "gpt-4o-mini,gpt-4o" "key list: models"
check_json '.data[0] | [.rpm, .rpd, .tpm, .quota_limit] | join(",")' "5,50,5000,1000" \
    "key list: limits"
if grep -qF "$SECRET" <<<"$BODY"; then fail "key list: no secret" "found"; else
    ok "key list: no secret"
fi
ctl key list
check_jq ".data | map(.id) | index($K) != null" "key list (all users): has the key"

ctl key revoke "$K"
check_rc 0 "key revoke: exit 0"
check_json '.status' revoked "key revoke: revoked"
ctl key revoke 999999999
check_rc 1 "key revoke unknown: exit 1"

# ---- channels
ctl channel add t0304-ch --type openai-compatible --base-url "$MOCK_URL" --key "$CANARY" \
    --models t0304-m1,t0304-m2 --priority 2 --weight 4 --map t0304-pub=t0304-m1
check_rc 0 "channel add: exit 0"
check_json '.name' t0304-ch "channel add: name"
check_json '[.priority, .weight] | join(",")' "2,4" "channel add: priority, weight"
check_json '.model_map["t0304-pub"]' t0304-m1 "channel add: --map"
check_json '.key_set' true "channel add: key_set"
CH=$(jq -r .id <<<"$BODY")
case $(mysql_q "SELECT key_enc FROM channels WHERE id = $CH") in
v1:*) ok "channel add: key stored as v1: ciphertext" ;;
*) fail "channel add: key stored as v1: ciphertext" "not" ;;
esac
for url in http://169.254.169.254 http://127.0.0.1:3306 "http://[::1]/" http://2130706433 \
    file:///etc/passwd; do
    ctl channel add t0304-bad --type openai --base-url "$url" --key k --models m
    check_rc 1 "channel add --base-url $url: refused"
done
ctl channel add t0304-ch --type openai --base-url "$MOCK_URL" --key k --models m
check_rc 1 "channel add with a taken name: exit 1"

ctl channel list
check_rc 0 "channel list: exit 0"
check_jq '[.data[] | select(.name == "t0304-ch")] | length == 1' "channel list: has it"
check_jq '[.data[] | has("key")] | any | not' "channel list: no key field"

ctl channel disable t0304-ch
check_rc 0 "channel disable NAME: exit 0"
check_json '.status' disabled "channel disable: disabled"
ctl channel enable "$CH"
check_rc 0 "channel enable ID: exit 0"
check_json '.status' enabled "channel enable: enabled"
ctl channel disable t0304-nope
check_rc 1 "channel disable unknown: exit 1"

# The test call goes through the relay to the mock, which wants its own key.
ctl channel test t0304-ch
check_jq 'has("ok")' "channel test (wrong upstream key): a result"
check_json '.ok' false "channel test (wrong upstream key): not ok"
check_rc 1 "channel test (wrong upstream key): exit 1"
ctl channel test mock-openai
if jq -e 'has("ok")' <<<"$BODY" >/dev/null 2>&1; then
    check_json '.ok' true "channel test mock-openai: ok"
    check_rc 0 "channel test mock-openai: exit 0"
else
    fail "channel test mock-openai" "no seeded channel or no result: $(_snippet "$BODY")"
fi

# ---- prices
ctl price set t0304-model --input 0.15 --output 0.6 --cache-read 0.075 --cache-write 0.3 \
    --cache-write-1h 0.6 --max-output 4096
check_rc 0 "price set: exit 0"
check_json '[.input, .output, .cache_read, .cache_write, .cache_write_1h] | join(",")' \
    "0.15,0.6,0.075,0.3,0.6" "price set: prices"
check_json '.max_output' 4096 "price set: max_output"
check_eq "$(mysql_q "SELECT input_micro FROM prices WHERE model = 't0304-model'")" 150000 \
    "price set: micro-USD"
ctl price set t0304-model --input 0.1234567 --output 1
check_rc 1 "price set with 7 decimals: exit 1"
ctl price set t0304-model --output 1
check_rc 1 "price set without --input: exit 1"
ctl price list
check_rc 0 "price list: exit 0"
check_json '.data[] | select(.model == "t0304-model") | .output' 0.6 "price list: has it"

# ---- every output was JSON, and none held the channel key
bad=0
while IFS= read -r line; do
    [ -n "$line" ] || continue
    jq -e . >/dev/null 2>&1 <<<"$line" || bad=$((bad + 1))
done <"$T_TMP/outputs"
check_eq "$bad" 0 "every --json output parses as JSON"
if grep -qF "$CANARY" "$T_TMP/outputs"; then fail "no output shows a channel key" "found"
else ok "no output shows a channel key"; fi

finish
