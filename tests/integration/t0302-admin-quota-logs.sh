#!/usr/bin/env bash
# t0302-admin-quota-logs: POST /api/admin/users/:id/quota (a guarded add or subtract with
# a ledger row and an audit row; never below zero) and GET /api/admin/logs (filters,
# newest first, bounded paging).
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

TOKEN=$(admin_token) || {
    fail "admin login" "no token"
    finish
}
AUTH=(-H "Authorization: Bearer $TOKEN")
areq() { req "$1" "$2" "${3-}" "${AUTH[@]}"; }

cleanup() {
    mysql_q "DELETE FROM usage_logs WHERE request_id LIKE 't0302-%'"
    mysql_q "DELETE FROM ledger WHERE user_id IN (SELECT id FROM users WHERE username
        = 't0302-user')"
    mysql_q "DELETE FROM users WHERE username = 't0302-user'"
} >/dev/null 2>&1
cleanup
at_exit cleanup

out=$("$CTL" -c "$CONFIG" --json user create t0302-user --email t0302@example.com \
    --password 't0302-password' 2>&1)
U=$(jq -r '.id // empty' <<<"$out")
if [ -n "$U" ]; then ok "user created"; else fail "user created" "$out"; fi

# ---- quota
areq POST "/api/admin/users/$U/quota" '{"delta": 1000, "reason": "welcome \"gift\""}'
check_status 200 "add 1000: 200"
check_json '.quota' 1000 "add 1000: balance 1000"
areq POST "/api/admin/users/$U/quota" '{"delta": -400}'
check_status 200 "take 400: 200"
check_json '.quota' 600 "take 400: balance 600"
areq POST "/api/admin/users/$U/quota" '{"delta": -601, "reason": "too much"}'
check_status 409 "take 601 of 600: refused"
check_json '.error.param' delta "take 601 of 600: names delta"
check_eq "$(mysql_q "SELECT quota FROM users WHERE id = $U")" 600 \
    "refused take: balance unchanged"
areq POST "/api/admin/users/$U/quota" '{"delta": -600}'
check_status 200 "take all 600: 200"
check_json '.quota' 0 "take all: balance 0"
areq POST "/api/admin/users/$U/quota" '{"delta": -1}'
check_status 409 "take 1 of 0: refused"
areq POST "/api/admin/users/$U/quota" '{"delta": 250}'
check_json '.quota' 250 "add 250: balance 250"

check_eq "$(mysql_q "SELECT CONCAT(COUNT(*), ',', SUM(amount)) FROM ledger
    WHERE user_id = $U AND kind = 'adjust'")" "4,250" \
    "ledger: one adjust row per applied change, summing to the balance"
check_eq "$(mysql_q "SELECT COUNT(*) FROM audit_log WHERE action = 'user.quota_adjust'
    AND target_id = '$U'")" 4 "audit: one row per applied change"
check_eq "$(mysql_q "SELECT JSON_VALUE(detail, '$.reason') FROM audit_log
    WHERE action = 'user.quota_adjust' AND target_id = '$U' ORDER BY id LIMIT 1")" \
    'welcome "gift"' "audit: reason kept (valid JSON)"

bad_adjust() {
    areq POST "/api/admin/users/$U/quota" "$2"
    check_status 400 "$1: 400"
    check_json '.error.param' "$3" "$1: names $3"
}
bad_adjust "delta 0" '{"delta": 0}' delta
bad_adjust "delta as a string" '{"delta": "5"}' delta
bad_adjust "fractional delta" '{"delta": 1.5}' delta
bad_adjust "huge delta" '{"delta": 9007199254740993}' delta
bad_adjust "missing delta" '{"reason": "x"}' delta
bad_adjust "unknown field" '{"delta": 5, "quota": 1}' body
bad_adjust "reason not a string" '{"delta": 5, "reason": 7}' reason
check_eq "$(mysql_q "SELECT quota FROM users WHERE id = $U")" 250 \
    "refused adjustments: balance unchanged"
areq POST /api/admin/users/999999999/quota '{"delta": 5}'
check_status 404 "adjust unknown user: 404"

# ---- logs: rows of known shape in 2020, so other tests' traffic does not mix in
for i in 1 2 3 4 5 6; do
    key=$((900000 + i % 2))
    ch=$((800000 + i % 3))
    model=t0302-m$((i % 2))
    status=200
    [ "$i" = 6 ] && status=502
    mysql_q "INSERT INTO usage_logs (request_id, user_id, key_id, channel_id, service, model,
        endpoint, input_tokens, output_tokens, quota, status, created_at) VALUES
        ('t0302-$i', $U, $key, $ch, 'openai', '$model', 'chat', $i, $((i * 10)), $((i * 7)),
        $status, '2020-01-0$i 12:00:00')"
done

areq GET "/api/admin/logs?user_id=$U"
check_status 200 "logs by user: 200"
check_json '.data | length' 6 "logs by user: six rows"
check_json '[.data[].request_id] | join(",")' "t0302-6,t0302-5,t0302-4,t0302-3,t0302-2,t0302-1" \
    "logs: newest first"
check_json '.data[0] | [.input_tokens, .output_tokens, .quota, .status] | join(",")' \
    "6,60,42,502" "logs: row fields"
areq GET "/api/admin/logs?user_id=$U&model=t0302-m1"
check_json '[.data[].request_id] | join(",")' "t0302-5,t0302-3,t0302-1" "logs by model"
areq GET "/api/admin/logs?user_id=$U&key_id=900000"
check_json '[.data[].request_id] | join(",")' "t0302-6,t0302-4,t0302-2" "logs by key"
areq GET "/api/admin/logs?channel_id=800000&user_id=$U"
check_json '[.data[].request_id] | join(",")' "t0302-6,t0302-3" "logs by channel"
areq GET "/api/admin/logs?user_id=$U&status=502"
check_json '[.data[].request_id] | join(",")' "t0302-6" "logs by status"
areq GET "/api/admin/logs?user_id=$U&from=2020-01-02&to=2020-01-04"
check_json '[.data[].request_id] | join(",")' "t0302-4,t0302-3,t0302-2" \
    "logs from/to dates (to includes its day)"
areq GET "/api/admin/logs?user_id=$U&from=2020-01-02T12:00:01Z&to=2020-01-05T12:00:00Z"
check_json '[.data[].request_id] | join(",")' "t0302-4,t0302-3" "logs from/to times"
areq GET "/api/admin/logs?user_id=$U&limit=4"
check_json '.data | length' 4 "logs page 1: four rows"
check_json '.has_more' true "logs page 1: has_more"
areq GET "/api/admin/logs?user_id=$U&limit=4&offset=4"
check_json '[.data[].request_id] | join(",")' "t0302-2,t0302-1" "logs page 2"
check_json '.has_more' false "logs page 2: no more"
areq GET "/api/admin/logs?limit=500"
check_status 200 "logs limit 500: 200"
check_jq '.data | length <= 500' "logs limit 500: at most 500 rows"

bad_logs() {
    areq GET "/api/admin/logs?$2"
    check_status 400 "$1: 400"
    check_json '.error.param' "$3" "$1: names $3"
}
bad_logs "limit 501" "limit=501" limit
bad_logs "limit 0" "limit=0" limit
bad_logs "negative offset" "offset=-1" offset
bad_logs "user_id not a number" "user_id=abc" user_id
bad_logs "status 99" "status=99" status
bad_logs "bad from" "from=yesterday" from
bad_logs "impossible date" "to=2020-02-31" to
bad_logs "SQL in a filter" "user_id=1%20OR%201%3D1" user_id
areq GET "/api/admin/logs?model=x%27%20OR%20%271%27%3D%271"
check_status 200 "quote in model: treated as data"
check_json '.data | length' 0 "quote in model: matches nothing"

finish
