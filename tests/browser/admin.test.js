// The admin pages in a real browser: channels, prices, users, logs, status.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { newUser, openBrowser, screenshot, signIn, stack } from './lib.js';

describe('admin', () => {
    let b;

    before(async () => {
        b = await openBrowser();
        const s = stack();
        await signIn(b.page, s.admin.username, s.admin.password);
    });

    after(async () => {
        if (b) await b.close();
    });

    test('the admin lands on the channels and sees the stack\'s channels', async () => {
        const { page } = b;
        await page.waitForURL(/#\/admin\/channels$/);
        const table = page.getByRole('table', { name: 'Channels' });
        await table.locator('tr[data-channel="mock-openai"]').waitFor();
        const row = await table.locator('tr[data-channel="mock-openai"]').textContent();
        assert.match(row, /gpt-4o-mini/);
        assert.match(row, /enabled/);
        assert.equal(await page.locator('nav a[aria-current="page"]').textContent(), 'Channels');
        await screenshot(page, 'admin-channels');
    });

    test('a channel test reports its result', async () => {
        const { page, errors } = b;
        const row = page.locator('tr[data-channel="mock-openai"]');
        await row.getByRole('button', { name: 'Test' }).click();
        await page.locator('.toast', { hasText: /answered in \d+ ms/ }).waitFor();
        await row.filter({ hasText: /\d+ ms|not tested/ }).waitFor();
        assert.deepEqual(errors, []);
    });

    test('the admin adds a channel and then deletes it', async () => {
        const { page } = b;
        const name = `ui-chan-${Date.now().toString(36)}`;
        await page.locator('#add-channel').click();
        const dlg = page.getByRole('dialog', { name: 'Add a channel' });
        await dlg.getByLabel('Name').fill(name);
        await dlg.getByLabel('Type').selectOption('openai-compatible');
        await dlg.getByLabel('Base URL').fill(stack().mock_url);
        await dlg.getByLabel('API key').fill(stack().mock_key);
        await dlg.getByLabel('Models', { exact: true }).fill('ui-model-a, ui-model-b');
        await dlg.getByRole('button', { name: 'Add channel' }).click();
        await dlg.waitFor({ state: 'detached' });
        const row = page.locator(`tr[data-channel="${name}"]`);
        await row.waitFor();
        assert.match(await row.textContent(), /ui-model-a/);
        await row.getByRole('button', { name: 'Delete' }).click();
        await page.getByRole('dialog', { name: 'Delete channel?' }).getByRole('button', { name: 'Delete' }).click();
        await row.waitFor({ state: 'detached' });
    });

    test('the admin sees the prices and adds one', async () => {
        const { page } = b;
        await page.locator('nav a[href="#/admin/prices"]').click();
        const table = page.getByRole('table', { name: 'Prices' });
        await table.locator('tr[data-model="gpt-4o-mini"]').waitFor();
        assert.match(await table.locator('tr[data-model="gpt-4o-mini"]').textContent(), /\$0\.15.*\$0\.6/);
        const model = `ui-model-${Date.now().toString(36)}`;
        const f = page.locator('#price-form');
        await f.getByLabel('Model').fill(model);
        await f.getByLabel('Input', { exact: true }).fill('1.25');
        await f.getByLabel('Output', { exact: true }).fill('5');
        await f.getByLabel('Cache read', { exact: true }).fill('0.125');
        await f.getByRole('button', { name: 'Save price' }).click();
        const row = table.locator(`tr[data-model="${model}"]`);
        await row.waitFor();
        assert.match(await row.textContent(), /\$1\.25.*\$5.*\$0\.125/);
        // A bad value is shown next to its field.
        await f.getByLabel('Model').fill(model);
        await f.getByLabel('Input', { exact: true }).fill('1.1234567');
        await f.getByLabel('Output', { exact: true }).fill('1');
        await f.getByRole('button', { name: 'Save price' }).click();
        await f.locator('[data-error-for="input"]').filter({ hasText: /6 decimals/ }).waitFor();
        await screenshot(page, 'admin-prices');
        await row.getByRole('button', { name: 'Delete' }).click();
        await page.getByRole('dialog', { name: 'Delete price?' }).getByRole('button', { name: 'Delete' }).click();
        await row.waitFor({ state: 'detached' });
    });

    test('the admin finds a user and tops up the balance', async () => {
        const { page } = b;
        const u = await newUser(0);
        await page.goto('/#/admin/users');
        await page.getByLabel('Search', { exact: true }).fill(u.login);
        await page.getByRole('button', { name: 'Search' }).click();
        const row = page.locator(`tr[data-user="${u.login}"]`);
        await row.waitFor();
        await row.getByRole('button', { name: 'Balance' }).click();
        const dlg = page.getByRole('dialog', { name: `Adjust the balance of ${u.login}` });
        await dlg.getByLabel(/Change in USD/).fill('2.5');
        await dlg.getByLabel('Reason').fill('browser test');
        await dlg.getByRole('button', { name: 'Apply' }).click();
        await dlg.waitFor({ state: 'detached' });
        await row.filter({ hasText: '$2.50' }).waitFor();
        assert.match(await row.textContent(), /1,250,000/);
    });

    test('the admin reads the logs and the status', async () => {
        const { page, errors } = b;
        await page.goto('/#/admin/logs');
        await page.getByRole('table', { name: 'Request logs' }).waitFor();
        await page.getByLabel('Model').fill('gpt-4o-mini');
        await page.getByRole('button', { name: 'Filter' }).click();
        await page.getByRole('table', { name: 'Request logs' }).locator('tbody tr').first().waitFor();
        await page.goto('/#/admin/status');
        await page.locator('.stat', { hasText: 'Database' }).filter({ hasText: 'up' }).waitFor();
        assert.deepEqual(errors, []);
    });
});
