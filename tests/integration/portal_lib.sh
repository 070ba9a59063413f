# portal_lib.sh: helpers of the portal tests (t01xx-portal-*.sh), sourced after lib.sh.
#
#   uniq_name PREFIX                 a fresh user name (PREFIX + time + random)
#   pow_solve CHALLENGE BITS         prints a nonce solving a registration challenge
#   register NAME EMAIL PASSWORD [EXTRA_JSON]
#                                    challenge + solve + POST register (STATUS/BODY set)
#   mail_token EMAIL PURPOSE         prints the token of the newest verify|reset mail to EMAIL
#   login_as LOGIN PASSWORD          POST login; sets ACCESS and REFRESH (empty on failure)
#   new_user PREFIX                  register, verify, log in: sets U_NAME U_EMAIL U_PASS
#                                    U_ID ACCESS REFRESH (exits the test if it cannot)
#   topup LOGIN USD                  credit a user through tollgatectl (or the admin API)
#   chat KEY [CONTENT] [curl args...] POST /v1/chat/completions with gpt-4o-mini
#   clear_throttle                   forget every login/mail failure counter
#   settled_quota USER_ID            the user's quota once no reservation (or quota lease
#                                    the relay holds) is open, waiting up to 15 s
# shellcheck shell=bash disable=SC2034

MAIL_DIR=$(sed -n 's/^mail_dir *= *//p' "$CONFIG" | tail -n 1)
[ -n "$MAIL_DIR" ] || MAIL_DIR=$(_sj .dir)/mail
PORTAL_PASS='Lantern-Orbit-47!'

uniq_name() { echo "$1$(date +%s%N | tail -c 7)$((RANDOM % 1000))"; }

pow_solve() {
    python3 - "$1" "$2" <<'PY'
import hashlib, sys
ch, bits = sys.argv[1].encode(), int(sys.argv[2])
i = 0
while True:
    h = hashlib.sha256(ch + str(i).encode()).digest()
    v = int.from_bytes(h, "big")
    if bits == 0 or v >> (256 - bits) == 0:
        print(i)
        break
    i += 1
PY
}

# register NAME EMAIL PASSWORD [EXTRA_JSON]: EXTRA_JSON is merged into the body.
register() {
    local ch bits nonce body extra=${4:-}
    [ -n "$extra" ] || extra='{}'
    req GET /api/client/auth/challenge
    ch=$(jq -r '.challenge // empty' <<<"$BODY")
    bits=$(jq -r '.difficulty // 0' <<<"$BODY")
    nonce=$(pow_solve "$ch" "$bits")
    body=$(jq -nc --arg u "$1" --arg e "$2" --arg p "$3" --arg c "$ch" --arg n "$nonce" \
        --argjson x "$extra" \
        '{username: $u, email: $e, password: $p, challenge: $c, nonce: $n} + $x')
    req POST /api/client/auth/register "$body"
}

# mail_token EMAIL PURPOSE: newest mail to EMAIL whose link names the purpose.
mail_token() {
    local f path=verify-email
    [ "$2" = reset ] && path=reset-password
    for f in $(ls -t "$MAIL_DIR"/*.eml 2>/dev/null); do
        if grep -qiF "To: $1" "$f" && grep -qF "/$path?token=" "$f"; then
            sed -n 's/^Token: \([A-Za-z0-9_-]*\).*/\1/p' "$f" | head -n 1
            return 0
        fi
    done
    return 1
}

login_as() {
    req POST /api/client/auth/login "$(json login "$1" password "$2")"
    ACCESS=$(jq -r '.access_token // empty' <<<"$BODY" 2>/dev/null)
    REFRESH=$(jq -r '.refresh_token // empty' <<<"$BODY" 2>/dev/null)
}

new_user() {
    local tok
    U_NAME=$(uniq_name "$1")
    U_EMAIL="$U_NAME@example.com"
    U_PASS=$PORTAL_PASS
    register "$U_NAME" "$U_EMAIL" "$U_PASS"
    if [ "$STATUS" != 201 ]; then
        fail "new_user $U_NAME: register" "status $STATUS: $BODY"
        finish
    fi
    U_ID=$(jq -r .id <<<"$BODY")
    tok=$(wait_for 5 mail_token "$U_EMAIL" verify >/dev/null && mail_token "$U_EMAIL" verify)
    req POST /api/client/auth/verify-email "$(json token "$tok")"
    login_as "$U_NAME" "$U_PASS"
    if [ -z "$ACCESS" ]; then
        fail "new_user $U_NAME: login" "status $STATUS: $BODY"
        finish
    fi
}

topup() {
    if "$CTL" -c "$CONFIG" --json user topup "$1" --usd "$2" >"$T_TMP/topup.out" 2>&1; then
        return 0
    fi
    echo "topup via tollgatectl failed: $(cat "$T_TMP/topup.out")" >&2
    return 1
}

chat() {
    local key=$1 content=${2:-hello} body
    shift
    [ $# -eq 0 ] || shift
    body=$(jq -nc --arg c "$content" \
        '{model: "gpt-4o-mini", messages: [{role: "user", content: $c}]}')
    req POST /v1/chat/completions "$body" -H "Authorization: Bearer $key" "$@"
}

clear_throttle() { mysql_q "DELETE FROM throttle" >/dev/null; }

settled_quota() {
    local uid=$1
    _no_open() {
        [ "$(mysql_q "SELECT COUNT(*) FROM ledger WHERE user_id = $uid AND state = 'reserved'")" = 0 ]
    }
    wait_for 15 _no_open || echo "settled_quota: reservations still open" >&2
    mysql_q "SELECT quota FROM users WHERE id = $uid"
}
