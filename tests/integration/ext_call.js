#!/usr/bin/env node
'use strict';
// ext_call.js: signed calls to the external user API for the integration tests.
//
//   node ext_call.js [options] METHOD PATH [BODY]
//
// Prints one JSON line per answer: {"status", "replayed", "body"} (body is the raw text).
// The partner comes from --key-id/--secret, else EXT_KEY_ID/EXT_SECRET, else the
// "partner" of $STACK_DIR/stack.json; the base URL from EXT_BASE_URL or stack.json.
//
//   --ts-offset N      sign with timestamp now + N seconds
//   --nonce X          use this nonce (default: 32 random hex characters)
//   --send-body TEXT   send TEXT instead of the signed BODY (tampering)
//   --sign-path P      sign path P instead of PATH
//   --signature S      send S instead of the computed signature
//   --omit HEADER      leave out one of key-id, timestamp, nonce, signature
//   --parallel N       send N copies at once (each with its own nonce; a barrier start)
//   --serial N         send N copies one after another

const fs = require('node:fs');
const path = require('node:path');
const { sign, newNonce } = require(path.join(__dirname, '../../sdk/js/index.js'));

function usage() {
  process.stderr.write('usage: ext_call.js [options] METHOD PATH [BODY]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const o = { tsOffset: 0, parallel: 0, serial: 1, omit: [] };
  const pos = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) usage();
      return argv[++i];
    };
    switch (a) {
      case '--key-id': o.keyId = next(); break;
      case '--secret': o.secret = next(); break;
      case '--ts-offset': o.tsOffset = Number(next()); break;
      case '--nonce': o.nonce = next(); break;
      case '--send-body': o.sendBody = next(); break;
      case '--sign-path': o.signPath = next(); break;
      case '--signature': o.signature = next(); break;
      case '--omit': o.omit.push(next()); break;
      case '--parallel': o.parallel = Number(next()); break;
      case '--serial': o.serial = Number(next()); break;
      default: pos.push(a);
    }
  }
  if (pos.length < 2) usage();
  [o.method, o.path, o.body] = pos;
  return o;
}

function stackPartner() {
  const dir = process.env.STACK_DIR;
  if (!dir) return {};
  const s = JSON.parse(fs.readFileSync(path.join(dir, 'stack.json'), 'utf8'));
  return { baseUrl: s.base_url, keyId: s.partner && s.partner.key_id,
    secret: s.partner && s.partner.secret };
}

async function once(o, base) {
  const body = o.body === undefined ? '' : o.body;
  // The server compares whole seconds: sign right after a second begins, so that an
  // offset near the ±300 s edge means the same on both clocks.
  if (o.tsOffset) {
    const ms = Date.now() % 1000;
    if (ms > 50) await new Promise((r) => setTimeout(r, 1000 - ms + 5));
  }
  const timestamp = String(Math.floor(Date.now() / 1000) + o.tsOffset);
  const nonce = o.nonce || newNonce();
  const signature = o.signature || sign({ secret: o.secret, method: o.method,
    pathWithQuery: o.signPath || o.path, timestamp, nonce, body: Buffer.from(body) });
  const headers = {
    'key-id': ['X-Tollgate-Key-Id', o.keyId],
    timestamp: ['X-Tollgate-Timestamp', timestamp],
    nonce: ['X-Tollgate-Nonce', nonce],
    signature: ['X-Tollgate-Signature', signature],
  };
  const h = {};
  for (const [k, [name, v]] of Object.entries(headers)) {
    if (!o.omit.includes(k)) h[name] = v;
  }
  const sent = o.sendBody !== undefined ? o.sendBody : body;
  if (sent) h['Content-Type'] = 'application/json';
  try {
    const res = await fetch(base + o.path, { method: o.method, headers: h,
      body: sent ? Buffer.from(sent) : undefined, signal: AbortSignal.timeout(30000) });
    return { status: res.status, replayed: res.headers.get('idempotent-replayed') === 'true',
      body: await res.text() };
  } catch (e) {
    return { status: 0, replayed: false, body: String(e.message) };
  }
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const st = stackPartner();
  o.keyId = o.keyId || process.env.EXT_KEY_ID || st.keyId;
  o.secret = o.secret || process.env.EXT_SECRET || st.secret;
  const base = (process.env.EXT_BASE_URL || st.baseUrl || '').replace(/\/+$/, '');
  if (!o.keyId || !o.secret || !base) {
    process.stderr.write('ext_call.js: no partner (stack.json has none?)\n');
    process.exit(2);
  }
  let answers = [];
  if (o.parallel > 0) {
    answers = await Promise.all(Array.from({ length: o.parallel }, () => once(o, base)));
  } else {
    for (let i = 0; i < o.serial; i++) answers.push(await once(o, base));
  }
  for (const a of answers) process.stdout.write(JSON.stringify(a) + '\n');
}

main();
