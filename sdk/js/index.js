'use strict';
// tollgate-partner: a dependency-free client of tollgate's external user API for Node 18+.
// Every call is signed with HMAC-SHA256 over
//   METHOD \n path-with-query \n timestamp \n nonce \n hex(SHA-256(body))
// and sent with the X-Tollgate-Key-Id, -Timestamp, -Nonce and -Signature headers.

const crypto = require('node:crypto');

const API = '/api/user/external';

/** An answer other than 2xx, or a transport failure (status 0). */
class TollgateError extends Error {
  constructor(status, body, message) {
    super(message);
    this.name = 'TollgateError';
    this.status = status;
    this.body = body;
    const e = body && typeof body === 'object' && body.error ? body.error : {};
    this.type = e.type || null;
    this.code = e.code || null;
    this.param = e.param || null;
  }
}

/** Lowercase hex SHA-256 of a string or bytes. */
function sha256Hex(data) {
  return crypto.createHash('sha256').update(data).digest('hex');
}

/** The string that is signed. body is the exact bytes sent ('' when there is none). */
function canonical(method, pathWithQuery, timestamp, nonce, body) {
  return [method.toUpperCase(), pathWithQuery, String(timestamp), nonce,
    sha256Hex(body || '')].join('\n');
}

/** Lowercase hex HMAC-SHA256(secret, canonical(...)). */
function sign({ secret, method, pathWithQuery, timestamp, nonce, body }) {
  return crypto.createHmac('sha256', secret)
    .update(canonical(method, pathWithQuery, timestamp, nonce, body))
    .digest('hex');
}

/** 32 hex characters (128 random bits). */
function newNonce() {
  return crypto.randomBytes(16).toString('hex');
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

class TollgatePartner {
  /**
   * @param {object} o
   * @param {string} o.baseUrl   e.g. "https://gateway.example.com" (no trailing /api)
   * @param {string} o.keyId     the partner key id ("tgpk_...")
   * @param {string} o.secret    the partner secret ("tgps_...")
   * @param {number} [o.timeoutMs=30000] per attempt
   * @param {number} [o.retries=2] extra attempts on network errors and 503, only for calls
   *   that are safe to repeat (everything except token without an idempotency_key)
   * @param {function} [o.fetch=globalThis.fetch]
   * @param {function} [o.now] seconds since the epoch (for tests)
   */
  constructor({ baseUrl, keyId, secret, timeoutMs = 30000, retries = 2, fetch, now } = {}) {
    if (!baseUrl || !keyId || !secret) {
      throw new TypeError('baseUrl, keyId and secret are required');
    }
    this.baseUrl = String(baseUrl).replace(/\/+$/, '');
    this.keyId = keyId;
    this.secret = secret;
    this.timeoutMs = timeoutMs;
    this.retries = retries;
    this.fetch = fetch || globalThis.fetch;
    this.now = now || (() => Math.floor(Date.now() / 1000));
    if (typeof this.fetch !== 'function') {
      throw new TypeError('no fetch: use Node 18 or later, or pass options.fetch');
    }
  }

  /** Signature headers for one attempt. overrides: {timestamp, nonce} (tests). */
  signHeaders(method, pathWithQuery, bodyBytes, overrides = {}) {
    const timestamp = String(overrides.timestamp ?? this.now());
    const nonce = overrides.nonce ?? newNonce();
    return {
      'X-Tollgate-Key-Id': this.keyId,
      'X-Tollgate-Timestamp': timestamp,
      'X-Tollgate-Nonce': nonce,
      'X-Tollgate-Signature': sign({
        secret: this.secret, method, pathWithQuery, timestamp, nonce, body: bodyBytes,
      }),
    };
  }

  /**
   * One signed call. Resolves to {status, headers, data}; rejects with TollgateError for
   * answers other than 2xx. options: {query, body, retry, timestamp, nonce}.
   */
  async request(method, path, options = {}) {
    const qs = options.query ? new URLSearchParams(
      Object.entries(options.query).filter(([, v]) => v !== undefined && v !== null),
    ).toString() : '';
    const pathWithQuery = qs ? `${path}?${qs}` : path;
    const bodyBytes = options.body === undefined ? Buffer.alloc(0)
      : Buffer.from(JSON.stringify(options.body), 'utf8');
    const attempts = 1 + (options.retry === false ? 0 : this.retries);
    let last;
    for (let i = 0; i < attempts; i++) {
      if (i > 0) await sleep(200 * 2 ** (i - 1));
      try {
        return await this.#attempt(method, pathWithQuery, bodyBytes, options);
      } catch (e) {
        last = e;
        if (!(e instanceof TollgateError) || (e.status !== 0 && e.status !== 503)) throw e;
      }
    }
    throw last;
  }

  async #attempt(method, pathWithQuery, bodyBytes, options) {
    const headers = this.signHeaders(method, pathWithQuery, bodyBytes, options);
    if (bodyBytes.length) headers['Content-Type'] = 'application/json';
    let res;
    try {
      res = await this.fetch(this.baseUrl + pathWithQuery, {
        method,
        headers,
        body: bodyBytes.length ? bodyBytes : undefined,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      throw new TollgateError(0, null, `request failed: ${e.message}`);
    }
    const text = await res.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = text;
    }
    if (res.status < 200 || res.status > 299) {
      const msg = data && data.error && data.error.message ? data.error.message : text;
      throw new TollgateError(res.status, data, `HTTP ${res.status}: ${msg}`);
    }
    return { status: res.status, headers: res.headers, data };
  }

  /** Create or update a user: {external_user_id, username, email, phone, ...}. */
  async sync(user) {
    return (await this.request('POST', `${API}/sync`, { body: user })).data;
  }

  /**
   * Credit USD: {external_user_id, amount_usd: "12.34", payment_id, payment_method?,
   * note?}. Repeating a payment_id answers as the first call did (replayed: true here).
   */
  async topup(t) {
    const r = await this.request('POST', `${API}/topup`, { body: t });
    return { ...r.data, replayed: r.headers.get('idempotent-replayed') === 'true' };
  }

  /**
   * A new API key: {external_user_id, name, expires_in_days?, services?, models?, rpm?,
   * rpd?, tpm?, max_concurrency?, quota_limit?, ip_allow?, idempotency_key?}. The secret
   * is in .key once; a replay with the same idempotency_key has key null.
   */
  async token(spec) {
    const retry = Boolean(spec && spec.idempotency_key);
    return (await this.request('POST', `${API}/token`, { body: spec, retry })).data;
  }

  /** Profile, status and balance of a user. */
  async info(externalUserId) {
    return (await this.request('GET', `${API}/${encodeURIComponent(externalUserId)}`)).data;
  }

  /** Usage by day and model, and top-ups, from..to (inclusive "YYYY-MM-DD", UTC). */
  async stats(externalUserId, { from, to } = {}) {
    const path = `${API}/${encodeURIComponent(externalUserId)}/stats`;
    return (await this.request('GET', path, { query: { from, to } })).data;
  }

  /** The user's API keys, masked. */
  async tokens(externalUserId, { limit, offset } = {}) {
    const path = `${API}/${encodeURIComponent(externalUserId)}/tokens`;
    return (await this.request('GET', path, { query: { limit, offset } })).data;
  }

  /** Revoke one of the user's keys (at once). Repeating it is harmless. */
  async revokeToken(externalUserId, tokenId) {
    const path = `${API}/${encodeURIComponent(externalUserId)}/tokens/${encodeURIComponent(
      String(tokenId))}`;
    return (await this.request('DELETE', path)).data;
  }
}

module.exports = { TollgatePartner, TollgateError, sign, canonical, sha256Hex, newNonce };
