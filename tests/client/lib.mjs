// Shared helpers of the client tests: the stack under test (STACK_DIR/stack.json), users
// and keys made with tollgatectl, the usage_logs rows of a user, and the price table.
import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

// The stack: null (with a reason) when STACK_DIR is not set or has no stack.json.
export function loadStack() {
    const dir = process.env.STACK_DIR;
    if (!dir) {
        return { stack: null, reason: 'STACK_DIR is not set (scripts/stack up DIR)' };
    }
    try {
        const stack = JSON.parse(readFileSync(`${dir}/stack.json`, 'utf8'));
        return { stack, reason: '' };
    } catch (e) {
        return { stack: null, reason: `cannot read ${dir}/stack.json: ${e.message}` };
    }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ctl(stack, ...args): run tollgatectl --json and parse what it prints.
export async function ctl(stack, ...args) {
    const bin = `${stack.bin}/tollgatectl`;
    const { stdout } = await run(bin, ['-c', stack.config, '--json', ...args], {
        timeout: 30000,
    });
    return JSON.parse(stdout);
}

// newUser(stack, usd): a fresh user topped up with usd (none if 0) and one API key.
export async function newUser(stack, usd = 5) {
    const name = `cl_${randomBytes(5).toString('hex')}`;
    const user = await ctl(stack, 'user', 'create', name,
        '--email', `${name}@example.com`,
        '--password', `Pw-${randomBytes(9).toString('hex')}`);
    if (usd > 0) await ctl(stack, 'user', 'topup', name, '--usd', String(usd));
    const key = await ctl(stack, 'key', 'create', '--user', name);
    return { name, id: user.id, key: key.key, keyId: key.id };
}

export async function quotaOf(stack, user) {
    return (await ctl(stack, 'user', 'show', user.name)).quota;
}

// sql(stack, query): rows of a query as arrays of strings (mariadb client, batch mode).
export async function sql(stack, query) {
    const m = stack.mysql;
    const args = ['--batch', '--skip-column-names', '-u', m.user, m.database,
        '-e', query];
    if (m.socket) args.unshift(`--socket=${m.socket}`);
    else args.unshift('-h', m.host, '-P', String(m.port));
    let out;
    for (const bin of ['mariadb', 'mysql']) {
        try {
            const env = { ...process.env, MYSQL_PWD: m.password };
            out = await run(bin, args, { env });
            break;
        } catch (e) {
            if (e.code !== 'ENOENT') throw e;
        }
    }
    if (!out) throw new Error('neither mariadb nor mysql client found');
    return out.stdout.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
}

const LOG_COLS = ['id', 'model', 'endpoint', 'input_tokens', 'output_tokens',
    'cache_read_tokens', 'cache_write_tokens', 'quota', 'is_stream', 'status',
    'estimated', 'service'];

// logRows(stack, user, afterId): the user's usage_logs rows with id > afterId, oldest
// first.
export async function logRows(stack, user, afterId = 0) {
    const rows = await sql(stack, `SELECT ${LOG_COLS.join(',')} FROM usage_logs ` +
        `WHERE user_id = ${Number(user.id)} AND id > ${Number(afterId)} ORDER BY id`);
    return rows.map((r) => Object.fromEntries(LOG_COLS.map((c, i) =>
        [c, /^-?\d+$/.test(r[i]) ? Number(r[i]) : r[i]])));
}

async function lastLogId(stack, user) {
    const rows = await sql(stack,
        `SELECT COALESCE(MAX(id), 0) FROM usage_logs WHERE user_id = ${Number(user.id)}`);
    return Number(rows[0][0]);
}

// "0.15" USD per million tokens -> 150000 micro-USD per million (exact, no floats).
export function micros(dec) {
    const [whole, frac = ''] = String(dec).split('.');
    return BigInt(whole || '0') * 1000000n + BigInt((frac + '000000').slice(0, 6));
}

let priceCache = null;

// prices(stack): model -> {input, output, cache_read, cache_write}, micro-USD per
// million tokens.
export async function prices(stack) {
    if (!priceCache) {
        priceCache = new Map();
        for (const p of (await ctl(stack, 'price', 'list')).data) {
            priceCache.set(p.model, {
                input: micros(p.input), output: micros(p.output),
                cache_read: micros(p.cache_read), cache_write: micros(p.cache_write),
            });
        }
    }
    return priceCache;
}

// The quota a usage_logs row should cost (group multiplier 1: 1 quota = 2 micro-USD).
export async function expectedQuota(stack, row) {
    const p = (await prices(stack)).get(row.model);
    if (!p) throw new Error(`no price for ${row.model}`);
    const sum = BigInt(row.input_tokens) * p.input +
        BigInt(row.output_tokens) * p.output +
        BigInt(row.cache_read_tokens) * p.cache_read +
        BigInt(row.cache_write_tokens) * p.cache_write;
    return Number((sum + 1999999n) / 2000000n);
}

// What a command run by fn ended with ({code, stdout, stderr}), for a failure message.
function ranAs(result) {
    if (!result || typeof result.code === 'undefined') return '';
    const tail = (t) => String(t || '').slice(-600).replace(/\s+/g, ' ');
    return `; the command exited ${result.code}, stdout: ${tail(result.stdout)}` +
        `, stderr: ${tail(result.stderr)}`;
}

// Bytes in the stack's log file name (0 if it has none yet).
function logSize(stack, name) {
    try { return statSync(`${stack.logs}/${name}`).size; } catch { return 0; }
}

// What nginx and tollgate logged of the requests since the sizes in `from` (for a
// failure message): one line a request, method, path and status.
function requestsSince(stack, from) {
    const part = (name) => {
        try {
            return readFileSync(`${stack.logs}/${name}`).subarray(from[name] ?? 0)
                .toString().split('\n');
        } catch { return []; }
    };
    const nginx = part('nginx-access.log').filter(Boolean)
        .map((l) => (l.match(/"[A-Z]+ [^"]*" \d+/) || [l])[0]);
    const gw = part('tollgate.log').filter((l) => / access /.test(l))
        .map((l) => l.replace(/^.* (method=)/, '$1').replace(/ rid=\S+/, ''));
    return `; nginx saw: ${nginx.join(' | ') || 'nothing'}; tollgate logged: ` +
        `${gw.join(' | ') || 'nothing'}`;
}

// charged(stack, user, fn, {calls}): run fn, then wait until `calls` usage_logs rows have
// appeared and the balance has settled to (before - their quota). Returns
// {result, rows, drop, before, after}; throws after 30 s if that never happens.
export async function charged(stack, user, fn, { calls = 1 } = {}) {
    const before = await quotaOf(stack, user);
    const afterId = await lastLogId(stack, user);
    const logs = Object.fromEntries(['nginx-access.log', 'tollgate.log']
        .map((n) => [n, logSize(stack, n)]));
    const result = await fn();
    const deadline = Date.now() + 30000;
    let rows = [];
    let now = before;
    for (;;) {
        rows = await logRows(stack, user, afterId);
        now = await quotaOf(stack, user);
        const billed = rows.reduce((s, r) => s + r.quota, 0);
        if (rows.length >= calls && now === before - billed) break;
        if (Date.now() > deadline) {
            throw new Error(`not settled after 30 s: ${rows.length} new log row(s), ` +
                `quota ${before} -> ${now}, rows bill ${billed}${ranAs(result)}` +
                requestsSince(stack, logs));
        }
        await sleep(100);
    }
    return { result, rows, drop: before - now, before, after: now };
}

// unbilled(stack, user, fn): run fn (expected to bill nothing) and return the quota
// before and after a short wait, with the rows logged meanwhile.
export async function unbilled(stack, user, fn) {
    const before = await quotaOf(stack, user);
    const afterId = await lastLogId(stack, user);
    const result = await fn();
    await sleep(600);
    return { result, before, after: await quotaOf(stack, user),
        rows: await logRows(stack, user, afterId) };
}
