// Shared helpers of the browser tests: the stack under test, Debian's chromium through
// playwright-core (never a downloaded browser), tollgatectl, screenshots.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';

const run = promisify(execFile);

/** stack.json of the running stack ($STACK_DIR). */
export function stack() {
    const dir = process.env.STACK_DIR;
    if (!dir) throw new Error('set STACK_DIR to a folder started with scripts/stack up');
    return JSON.parse(readFileSync(join(dir, 'stack.json'), 'utf8'));
}

/** One folder per test run for screenshots (kept; its path is printed). */
export const shotDir = process.env.SCREENSHOT_DIR || mkdtempSync(join(tmpdir(), 'tollgate-browser-'));

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/**
 * A fresh browser with its own user-data dir. Returns {context, page, errors, close}:
 * errors collects page errors and console errors (the tests assert it stays empty).
 */
export async function openBrowser(opts = {}) {
    const userData = mkdtempSync(join(tmpdir(), 'tollgate-chromium-'));
    const context = await chromium.launchPersistentContext(userData, {
        executablePath: CHROMIUM,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
            '--disable-background-networking', '--disable-component-update', '--no-first-run',
            '--disable-sync'],
        viewport: opts.viewport || { width: 1280, height: 860 },
        colorScheme: opts.colorScheme || 'light',
        baseURL: stack().base_url,
        timeout: 30000,
    });
    context.setDefaultTimeout(15000);
    const page = context.pages()[0] || (await context.newPage());
    const errors = [];
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
        // A failed API call (401 on a wrong password) is logged by chromium as a resource
        // error: expected, the page handles it.
        if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) {
            errors.push(`console: ${m.text()}`);
        }
    });
    return {
        context,
        page,
        errors,
        async close() {
            await context.close();
            rmSync(userData, { recursive: true, force: true });
        },
    };
}

/** tollgatectl --json on the stack's config. Returns the parsed answer. */
export async function ctl(...args) {
    const s = stack();
    const { stdout } = await run(join(s.bin, 'tollgatectl'), ['-c', s.config, '--json', ...args]);
    return stdout.trim() ? JSON.parse(stdout) : null;
}

let seq = 0;

/** A new user with a balance: {login, email, password}. */
export async function newUser(usd = 5) {
    seq += 1;
    const login = `ui${Date.now().toString(36)}${process.pid % 1000}${seq}`;
    const u = { login, email: `${login}@example.com`, password: `Pw-${login}-Zq9!` };
    await ctl('user', 'create', login, '--email', u.email, '--password', u.password);
    if (usd) await ctl('user', 'topup', login, '--usd', String(usd));
    return u;
}

/** Sign in through the login form and wait for the landing page. */
export async function signIn(page, login, password) {
    await page.goto('/#/login');
    await page.getByLabel('Username or e-mail').fill(login);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#logout').waitFor();
}

export async function screenshot(page, name, opts = {}) {
    const path = join(shotDir, `${name}.png`);
    await page.screenshot({ path, fullPage: true, ...opts });
    return path;
}

/**
 * The link of the newest mail the stack "sent" to address with a subject matching re
 * (the stack delivers mail as files into its mail folder). Waits up to 10 s.
 */
export async function mailLink(address, re) {
    const dir = join(stack().dir, 'mail');
    for (let i = 0; i < 100; i++) {
        const files = readdirSync(dir).filter((f) => f.endsWith('.eml')).sort().reverse();
        for (const f of files) {
            const text = readFileSync(join(dir, f), 'utf8');
            if (text.split(/\r?\n/).includes(`To: ${address}`) && re.test(text)) {
                const m = text.match(/https?:\/\/\S+\?token=[A-Za-z0-9_-]+/);
                if (m) return m[0];
            }
        }
        await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no mail to ${address} matching ${re}`);
}
