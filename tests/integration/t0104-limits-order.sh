#!/usr/bin/env bash
# t0104: money is checked before rate limits: calls refused for an empty balance use up no
# rpm slot, and a call refused by rpm holds no reservation and is charged nothing.
set -u
. "$(dirname "$0")/lib.sh"

user="lo$$"
"$CTL" -c "$CONFIG" --json user create "$user" --email "$user@example.com" \
    --password "password-$$" >/dev/null
key=$("$CTL" -c "$CONFIG" --json key create --user "$user" --rpm 2 | jq -r .key)
uid=$("$CTL" -c "$CONFIG" --json user show "$user" | jq -r .id)
body='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi [mock chunks=2]"}]}'

for i in 1 2 3; do
    req POST /v1/chat/completions "$body" -H "Authorization: Bearer $key"
    check_status 429 "empty balance: call $i refused"
    check_json '.error.code' insufficient_quota "empty balance: call $i says insufficient_quota"
done

"$CTL" -c "$CONFIG" --json user topup "$user" --usd 1 >/dev/null
for i in 1 2; do
    req POST /v1/chat/completions "$body" -H "Authorization: Bearer $key"
    check_status 200 "after the top-up: call $i within rpm=2 served (no slot was used up)"
done
req POST /v1/chat/completions "$body" -H "Authorization: Bearer $key"
check_status 429 "third call in the minute refused by rpm"
check_json '.error.code' rate_limit_exceeded "the rpm refusal says rate_limit_exceeded"
[ -n "$(header Retry-After)" ] && ok "the rpm refusal has Retry-After" ||
    fail "the rpm refusal has Retry-After" "no header"

# Nothing stays reserved and only the two served calls are charged.
wait_for 10 test "$(mysql_q "SELECT COUNT(*) FROM ledger WHERE user_id = $uid AND state = 'reserved'")" = 0 ||
    true
check_eq "$(mysql_q "SELECT COUNT(*) FROM ledger WHERE user_id = $uid AND state = 'reserved'")" 0 \
    "no reservation left open"
check_eq "$(mysql_q "SELECT COUNT(*) FROM ledger WHERE user_id = $uid AND kind = 'charge' AND state = 'settled' AND amount < 0")" \
    2 "exactly the two served calls are charged"

finish
