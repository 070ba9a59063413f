#!/usr/bin/env bash
# bench: tollgate against nginx proxying straight to the same mock upstream, in one run.
#
#   scripts/bench.sh [BUILD_DIR]        (make bench passes the build folder)
#
# Starts a private stack (scripts/stack) sized for 1,000 open streams and a second,
# minimal nginx that proxies straight to the stack's mock, then measures both sides
# interleaved (A B A B ..., median per side) so machine noise hits both alike:
#   - non-stream POST /v1/chat/completions: wrk req/s, p50 and p99 at concurrency 1, 16, 64
#   - streams of 20 chunks 20 ms apart: time to first body byte and total, concurrency 1, 64
#     (on kept client connections; the first stream of each connection is reported apart;
#     at 64, a run is 8 waves of 64 streams: the wave after the first is slow on both sides,
#     the client's own warm-up, and with fewer waves it moved the median by milliseconds)
#   - 1,000 streams held open at once: peak RSS of all tollgate processes (and of the
#     direct nginx, for the ratio), and how many completed with 200 and [DONE]
# It prints a table (metric, tollgate, nginx-direct, ratio, target, met?), writes the
# figures to BENCH_OUT (default BUILD_DIR/bench.json), checks the ledger afterwards, and
# stops everything it started. All traffic stays on loopback.
#
# Environment:
#   BENCH_OUT       JSON output file (BUILD_DIR/bench.json)
#   BENCH_DURATION  seconds per wrk run (5)
#   BENCH_ROUNDS    runs per side and measurement, interleaved (3)
#   BENCH_SROUNDS   the same for the stream measurements (4: a run takes 2 to 3 s)
#   BENCH_HOLD      streams held open at once (1000)
#   BENCH_WORKERS   tollgate workers (2); BENCH_THREADS threads per worker (600)
#   BENCH_CONF      extra "key = value" lines for tollgate.conf (default: none, so the
#                   stack's settings, e.g. log_level = info: one access line per call)
#   BENCH_KEEP=1    keep the temporary folder (logs) instead of deleting it
#   BENCH_PARTS     which measurements to run ("plain stream hold", the default: all;
#                   e.g. "stream" repeats only the streams while working on them)
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
BUILD=${1:-$REPO/build}
BUILD=$(cd "$BUILD" && pwd -P)
OUT=${BENCH_OUT:-$BUILD/bench.json}
DUR=${BENCH_DURATION:-5}
ROUNDS=${BENCH_ROUNDS:-3}
SROUNDS=${BENCH_SROUNDS:-4}
HOLD=${BENCH_HOLD:-1000}
WORKERS=${BENCH_WORKERS:-2}
THREADS=${BENCH_THREADS:-600}
CONF_EXTRA=${BENCH_CONF:-}
PARTS=" ${BENCH_PARTS:-plain stream hold} "

say() { echo "bench: $*" >&2; }
die() {
    say "$*"
    exit 1
}

for t in wrk node curl nginx mariadb; do
    command -v "$t" >/dev/null 2>&1 || die "$t not found (scripts/deps.sh --test installs it)"
done
for t in tollgate-fcgi tollgatectl tollgate-mock-llm; do
    [ -x "$BUILD/$t" ] || die "$BUILD/$t not found: build first"
done
# Threads: the stack needs WORKERS x THREADS of them, plus MariaDB's and the mock's.
need=$((WORKERS * THREADS + HOLD + 500))
[ "$(ulimit -u)" = unlimited ] || [ "$(ulimit -u)" -ge $need ] ||
    die "ulimit -u is $(ulimit -u): need about $need processes/threads"
[ "$(ulimit -n)" -ge $((HOLD * 3 + 256)) ] || ulimit -n $((HOLD * 3 + 256)) 2>/dev/null ||
    die "ulimit -n is $(ulimit -n): need $((HOLD * 3 + 256)) open files"

# Short path: the stack's unix sockets must stay under 108 bytes.
TMP=$(mktemp -d /tmp/tgbench.XXXXXX)
STACK_DIR=$TMP/s
NGX=$TMP/ngx
RES=$TMP/results.txt
NGX_PID=''
STACK_UP=0
WATCHDOG=''

cleanup() {
    local rc=$?
    set +e
    trap '' INT TERM
    [ -z "$WATCHDOG" ] || kill "$WATCHDOG" 2>/dev/null
    if [ -n "$NGX_PID" ] && kill -0 "$NGX_PID" 2>/dev/null; then
        kill -TERM "$NGX_PID" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$NGX_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$NGX_PID" 2>/dev/null
    fi
    [ "$STACK_UP" = 0 ] || "$REPO/scripts/stack" down "$STACK_DIR" >/dev/null 2>&1
    if [ "${BENCH_KEEP:-0}" = 1 ] || [ $rc -ne 0 ]; then
        say "logs kept in $TMP"
    else
        rm -rf "$TMP"
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The whole run is bounded: a stuck step ends the bench (and cleanup stops everything).
(
    trap 'kill $sp 2>/dev/null; exit 0' TERM
    sleep 290 &
    sp=$!
    wait $sp
    say "took over 290 s: giving up"
    kill -TERM $$
) 2>/dev/null &
WATCHDOG=$!

# ---------------------------------------------------------------- the client (node)

write_client() {
    cat >"$TMP/client.js" <<'EOF'
// Bench client. Modes:
//   stream URL KEY CONC TOTAL BODY  -> {"ok":n,"fail":n,"ttfb_ms":median,"total_ms":median}
//   hold URL KEY N BODY PID         -> {"ok":n,"fail":n,"peak_rss_kb":n,"pids":n}
//   report RESULTS OUT               print the table, write OUT (JSON)
'use strict';
const http = require('http');
const fs = require('fs');

function median(a) {
    if (!a.length) return null;
    const s = a.slice().sort((x, y) => x - y), m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

// One streamed POST: resolves {ok, ttfb, total} (ms). ok: 200 and the body ends in [DONE].
function one(url, key, body, agent) {
    return new Promise((resolve) => {
        const t0 = process.hrtime.bigint();
        let ttfb = null, tail = '', status = 0, done = false;
        const ms = () => Number(process.hrtime.bigint() - t0) / 1e6;
        const fin = (ok) => {
            if (done) return;
            done = true;
            resolve({ok, ttfb, total: ms(), status});
        };
        const req = http.request(url, {
            method: 'POST', agent,
            headers: {'Content-Type': 'application/json', 'Authorization': 'Bearer ' + key,
                      'Content-Length': Buffer.byteLength(body)},
        }, (res) => {
            status = res.statusCode;
            res.on('data', (d) => {
                if (ttfb === null) ttfb = ms();
                tail = (tail + d.toString('latin1')).slice(-64);
            });
            res.on('end', () => fin(status === 200 && tail.includes('[DONE]')));
            res.on('error', () => fin(false));
        });
        req.setTimeout(30000, () => req.destroy(new Error('timeout')));
        req.on('error', () => fin(false));
        req.end(body);
    });
}

// conc lanes, total streams. A lane's first stream opens its connection (cold: the
// client's connection setup is in its figures); the others reuse it, as SDKs do (warm).
// The two are reported apart: mixed, their median falls between two clusters.
async function streams(url, key, conc, total, body) {
    const agent = new http.Agent({keepAlive: true, maxSockets: conc});
    const ttfb = [], tot = [], cold = [];
    let ok = 0, fail = 0, next = 0;
    async function lane() {
        for (let first = true; next < total; first = false) {
            next++;
            const r = await one(url, key, body, agent);
            if (!r.ok) fail++;
            else if (first) { ok++; cold.push(r.ttfb); }
            else { ok++; ttfb.push(r.ttfb); tot.push(r.total); }
        }
    }
    await Promise.all(Array.from({length: conc}, lane));
    agent.destroy();
    return {ok, fail, ttfb_ms: median(ttfb), total_ms: median(tot),
            ttfb_cold_ms: median(cold)};
}

function treeOf(root) {
    const pids = [root];
    for (const d of fs.readdirSync('/proc')) {
        if (!/^\d+$/.test(d)) continue;
        try {
            const st = fs.readFileSync('/proc/' + d + '/stat', 'latin1');
            const ppid = st.slice(st.lastIndexOf(')') + 2).split(' ')[1];
            if (ppid === String(root)) pids.push(Number(d));
        } catch (e) { /* gone */ }
    }
    return pids;
}

function rssKb(pids) {
    let sum = 0;
    for (const p of pids) {
        try {
            const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync('/proc/' + p + '/status', 'latin1'));
            if (m) sum += Number(m[1]);
        } catch (e) { /* gone */ }
    }
    return sum;
}

async function hold(url, key, n, body, root) {
    const pids = treeOf(root);
    let peak = rssKb(pids);
    const timer = setInterval(() => { peak = Math.max(peak, rssKb(pids)); }, 100);
    const agent = new http.Agent({keepAlive: false, maxSockets: n});
    const rs = await Promise.all(Array.from({length: n}, () => one(url, key, body, agent)));
    clearInterval(timer);
    peak = Math.max(peak, rssKb(pids));
    const ok = rs.filter((r) => r.ok).length;
    return {ok, fail: n - ok, peak_rss_kb: peak, pids: pids.length};
}

function report(file, out) {
    const vals = {};
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
        const [k, side, v] = line.trim().split(/\s+/);
        if (!k || v === undefined || v === '' || v === 'null') continue;
        ((vals[k] = vals[k] || {})[side] = vals[k][side] || []).push(Number(v));
    }
    const get = (k, s) => (vals[k] && vals[k][s] ? median(vals[k][s]) : null);
    const rows = [];
    const partial = process.env.BENCH_PARTIAL === '1'; // rows of parts not run: left out
    const add = (name, key, unit, target) => {
        if (partial && !vals[key]) return;
        const tg = get(key, 'tg'), nx = get(key, 'nx');
        const ratio = tg !== null && nx ? tg / nx : null;
        let met = null, tdesc = '';
        if (target) [tdesc, met] = target(tg, nx, ratio);
        rows.push({metric: name, key, unit, tollgate: tg, nginx_direct: nx, ratio,
                   target: tdesc, met});
    };
    const added = (lim) => (tg, nx) => ['added <= ' + lim + ' ms',
                                         tg !== null && nx !== null ? tg - nx <= lim : false];
    for (const c of [1, 16, 64]) {
        add('req/s c=' + c, 'rps_c' + c, 'req/s', c === 64
            ? (tg, nx, r) => ['>= 30% of nginx', r !== null && r >= 0.30] : null);
        add('p50 c=' + c, 'p50_c' + c, 'ms', c === 1 ? added(1) : null);
        add('p99 c=' + c, 'p99_c' + c, 'ms', null);
        add('errors c=' + c, 'err_c' + c, 'count', (tg) => ['0', tg === 0]);
    }
    for (const c of [1, 64]) {
        add('stream TTFB c=' + c, 'ttfb_c' + c, 'ms', added(2));
        add('  same, new connection', 'ttfb_cold_c' + c, 'ms', null);
        add('stream total c=' + c, 'total_c' + c, 'ms', null);
        add('stream failures c=' + c, 'sfail_c' + c, 'count', (tg) => ['0', tg === 0]);
    }
    add('peak RSS, 1000 streams', 'rss_mb', 'MB', (tg) => ['< 200 MB', tg !== null && tg < 200]);
    add('1000 streams completed', 'hold_ok', 'count',
        (tg, nx) => ['all', tg !== null && tg === get('hold_n', 'tg')]);
    add('ledger consistent', 'ledger_ok', 'bool', (tg) => ['1', tg === 1]);

    const fmt = (v) => v === null ? '-' : Math.abs(v) >= 100 ? v.toFixed(0)
        : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);
    const w = [26, 11, 13, 7, 17, 5];
    const line = (c) => c.map((s, i) => i === 0 ? String(s).padEnd(w[i]) : String(s).padStart(w[i])).join('  ');
    console.log(line(['metric', 'tollgate', 'nginx-direct', 'ratio', 'target', 'met?']));
    console.log('-'.repeat(w.reduce((a, b) => a + b + 2, -2)));
    for (const r of rows)
        console.log(line([r.metric + (r.unit === 'ms' ? ' (ms)' : r.unit === 'MB' ? ' (MB)' : ''),
                          fmt(r.tollgate), fmt(r.nginx_direct),
                          r.ratio === null ? '-' : r.ratio.toFixed(2), r.target || '-',
                          r.met === null ? '' : r.met ? 'yes' : 'NO']));
    const targets = rows.filter((r) => r.met !== null);
    const met = targets.filter((r) => r.met).length;
    console.log('\n' + met + ' of ' + targets.length + ' targets met');
    fs.writeFileSync(out, JSON.stringify({date: new Date().toISOString(), raw: vals, rows},
                                         null, 1) + '\n');
}

(async () => {
    const [mode, ...a] = process.argv.slice(2);
    if (mode === 'stream')
        console.log(JSON.stringify(await streams(a[0], a[1], +a[2], +a[3], a[4])));
    else if (mode === 'hold')
        console.log(JSON.stringify(await hold(a[0], a[1], +a[2], a[3], +a[4])));
    else if (mode === 'report')
        report(a[0], a[1]);
    else
        process.exit(2);
})().catch((e) => { console.error(e); process.exit(1); });
EOF
}

# ---------------------------------------------------------------- helpers

jget() { node -e 'const j=require(process.argv[1]);let v=j;for(const k of process.argv[2].split("."))v=v[k];console.log(v)' "$1" "$2"; }

port_busy() {
    local hex
    hex=$(printf '%04X' "$1")
    cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
        awk -v p=":$hex" 'substr($2, length($2) - 4) == p && $4 != "06" { f = 1 } END { exit !f }'
}

free_port() {
    local p
    for _ in $(seq 200); do
        p=$((15000 + (RANDOM * 32768 + RANDOM) % 17000))
        port_busy "$p" || {
            echo "$p"
            return 0
        }
    done
    die "no free loopback port"
}

# record METRIC SIDE VALUE
record() { echo "$1 $2 $3" >>"$RES"; }

# to_ms "1.23ms" -> 1.23
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
        printf "%.3f", n }'
}

# wrk_run SIDE CONC THREADS: one non-stream run; records rps, p50, p99, errors.
wrk_run() {
    local side=$1 c=$2 t=$3 url key out rps p50 p99 err
    if [ "$side" = tg ]; then url=$TG_URL key=$TG_KEY; else url=$NX_URL key=$MOCK_KEY; fi
    out=$(BENCH_KEY=$key timeout $((DUR + 20)) wrk -c "$c" -t "$t" -d "${DUR}s" --timeout 5s \
        --latency -s "$TMP/post.lua" "$url/v1/chat/completions" 2>&1) || true
    echo "$out" >>"$TMP/wrk.log"
    rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
    p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
    p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
    err=$(awk '/Non-2xx/ { n += $NF } /Socket errors/ { gsub(/,/, ""); n += $4 + $6 + $8 + $10 }
        END { print n + 0 }' <<<"$out")
    [ -n "$rps" ] || {
        say "wrk failed ($side c=$c): $(tail -n 3 <<<"$out")"
        return 0
    }
    record "rps_c$c" "$side" "$rps"
    record "p50_c$c" "$side" "$(to_ms "$p50")"
    record "p99_c$c" "$side" "$(to_ms "$p99")"
    record "err_c$c" "$side" "$err"
    say "  $side c=$c: $rps req/s, p50 $p50, p99 $p99, errors $err"
}

# stream_run SIDE CONC TOTAL
stream_run() {
    local side=$1 c=$2 n=$3 url key out
    if [ "$side" = tg ]; then url=$TG_URL key=$TG_KEY; else url=$NX_URL key=$MOCK_KEY; fi
    out=$(timeout 60 node "$TMP/client.js" stream "$url/v1/chat/completions" "$key" "$c" "$n" \
        "$STREAM_BODY") || {
        say "stream client failed ($side c=$c)"
        return 0
    }
    record "ttfb_c$c" "$side" "$(jq -r .ttfb_ms <<<"$out")"
    record "ttfb_cold_c$c" "$side" "$(jq -r .ttfb_cold_ms <<<"$out")"
    record "total_c$c" "$side" "$(jq -r .total_ms <<<"$out")"
    record "sfail_c$c" "$side" "$(jq -r .fail <<<"$out")"
    say "  $side streams c=$c: $out"
}

# hold_run SIDE ROOT_PID
hold_run() {
    local side=$1 root=$2 url key out
    if [ "$side" = tg ]; then url=$TG_URL key=$TG_KEY; else url=$NX_URL key=$MOCK_KEY; fi
    out=$(timeout 90 node "$TMP/client.js" hold "$url/v1/chat/completions" "$key" "$HOLD" \
        "$HOLD_BODY" "$root") || {
        say "hold client failed ($side)"
        return 0
    }
    record rss_mb "$side" "$(jq -r '.peak_rss_kb / 1024' <<<"$out")"
    record hold_ok "$side" "$(jq -r .ok <<<"$out")"
    record hold_n "$side" "$HOLD"
    say "  $side $HOLD streams held: $out"
}

# ledger_check: after the calls settle, no reservation is left open and the balance plus
# the open reservations equals the sum of the user's ledger.
ledger_check() {
    local q left row deadline=$((SECONDS + 15))
    q() { MYSQL_PWD=$DB_PW mariadb --no-defaults -h 127.0.0.1 -P "$DB_PORT" -u tollgate \
        -N -B tollgate -e "$1"; }
    while :; do
        left=$(q "SELECT COUNT(*) FROM ledger WHERE state = 'reserved'")
        [ "$left" = 0 ] || [ $SECONDS -ge $deadline ] && break
        sleep 0.2
    done
    row=$(q "SELECT u.quota + COALESCE((SELECT SUM(reserved) FROM ledger WHERE user_id = u.id
             AND state = 'reserved'), 0) - (SELECT SUM(amount) FROM ledger WHERE user_id = u.id),
             (SELECT COUNT(*) FROM ledger WHERE user_id = u.id AND kind = 'charge'
             AND request_id NOT LIKE 'lease-%'),
             (SELECT COUNT(*) FROM usage_logs WHERE user_id = u.id)
             FROM users u WHERE u.username = 'bench'")
    say "ledger: open reservations $left; balance - ledger, charge rows, usage rows: $row"
    if [ "$left" = 0 ] && [ "$(cut -f1 <<<"$row")" = 0 ]; then
        record ledger_ok tg 1
    else
        record ledger_ok tg 0
    fi
}

# ---------------------------------------------------------------- setup

write_client
: >"$RES"
say "starting the stack in $STACK_DIR (workers $WORKERS x threads $THREADS)"
STACK_UP=1
TOLLGATE_BIN=$BUILD STACK_WORKERS=$WORKERS STACK_THREADS=$THREADS STACK_CONF_EXTRA=$CONF_EXTRA \
    "$REPO/scripts/stack" up "$STACK_DIR" >"$TMP/stack-up.log" 2>&1 ||
    {
        cat "$TMP/stack-up.log" >&2
        die "scripts/stack up failed"
    }
SJ=$STACK_DIR/stack.json
TG_URL=$(jget "$SJ" base_url)
MOCK_URL=$(jget "$SJ" mock_url)
MOCK_KEY=$(jget "$SJ" mock_key)
CONF=$(jget "$SJ" config)
TG_PID=$(jget "$SJ" pids.tollgate)
DB_PORT=$(jget "$SJ" ports.mysql)
DB_PW=$(jget "$SJ" mysql.password)
MOCK_PORT=${MOCK_URL##*:}

ctl() { "$BUILD/tollgatectl" -c "$CONF" --json "$@"; }
ctl user create bench --email bench@example.invalid --password "bench-$(date +%s%N)" >/dev/null
ctl user topup bench --usd 100000 >/dev/null
TG_KEY=$(ctl key create --user bench --name bench | jq -r .key)
[ -n "$TG_KEY" ] && [ "$TG_KEY" != null ] || die "could not create the bench key"

NX_PORT=$(free_port)
NX_URL=http://127.0.0.1:$NX_PORT
mkdir -p "$NGX/tmp"
cat >"$NGX/nginx.conf" <<EOF
daemon off;
$([ "$(id -u)" != 0 ] || echo 'user root root;')
worker_processes ${STACK_NGINX_WORKERS:-2};
worker_rlimit_nofile 16384;
pid $NGX/nginx.pid;
error_log $NGX/error.log warn;
events { worker_connections 8192; }
http {
    log_format bench '\$remote_addr [\$time_local] "\$request" \$status \$body_bytes_sent '
                     '\$request_time \$upstream_response_time "\$http_user_agent"';
    access_log $NGX/access.log bench;
    client_body_temp_path $NGX/tmp/client_body;
    proxy_temp_path $NGX/tmp/proxy;
    fastcgi_temp_path $NGX/tmp/fastcgi;
    uwsgi_temp_path $NGX/tmp/uwsgi;
    scgi_temp_path $NGX/tmp/scgi;
    sendfile on;
    tcp_nodelay on;
    keepalive_timeout 65s;
    upstream mock {
        server 127.0.0.1:$MOCK_PORT;
        keepalive 64;
    }
    server {
        listen 127.0.0.1:$NX_PORT;
        location / {
            proxy_pass http://mock;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
            proxy_read_timeout 600s;
        }
    }
}
EOF
nginx -p "$NGX" -c "$NGX/nginx.conf" -e "$NGX/error.log" >"$NGX/out.log" 2>&1 &
NGX_PID=$!
for _ in $(seq 100); do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$NX_URL/_mock/stats" || true)
    [ "$code" = 000 ] || break
    sleep 0.1
done
[ "$code" != 000 ] || die "the direct nginx did not start ($(tail -n 3 "$NGX/error.log"))"

cat >"$TMP/post.lua" <<'EOF'
wrk.method = "POST"
wrk.body = '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi [mock chunks=1]"}]}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY")
EOF
STREAM_BODY='{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi [mock chunks=20 delay=20]"}]}'
HOLD_BODY='{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi [mock chunks=40 delay=100]"}]}'

for side in tg nx; do
    if [ $side = tg ]; then u=$TG_URL k=$TG_KEY; else u=$NX_URL k=$MOCK_KEY; fi
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H "Authorization: Bearer $k" \
        -H 'Content-Type: application/json' -d "$STREAM_BODY" "$u/v1/chat/completions" || true)
    [ "$code" = 200 ] || die "$side: a test call answered $code"
done

# ---------------------------------------------------------------- measurements

say "warm-up"
for side in tg nx; do
    if [ $side = tg ]; then u=$TG_URL k=$TG_KEY; else u=$NX_URL k=$MOCK_KEY; fi
    BENCH_KEY=$k timeout 30 wrk -c 64 -t 2 -d 2s -s "$TMP/post.lua" "$u/v1/chat/completions" \
        >/dev/null 2>&1 || true
done

part() { [[ $PARTS == *" $1 "* ]]; }

for spec in 1:1 16:2 64:2; do
    part plain || break
    c=${spec%%:*} t=${spec##*:}
    say "non-stream, concurrency $c (${DUR}s x $ROUNDS per side)"
    for _ in $(seq "$ROUNDS"); do
        wrk_run tg "$c" "$t"
        wrk_run nx "$c" "$t"
    done
done

for spec in 1:11 64:512; do
    part stream || break
    c=${spec%%:*} n=${spec##*:}
    say "streams, concurrency $c ($n streams x $SROUNDS per side)"
    for _ in $(seq "$SROUNDS"); do
        stream_run tg "$c" "$n"
        stream_run nx "$c" "$n"
    done
done

if part hold; then
    say "$HOLD streams held open at once"
    hold_run tg "$TG_PID"
    hold_run nx "$NGX_PID"
fi
ledger_check

echo
echo "tollgate $(cd "$REPO" && git describe --always --dirty 2>/dev/null || echo '?') vs nginx-direct" \
    "($WORKERS x $THREADS threads, $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)," \
    "wrk ${DUR}s x $ROUNDS interleaved, medians; TTFB = first body byte)"
[ "$PARTS" = " plain stream hold " ] || export BENCH_PARTIAL=1
node "$TMP/client.js" report "$RES" "$OUT"
say "figures written to $OUT"
