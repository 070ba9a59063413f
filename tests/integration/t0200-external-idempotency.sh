#!/usr/bin/env bash
# t0200-external-idempotency: one payment_id credits once, sent 10 times in a row or 50
# times at once, each answer the same; a conflicting repeat is 409 and changes nothing;
# 50 concurrent syncs of a new id make one user; one idempotency_key makes one key.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/ext_lib.sh
. "$(dirname "$0")/ext_lib.sh"

U=$(ext_id idem)
ext_req POST /api/user/external/sync "{\"external_user_id\": \"$U\"}"
check_status 200 "sync"
UID_=$(jq -r .user_id <<<"$BODY")
V=$(ext_id idem-v)
ext_req POST /api/user/external/sync "{\"external_user_id\": \"$V\"}"

credits() { # PAYMENT_ID: "topup rows, ledger rows, ledger sum"
    mysql_q "SELECT CONCAT_WS(' ', COUNT(DISTINCT t.id), COUNT(l.id), COALESCE(SUM(l.amount), 0))
        FROM topups t LEFT JOIN ledger l ON l.topup_id = t.id AND l.kind = 'topup'
        WHERE t.source = 'partner:$PARTNER_ID' AND t.payment_id = '$1'"
}
# answers_check NAME N: every line of $EXT_OUT is a 200 and all bodies are identical
answers_check() {
    local name=$1 n=$2
    check_eq "$(wc -l <"$EXT_OUT" | tr -d ' ')" "$n" "$name: $n answers"
    check_eq "$(jq -r .status "$EXT_OUT" | sort | uniq -c | awk '{print $1 "x" $2}' |
        tr '\n' ' ')" "${n}x200 " "$name: all 200"
    check_eq "$(jq -r .body "$EXT_OUT" | sort -u | wc -l | tr -d ' ')" 1 \
        "$name: identical answers"
    check_eq "$(jq -r 'select(.replayed == false) | .status' "$EXT_OUT" | wc -l | tr -d ' ')" \
        1 "$name: exactly one answer is the original (others Idempotent-Replayed)"
}

# ---- 10 times in a row ---------------------------------------------------------------------
P=serial-$U
BODY10=$(jq -nc --arg u "$U" --arg p "$P" \
    '{external_user_id: $u, amount_usd: "7.5", payment_id: $p, note: "order 1"}')
ext_many POST /api/user/external/topup "$BODY10" --serial 10
answers_check "10 serial" 10
check_eq "$(jq -r .body "$EXT_OUT" | head -n 1 | jq -r .quota)" 3750000 \
    "10 serial: the answer credits 3,750,000"
check_eq "$(credits "$P")" "1 1 3750000" "10 serial: one top-up row, one ledger credit"
check_eq "$(user_col "$U" quota)" 3750000 "10 serial: balance credited once"

# ---- 50 at once ------------------------------------------------------------------------------
P=burst-$U
BODY50=$(jq -nc --arg u "$U" --arg p "$P" '{external_user_id: $u, amount_usd: 2, payment_id: $p}')
ext_many POST /api/user/external/topup "$BODY50" --parallel 50
answers_check "50 concurrent" 50
check_eq "$(credits "$P")" "1 1 1000000" "50 concurrent: one top-up row, one ledger credit"
check_eq "$(user_col "$U" quota)" 4750000 "50 concurrent: balance credited once"
check_eq "$(jq -r .body "$EXT_OUT" | head -n 1 | jq -r .balance_after)" 4750000 \
    "50 concurrent: balance_after is the balance after this credit"

# ---- conflicting repeats -----------------------------------------------------------------------
BEFORE=$(mysql_q "SELECT CONCAT_WS(' ', (SELECT COUNT(*) FROM topups),
    (SELECT COUNT(*) FROM ledger), (SELECT SUM(quota) FROM users))")
ext_req POST /api/user/external/topup "$(jq -nc --arg u "$U" --arg p "$P" \
    '{external_user_id: $u, amount_usd: "2.01", payment_id: $p}')"
check_status 409 "same payment_id, other amount: 409"
check_json '.error.param' payment_id "409 names payment_id"
ext_req POST /api/user/external/topup "$(jq -nc --arg u "$V" --arg p "$P" \
    '{external_user_id: $u, amount_usd: "2", payment_id: $p}')"
check_status 409 "same payment_id, other user: 409"
ext_req POST /api/user/external/topup "$(jq -nc --arg u "$U" --arg p "$P" \
    '{external_user_id: $u, amount_usd: "2.000000", payment_id: $p, note: "other note"}')"
check_status 200 "same payment_id, same amount written differently: the first answer"
check_eq "$REPLAYED" true "... marked Idempotent-Replayed"
check_eq "$(mysql_q "SELECT CONCAT_WS(' ', (SELECT COUNT(*) FROM topups),
    (SELECT COUNT(*) FROM ledger), (SELECT SUM(quota) FROM users))")" "$BEFORE" \
    "conflicts: nothing changed"

# A payment id is per partner: another partner may use the same one for its own user.
ext_other_partner "idem-other-$U"
ext_req POST /api/user/external/sync "{\"external_user_id\": \"$U\"}" \
    --key-id "$OTHER_KEY_ID" --secret "$OTHER_SECRET"
ext_req POST /api/user/external/topup "$BODY50" --key-id "$OTHER_KEY_ID" \
    --secret "$OTHER_SECRET"
check_status 200 "another partner's same payment_id: its own credit"
check_eq "$REPLAYED" false "another partner's same payment_id: not a replay"

# ---- 50 concurrent syncs of one new id --------------------------------------------------------
W=$(ext_id race)
ext_many POST /api/user/external/sync "$(jq -nc --arg u "$W" \
    '{external_user_id: $u, username: "Racer", email: "racer@example.com"}')" --parallel 50
check_eq "$(jq -r .status "$EXT_OUT" | sort -u | tr '\n' ' ')" "200 " "50 syncs: all 200"
check_eq "$(mysql_q "SELECT COUNT(*) FROM users WHERE external_user_id = '$W'")" 1 \
    "50 syncs: exactly one user"
check_eq "$(jq -r .body "$EXT_OUT" | jq -r .created | grep -c true)" 1 \
    "50 syncs: exactly one answer says created"
check_eq "$(jq -r .body "$EXT_OUT" | jq -r .user_id | sort -u | wc -l | tr -d ' ')" 1 \
    "50 syncs: every answer names the same user"

# ---- one idempotency key, 20 concurrent token calls ------------------------------------------
ext_many POST /api/user/external/token "$(jq -nc --arg u "$U" \
    '{external_user_id: $u, name: "once", idempotency_key: "idem-key-1"}')" --parallel 20
check_eq "$(jq -r .status "$EXT_OUT" | sort | uniq -c | awk '{print $1 "x" $2}' |
    tr '\n' ' ')" "19x200 1x201 " "20 token calls: one 201, the rest 200"
check_eq "$(mysql_q "SELECT COUNT(*) FROM api_keys WHERE user_id = $UID_ AND
    idempotency_key = 'idem-key-1'")" 1 "20 token calls: one key"
check_eq "$(jq -r .body "$EXT_OUT" | jq -r '.key // empty' | grep -c '^tg_')" 1 \
    "20 token calls: the secret is in one answer only"
check_eq "$(jq -r .body "$EXT_OUT" | jq -r '"\(.id) \(.prefix)"' | sort -u | wc -l |
    tr -d ' ')" 1 "20 token calls: replays give the same id and prefix"

finish
