// admin: users (search, quota, suspend, plan), request logs (filters and paging) and
// the gateway's status.

import { api, currentUser, publicApi, withQuery } from '../api.js';
import {
    badge, btn, card, clear, confirmAction, field, fieldError, fmtDate, fmtInt, form, h, input, modal,
    onSubmit, pageHead, pager, QUOTA_PER_USD, quotaUsd, select, stat, table, toast,
} from '../dom.js';

const PAGE = 50;

// ------------------------------------------------------------------ users

function quotaDialog(u, reload) {
    return modal(`Adjust the balance of ${u.username}`, (close) => {
        const preview = h('p', { class: 'hint', 'aria-live': 'polite' });
        const amount = input('delta', { type: 'text', inputmode: 'decimal', required: true, placeholder: '10 or -2.50' });
        amount.addEventListener('input', () => {
            const n = Number(amount.value);
            preview.textContent = amount.value && Number.isFinite(n)
                ? `${n >= 0 ? 'Adds' : 'Takes'} ${fmtInt(Math.abs(Math.round(n * QUOTA_PER_USD)))} quota.` : '';
        });
        const f = form({ class: 'stack' },
            h('p', null, `Balance now: ${quotaUsd(u.quota)} (${fmtInt(u.quota)} quota).`),
            field('Change in USD (negative to take away)', amount), preview,
            field('Reason', input('reason', { maxlength: 255, placeholder: 'e.g. refund for outage' })),
            h('div', { class: 'actions' },
                h('button', { type: 'button', class: 'btn', onclick: () => close() }, 'Cancel'),
                h('button', { type: 'submit', class: 'btn btn-primary' }, 'Apply')));
        onSubmit(f, async (v) => {
            const n = Number(v.delta);
            const delta = Math.round(n * QUOTA_PER_USD);
            if (!v.delta.trim() || !Number.isFinite(n) || delta === 0) {
                throw fieldError('delta', 'Enter a non-zero amount in USD.');
            }
            const body = { delta };
            if (v.reason.trim()) body.reason = v.reason.trim();
            const ans = await api('POST', `/api/admin/users/${u.id}/quota`, body);
            close();
            toast(`${u.username} now has ${quotaUsd(ans.quota)}.`);
            await reload();
        });
        return f;
    });
}

function planDialog(u, reload) {
    return modal(`Plan of ${u.username}`, (close) => {
        const f = form({ class: 'stack' },
            field('Plan', select('plan', [['free', 'Free'], ['basic', 'Basic'], ['pro', 'Pro']], u.plan)),
            h('p', { class: 'hint' }, 'The plan sets each key’s ceilings (rpm, rpd, tpm) and the number of keys.'),
            h('div', { class: 'actions' },
                h('button', { type: 'button', class: 'btn', onclick: () => close() }, 'Cancel'),
                h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save')));
        onSubmit(f, async (v) => {
            await api('PUT', `/api/admin/users/${u.id}/plan`, { plan: v.plan });
            close();
            toast(`${u.username} is on the ${v.plan} plan.`);
            await reload();
        });
        return f;
    });
}

export async function users(view, { query }) {
    let q = query.get('q') || '';
    let offset = 0;
    const list = h('div');
    const me = currentUser();

    const setStatus = async (u, suspend) => {
        if (suspend && !(await confirmAction('Suspend user?',
            `${u.username} is signed out and their keys stop working until unsuspended.`, 'Suspend'))) return;
        try {
            await api('POST', `/api/admin/users/${u.id}/${suspend ? 'suspend' : 'unsuspend'}`, {});
            toast(`${u.username} ${suspend ? 'suspended' : 'active again'}.`);
            await load();
        } catch (e) {
            toast(e.message, 'error');
        }
    };

    const actions = (u) => {
        if (u.status === 'deleted') return h('span', { class: 'muted' }, 'deleted');
        return h('div', { class: 'row-actions' },
            h('button', { type: 'button', class: 'btn btn-small', onclick: () => quotaDialog(u, load) }, 'Balance'),
            h('button', { type: 'button', class: 'btn btn-small', onclick: () => planDialog(u, load) }, 'Plan'),
            h('a', { class: 'btn btn-small', href: `#/admin/logs?user_id=${u.id}` }, 'Logs'),
            me && me.id === u.id ? null : h('button', {
                type: 'button', class: 'btn btn-small btn-danger',
                onclick: () => setStatus(u, u.status === 'active'),
            }, u.status === 'active' ? 'Suspend' : 'Unsuspend'));
    };

    async function load() {
        const ans = await api('GET', withQuery('/api/admin/users', { q, limit: PAGE, offset }));
        clear(list).append(table('Users', [
            { label: 'ID', num: true, value: (u) => String(u.id) },
            {
                label: 'User',
                value: (u) => h('div', null,
                    h('div', { class: 'strong' }, u.username, u.role === 'admin' ? [' ', badge('admin')] : null),
                    h('div', { class: 'muted small' },
                        u.email || (u.external_user_id ? `external ${u.external_user_id}` : ''))),
            },
            { label: 'Status', value: (u) => badge(u.status) },
            { label: 'Plan', value: (u) => u.plan },
            {
                label: 'Balance', num: true,
                value: (u) => h('div', null, quotaUsd(u.quota), h('div', { class: 'muted small' }, fmtInt(u.quota))),
            },
            { label: 'Spent', num: true, value: (u) => quotaUsd(u.used_quota) },
            { label: 'Requests', num: true, value: (u) => fmtInt(u.request_count) },
            { label: 'Created', value: (u) => fmtDate(u.created_at, true) },
            { label: 'Actions', value: actions },
        ], ans.data, { empty: q ? `No user matches “${q}”.` : 'No users.', rowAttrs: (u) => ({ 'data-user': u.username }) }),
        pager(offset, PAGE, ans.data.length, ans.data.length === PAGE, (o) => { offset = o; load(); }));
    }

    const f = form({ class: 'filters', role: 'search', 'aria-label': 'Search users' },
        field('Search', input('q', { type: 'search', value: q, placeholder: 'username, e-mail or external id' })),
        h('div', { class: 'field field-button' }, h('button', { type: 'submit', class: 'btn' }, 'Search')));
    onSubmit(f, async (v) => {
        q = v.q.trim();
        offset = 0;
        await load();
    });
    view.append(pageHead('Users'), f, card(null, list));
    await load();
}

// ------------------------------------------------------------------ logs

const LOG_FILTERS = [['user_id', 'User ID', 'number'], ['key_id', 'Key ID', 'number'],
    ['channel_id', 'Channel ID', 'number'], ['model', 'Model', 'text'], ['status', 'HTTP status', 'number'],
    ['from', 'From', 'date'], ['to', 'To', 'date']];

export async function logs(view, { query }) {
    const filters = {};
    for (const [name] of LOG_FILTERS) if (query.get(name)) filters[name] = query.get(name);
    let offset = 0;
    const list = h('div');

    async function load() {
        const ans = await api('GET', withQuery('/api/admin/logs', { ...filters, limit: PAGE, offset }));
        const two = (a, b) => h('div', null, h('div', null, a), h('div', { class: 'muted small' }, b));
        clear(list).append(table('Request logs', [
            {
                label: 'Time',
                value: (l) => two(fmtDate(l.created_at), h('code', { title: l.request_id }, l.request_id.slice(0, 12))),
            },
            {
                label: 'User / key',
                value: (l) => two(h('a', { href: `#/admin/logs?user_id=${l.user_id}` }, `user ${l.user_id}`),
                    `key ${l.key_id ?? '—'} · ch ${l.channel_id ?? '—'}`),
            },
            { label: 'Model', value: (l) => two(h('code', null, l.model), l.endpoint) },
            {
                label: 'Tokens', num: true,
                value: (l) => two(`${fmtInt(l.input_tokens)} / ${fmtInt(l.output_tokens)}`,
                    l.cache_read_tokens || l.cache_write_tokens
                        ? `cache ${fmtInt(l.cache_read_tokens)} / ${fmtInt(l.cache_write_tokens)}` : 'in / out'),
            },
            {
                label: 'Cost', num: true,
                value: (l) => two(`${quotaUsd(l.quota)}${l.estimated ? '*' : ''}`, `${fmtInt(l.quota)} q`),
            },
            {
                label: 'Duration', num: true,
                value: (l) => two(`${fmtInt(l.duration_ms)} ms${l.stream ? ' ⇣' : ''}`, `ttfb ${fmtInt(l.ttfb_ms)}`),
            },
            {
                label: 'Status',
                value: (l) => two(h('span', { class: l.status >= 400 ? 'bad strong' : 'good strong' }, String(l.status)),
                    l.error_class || l.client_ip || ''),
            },
        ], ans.data, { empty: 'No requests match.' }),
        h('p', { class: 'hint' }, '⇣ streamed · * estimated usage'),
        pager(offset, PAGE, ans.data.length, ans.has_more, (o) => { offset = o; load(); }));
    }

    const f = form({ class: 'filters', 'aria-label': 'Filter logs' },
        LOG_FILTERS.map(([name, label, type]) => field(label, input(name, {
            type, value: filters[name] || '', min: type === 'number' ? 1 : null,
        }))),
        h('div', { class: 'field field-button' }, h('button', { type: 'submit', class: 'btn' }, 'Filter')));
    onSubmit(f, async (v) => {
        for (const [name] of LOG_FILTERS) {
            if (v[name].trim()) filters[name] = v[name].trim();
            else delete filters[name];
        }
        offset = 0;
        await load();
    });
    view.append(pageHead('Logs'), f, card(null, list));
    await load();
}

// ------------------------------------------------------------------ status

function uptime(s) {
    const d = Math.floor(s / 86400);
    const hh = Math.floor((s % 86400) / 3600);
    const m = Math.floor((s % 3600) / 60);
    return d ? `${d}d ${hh}h` : hh ? `${hh}h ${m}m` : `${m}m ${s % 60}s`;
}

export async function status(view) {
    const out = h('div');
    const load = async () => {
        let s;
        try {
            s = await publicApi('GET', '/api/status');
        } catch (e) {
            s = { status: 'unreachable', database: e.status === 503 ? 'down' : 'unknown', message: e.message };
        }
        clear(out).append(h('div', { class: 'stats' },
            stat('Gateway', badge(s.status, s.status === 'ok' ? 'active' : 'suspended'), s.message || ''),
            stat('Database', badge(s.database, s.database === 'up' ? 'active' : 'suspended'),
                s.schema_version !== undefined ? `schema ${s.schema_version}` : ''),
            stat('Version', s.version || '—', s.worker !== undefined ? `answered by worker ${s.worker}` : ''),
            stat('Uptime', s.uptime_seconds !== undefined ? uptime(s.uptime_seconds) : '—')),
        h('p', { class: 'muted' }, `Checked ${new Date().toLocaleTimeString()}. Prometheus metrics: `,
            h('a', { href: '/metrics', target: '_blank', rel: 'noopener' }, '/metrics'), '.'));
    };
    view.append(pageHead('Status', btn('Refresh', load, 'btn')), card(null, out));
    await load();
    const timer = setInterval(load, 15000);
    return () => clearInterval(timer);
}
