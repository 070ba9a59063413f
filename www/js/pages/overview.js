// overview: the signed-in user's landing page: balance, recent usage, next steps.

import { api, withQuery } from '../api.js';
import { card, fmtDate, fmtInt, fmtUsd, h, isoDay, pageHead, quotaUsd, stat, table, toast } from '../dom.js';

export function verifyBanner(profile) {
    if (!profile.email || profile.email_verified) return null;
    const btn = h('button', { type: 'button', class: 'btn btn-small' }, 'Send the mail again');
    btn.addEventListener('click', async () => {
        btn.disabled = true;
        try {
            const ans = await api('POST', '/api/client/auth/resend-verification', {});
            toast(ans.sent ? `Sent to ${profile.email}.` : 'Your address is already confirmed.');
        } catch (e) {
            toast(e.message, 'error');
        } finally {
            btn.disabled = false;
        }
    });
    return h('div', { class: 'banner', role: 'note' },
        h('span', null, `Please confirm your e-mail address (${profile.email}). `,
            h('a', { href: '#/verify' }, 'Enter the code'), ' or '), btn);
}

export async function overview(view) {
    const to = new Date();
    const from = new Date(to.getTime() - 6 * 86400000);
    const [profile, usage, keys] = await Promise.all([
        api('GET', '/api/client/users/profile'),
        api('GET', withQuery('/api/client/users/usage', { from: isoDay(from), to: isoDay(to), limit: 5 })),
        api('GET', '/api/client/keys'),
    ]);
    const live = keys.data.filter((k) => k.status !== 'revoked');
    const t = usage.totals || {};
    view.append(
        pageHead(`Hello, ${profile.display_name || profile.username}`,
            h('a', { class: 'btn btn-primary', href: '#/keys' }, 'Create an API key')),
        verifyBanner(profile),
        h('div', { class: 'stats' },
            stat('Balance', fmtUsd(profile.balance_usd), `${fmtInt(profile.quota)} quota`),
            stat('Spent (7 days)', fmtUsd(t.usd || 0), `${fmtInt(t.requests || 0)} requests`),
            stat('Tokens (7 days)', fmtInt(t.tokens || 0),
                `${fmtInt(t.input_tokens || 0)} in · ${fmtInt(t.output_tokens || 0)} out`),
            stat('API keys', `${live.length} / ${profile.plan_limits.max_keys}`, `plan ${profile.plan}`)),
        card('Recent requests',
            table('Recent requests', [
                { label: 'Time', value: (r) => fmtDate(r.created_at) },
                { label: 'Model', value: (r) => r.model },
                { label: 'Tokens', num: true, value: (r) => fmtInt(r.input_tokens + r.output_tokens) },
                { label: 'Cost', num: true, value: (r) => quotaUsd(r.quota) },
                { label: 'Status', num: true, value: (r) => String(r.status) },
            ], usage.items || [], { empty: 'No requests in the last 7 days.' }),
            h('p', null, h('a', { href: '#/usage' }, 'All usage →'))),
        card('Get started',
            h('ol', { class: 'steps' },
                h('li', null, h('a', { href: '#/keys' }, 'Create an API key'), ' and copy it: it is shown once.'),
                h('li', null, h('a', { href: '#/connect' }, 'Connect your tools'),
                    ': Claude Code, Codex CLI, the OpenAI and Anthropic SDKs.'),
                h('li', null, 'Watch your ', h('a', { href: '#/usage' }, 'usage'), ' and ',
                    h('a', { href: '#/billing' }, 'balance'), '.'))));
}
