// The registration proof of work of www/js/pow.js, checked against node's crypto.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { sha256, solve, zeroBits } from '../../www/js/pow.js';
import { stack } from './lib.js';

test('the JS SHA-256 matches node for every padding case', () => {
    for (const n of [0, 1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000]) {
        const b = new Uint8Array(n).map((_, i) => (i * 31 + n) & 255);
        assert.equal(Buffer.from(sha256(b)).toString('hex'), createHash('sha256').update(b).digest('hex'), `length ${n}`);
    }
});

test('zeroBits counts leading zero bits', () => {
    assert.equal(zeroBits(new Uint8Array([0, 0, 0x0f, 0xff])), 20);
    assert.equal(zeroBits(new Uint8Array([0x80])), 0);
    assert.equal(zeroBits(new Uint8Array(32)), 256);
});

test('both solvers find a nonce the server accepts', async () => {
    const ch = `v1.${Math.floor(Date.now() / 1000) + 300}.12.${'ab'.repeat(16)}.mac`;
    for (const noSubtle of [false, true]) {
        const { nonce } = await solve(ch, 12, { noSubtle });
        const h = createHash('sha256').update(ch + nonce).digest();
        assert.ok(zeroBits(h) >= 12, `noSubtle=${noSubtle}`);
    }
});

test('a solved live challenge registers an account', async () => {
    const base = stack().base_url;
    const ch = await (await fetch(`${base}/api/client/auth/challenge`)).json();
    const { nonce } = await solve(ch.challenge, ch.difficulty);
    const name = `pow${Date.now().toString(36)}`;
    const res = await fetch(`${base}/api/client/auth/register`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ email: `${name}@example.com`, username: name, password: 'Correct-Horse-42', challenge: ch.challenge, nonce }),
    });
    assert.equal(res.status, 201, await res.text());
});
