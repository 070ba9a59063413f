#!/usr/bin/env bash
# t0001-status: GET /api/status reports health, GET /metrics speaks Prometheus text.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

req GET /api/status
check_status 200 "status: 200"
check_jq '.' "status: body is JSON"
case $(header content-type) in
application/json*) ok "status: Content-Type application/json" ;;
*) fail "status: Content-Type application/json" "got '$(header content-type)'" ;;
esac
check_jq '.version | type == "string" and length > 0' "status: version is a non-empty string"
check_json '.database' up "status: database is up"
check_jq '(.uptime // .uptime_seconds) | type == "number" and . >= 0' \
    "status: uptime (or uptime_seconds) is a number"

req GET /metrics
check_status 200 "metrics: 200"
case $(header content-type) in
text/plain*) ok "metrics: Content-Type text/plain" ;;
*) fail "metrics: Content-Type text/plain" "got '$(header content-type)'" ;;
esac
for m in tollgate_requests_total tollgate_inflight_requests; do
    if grep -Eq "^$m(\{[^}]*\})? [0-9.eE+-]+$" <<<"$BODY"; then
        ok "metrics: has a $m sample"
    else
        fail "metrics: has a $m sample" "no sample line in $(wc -l <<<"$BODY") lines"
    fi
done
if grep -Eq '^tollgate_db_pool_[a-z_]+(\{[^}]*\})? [0-9.eE+-]+$' <<<"$BODY"; then
    ok "metrics: has tollgate_db_pool_* samples"
else
    fail "metrics: has tollgate_db_pool_* samples" "none found"
fi

# A counter counts: a second scrape after more requests is not smaller.
sum_requests() { awk '/^tollgate_requests_total/ { s += $NF } END { printf "%d", s }' <<<"$BODY"; }
before=$(sum_requests)
for _ in 1 2 3; do req GET /api/status; done
req GET /metrics
after=$(sum_requests)
if [ "$after" -gt "$before" ]; then
    ok "metrics: tollgate_requests_total grows ($before -> $after)"
else
    fail "metrics: tollgate_requests_total grows" "$before -> $after"
fi

# The stack writes its demo channels and prices before it starts the pool, so the first
# snapshot a worker loads has them all. (Written to a running pool, a price can stay
# unseen for up to 2 s: a call of that model right after `up` got 404.)
started=$(head -n 1 "$STACK_DIR/logs/tollgate.log" | cut -c1-23)
for t in prices channels; do
    last=$(mysql_q "SELECT DATE_FORMAT(MAX(updated_at), '%Y-%m-%dT%H:%i:%s.%f') FROM $t" |
        cut -c1-23)
    if [ -n "$last" ] && [ -n "$started" ] && [[ "$last" < "$started" ]]; then
        ok "stack: every demo row of $t was written before tollgate-fcgi started"
    else
        fail "stack: every demo row of $t was written before tollgate-fcgi started" \
            "last write '$last', first log line '$started'"
    fi
done

finish
