# relay_lib.sh: helpers of the relay tests (t0010-relay-*), sourced after lib.sh. Each test
# makes its own user, key, prices and channels, named with RL_TAG, so tests never share
# balances, channels or circuit breakers.
#
#   rl_ctl ARGS...                        tollgatectl --json on the stack (stdout: its JSON)
#   rl_user NAME USD                      create a user with a balance; sets RL_UID
#   rl_key NAME [key create options]      prints a new key of user NAME
#   rl_price MODEL IN OUT [CR [CW]]       price in micro-USD per million tokens
#   rl_channel NAME TYPE KEY MODELS [PRIO]  a channel to the mock (prints its id)
#   rl_cache_wait                         let every worker's channel cache see new rows
#   rl_cost TOKENS PRICE [TOKENS PRICE...] expected charge: ceil(sum x ppm / 2e12), ppm 1e6
#   rl_rid                                X-Request-Id of the last response
#   rl_row RID                            usage_logs row (polled up to 3 s) into ROW_* vars
#   rl_ledger RID                         "charge state" of the request's ledger row, once
#                                         settled (polled up to 3 s), or ""
#   rl_reserved RID                       the reservation of the request
#   rl_quota                              users.quota of RL_UID
#   rl_quiet NAME                         checks: no open reservation (polled up to 8 s),
#                                         ledger sum = balance
#   sreq PATH BODY [curl args...]         streamed POST: STATUS, SSE_FILE (lines prefixed
#                                         with the arrival time in microseconds), SSE_DATA
#                                         (the data: payloads, one a line)
#   mock_stat FIELD                       a counter of the mock's /_mock/stats
#   rl_wrk CONNS SECS MODEL KEY           wrk POSTing small chat calls on MODEL with KEY:
#                                         sets WRK_OUT (its report), WRK_N (responses),
#                                         WRK_BAD (non-2xx answers + socket errors)
# shellcheck shell=bash disable=SC2034

RL_TAG=$(printf '%05d' $((RANDOM % 100000)))
MOCK_FAULT_KEYS_JSON=$(jq -c '.mock_fault_keys // {}' "$STACK_JSON")

rl_ctl() { "$CTL" -c "$CONFIG" --json "$@" 2>>"$T_TMP/ctl.err"; }

rl_user() {
    local out
    out=$(rl_ctl user create "$1" --email "$1@example.com" --password "pw-$1-secret") || {
        fail "create user $1" "$(tail -n 3 "$T_TMP/ctl.err")"
        return 1
    }
    RL_UID=$(jq -r .id <<<"$out")
    if [ "$2" != 0 ]; then
        rl_ctl user topup "$1" --usd "$2" >/dev/null ||
            fail "top up $1" "$(tail -n 3 "$T_TMP/ctl.err")"
    fi
}

rl_key() {
    local user=$1
    shift
    rl_ctl key create --user "$user" "$@" | jq -r '.key // empty'
}

_rl_usd() { printf '%d.%06d' $(($1 / 1000000)) $(($1 % 1000000)); }

rl_price() {
    local args=(price set "$1" --input "$(_rl_usd "$2")" --output "$(_rl_usd "$3")")
    [ -z "${4:-}" ] || args+=(--cache-read "$(_rl_usd "$4")")
    [ -z "${5:-}" ] || args+=(--cache-write "$(_rl_usd "$5")")
    rl_ctl "${args[@]}" >/dev/null || fail "price set $1" "$(tail -n 3 "$T_TMP/ctl.err")"
}

rl_channel() {
    rl_ctl channel add "$1" --type "$2" --base-url "$MOCK_URL" --key "$3" --models "$4" \
        --priority "${5:-0}" | jq -r '.id // empty'
}

# Channel and price snapshots are cached per process for 2 s and reloaded by each
# worker's background writer (every <= 200 ms) once older.
rl_cache_wait() { sleep 2.6; }

rl_cost() {
    local s=0
    while [ $# -ge 2 ]; do
        s=$((s + $1 * $2))
        shift 2
    done
    echo $(((s + 1999999) / 2000000))
}

rl_rid() { header x-request-id; }

rl_row() {
    local i line
    ROW_IN='' ROW_OUT='' ROW_CR='' ROW_CW='' ROW_QUOTA='' ROW_EST='' ROW_STREAM=''
    ROW_STATUS='' ROW_CLASS='' ROW_EP='' ROW_CHAN=''
    for i in $(seq 30); do
        line=$(mysql_q "SELECT input_tokens, output_tokens, cache_read_tokens,
            cache_write_tokens, quota, estimated, is_stream, status,
            COALESCE(error_class, '-'), endpoint, COALESCE(channel_id, 0)
            FROM usage_logs WHERE request_id = '$1'")
        if [ -n "$line" ]; then
            IFS=$'\t' read -r ROW_IN ROW_OUT ROW_CR ROW_CW ROW_QUOTA ROW_EST ROW_STREAM \
                ROW_STATUS ROW_CLASS ROW_EP ROW_CHAN <<<"$line"
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# A call admitted on a balance lease is settled in memory and its own ledger row written
# by the usage writer within a flush interval: the ledger helpers poll for it.
rl_ledger() {
    local i line
    for i in $(seq 30); do
        line=$(mysql_q "SELECT -amount, state FROM ledger WHERE request_id = '$1'
            AND state <> 'reserved'" | tr '\t' ' ')
        if [ -n "$line" ]; then
            echo "$line"
            return 0
        fi
        sleep 0.1
    done
    mysql_q "SELECT -amount, state FROM ledger WHERE request_id = '$1'" | tr '\t' ' '
}

rl_reserved() {
    rl_ledger "$1" >/dev/null
    mysql_q "SELECT reserved FROM ledger WHERE request_id = '$1'"
}

rl_quota() { mysql_q "SELECT quota FROM users WHERE id = $RL_UID"; }

# rl_quiet NAME: once traffic stops, every reservation of RL_UID's (per call, or a balance
# lease, which goes back after 2 s idle) is settled or released within 8 s; then the
# balance is the sum of the user's ledger (the "nothing lost" invariant).
rl_quiet() {
    local i open=''
    for i in $(seq 80); do
        open=$(mysql_q "SELECT COUNT(*) FROM ledger WHERE user_id = $RL_UID
            AND state = 'reserved'")
        [ "$open" = 0 ] && break
        sleep 0.1
    done
    check_eq "$open" 0 "$1: no open reservation once traffic stopped"
    check_eq "$(mysql_q "SELECT COALESCE(SUM(amount), 0) FROM ledger
        WHERE user_id = $RL_UID")" "$(rl_quota)" "$1: ledger sum = balance"
}

sreq() {
    local path=$1 body=$2 line
    shift 2
    SSE_FILE=$T_TMP/sse.$RANDOM
    : >"$HEADERS"
    curl -sSN -D "$HEADERS" --max-time "${REQ_TIMEOUT:-30}" -H 'Content-Type: application/json' \
        --data-binary "$body" "$@" "$BASE_URL$path" 2>"$T_TMP/curl.err" |
        while IFS= read -r line; do
            printf '%s %s\n' "${EPOCHREALTIME/./}" "$line"
        done >"$SSE_FILE"
    STATUS=$(awk 'NR == 1 { print $2 }' "$HEADERS")
    [ -n "$STATUS" ] || STATUS=000
    SSE_DATA=$(sed -n 's/^[0-9]* data: //p' "$SSE_FILE")
}

# sse_events: the event names of the last stream, one a line.
sse_events() { sed -n 's/^[0-9]* event: //p' "$SSE_FILE"; }

mock_stat() { curl -s --max-time 5 "$MOCK_URL/_mock/stats" | jq -r ".$1"; }

# check_row NAME IN OUT CR CW QUOTA: the usage row of the last response has these counts
# and quota, and its ledger row is settled for the same amount.
check_row() {
    local name=$1 rid
    rid=$(rl_rid)
    if [ -z "$rid" ] || ! rl_row "$rid"; then
        fail "$name: usage row" "none for request '$rid'"
        return
    fi
    check_eq "$ROW_IN/$ROW_OUT/$ROW_CR/$ROW_CW" "$2/$3/$4/$5" \
        "$name: logged tokens in/out/cache_read/cache_write"
    check_eq "$ROW_QUOTA" "$6" "$name: logged quota = price table ($6)"
    check_eq "$(rl_ledger "$rid")" "$6 settled" "$name: ledger charge $6, settled"
}

# rl_workers: the pids of the running workers.
rl_workers() { children_of "$(stack_pid tollgate)" | sort -n; }

# rl_reload_with FILE: install FILE as the config, SIGHUP, wait for a fresh generation.
rl_reload_with() {
    local old
    old=$(rl_workers)
    cp "$1" "$CONFIG"
    kill -HUP "$(stack_pid tollgate)"
    # shellcheck disable=SC2317  # runs through wait_for
    _rl_fresh() {
        local now w
        now=$(rl_workers)
        [ -n "$now" ] || return 1
        for w in $old; do grep -qx "$w" <<<"$now" && return 1; done
        [ "$(wc -w <<<"$now")" -ge "$(wc -w <<<"$old")" ]
    }
    wait_for 15 _rl_fresh
}

# rl_reload_set NAME VALUE: reload with one setting changed; the settings the test found
# come back when it exits (later tests need them).
rl_reload_set() {
    [ -f "$T_TMP/conf.orig" ] || {
        cp "$CONFIG" "$T_TMP/conf.orig"
        # shellcheck disable=SC2016
        at_exit 'cmp -s "$T_TMP/conf.orig" "$CONFIG" || rl_reload_with "$T_TMP/conf.orig"'
    }
    {
        grep -v "^$1 *=" "$T_TMP/conf.orig"
        echo "$1 = $2"
    } >"$T_TMP/conf.set"
    rl_reload_with "$T_TMP/conf.set"
}

# rl_busy_key NAME: a user NAME$RL_TAG with 200 USD (ample: its calls go on a balance
# lease), its key in KEY, and a priced model M (NAME-$RL_TAG) served by the mock.
rl_busy_key() {
    M=$1-$RL_TAG
    rl_price "$M" 1000000 2000000
    rl_user "$1$RL_TAG" 200
    KEY=$(rl_key "$1$RL_TAG")
    rl_channel "$M" openai-compatible "$MOCK_KEY" "$M" >/dev/null
    rl_cache_wait
}

# rl_calls_add_up GOOD SLACK LABEL: within 20 s, every call of user RL_UID answered 200
# (GOOD of them) is charged once and logged once, with at most SLACK more charges (calls
# in flight when the load stopped or a process was killed, answered without the client
# seeing it). Reads both counts until they agree (rows land in batches).
rl_calls_add_up() {
    local good=$1 slack=$2 charged='' logged=''
    # shellcheck disable=SC2317  # runs through wait_for
    _rl_counts() {
        charged=$(mysql_q "SELECT COUNT(*) FROM ledger WHERE user_id = $RL_UID
            AND kind = 'charge' AND state = 'settled' AND amount < 0
            AND request_id NOT LIKE 'lease-%'")
        logged=$(mysql_q "SELECT COUNT(*) FROM usage_logs WHERE user_id = $RL_UID
            AND status = 200")
        [ "$charged" -ge "$good" ] && [ "$logged" -eq "$charged" ]
    }
    if wait_for 20 _rl_counts && [ "$charged" -le $((good + slack)) ]; then
        ok "$3: every call answered 200 is charged and logged ($charged charges," \
            "$logged usage rows for $good answers)"
    else
        fail "$3: every call answered 200 is charged and logged" \
            "$charged charges, $logged usage rows for $good answers"
    fi
}

# rl_wrk_during SECONDS AFTER CMD...: rl_wrk with RL_CONNS (16) connections for SECONDS on
# model M and KEY, running CMD in the background AFTER seconds in (a fault under load).
rl_wrk_during() {
    local secs=$1 after=$2 bg
    shift 2
    (
        sleep "$after"
        "$@"
    ) &
    bg=$!
    at_exit "kill $bg 2>/dev/null"
    rl_wrk "${RL_CONNS:-16}" "$secs" "$M" "$KEY"
    wait "$bg"
}

rl_wrk() {
    cat >"$T_TMP/post.lua" <<EOF
wrk.method = "POST"
wrk.body = '{"model":"$3","messages":[{"role":"user","content":"hi [mock chunks=2]"}]}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $4"
EOF
    WRK_OUT=$(timeout 60 wrk -c "$1" -t 2 -d "${2}s" --timeout 10s -s "$T_TMP/post.lua" \
        "$BASE_URL/v1/chat/completions" 2>&1)
    WRK_N=$(awk '/requests in/ { print $1 }' <<<"$WRK_OUT")
    WRK_N=${WRK_N:-0}
    WRK_BAD=$(awk '/Non-2xx/ { n += $NF }
        /Socket errors/ { gsub(/,/, ""); n += $4 + $6 + $8 + $10 } END { print n + 0 }' \
        <<<"$WRK_OUT")
}
