#!/usr/bin/env bash
# t0200-external-flow: a partner syncs a user, tops up $12.34 (6,170,000 quota), mints a
# key, the key relays a chat call and the stats show it; exact amounts ($4,294.97 and
# $0.000001 twice); bad amounts and fields refused with nothing credited.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/ext_lib.sh
. "$(dirname "$0")/ext_lib.sh"

U=$(ext_id flow)

# ---- sync: create, then update --------------------------------------------------------
ext_req POST /api/user/external/sync "$(jq -nc --arg u "$U" '{external_user_id: $u,
    username: "Alice", email: "alice@example.com", phone: "", login_type: "wechat",
    wechat_openid: "oA1b2C3", external_data: {vip: 2, tags: ["a"]}}')"
check_status 200 "sync: new user 200"
check_json '.created' true "sync: created is true"
check_json '.external_user_id' "$U" "sync: echoes external_user_id"
check_json '.quota' 0 "sync: new user has no quota"
check_json '.status' active "sync: status active"
check_json '.external_data.vip' 2 "sync: external_data stored as given"
UID_=$(jq -r .user_id <<<"$BODY")
check_eq "$(mysql_q "SELECT is_external, partner_id, email IS NULL, contact_email,
    phone IS NULL, wechat_unionid IS NULL, alipay_userid IS NULL, login_type FROM users
    WHERE id = $UID_" | tr '\t' ' ')" "1 $PARTNER_ID 1 alice@example.com 1 1 1 wechat" \
    "sync: row is external, partner-scoped, optional fields NULL (not '')"

ext_req POST /api/user/external/sync "$(jq -nc --arg u "$U" \
    '{external_user_id: $u, username: "Alice B", wechat_openid: null}')"
check_status 200 "sync: update 200"
check_json '.created' false "sync: update says created false"
check_json '.user_id' "$UID_" "sync: same user id"
check_json '.username' "Alice B" "sync: username updated"
check_json '.wechat_openid' null "sync: null clears a field"
check_json '.email' alice@example.com "sync: fields not sent are kept"

for bad in '{"external_user_id": ""}' '{"external_user_id": "   "}' '{"username": "x"}' \
    '{"external_user_id": 5}' "{\"external_user_id\": \"$(printf 'x%.0s' {1..101})\"}" \
    "{\"external_user_id\": \"$U\", \"login_type\": \"fax\"}" \
    "{\"external_user_id\": \"$U\", \"status\": \"deleted\"}" \
    "{\"external_user_id\": \"$U\", \"external_data\": [1]}" \
    "{\"external_user_id\": \"$U\", \"surprise\": 1}"; do
    ext_req POST /api/user/external/sync "$bad"
    check_status 400 "sync: refused $(head -c 60 <<<"$bad")"
done
check_eq "$(mysql_q "SELECT COUNT(*) FROM users WHERE external_user_id = ''")" 0 \
    "sync: no user with an empty external id"

# ---- top-up $12.34 -> 6,170,000 quota ---------------------------------------------------
P1=pay-$U-1
ext_req POST /api/user/external/topup "$(jq -nc --arg u "$U" --arg p "$P1" \
    '{external_user_id: $u, amount_usd: "12.34", payment_id: $p, payment_method: "wechat"}')"
check_status 200 "topup 12.34: 200"
check_json '.quota' 6170000 "topup 12.34: credits 6,170,000 quota"
check_json '.balance_after' 6170000 "topup 12.34: balance_after"
check_json '.amount_usd' 12.34 "topup 12.34: amount_usd echoed exactly"
check_eq "$REPLAYED" false "topup 12.34: not a replay"

ext_req GET "/api/user/external/$U"
check_status 200 "info: 200"
check_json '.quota' 6170000 "info: shows 6,170,000 quota"
check_json '.quota_usd' 12.34 "info: quota_usd 12.34"
check_json '.username' "Alice B" "info: profile fields"
check_eq "$(mysql_q "SELECT COUNT(*), SUM(amount) FROM ledger WHERE user_id = $UID_ AND
    kind = 'topup'" | tr '\t' ' ')" "1 6170000" "topup 12.34: one ledger credit"
check_eq "$(mysql_q "SELECT COUNT(*) FROM audit_log WHERE action = 'topup.credit' AND
    target_id = '$UID_'")" 1 "topup 12.34: one audit row"

# ---- token, and a chat call through the relay with it -----------------------------------
ext_req POST /api/user/external/token "$(jq -nc --arg u "$U" \
    '{external_user_id: $u, name: "flow key", models: ["gpt-4o-mini"], rpm: 60}')"
check_status 201 "token: 201"
KEY=$(jq -r '.key // empty' <<<"$BODY")
KEY_ID=$(jq -r '.id // empty' <<<"$BODY")
check_jq '.key | startswith("tg_")' "token: secret returned once"
check_jq '.prefix as $p | .key | startswith($p)' "token: prefix is the key's start"
check_eq "$(mysql_q "SELECT COUNT(*) FROM api_keys WHERE user_id = $UID_")" 1 \
    "token: one key row"

req POST /v1/chat/completions \
    '{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hello"}]}' \
    -H "Authorization: Bearer $KEY"
check_status 200 "relay: the token relays a chat call (needs the relay and a seeded channel)"
check_jq '.choices | length > 0' "relay: the answer has choices"
# Usage rows are written in batches and settlements may sit on a balance lease for a
# moment: wait until the call is fully booked before reading stats and balance.
booked() {
    [ "$(mysql_q "SELECT COUNT(*) FROM usage_logs WHERE user_id = $UID_")" = 1 ] &&
        [ "$(mysql_q "SELECT COUNT(*) FROM ledger WHERE user_id = $UID_ AND state = 'reserved'")" = 0 ]
}
wait_for 15 booked || fail "the call is booked within 15 s" "usage row or settlement missing"

ext_req GET "/api/user/external/$U/stats"
check_status 200 "stats: 200"
check_json '.totals.requests' 1 "stats: counts the chat call"
check_json '.by_model[0].model' gpt-4o-mini "stats: by model"
check_jq '.totals.quota > 0' "stats: the call cost quota"
check_jq '.by_day | length == 1' "stats: one day"
check_json '.topups.count' 1 "stats: one top-up in range"
check_json '.topups.amount_usd' 12.34 "stats: top-up total"
check_json '.topups.items[0].payment_id' "$P1" "stats: own payment ids shown"
SPENT=$(jq -r '.totals.quota' <<<"$BODY")
ext_req GET "/api/user/external/$U"
check_json '.request_count' 1 "info: request_count after the call"
check_json ".quota + $SPENT" 6170000 "info: quota = 6,170,000 - charged"

# ---- exact amounts --------------------------------------------------------------------
topup() { # EXT_ID AMOUNT_JSON PAYMENT_ID
    ext_req POST /api/user/external/topup \
        "{\"external_user_id\": \"$1\", \"amount_usd\": $2, \"payment_id\": \"$3\"}"
}
E=$(ext_id exact)
ext_req POST /api/user/external/sync "{\"external_user_id\": \"$E\"}"
topup "$E" '"4294.97"' "pay-$E-big"
check_status 200 "topup 4294.97: 200"
check_json '.quota' 2147485000 "topup 4294.97: 2,147,485,000 quota (past 2^31)"
check_eq "$(user_col "$E" quota)" 2147485000 "topup 4294.97: users.quota exact"
check_eq "$(mysql_q "SELECT amount_micro_usd FROM topups WHERE payment_id = 'pay-$E-big'")" \
    4294970000 "topup 4294.97: stored as 4,294,970,000 micro-USD"
topup "$E" 0.000001 "pay-$E-tiny1"
check_status 200 "topup 0.000001: 200"
check_json '.quota' 0 "topup 0.000001: half a quota unit credits 0 now"
check_eq "$(user_col "$E" topup_carry_micro)" 1 "topup 0.000001: the half is carried"
topup "$E" '"0.000001"' "pay-$E-tiny2"
check_json '.quota' 1 "topup 0.000001 again: the two halves make 1 quota"
check_eq "$(user_col "$E" "CONCAT(quota, ' ', topup_carry_micro)")" "2147485001 0" \
    "topup 0.000001 x2: balance exact, no carry left"
check_eq "$(mysql_q "SELECT SUM(amount_micro_usd) FROM topups WHERE payment_id LIKE
    'pay-$E-tiny%'")" 2 "topup 0.000001 x2: 2 micro-USD recorded"

# ---- refused amounts change nothing --------------------------------------------------------
B_QUOTA=$(user_col "$E" quota)
B_TOPUPS=$(mysql_q "SELECT COUNT(*) FROM topups")
B_LEDGER=$(mysql_q "SELECT COUNT(*) FROM ledger")
n=0
for amt in 0 '"0"' -1 '"-5"' '"1e3"' 1.0000001 '"1.0000001"' '"NaN"' 1e20 '"1e20"' \
    '"100000.01"' 100001 '""' true null '" 5"' '"5.00.0"' '[5]'; do
    n=$((n + 1))
    topup "$E" "$amt" "pay-$E-bad$n"
    check_status 400 "bad amount $amt: 400"
    check_json '.error.param' amount_usd "bad amount $amt: names amount_usd"
done
ext_req POST /api/user/external/topup "{\"external_user_id\": \"$E\", \"payment_id\": \"x$E\"}"
check_status 400 "missing amount: 400"
check_json '.error.param' amount_usd "missing amount: names amount_usd"
ext_req POST /api/user/external/topup \
    "{\"external_user_id\": \"$E\", \"amount_usd\": NaN, \"payment_id\": \"n$E\"}"
check_status 400 "bare NaN (not JSON): 400"
ext_req POST /api/user/external/topup "{\"external_user_id\": \"$E\", \"amount_usd\": \"1\"}"
check_status 400 "missing payment_id: 400"
check_json '.error.param' payment_id "missing payment_id: names payment_id"
ext_req POST /api/user/external/topup \
    "{\"external_user_id\": \"$E\", \"amount_usd\": \"1\", \"payment_id\": \"has space\"}"
check_status 400 "payment_id with a space: 400"
topup "nobody-$E" '"1"' "pay-$E-nobody"
check_status 404 "top-up of an unknown user: 404"
check_eq "$(user_col "$E" quota)" "$B_QUOTA" "refusals: balance unchanged"
check_eq "$(mysql_q "SELECT COUNT(*) FROM topups")" "$B_TOPUPS" "refusals: no top-up rows"
check_eq "$(mysql_q "SELECT COUNT(*) FROM ledger")" "$B_LEDGER" "refusals: no ledger rows"

# ---- the partner secret never reaches a log ------------------------------------------------
# (tollgatectl.log is left out: the stack script keeps `partner create` output there.)
SINKS=("$LOG_DIR"/tollgate.log "$LOG_DIR"/nginx-*.log)
if grep -qF "$PARTNER_SECRET" "${SINKS[@]}" 2>/dev/null; then
    fail "secret: not in tollgate or nginx logs" \
        "found in $(grep -lF "$PARTNER_SECRET" "${SINKS[@]}" | tr '\n' ' ')"
else
    ok "secret: not in tollgate or nginx logs"
fi

finish
