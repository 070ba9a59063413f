#!/usr/bin/env bash
# t0010-relay-concurrency: 200 concurrent streaming calls on one key whose balance covers
# 10 worst-case reservations (half chat, half messages). Each call costs exactly its
# reservation (input tokens = body bytes, output = max_tokens), so no refund can make
# room: exactly 10 are served, the other 190 get a quick quota error in their dialect,
# the balance never dips below zero while they run, and afterwards the ledger explains
# the balance to the unit with no reservation left open. Then 100 calls that cost less
# than their reservation (refunds race with admissions), and 40 calls on a balance that
# covers exactly 40 and is large enough for a balance lease (no false refusals).
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/relay_lib.sh
. "$(dirname "$0")/relay_lib.sh"

N=200
LEN=400 # bytes of every request body
MAXTOK=10
U=t10c$RL_TAG
M=t10c-$RL_TAG
# input 1 USD/M, output 2 USD/M; a tiny 1 h cache-write price keeps input the dearest
# input-side rate (its default is twice the input price).
rl_ctl price set "$M" --input 1 --output 2 --cache-write-1h 0.000001 >/dev/null ||
    fail "price set" "$(tail -n 3 "$T_TMP/ctl.err")"
R=$(rl_cost $LEN 1000000 $MAXTOK 2000000) # the reservation, and the charge, of one call
BAL=$((10 * R + R / 2))
rl_user "$U" "$(printf '0.%06d' $((BAL * 2)))"
check_eq "$(rl_quota)" "$BAL" "balance covers 10 reservations of $R (and half of one)"
KEY=$(rl_key "$U")
KID=$(mysql_q "SELECT id FROM api_keys WHERE user_id = $RL_UID")
rl_channel "$M" openai-compatible "$MOCK_KEY" "$M" >/dev/null
rl_channel "$M-an" anthropic "$MOCK_KEY" "$M" >/dev/null
rl_cache_wait

# body KIND INPUT: a body of exactly LEN bytes telling the mock to report INPUT tokens.
body() {
    local t m
    m="[mock chunks=$MAXTOK delay=200 input=$(printf '%05d' "$2")] PAD"
    t="{\"model\":\"$M\",\"stream\":true,\"max_tokens\":$MAXTOK,"
    [ "$1" = chat ] && t+="\"stream_options\":{\"include_usage\":true},"
    t+="\"messages\":[{\"role\":\"user\",\"content\":\"$m\"}]}"
    printf '%s' "${t/PAD/$(printf '%*s' $((LEN - ${#t} + 3)) '' | tr ' ' q)}"
}

# Poll the balance while calls run: one client reading a statement every 30 ms.
poll_start() {
    POLL=$T_TMP/poll.$1
    touch "$T_TMP/polling"
    (
        while [ -e "$T_TMP/polling" ]; do
            echo "SELECT quota FROM users WHERE id = $RL_UID;"
            sleep 0.03
        done | MYSQL_PWD=$DB_PASS mariadb --no-defaults --protocol=TCP -h "$DB_HOST" \
            -P "$DB_PORT" -u "$DB_USER" -N -B "$DB_NAME" >"$POLL"
    ) &
    POLLER=$!
}
poll_stop() {
    rm -f "$T_TMP/polling"
    wait "$POLLER"
}

# batch NAME COUNT INPUT: COUNT concurrent streams, alternately chat and messages; counts
# the outcomes into SERVED, QUOTA_ERR, OTHER, NO_RA, BAD_SHAPE, SLOW, INCOMPLETE.
batch() {
    local name=$1 n=$2 chat msg i code secs pids=()
    chat=$(body chat "$3")
    msg=$(body msg "$3")
    check_eq "${#chat}/${#msg}" "$LEN/$LEN" "$name: request bodies of $LEN bytes"
    OUT=$T_TMP/$name
    mkdir -p "$OUT"
    poll_start "$name"
    for i in $(seq "$n"); do
        if [ $((i % 2)) = 0 ]; then
            set -- -H "Authorization: Bearer $KEY" --data-binary "$chat" \
                "$BASE_URL/v1/chat/completions"
        else
            set -- -H "x-api-key: $KEY" --data-binary "$msg" "$BASE_URL/v1/messages"
        fi
        curl -sN -o "$OUT/b.$i" -D "$OUT/h.$i" -w '%{http_code} %{time_total}\n' \
            --max-time 60 -H 'Content-Type: application/json' "$@" >"$OUT/s.$i" 2>&1 &
        pids+=($!)
    done
    wait "${pids[@]}"
    poll_stop
    SERVED=0 QUOTA_ERR=0 OTHER=0 NO_RA=0 BAD_SHAPE=0 SLOW=0 INCOMPLETE=0 OTHERS=
    for i in $(seq "$n"); do
        read -r code secs <"$OUT/s.$i"
        case $code in
        200)
            SERVED=$((SERVED + 1))
            grep -q '^data: \[DONE\]\|^event: message_stop' "$OUT/b.$i" ||
                INCOMPLETE=$((INCOMPLETE + 1))
            ;;
        429 | 402)
            QUOTA_ERR=$((QUOTA_ERR + 1))
            if [ $((i % 2)) = 0 ]; then
                [ "$code" = 429 ] && jq -e '.error.code == "insufficient_quota"' \
                    "$OUT/b.$i" >/dev/null || BAD_SHAPE=$((BAD_SHAPE + 1))
                grep -qi '^retry-after: [0-9]' "$OUT/h.$i" || NO_RA=$((NO_RA + 1))
            else
                [ "$code" = 402 ] && jq -e '.type == "error" and
                    .error.type == "billing_error"' "$OUT/b.$i" >/dev/null ||
                    BAD_SHAPE=$((BAD_SHAPE + 1))
            fi
            awk -v s="$secs" 'BEGIN { exit !(s > 10) }' && SLOW=$((SLOW + 1))
            ;;
        *)
            OTHER=$((OTHER + 1))
            OTHERS+="$code:$(head -c 200 "$OUT/b.$i" | tr '\n' ' ') "
            ;;
        esac
    done
    check_eq "$INCOMPLETE" 0 "$name: every served call streamed to its end"
    check_eq "$QUOTA_ERR" $((n - SERVED)) "$name: the rest got a quota error"
    if [ "$OTHER" = 0 ]; then ok "$name: no other status"; else
        fail "$name: no other status" "$OTHER other answer(s): $OTHERS"
    fi
    check_eq "$BAD_SHAPE" 0 "$name: quota errors in the caller's dialect (429 / 402)"
    check_eq "$NO_RA" 0 "$name: every 429 carries Retry-After"
    check_eq "$SLOW" 0 "$name: quota errors came quickly (none over 10 s)"
}

# min_balance NAME FLOOR: the lowest polled balance is at least FLOOR.
min_balance() {
    local min
    min=$(sort -n "$POLL" | head -n 1)
    if [ -n "$min" ] && [ "$min" -ge "$2" ]; then
        ok "$1: balance never below $2 ($(wc -l <"$POLL") polls, lowest $min)"
    else
        fail "$1: balance never below $2" "lowest '$min' of $(wc -l <"$POLL") polls"
    fi
}

# ---- phase 1: every call costs its reservation
batch exact $N $LEN
[ "$SERVED" -le 10 ] && ok "exact: at most 10 served ($SERVED)" ||
    fail "exact: at most 10 served" "$SERVED"
check_eq "$SERVED" 10 "exact: all 10 affordable calls served (no false refusal)"
min_balance exact 0
SERVED1=$SERVED

# ledger_explains NAME: no open reservation, and the balance is the sum of the ledger.
ledger_explains() {
    local credits charges
    rl_quiet "$1"
    credits=$(mysql_q "SELECT COALESCE(SUM(amount), 0) FROM ledger WHERE user_id = $RL_UID
        AND amount > 0")
    charges=$(mysql_q "SELECT COALESCE(SUM(-amount), 0) FROM ledger WHERE user_id = $RL_UID
        AND kind = 'charge'")
    check_eq "$(rl_quota)" $((0 + credits - charges)) \
        "$1: quota_now = initial 0 + credits $credits - charges $charges"
    check_eq "$(mysql_q "SELECT quota_used FROM api_keys WHERE id = $KID")" "$charges" \
        "$1: the key's quota_used = its charges"
}

# each_200_charged DIR AMOUNT: every 200 of the batch has one settled charge of AMOUNT.
each_200_charged() {
    local i code rid missing=0
    for i in "$1"/s.*; do
        read -r code _ <"$i"
        [ "$code" = 200 ] || continue
        rid=$(awk -F': *' 'tolower($1) == "x-request-id" { sub(/\r$/, "", $2); print $2 }' \
            "$1/h.${i##*.}")
        [ "$(rl_ledger "$rid")" = "$2 settled" ] || missing=$((missing + 1))
    done
    check_eq "$missing" 0 "every 200 has exactly one settled charge of $2"
}

each_200_charged "$T_TMP/exact" "$R"
ledger_explains exact
check_eq "$(mysql_q "SELECT COUNT(*) FROM ledger WHERE user_id = $RL_UID
    AND kind = 'charge' AND request_id NOT LIKE 'lease-%'")" "$SERVED1" \
    "exact: one ledger charge per served call, none for refusals"
check_eq "$(rl_quota)" $((BAL - SERVED1 * R)) "exact: balance = $BAL - served x $R"

# ---- phase 2: calls cost less than their reservation, so refunds race with admissions
C2=$(rl_cost 100 1000000 $MAXTOK 2000000)
rl_ctl user topup "$U" --usd "$(printf '0.%06d' $((20 * R)))" >/dev/null
BAL2=$(rl_quota)
batch refunds 100 100
MAXSERVE=$((BAL2 / C2))
if [ "$SERVED" -ge 10 ] && [ "$SERVED" -le "$MAXSERVE" ]; then
    ok "refunds: $SERVED served, between 10 and balance / charge = $MAXSERVE"
else
    fail "refunds: between 10 and $MAXSERVE served" "$SERVED"
fi
min_balance refunds $((C2 - R)) # never below one call's settlement difference
each_200_charged "$T_TMP/refunds" "$C2"
ledger_explains refunds
check_eq "$(rl_quota)" $((BAL2 - SERVED * C2)) "refunds: balance = $BAL2 - served x $C2"

# ---- phase 3: a balance that covers exactly 40 calls, big enough for a balance lease
# (32 calls' worth in one worker process): all 40 concurrent calls must be served. A call
# is refused only when the balance cannot cover it, wherever the rest of it is leased.
U3=t10cl$RL_TAG
rl_user "$U3" "$(printf '0.%06d' $((40 * R * 2)))"
KEY=$(rl_key "$U3")
KID=$(mysql_q "SELECT id FROM api_keys WHERE user_id = $RL_UID")
batch lease 40 $LEN
check_eq "$SERVED" 40 "lease: all 40 affordable calls served (no false refusal)"
min_balance lease 0
each_200_charged "$T_TMP/lease" "$R"
ledger_explains lease
check_eq "$(rl_quota)" $((40 * R - SERVED * R)) "lease: balance = 40 x $R - served x $R"
finish
