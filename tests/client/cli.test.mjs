// The real Claude Code and Codex CLIs (pinned in package.json) against a running stack
// (STACK_DIR/stack.json): each completes a one-shot prompt through the gateway, prints
// the mock's text, and its user is charged (balance lowered by the usage_logs rows'
// quota).
// Both run offline: nothing but the gateway is contacted (telemetry, updates, plugin and
// model discovery are turned off), in throw-away HOME / CODEX_HOME folders.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadStack, newUser, charged, expectedQuota } from './lib.mjs';

const { stack, reason } = loadStack();
const BIN = fileURLToPath(new URL('./node_modules/.bin/', import.meta.url));
const CLAUDE = join(BIN, 'claude');
const CLAUDE_PKG = fileURLToPath(new URL('./node_modules/@anthropic-ai/claude-code/',
    import.meta.url));
const CODEX = join(BIN, 'codex');
const TIMEOUT_MS = 120000;

function skipReason(bin) {
    if (!stack) return reason;
    if (!existsSync(bin)) return `${bin} is missing: run npm ci in tests/client`;
    return false;
}

// The claude command: the native binary that the package's postinstall copies over its
// bin/claude.exe stub, or (if install scripts did not run) its wrapper, which finds the
// same binary in the platform package.
function claudeCommand() {
    if (statSync(join(CLAUDE_PKG, 'bin', 'claude.exe')).size > 1000000) return [CLAUDE];
    return [process.execPath, join(CLAUDE_PKG, 'cli-wrapper.cjs')];
}

// Process groups of the CLIs still running: killed if this test process is stopped, so
// that no CLI outlives the run (or the stack it talks to).
const running = new Set();
const killGroup = (pid) => {
    try { process.kill(-pid, 'SIGKILL'); } catch { /* already gone */ }
};
process.on('exit', () => running.forEach(killGroup));
for (const [sig, code] of [['SIGTERM', 143], ['SIGINT', 130], ['SIGHUP', 129]]) {
    process.once(sig, () => process.exit(code));
}

// runCli([cmd, ...pre], args, env, cwd): exit code and output of a CLI run in its own
// process group (stdin closed), killed with the group after TIMEOUT_MS.
function runCli([cmd, ...pre], args, env, cwd) {
    return new Promise((resolve) => {
        const child = spawn(cmd, [...pre, ...args], {
            env, cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
        });
        let stdout = '';
        let stderr = '';
        let timedOut = false;
        if (child.pid) running.add(child.pid);
        const timer = setTimeout(() => {
            timedOut = true;
            killGroup(child.pid);
        }, TIMEOUT_MS);
        child.stdout.on('data', (d) => { stdout += d; });
        child.stderr.on('data', (d) => { stderr += d; });
        child.on('error', (e) => { stderr += `spawn failed: ${e.message}`; });
        child.on('close', (code, signal) => {
            clearTimeout(timer);
            running.delete(child.pid);
            resolve({ code, signal, timedOut, stdout, stderr });
        });
    });
}

const describeRun = (r) => `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}` +
    `${r.timedOut ? ' after the time limit' : ''}\n` +
    `--- stdout\n${r.stdout}\n--- stderr\n${r.stderr.slice(-4000)}`;

// A minimal environment: nothing of the caller's credentials or settings leaks in.
function baseEnv(home) {
    return { PATH: process.env.PATH, HOME: home, TMPDIR: process.env.TMPDIR || tmpdir(),
        LANG: 'C.UTF-8', TERM: 'dumb', NO_COLOR: '1' };
}

async function mockLast() {
    const res = await fetch(`${stack.mock_url}/_mock/last`);
    assert.equal(res.status, 200);
    return res.json();
}

// Every row of a CLI's run is a successful call of `model` on `endpoint`, priced right;
// the balance dropped by their sum.
async function checkRows(bill, { endpoint, model, service }) {
    assert.ok(bill.rows.length >= 1, 'at least one usage_logs row');
    for (const row of bill.rows) {
        assert.equal(row.endpoint, endpoint);
        assert.equal(row.model, model);
        assert.equal(row.service, service);
        assert.equal(row.status, 200);
        assert.equal(row.is_stream, 1);
        assert.ok(row.input_tokens > 0 && row.output_tokens > 0, JSON.stringify(row));
        assert.equal(row.quota, await expectedQuota(stack, row), 'charge = price table');
    }
    const billed = bill.rows.reduce((s, r) => s + r.quota, 0);
    assert.ok(billed > 0);
    assert.equal(bill.drop, billed, 'balance lowered by the logged charges');
}

describe('Claude Code CLI', { skip: skipReason(CLAUDE) }, () => {
    const dirs = [];
    let user;
    before(async () => {
        user = await newUser(stack, 5);
    });
    after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

    const cases = [
        { how: 'ANTHROPIC_AUTH_TOKEN', model: 'claude-sonnet-4-20250514', chunks: 3 },
        { how: 'ANTHROPIC_API_KEY', model: 'claude-haiku-4-5', chunks: 5 },
    ];
    for (const { how, model, chunks } of cases) {
        test(`claude -p completes and is charged (${how}, ${model})`, async () => {
            const home = mkdtempSync(join(tmpdir(), 'tg-claude-'));
            dirs.push(home);
            const nonce = `n${Date.now().toString(36)}`;
            const env = {
                ...baseEnv(home),
                ANTHROPIC_BASE_URL: stack.base_url,
                [how]: user.key,
                DISABLE_AUTOUPDATER: '1',
                CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
                DISABLE_TELEMETRY: '1',
                DISABLE_ERROR_REPORTING: '1',
            };
            const prompt = `say hi [mock chunks=${chunks}] ${nonce}`;
            const args = ['-p', prompt, '--model', model];
            const bill = await charged(stack, user,
                () => runCli(claudeCommand(), args, env, home));
            const r = bill.result;
            assert.equal(r.code, 0, describeRun(r));
            const want = Array.from({ length: chunks }, (_, i) => `tok${i + 1}`)
                .join(' ');
            assert.ok(r.stdout.includes(want), describeRun(r));
            await checkRows(bill, { endpoint: '/v1/messages', model, service: 'claude' });
            assert.ok(bill.rows.some((row) => row.output_tokens === chunks));

            // What reached the upstream: the beta route and headers, the channel's key.
            const last = await mockLast();
            assert.equal(last.path, '/v1/messages');
            assert.match(last.query, /beta=true/);
            assert.ok(last.body.includes(nonce), 'the last upstream call is this run\'s');
            assert.match(last.headers['anthropic-beta'] ?? '', /claude-code-20250219/);
            assert.equal(last.headers['anthropic-version'], '2023-06-01');
            assert.equal(last.headers['x-api-key'], stack.mock_key);
            assert.equal(last.headers.authorization, undefined,
                'the caller\'s credentials are not forwarded');
        });
    }
});

// config.toml of a Codex home that talks only to the gateway.
function codexConfig(baseUrl) {
    return `model = "gpt-4o-mini"
model_provider = "tollgate"
check_for_update_on_startup = false

[analytics]
enabled = false

[features]
plugins = false
remote_plugin = false
apps = false
api_key_model_discovery = false

[model_providers.tollgate]
name = "tollgate"
base_url = "${baseUrl}/v1"
wire_api = "responses"
env_key = "TOLLGATE_API_KEY"
request_max_retries = 0
stream_max_retries = 0
stream_idle_timeout_ms = 60000
`;
}

describe('Codex CLI', { skip: skipReason(CODEX) }, () => {
    const dirs = [];
    let user;
    before(async () => {
        user = await newUser(stack, 5);
    });
    after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

    test('codex exec completes and is charged (custom provider, wire_api responses)',
        async () => {
            const home = mkdtempSync(join(tmpdir(), 'tg-codex-'));
            const work = mkdtempSync(join(tmpdir(), 'tg-codex-work-'));
            dirs.push(home, work);
            writeFileSync(join(home, 'config.toml'), codexConfig(stack.base_url));
            const nonce = `n${Date.now().toString(36)}`;
            const env = {
                ...baseEnv(home), CODEX_HOME: home, TOLLGATE_API_KEY: user.key,
            };
            const bill = await charged(stack, user, () => runCli([CODEX],
                ['exec', '--strict-config', '--skip-git-repo-check', '--color', 'never',
                    `say hi [mock chunks=4] ${nonce}`], env, work));
            const r = bill.result;
            assert.equal(r.code, 0, describeRun(r));
            assert.ok(r.stdout.includes('tok1 tok2 tok3 tok4'), describeRun(r));
            assert.doesNotMatch(r.stderr, /stream closed before response\.completed/);
            await checkRows(bill, { endpoint: '/v1/responses', model: 'gpt-4o-mini',
                service: 'codex' });
            assert.ok(bill.rows.some((row) => row.output_tokens === 4));

            const last = await mockLast();
            assert.equal(last.path, '/v1/responses');
            assert.ok(last.body.includes(nonce), 'the last upstream call is this run\'s');
            assert.equal(last.headers.authorization, `Bearer ${stack.mock_key}`);
            assert.ok(last.headers.session_id, 'Codex session id forwarded');
            const body = JSON.parse(last.body);
            assert.equal(body.stream, true);
            assert.equal(body.model, 'gpt-4o-mini');
        });
});
