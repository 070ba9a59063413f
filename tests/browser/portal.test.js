// The end-user portal in a real browser: sign-in errors, API keys (secret shown once),
// a call with the key, usage, logout, deep links, field errors, registration.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { mailLink, newUser, openBrowser, screenshot, shotDir, signIn, stack } from './lib.js';

describe('portal', () => {
    let b;
    let user;

    before(async () => {
        user = await newUser(5);
        b = await openBrowser();
        console.log(`# screenshots in ${shotDir}`);
    });

    after(async () => {
        if (b) await b.close();
    });

    test('a wrong password shows the error message', async () => {
        const { page } = b;
        await page.goto('/#/login');
        await page.getByLabel('Username or e-mail').fill(user.login);
        await page.getByLabel('Password', { exact: true }).fill('not-the-password');
        await page.getByRole('button', { name: 'Sign in' }).click();
        const alert = page.locator('form .form-error.show');
        await alert.waitFor();
        assert.match(await alert.textContent(), /invalid login or password/);
        assert.equal(await alert.getAttribute('role'), 'alert');
        assert.equal(await page.evaluate(() => sessionStorage.getItem('tg.access')), null);
        assert.match(page.url(), /#\/login/);
    });

    test('an empty form is refused next to the field', async () => {
        const { page } = b;
        await page.goto('/#/login');
        await page.getByLabel('Username or e-mail').fill('');
        await page.getByLabel('Password', { exact: true }).fill('');
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.locator('[data-error-for="login"]').filter({ hasText: /username or e-mail/i }).waitFor();
        assert.equal(await page.getByLabel('Username or e-mail').getAttribute('aria-invalid'), 'true');
    });

    test('a deep link asks to sign in, then opens the page', async () => {
        const { page } = b;
        await page.goto('/#/keys');
        await page.waitForURL(/#\/login\?next=/);
        await page.getByLabel('Username or e-mail').fill(user.login);
        await page.getByLabel('Password', { exact: true }).fill(user.password);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.waitForURL(/#\/keys$/);
        await page.getByRole('heading', { name: 'API keys', level: 1 }).waitFor();
        // Not an admin: no admin section, and admin pages send the user home.
        assert.equal(await page.locator('nav a[href="#/admin/channels"]').count(), 0);
        await page.goto('/#/admin/channels');
        await page.waitForURL(/#\/overview$/);
    });

    test('a user creates a key, sees the secret once, calls the API and sees the usage', async () => {
        const { page, errors } = b;
        await page.goto('/#/keys');
        await page.locator('#create-key').click();
        const dlg = page.getByRole('dialog', { name: 'Create an API key' });
        await dlg.getByLabel('Name', { exact: true }).fill('browser-test');
        await dlg.getByLabel('Models').fill('gpt-4o-mini, gpt-4o');
        await dlg.getByLabel('RPM limit').fill('30');
        await dlg.getByRole('button', { name: 'Create key' }).click();
        await dlg.waitFor({ state: 'detached' });

        const secretInput = page.locator('#new-key-secret');
        await secretInput.waitFor();
        const secret = await secretInput.inputValue();
        assert.match(secret, /^tg_[A-Za-z0-9_-]{32,}$/);
        assert.match(await page.locator('.secret-box').textContent(), /shown only this once/);
        // The list never shows the secret: only the masked form.
        const row = page.locator('tr', { hasText: 'browser-test' });
        const masked = (await row.locator('code.masked').textContent()).trim();
        assert.match(masked, /^tg_\w+\.\.\.\w{4}$/);
        assert.ok(!masked.includes(secret.slice(12)), 'the list shows only the masked key');
        assert.ok(secret.endsWith(masked.slice(-4)));
        assert.match(await row.textContent(), /30 rpm/);
        // Nothing of the secret is kept in the browser's storage.
        const stored = await page.evaluate(() => JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage }));
        assert.ok(!stored.includes(secret), 'the secret is not in web storage');
        await screenshot(page, 'keys-with-secret', { mask: [secretInput] });

        // The secret goes away for good once dismissed.
        await page.getByRole('button', { name: 'I have copied it' }).click();
        assert.equal(await page.locator('#new-key-secret').count(), 0);
        assert.ok(!(await page.content()).includes(secret));
        await screenshot(page, 'keys');

        // Use the key from here, as a tool would.
        const s = stack();
        const res = await fetch(`${s.base_url}/v1/chat/completions`, {
            method: 'POST',
            headers: { Authorization: `Bearer ${secret}`, 'Content-Type': 'application/json' },
            body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello from the browser test' }] }),
        });
        const body = await res.json();
        assert.equal(res.status, 200, JSON.stringify(body));
        assert.equal(body.object, 'chat.completion');

        await page.goto('/#/usage');
        await page.getByRole('heading', { name: 'Usage', level: 1 }).waitFor();
        // The gateway settles and logs a call just after answering it: ask again, as a
        // person would, until the call shows.
        const byModel = page.getByRole('table', { name: 'Usage by model' });
        const callRow = byModel.locator('tr', { hasText: 'gpt-4o-mini' });
        for (let i = 0; i < 20 && !(await callRow.count()); i++) {
            await page.waitForTimeout(250);
            await page.getByRole('button', { name: 'Show' }).click();
        }
        await callRow.waitFor();
        const byKey = page.getByRole('table', { name: 'Usage by key' });
        const cells = await byKey.locator('tr', { hasText: 'browser-test' }).locator('td').allTextContents();
        assert.deepEqual(cells.slice(0, 4), ['browser-test', '1', '10', '5']);
        const reqs = page.getByRole('table', { name: 'Requests' });
        assert.match(await reqs.locator('tbody tr').first().textContent(), /gpt-4o-mini.*\/v1\/chat\/completions/);
        await screenshot(page, 'usage');

        await page.goto('/#/billing');
        await page.getByRole('table', { name: 'Top-ups' }).locator('tr', { hasText: '$5.00' }).waitFor();
        await page.goto('/#/connect');
        await page.locator('#connect-claude-code').waitFor();
        const claude = await page.locator('#connect-claude-code').textContent();
        assert.ok(claude.includes(`export ANTHROPIC_BASE_URL="${s.base_url}"`));
        assert.match(claude, /export ANTHROPIC_AUTH_TOKEN="<your-api-key>"/);
        const codex = await page.locator('#connect-codex').textContent();
        assert.match(codex, /wire_api = "responses"/);
        assert.ok(codex.includes(`base_url = "${s.base_url}/v1"`));
        // A pasted key fills the snippets and lists the key's models; it stays in the page.
        await page.getByLabel(/API key \(optional/).fill(secret);
        await page.getByRole('button', { name: 'Load my models' }).click();
        await page.getByText(/\d+ models available to this key/).waitFor();
        assert.deepEqual(await page.getByLabel('OpenAI-style model').locator('option').allTextContents(),
            ['gpt-4o', 'gpt-4o-mini']);
        assert.ok((await page.locator('#connect-codex').textContent()).includes(`TOLLGATE_API_KEY="${secret}"`));
        await page.goto('/#/overview');
        assert.ok(!(await page.content()).includes(secret));
        assert.deepEqual(errors, []);
    });

    test('regenerate shows a new secret once; revoke stops the key', async () => {
        const { page, errors } = b;
        const s = stack();
        const call = (key) => fetch(`${s.base_url}/v1/models`, { headers: { Authorization: `Bearer ${key}` } });
        // Workers cache keys for key_cache_ms (1 s on the stack): a dropped key is refused
        // everywhere within that time.
        const refusedSoon = async (key) => {
            let st = 0;
            for (let i = 0; i < 30 && st !== 401; i++) {
                if (i) await new Promise((r) => setTimeout(r, 100));
                st = (await call(key)).status;
            }
            return st;
        };
        await page.goto('/#/keys');
        await page.locator('#create-key').click();
        const dlg = page.getByRole('dialog', { name: 'Create an API key' });
        await dlg.getByLabel('Name', { exact: true }).fill('to-rotate');
        await dlg.getByRole('button', { name: 'Create key' }).click();
        const first = await page.locator('#new-key-secret').inputValue();
        await page.getByRole('button', { name: 'I have copied it' }).click();
        assert.equal((await call(first)).status, 200);

        const row = page.locator('tr', { hasText: 'to-rotate' });
        await row.getByRole('button', { name: 'Regenerate' }).click();
        await page.getByRole('dialog', { name: 'Regenerate key?' }).getByRole('button', { name: 'Regenerate' }).click();
        const second = await page.locator('#new-key-secret').inputValue();
        assert.notEqual(second, first);
        await row.locator('code.masked', { hasText: `...${second.slice(-4)}` }).waitFor();
        await page.getByRole('button', { name: 'I have copied it' }).click();
        assert.equal(await refusedSoon(first), 401);
        assert.equal((await call(second)).status, 200);

        await row.getByRole('button', { name: 'Revoke' }).click();
        await page.getByRole('dialog', { name: 'Revoke key?' }).getByRole('button', { name: 'Revoke' }).click();
        await row.locator('.badge', { hasText: 'revoked' }).waitFor();
        assert.equal(await row.getByRole('button').count(), 0);
        assert.equal(await refusedSoon(second), 401);
        assert.deepEqual(errors, []);
    });

    test('a limit above the plan is shown next to its field', async () => {
        const { page } = b;
        await page.goto('/#/keys');
        await page.locator('#create-key').click();
        const dlg = page.getByRole('dialog', { name: 'Create an API key' });
        await dlg.getByLabel('Name', { exact: true }).fill('too-fast');
        await dlg.getByLabel('RPM limit').fill('999999');
        await dlg.getByRole('button', { name: 'Create key' }).click();
        const err = dlg.locator('[data-error-for="rpm"]');
        await err.filter({ hasText: /rpm may be at most/ }).waitFor();
        assert.equal(await dlg.getByLabel('RPM limit').getAttribute('aria-invalid'), 'true');
        await page.keyboard.press('Escape');
        await dlg.waitFor({ state: 'detached' });
    });

    test('an expired access token is refreshed without the user noticing', async () => {
        const { page } = b;
        await page.goto('/#/overview');
        await page.getByRole('heading', { name: /Hello/ }).waitFor();
        const before = await page.evaluate(() => sessionStorage.getItem('tg.refresh'));
        await page.evaluate(() => sessionStorage.setItem('tg.access', 'expired.token.value'));
        await page.goto('/#/billing');
        await page.getByRole('heading', { name: 'Billing', level: 1 }).waitFor();
        await page.getByText('Balance').first().waitFor();
        const afterTok = await page.evaluate(() => sessionStorage.getItem('tg.refresh'));
        assert.notEqual(afterTok, before, 'the refresh token was rotated');
        assert.match(page.url(), /#\/billing$/);
    });

    test('the profile renames the account and the top bar follows', async () => {
        const { page, errors } = b;
        await page.goto('/#/profile');
        const newName = `${user.login}x`;
        await page.getByLabel('Display name').fill('Browser Tester');
        await page.getByLabel('Username').fill(newName);
        await page.getByRole('button', { name: 'Save' }).first().click();
        await page.locator('.toast', { hasText: 'Profile saved.' }).waitFor();
        await page.locator('.topbar .who', { hasText: newName }).waitFor();
        user.login = newName;
        await page.goto('/#/overview');
        await page.getByRole('heading', { name: 'Hello, Browser Tester' }).waitFor();
        assert.deepEqual(errors, []);
    });

    test('logout returns to the login page', async () => {
        const { page } = b;
        await page.goto('/#/keys');
        await page.locator('#logout').click();
        await page.waitForURL(/#\/login$/);
        await page.getByRole('button', { name: 'Sign in' }).waitFor();
        assert.equal(await page.evaluate(() => sessionStorage.getItem('tg.access')), null);
        assert.equal(await page.locator('nav a').count(), 0);
        // The old pages are closed now.
        await page.goto('/#/keys');
        await page.waitForURL(/#\/login\?next=/);
    });

    test('a visitor registers (solving the proof of work) and lands signed in', async () => {
        const { page } = b;
        const name = `reg${Date.now().toString(36)}`;
        await page.goto('/#/register');
        await page.getByLabel('E-mail').fill(`${name}@example.com`);
        await page.getByLabel('Username').fill(name);
        await page.getByLabel('Password', { exact: true }).fill('Correct-Horse-42');
        await page.getByLabel('Repeat password').fill('Correct-Horse-42');
        await page.getByRole('button', { name: 'Create account' }).click();
        await page.waitForURL(/#\/overview$/, { timeout: 60000 });
        await page.getByRole('heading', { name: `Hello, ${name}` }).waitFor();
        assert.match(await page.locator('.banner').textContent(), /confirm your e-mail/);
        // The link in the confirmation mail opens the portal and confirms the address.
        const link = await mailLink(`${name}@example.com`, /Subject: Confirm your e-mail/);
        assert.match(link, /\/verify-email\?token=/);
        await page.goto(link);
        await page.getByText('your e-mail address is confirmed').waitFor();
        await page.goto('/#/profile');
        await page.locator('.badge', { hasText: 'verified' }).waitFor();
        assert.equal(await page.locator('.banner').count(), 0);
        await page.locator('#logout').click();
        await page.waitForURL(/#\/login$/);
    });

    test('a forgotten password is reset through the mailed link', async () => {
        const { page } = b;
        const u = await newUser(0);
        await page.goto('/#/login');
        await page.getByRole('link', { name: 'Forgot your password?' }).click();
        await page.getByLabel('E-mail').fill(u.email);
        await page.getByRole('button', { name: 'Send reset link' }).click();
        await page.getByText(/reset link is on its way/).waitFor();
        const link = await mailLink(u.email, /Subject: Reset your tollgate password/);
        await page.goto(link);
        await page.waitForURL(/#\/reset\?token=/);
        await page.getByLabel('New password').fill('Brand-New-Secret-77');
        await page.getByLabel('Repeat password').fill('Brand-New-Secret-77');
        await page.getByRole('button', { name: 'Set password' }).click();
        await page.waitForURL(/#\/login$/);
        await signIn(page, u.login, 'Brand-New-Secret-77');
        await page.locator('#logout').click();
        await page.waitForURL(/#\/login$/);
    });
});
