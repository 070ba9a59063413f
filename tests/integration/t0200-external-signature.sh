#!/usr/bin/env bash
# t0200-external-signature: signed partner calls. Wrong secret, body changed after signing,
# timestamps 301 s old or ahead, a reused nonce, bad or missing headers: 401 and nothing
# changed; 299 s either way passes. Another partner's user is 404. Disable and rotate.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/ext_lib.sh
. "$(dirname "$0")/ext_lib.sh"

U=$(ext_id sig)
ext_req POST /api/user/external/sync "{\"external_user_id\": \"$U\", \"username\": \"Sig\"}"
check_status 200 "baseline: a correctly signed sync passes"
UID_=$(jq -r .user_id <<<"$BODY")

# A snapshot of everything a refused call could have touched.
snapshot() {
    mysql_q "SELECT CONCAT_WS('|', (SELECT CONCAT_WS(',', quota, used_quota, status,
        display_name, topup_carry_micro, updated_at) FROM users WHERE id = $UID_),
        (SELECT COUNT(*) FROM users), (SELECT COUNT(*) FROM topups),
        (SELECT COUNT(*) FROM ledger), (SELECT COUNT(*) FROM api_keys))"
}
nonces() { mysql_q "SELECT COUNT(*) FROM nonces WHERE partner_id = $PARTNER_ID"; }

TOPUP=$(jq -nc --arg u "$U" '{external_user_id: $u, amount_usd: "5", payment_id: ("p-" + $u)}')
BEFORE=$(snapshot)
N_BEFORE=$(nonces)

refused() { # NAME [ext_call options...]: a top-up that must be refused with 401
    local name=$1
    shift
    ext_req POST /api/user/external/topup "$TOPUP" "$@"
    check_status 401 "$name: 401"
    check_jq '.error.message | type == "string" and length > 0' "$name: says why"
}
refused "wrong secret" --secret "tgps_wrong$PARTNER_SECRET"
refused "secret of the right length, one character off" \
    --secret "${PARTNER_SECRET%?}$([ "${PARTNER_SECRET: -1}" = A ] && echo B || echo A)"
refused "body changed after signing" --send-body "${TOPUP/\"5\"/\"500\"}"
refused "one byte appended to the body" --send-body "$TOPUP "
refused "timestamp 301 s old" --ts-offset -301
refused "timestamp 301 s ahead" --ts-offset 301
refused "timestamp an hour old" --ts-offset -3600
refused "signed for another path" --sign-path /api/user/external/sync
refused "signed with a query the request lacks" --sign-path "/api/user/external/topup?x=1"
refused "unknown key id" --key-id tgpk_00000000000000000000
refused "uppercase hex signature" --signature "$(printf '%064d' 0 | tr 0 A)"
refused "signature of 63 characters" --signature "$(printf '%063d' 0)"
refused "nonce of 15 characters" --nonce 0123456789abcde
refused "nonce with a character outside [A-Za-z0-9_-]" --nonce abcdefabcdef.abcdef
for h in key-id timestamp nonce signature; do
    refused "missing $h header" --omit "$h"
done
check_eq "$(snapshot)" "$BEFORE" "refusals: no row changed"
check_eq "$(nonces)" "$N_BEFORE" "refusals: no nonce stored"

# ---- the window: 299 s either way passes -------------------------------------------------
ext_req GET "/api/user/external/$U" "" --ts-offset -299
check_status 200 "timestamp 299 s old: 200"
ext_req GET "/api/user/external/$U" "" --ts-offset 299
check_status 200 "timestamp 299 s ahead: 200"
check_eq "$(nonces)" $((N_BEFORE + 2)) "one nonce row per accepted call"

# ---- replay: the same nonce twice -----------------------------------------------------------
NONCE=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
ext_req POST /api/user/external/topup "$TOPUP" --nonce "$NONCE"
check_status 200 "replay: first use of a nonce passes"
AFTER_FIRST=$(snapshot)
ext_req POST /api/user/external/topup "$TOPUP" --nonce "$NONCE"
check_status 401 "replay: the same nonce again is 401"
check_json '.error.message' "nonce already used" "replay: says the nonce was used"
check_eq "$(snapshot)" "$AFTER_FIRST" "replay: nothing changed"
ext_req GET "/api/user/external/$U" "" --nonce "$NONCE"
check_status 401 "replay: a nonce cannot be reused on another route"
check_eq "$(user_col "$U" quota)" 2500000 "replay: credited once (\$5)"

# Nonces are purged after 600 s: an old row goes on a later call (1 in 16 calls purge).
mysql_q "INSERT INTO nonces (partner_id, nonce, created_at) VALUES ($PARTNER_ID,
    'stale-nonce-000000000', UNIX_TIMESTAMP() - 601)"
for _ in $(seq 1 80); do
    ext_req GET "/api/user/external/$U"
    [ "$(mysql_q "SELECT COUNT(*) FROM nonces WHERE nonce = 'stale-nonce-000000000'")" = 0 ] &&
        break
done
check_eq "$(mysql_q "SELECT COUNT(*) FROM nonces WHERE nonce = 'stale-nonce-000000000'")" 0 \
    "nonce purge: a row older than 600 s is removed"
check_eq "$(mysql_q "SELECT COUNT(*) FROM nonces WHERE created_at < UNIX_TIMESTAMP() - 610")" \
    0 "nonce purge: no nonce kept past 600 s (+10 s slack)"

# ---- another partner cannot see or touch this partner's users ------------------------------
ext_other_partner "other-$U"
if [ -z "$OTHER_KEY_ID" ]; then
    fail "second partner" "tollgatectl partner create failed"
    finish
fi
ok "second partner created"
as_other() { ext_req "$1" "$2" "${3-}" --key-id "$OTHER_KEY_ID" --secret "$OTHER_SECRET"; }
ext_req POST /api/user/external/token "{\"external_user_id\": \"$U\", \"name\": \"a's key\"}"
A_KEY=$(jq -r .id <<<"$BODY")
BEFORE=$(snapshot)
A_ROWS=$(mysql_q "SELECT CONCAT_WS(',', k.status, k.name, u.quota) FROM api_keys k
    JOIN users u ON u.id = k.user_id WHERE k.id = $A_KEY")
as_other GET "/api/user/external/$U"
check_status 404 "other partner: info of A's user is 404"
as_other GET "/api/user/external/$U/stats"
check_status 404 "other partner: stats of A's user is 404"
as_other GET "/api/user/external/$U/tokens"
check_status 404 "other partner: key list of A's user is 404"
as_other DELETE "/api/user/external/$U/tokens/$A_KEY"
check_status 404 "other partner: revoking A's user's key is 404"
as_other POST /api/user/external/topup "$(jq -nc --arg u "$U" \
    '{external_user_id: $u, amount_usd: "1", payment_id: "steal-1"}')"
check_status 404 "other partner: top-up of A's user is 404"
as_other POST /api/user/external/token "{\"external_user_id\": \"$U\", \"name\": \"x\"}"
check_status 404 "other partner: key for A's user is 404"
as_other GET "/api/user/external/nobody-at-all-$U"
check_status 404 "other partner: unknown and foreign users look the same (404)"
check_eq "$(snapshot)" "$BEFORE" "other partner: A's user unchanged"
check_eq "$(mysql_q "SELECT CONCAT_WS(',', k.status, k.name, u.quota) FROM api_keys k
    JOIN users u ON u.id = k.user_id WHERE k.id = $A_KEY")" "$A_ROWS" \
    "other partner: A's key unchanged"
as_other POST /api/user/external/sync "{\"external_user_id\": \"$U\"}"
check_status 200 "other partner: the same external id is its own user"
check_json '.created' true "other partner: a new user was created"
check_jq ".user_id != $UID_" "other partner: a different user id"

# ---- disable, enable and rotate (the other partner now has its own user $U) ---------------
"$CTL" -c "$CONFIG" --json partner disable "$OTHER_KEY_ID" >/dev/null
as_other GET "/api/user/external/$U"
check_status 401 "disabled partner: 401"
"$CTL" -c "$CONFIG" --json partner enable "other-$U" >/dev/null
as_other GET "/api/user/external/$U"
check_status 200 "enabled again: accepted"

OLD=$OTHER_SECRET
NEW1=$("$CTL" -c "$CONFIG" --json partner rotate "$OTHER_KEY_ID" | jq -r '.secret // empty')
case $NEW1 in tgps_*) ok "rotate: printed a new secret" ;; *) fail "rotate: new secret" "'$NEW1'" ;; esac
ext_req GET "/api/user/external/$U" "" --key-id "$OTHER_KEY_ID" --secret "$NEW1"
check_status 200 "rotate: the new secret works"
ext_req GET "/api/user/external/$U" "" --key-id "$OTHER_KEY_ID" --secret "$OLD"
check_status 200 "rotate: the previous secret still works"
NEW2=$("$CTL" -c "$CONFIG" --json partner rotate "$OTHER_KEY_ID" | jq -r '.secret // empty')
ext_req GET "/api/user/external/$U" "" --key-id "$OTHER_KEY_ID" --secret "$OLD"
check_status 401 "rotate twice: the oldest secret stops working"
ext_req GET "/api/user/external/$U" "" --key-id "$OTHER_KEY_ID" --secret "$NEW1"
check_status 200 "rotate twice: the one before stays valid"
ext_req GET "/api/user/external/$U" "" --key-id "$OTHER_KEY_ID" --secret "$NEW2"
check_status 200 "rotate twice: the newest works"
check_eq "$(mysql_q "SELECT COUNT(*) FROM partners WHERE key_id = '$OTHER_KEY_ID' AND
    secret_enc LIKE 'v1:%' AND secret_prev_enc LIKE 'v1:%'")" 1 \
    "partner secrets are stored sealed (v1:...)"
if mysql_q "SELECT secret_enc, secret_prev_enc FROM partners" | grep -qF -e "$NEW1" -e "$NEW2"
then
    fail "partner secrets never stored in the clear" "plaintext found"
else
    ok "partner secrets never stored in the clear"
fi

finish
