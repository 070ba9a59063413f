# lib.sh: shared helpers of the integration tests; a test sources it, makes its checks and
# ends with `finish`. The stack is the one in $STACK_DIR (tests/integration/run.sh starts it).
#
#   req METHOD PATH [BODY] [curl args...]   HTTP through nginx: sets STATUS, BODY, HEADERS
#                                           (a file); BODY "@FILE" sends FILE's bytes
#   header NAME                             a header of the last response
#   ok NAME / fail NAME WHY                 count a check
#   check_eq ACTUAL EXPECTED NAME           string equality
#   check_status EXPECTED NAME              $STATUS, with the body in the failure message
#   check_json EXPR EXPECTED NAME           jq -r EXPR on $BODY equals EXPECTED
#   check_jq EXPR NAME                      jq -e EXPR on $BODY is true
#   admin_token                             prints an access token of the stack's admin
#   mysql_q SQL                             runs SQL as the stack's database user (-N -B)
#   stack_pid NAME                          current pid of mariadb, tollgate, nginx or mock
#   children_of PID                         pids whose parent is PID
#   wait_for SECONDS CMD...                 retry CMD every 0.1 s; 1 if it never succeeds
#   at_exit CMD                             run CMD (eval) when the test exits
#   finish                                  prints "RESULT passed=N failed=M" and exits
# shellcheck shell=bash disable=SC2034

: "${STACK_DIR:?STACK_DIR must name a running stack (tests/integration/run.sh sets it)}"
for _t in jq curl; do
    command -v "$_t" >/dev/null 2>&1 || {
        echo "lib.sh: $_t is missing (scripts/deps.sh --test installs it)" >&2
        exit 1
    }
done

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
STACK=$REPO/scripts/stack
STACK_JSON=$STACK_DIR/stack.json
[ -r "$STACK_JSON" ] || {
    echo "lib.sh: no $STACK_JSON" >&2
    exit 1
}

_sj() { jq -r "$1 // empty" "$STACK_JSON"; }
BASE_URL=$(_sj .base_url)
CONFIG=$(_sj .config)
ADMIN_USER=$(_sj .admin.username)
ADMIN_PASS=$(_sj .admin.password)
DB_HOST=$(_sj .mysql.host)
DB_PORT=$(_sj .mysql.port)
DB_USER=$(_sj .mysql.user)
DB_PASS=$(_sj .mysql.password)
DB_NAME=$(_sj .mysql.database)
DB_SOCKET=$(_sj .mysql.socket)
MOCK_URL=$(_sj .mock_url)
MOCK_KEY=$(_sj .mock_key)
PARTNER_KEY_ID=$(_sj .partner.key_id)
PARTNER_SECRET=$(_sj .partner.secret)
TOLLGATE_BIN=$(_sj .bin)
CTL=$TOLLGATE_BIN/tollgatectl
LOG_DIR=$STACK_DIR/logs

T_PASSED=0
T_FAILED=0
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/tollgate-t.XXXXXX")
HEADERS=$T_TMP/headers
STATUS=''
BODY=''
_T_EXIT=()

at_exit() { _T_EXIT+=("$*"); }

_t_on_exit() {
    local i jobs_left
    trap '' INT TERM
    for ((i = ${#_T_EXIT[@]} - 1; i >= 0; i--)); do
        eval "${_T_EXIT[$i]}" || true
    done
    # Background helpers of the test (load generators) must not outlive it.
    jobs_left=$(jobs -p)
    if [ -n "$jobs_left" ]; then
        # shellcheck disable=SC2086
        kill $jobs_left 2>/dev/null
        wait 2>/dev/null
    fi
    rm -rf "$T_TMP"
}
trap _t_on_exit EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# req METHOD PATH [BODY] [curl args...]: PATH is relative to the stack's base URL (or a
# full URL). Never fails: a transport error leaves STATUS=000.
req() {
    local method=$1 path=$2 body=${3-} url args
    shift 2
    [ $# -eq 0 ] || shift
    case $path in http://* | https://*) url=$path ;; *) url=$BASE_URL$path ;; esac
    args=(-sS -o "$T_TMP/body" -D "$HEADERS" -w '%{http_code}' --max-time "${REQ_TIMEOUT:-30}")
    if [ "$method" = HEAD ]; then args+=(--head); else args+=(-X "$method"); fi
    if [ -n "$body" ]; then
        args+=(-H 'Content-Type: application/json' --data-binary "$body")
    fi
    : >"$T_TMP/body"
    : >"$HEADERS"
    STATUS=$(curl "${args[@]}" "$@" "$url" 2>"$T_TMP/curl.err") || true
    [ -n "$STATUS" ] || STATUS=000
    BODY=$(cat "$T_TMP/body")
}

# header NAME: value of header NAME in the last response (case-insensitive, no CR).
header() {
    awk -v n="$(tr '[:upper:]' '[:lower:]' <<<"$1")" -F': *' '
        { k = tolower($1); sub(/\r$/, "") }
        k == n { v = substr($0, index($0, ":") + 1); sub(/^ */, "", v); print v; exit }
    ' "$HEADERS"
}

ok() { # MESSAGE... (joined with spaces)
    T_PASSED=$((T_PASSED + 1))
    echo "ok   - $*"
}

fail() {
    T_FAILED=$((T_FAILED + 1))
    echo "FAIL - $1: ${2:-}"
}

_snippet() { printf '%s' "$1" | head -c 300 | tr '\n' ' '; }

check_eq() {
    if [ "$1" = "$2" ]; then ok "$3"; else fail "$3" "got '$(_snippet "$1")', expected '$2'"; fi
}

check_status() {
    if [ "$STATUS" = "$1" ]; then
        ok "$2"
    else
        fail "$2" "status $STATUS, expected $1; body: $(_snippet "$BODY")"
    fi
}

check_json() {
    local got
    if ! got=$(jq -r "$1" <<<"$BODY" 2>/dev/null); then
        fail "$3" "body is not JSON (or $1 fails): $(_snippet "$BODY")"
        return
    fi
    check_eq "$got" "$2" "$3"
}

check_jq() {
    if jq -e "$1" <<<"$BODY" >/dev/null 2>&1; then
        ok "$2"
    else
        fail "$2" "jq '$1' not true on: $(_snippet "$BODY")"
    fi
}

# json KEY VALUE...: a JSON object of string fields, e.g. json login admin password x.
json() {
    local args=() expr='{' sep=''
    while [ $# -ge 2 ]; do
        args+=(--arg "$1" "$2")
        expr+="$sep\"$1\": \$$1"
        sep=', '
        shift 2
    done
    jq -nc "${args[@]}" "$expr}"
}

# admin_token: log in as the stack's admin and print the access token (1 on failure).
admin_token() {
    req POST /api/client/auth/login "$(json login "$ADMIN_USER" password "$ADMIN_PASS")"
    if [ "$STATUS" != 200 ]; then
        echo "admin_token: login answered $STATUS: $(_snippet "$BODY")" >&2
        return 1
    fi
    jq -r '.access_token // empty' <<<"$BODY"
}

mysql_q() {
    MYSQL_PWD=$DB_PASS mariadb --no-defaults --protocol=TCP -h "$DB_HOST" -P "$DB_PORT" \
        -u "$DB_USER" -N -B "$DB_NAME" -e "$1"
}

# stack_pid NAME: read fresh each time (a restarted MariaDB gets a new pid).
stack_pid() { jq -r ".pids.$1 // empty" "$STACK_JSON"; }

children_of() {
    local f line ppid
    for f in /proc/[0-9]*/stat; do
        { read -r line <"$f"; } 2>/dev/null || continue
        line=${line##*) }
        read -r _ ppid _ <<<"$line"
        if [ "$ppid" = "$1" ]; then
            f=${f#/proc/}
            echo "${f%/stat}"
        fi
    done
}

# pid_alive PID: exists and is not a zombie.
pid_alive() {
    local st
    { read -r st <"/proc/$1/stat"; } 2>/dev/null || return 1
    st=${st##*) }
    [ "${st%% *}" != Z ]
}

wait_for() {
    local deadline
    deadline=$(($(date +%s%N) + $1 * 1000000000))
    shift
    until "$@"; do
        [ "$(date +%s%N)" -lt "$deadline" ] || return 1
        sleep 0.1
    done
}

# now_ms: milliseconds since the epoch.
now_ms() { echo $(($(date +%s%N) / 1000000)); }

finish() {
    if [ $((T_PASSED + T_FAILED)) -eq 0 ]; then
        fail "test" "made no checks"
    fi
    echo "RESULT passed=$T_PASSED failed=$T_FAILED"
    [ "$T_FAILED" -eq 0 ] && exit 0
    exit 1
}
