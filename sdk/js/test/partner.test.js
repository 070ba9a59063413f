'use strict';
// Tests of tollgate-partner: signing vectors offline, then every call against a running
// stack named by STACK_DIR (its stack.json gives base_url and partner {key_id, secret}).
//   STACK_DIR=/path/to/stack node --test test/

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { TollgatePartner, TollgateError, sign, canonical } = require('..');

function loadStack() {
  const dir = process.env.STACK_DIR;
  if (!dir) return null;
  try {
    const s = JSON.parse(fs.readFileSync(path.join(dir, 'stack.json'), 'utf8'));
    return s.partner && s.partner.key_id ? s : null;
  } catch {
    return null;
  }
}

const stack = loadStack();
const skip = stack ? false : 'STACK_DIR with a partner in stack.json is not set';
const client = stack && new TollgatePartner({
  baseUrl: stack.base_url, keyId: stack.partner.key_id, secret: stack.partner.secret,
});
const uniq = (p) => `${p}-${Date.now()}-${crypto.randomBytes(3).toString('hex')}`;

test('canonical string and signature match the server-side vector', () => {
  const body = '{"user":"u1","amount":"1.5"}';
  const c = canonical('POST', '/api/user/external/topup?x=1', 1700000000,
    'abcdef0123456789abcd', body);
  assert.equal(c, 'POST\n/api/user/external/topup?x=1\n1700000000\nabcdef0123456789abcd\n'
    + '621b833e651de9084371857d6aa7acc03f7b9a2b9bfe6f0a5060c962e15fc3fe');
  assert.equal(sign({ secret: 'secret', method: 'POST',
    pathWithQuery: '/api/user/external/topup?x=1', timestamp: '1700000000',
    nonce: 'abcdef0123456789abcd', body }),
  '7d0e5123d866e41af240fe23da69f7d830d226015cb575b11171f423e0734af3');
});

test('an empty body hashes as the empty string', () => {
  assert.match(canonical('GET', '/x', 1, 'n'.repeat(16), ''),
    /\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855$/);
});

test('signHeaders uses the clock and a fresh 32-hex nonce', () => {
  const c = new TollgatePartner({ baseUrl: 'http://x', keyId: 'k', secret: 's',
    now: () => 1700000000 });
  const a = c.signHeaders('GET', '/p', Buffer.alloc(0));
  const b = c.signHeaders('GET', '/p', Buffer.alloc(0));
  assert.equal(a['X-Tollgate-Timestamp'], '1700000000');
  assert.match(a['X-Tollgate-Nonce'], /^[0-9a-f]{32}$/);
  assert.notEqual(a['X-Tollgate-Nonce'], b['X-Tollgate-Nonce']);
  assert.match(a['X-Tollgate-Signature'], /^[0-9a-f]{64}$/);
});

test('sync, topup $12.34, info shows 6,170,000 quota', { skip }, async () => {
  const id = uniq('sdk');
  const u = await client.sync({ external_user_id: id, username: 'SDK user',
    email: 'sdk@example.com', login_type: 'email', external_data: { plan: 'gold' } });
  assert.equal(u.created, true);
  assert.equal(u.external_user_id, id);
  const again = await client.sync({ external_user_id: id, phone: '+86 138 0000 0000' });
  assert.equal(again.created, false);
  assert.equal(again.user_id, u.user_id);
  assert.equal(again.phone, '+86 138 0000 0000');

  const t = await client.topup({ external_user_id: id, amount_usd: '12.34',
    payment_id: `pay-${id}` });
  assert.equal(t.quota, 6170000);
  assert.equal(t.balance_after, 6170000);
  assert.equal(t.replayed, false);
  const info = await client.info(id);
  assert.equal(info.quota, 6170000);
  assert.equal(info.quota_usd, '12.34');
  assert.deepEqual(info.external_data, { plan: 'gold' });
});

test('a repeated payment_id replays; another amount is 409', { skip }, async () => {
  const id = uniq('sdk-idem');
  await client.sync({ external_user_id: id });
  const body = { external_user_id: id, amount_usd: '0.5', payment_id: `p-${id}` };
  const first = await client.topup(body);
  const second = await client.topup(body);
  assert.equal(second.replayed, true);
  assert.deepEqual({ ...second, replayed: false }, first);
  await assert.rejects(client.topup({ ...body, amount_usd: '0.6' }), (e) => {
    assert.ok(e instanceof TollgateError);
    assert.equal(e.status, 409);
    assert.equal(e.param, 'payment_id');
    return true;
  });
  assert.equal((await client.info(id)).quota, 250000);
});

test('bad amounts are 400 naming amount_usd', { skip }, async () => {
  const id = uniq('sdk-bad');
  await client.sync({ external_user_id: id });
  for (const amount of ['0', '-1', '1e3', '1.0000001', 'NaN', '100000.01', 0, -2,
    1.0000001, 1e15]) {
    await assert.rejects(client.topup({ external_user_id: id, amount_usd: amount,
      payment_id: uniq('p') }), (e) => e.status === 400 && e.param === 'amount_usd',
    `amount ${amount}`);
  }
  // JSON.stringify(1e20) is the integer 100000000000000000000, beyond 64 bits: the body
  // is refused as a whole before any field is read.
  await assert.rejects(client.topup({ external_user_id: id, amount_usd: 1e20,
    payment_id: uniq('p') }), (e) => e.status === 400);
  assert.equal((await client.info(id)).quota, 0);
});

test('token: secret once, idempotent replay, list masked, revoke', { skip }, async () => {
  const id = uniq('sdk-tok');
  await client.sync({ external_user_id: id });
  const spec = { external_user_id: id, name: 'sdk key', models: ['gpt-4o-mini'],
    idempotency_key: `idem-${id}` };
  const k = await client.token(spec);
  assert.match(k.key, /^tg_/);
  assert.ok(k.key.startsWith(k.prefix));
  const replay = await client.token(spec);
  assert.equal(replay.id, k.id);
  assert.equal(replay.prefix, k.prefix);
  assert.equal(replay.key, null);
  assert.equal(replay.replayed, true);

  const list = await client.tokens(id);
  assert.equal(list.data.length, 1);
  assert.equal(list.data[0].id, k.id);
  assert.ok(!JSON.stringify(list).includes(k.key));
  const r = await client.revokeToken(id, k.id);
  assert.equal(r.status, 'revoked');
  assert.equal((await client.tokens(id)).data[0].status, 'revoked');
});

test('stats: totals, by day, by model, top-ups', { skip }, async () => {
  const id = uniq('sdk-stats');
  await client.sync({ external_user_id: id });
  await client.topup({ external_user_id: id, amount_usd: 3, payment_id: `p-${id}` });
  const s = await client.stats(id);
  assert.equal(s.external_user_id, id);
  assert.match(s.from, /^\d{4}-\d{2}-\d{2}$/);
  assert.equal(s.topups.count, 1);
  assert.equal(s.topups.amount_usd, '3');
  assert.equal(s.topups.items[0].payment_id, `p-${id}`);
  assert.ok(Array.isArray(s.by_day) && Array.isArray(s.by_model));
  await assert.rejects(client.stats(id, { from: '2025-02-30' }), (e) => e.status === 400);
});

test('wrong secret is 401; unknown users are 404', { skip }, async () => {
  const bad = new TollgatePartner({ baseUrl: stack.base_url, keyId: stack.partner.key_id,
    secret: `${stack.partner.secret}x` });
  await assert.rejects(bad.info('anyone'), (e) => e.status === 401);
  await assert.rejects(client.info(uniq('nobody')), (e) => e.status === 404);
});

test('a clock 301 s off is refused; 290 s passes', { skip }, async () => {
  const id = uniq('sdk-clock');
  await client.sync({ external_user_id: id });
  const at = (off) => new TollgatePartner({ baseUrl: stack.base_url,
    keyId: stack.partner.key_id, secret: stack.partner.secret, retries: 0,
    now: () => Math.floor(Date.now() / 1000) + off });
  await assert.rejects(at(-301).info(id), (e) => e.status === 401);
  await assert.rejects(at(301).info(id), (e) => e.status === 401);
  assert.equal((await at(-290).info(id)).external_user_id, id);
  assert.equal((await at(290).info(id)).external_user_id, id);
});
