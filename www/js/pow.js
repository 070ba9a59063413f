// pow: solve the registration proof of work. The server hands out a signed challenge
// and a difficulty; we look for a nonce such that SHA-256(challenge + nonce) starts
// with `difficulty` zero bits. Uses crypto.subtle (batched, so the page stays
// responsive) and a plain-JS SHA-256 where crypto.subtle is missing (plain HTTP on a
// non-local address is not a secure context). No DOM: node can import it too.

const enc = new TextEncoder();

/** Leading zero bits of a digest. */
export function zeroBits(bytes) {
    let bits = 0;
    for (const b of bytes) {
        if (b === 0) {
            bits += 8;
            continue;
        }
        return bits + Math.clz32(b) - 24;
    }
    return bits;
}

// ------------------------------------------------------------------ plain SHA-256

const K = new Uint32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/** SHA-256 of bytes, in JS. Returns a Uint8Array(32). */
export function sha256(bytes) {
    const len = bytes.length;
    const blocks = Math.ceil((len + 9) / 64);
    const m = new Uint8Array(blocks * 64);
    m.set(bytes);
    m[len] = 0x80;
    const dv = new DataView(m.buffer);
    dv.setUint32(m.length - 8, Math.floor(len / 0x20000000));
    dv.setUint32(m.length - 4, (len * 8) >>> 0);
    const hh = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
    const w = new Uint32Array(64);
    for (let off = 0; off < m.length; off += 64) {
        for (let i = 0; i < 16; i++) w[i] = dv.getUint32(off + i * 4);
        for (let i = 16; i < 64; i++) {
            const a = w[i - 15], b = w[i - 2];
            const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
            const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
            w[i] = (w[i - 16] + s0 + w[i - 7] + s1) >>> 0;
        }
        let [a, b, c, d, e, f, g, x] = hh;
        for (let i = 0; i < 64; i++) {
            const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
            const t1 = (x + S1 + ((e & f) ^ (~e & g)) + K[i] + w[i]) >>> 0;
            const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
            const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
            x = g; g = f; f = e; e = (d + t1) >>> 0;
            d = c; c = b; b = a; a = (t1 + t2) >>> 0;
        }
        hh[0] += a; hh[1] += b; hh[2] += c; hh[3] += d;
        hh[4] += e; hh[5] += f; hh[6] += g; hh[7] += x;
    }
    const out = new Uint8Array(32);
    const ov = new DataView(out.buffer);
    for (let i = 0; i < 8; i++) ov.setUint32(i * 4, hh[i]);
    return out;
}

// ------------------------------------------------------------------ solver

const BATCH = 2048;

function subtleOf(opts) {
    if (opts && opts.noSubtle) return null;
    const c = globalThis.crypto;
    return c && c.subtle && typeof c.subtle.digest === 'function' ? c.subtle : null;
}

/**
 * Find a nonce for challenge at difficulty bits. opts: onProgress(tried), signal
 * (AbortSignal), noSubtle (force the JS hash). Resolves with {nonce, tried}.
 */
export async function solve(challenge, difficulty, opts = {}) {
    if (!(difficulty > 0)) return { nonce: '0', tried: 0 };
    const subtle = subtleOf(opts);
    const prefix = enc.encode(challenge);
    let n = 0;
    for (;;) {
        if (opts.signal && opts.signal.aborted) throw new Error('cancelled');
        const nonces = [];
        for (let i = 0; i < BATCH; i++) nonces.push(String(n + i));
        const inputs = nonces.map((s) => {
            const tail = enc.encode(s);
            const buf = new Uint8Array(prefix.length + tail.length);
            buf.set(prefix);
            buf.set(tail, prefix.length);
            return buf;
        });
        const digests = subtle
            ? await Promise.all(inputs.map((b) => subtle.digest('SHA-256', b)))
            : inputs.map(sha256);
        for (let i = 0; i < digests.length; i++) {
            if (zeroBits(new Uint8Array(digests[i])) >= difficulty) {
                return { nonce: nonces[i], tried: n + i + 1 };
            }
        }
        n += BATCH;
        if (opts.onProgress) opts.onProgress(n);
        // Let the page paint between batches when hashing in JS.
        if (!subtle) await new Promise((r) => setTimeout(r, 0));
    }
}
