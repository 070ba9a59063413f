# ext_lib.sh: signed calls of the external user API for the t0200-external-* tests. Source
# it after lib.sh. Signing is done by ext_call.js (node 18+, the SDK's signer).
#
#   ext_req METHOD PATH [BODY] [ext_call.js options...]
#                          one signed call: sets STATUS, BODY and REPLAYED (true/false)
#   ext_many METHOD PATH BODY OPTIONS...
#                          several (--parallel N or --serial N): JSON lines to $EXT_OUT
#   ext_other_partner NAME creates a second partner: sets OTHER_KEY_ID, OTHER_SECRET
#   ext_id PREFIX          a fresh external user id
#   user_col EXT_ID COL    a users column of the stack partner's user EXT_ID
# shellcheck shell=bash disable=SC2034

command -v node >/dev/null 2>&1 || {
    echo "ext_lib.sh: node is missing: skipping"
    exit 77
}
if [ -z "$PARTNER_KEY_ID" ] || [ -z "$PARTNER_SECRET" ]; then
    echo "ext_lib.sh: stack.json has no partner (tollgatectl partner create missing?)"
    exit 77
fi

EXT_JS=$REPO/tests/integration/ext_call.js
EXT_OUT=$T_TMP/ext_answers
REPLAYED=false
PARTNER_ID=$(mysql_q "SELECT id FROM partners WHERE key_id = '$PARTNER_KEY_ID'")

ext_req() {
    local method=$1 path=$2 body=${3-} out
    shift 2
    [ $# -eq 0 ] || shift
    if [ -n "$body" ]; then
        out=$(node "$EXT_JS" "$@" "$method" "$path" "$body")
    else
        out=$(node "$EXT_JS" "$@" "$method" "$path")
    fi
    STATUS=$(jq -r '.status' <<<"$out" 2>/dev/null)
    BODY=$(jq -r '.body' <<<"$out" 2>/dev/null)
    REPLAYED=$(jq -r '.replayed' <<<"$out" 2>/dev/null)
    [ -n "$STATUS" ] || STATUS=000
}

ext_many() {
    local method=$1 path=$2 body=$3
    shift 3
    node "$EXT_JS" "$@" "$method" "$path" "$body" >"$EXT_OUT"
}

ext_other_partner() {
    local out
    out=$("$CTL" -c "$CONFIG" --json partner create "$1")
    OTHER_KEY_ID=$(jq -r '.key_id // empty' <<<"$out")
    OTHER_SECRET=$(jq -r '.secret // empty' <<<"$out")
    OTHER_ID=$(jq -r '.id // empty' <<<"$out")
}

ext_id() { echo "$1-$(date +%s%N | tail -c 10)-$RANDOM"; }

user_col() {
    mysql_q "SELECT $2 FROM users WHERE partner_id = $PARTNER_ID AND external_user_id = '$1'"
}
