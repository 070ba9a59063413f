// usage and billing: the user's calls by day, model and key; balance, top-ups and
// charges. Days are UTC days, as the API counts them.

import { api, withQuery } from '../api.js';
import {
    card, clear, field, fmtDate, fmtInt, fmtUsd, form, h, input, isoDay, onSubmit, pageHead,
    pager, QUOTA_PER_USD, select, stat, table,
} from '../dom.js';

const PAGE = 50;

function defaultRange(query) {
    const to = new Date();
    const from = new Date(to.getTime() - 29 * 86400000);
    return { from: query.get('from') || isoDay(from), to: query.get('to') || isoDay(to) };
}

function rangeForm(range, extra, onChange) {
    const f = form({ class: 'filters', 'aria-label': 'Date range' },
        field('From', input('from', { type: 'date', value: range.from, required: true })),
        field('To', input('to', { type: 'date', value: range.to, required: true })),
        extra,
        h('div', { class: 'field field-button' }, h('button', { type: 'submit', class: 'btn' }, 'Show')));
    return onSubmit(f, onChange);
}

const tokenCols = [
    { label: 'Requests', num: true, value: (r) => fmtInt(r.requests) },
    { label: 'Input tokens', num: true, value: (r) => fmtInt(r.input_tokens) },
    { label: 'Output tokens', num: true, value: (r) => fmtInt(r.output_tokens) },
    { label: 'Cache read', num: true, value: (r) => fmtInt(r.cache_read_tokens) },
    { label: 'Cost', num: true, value: (r) => fmtUsd(r.usd) },
];

function newerOlder(offset, count, onPage) {
    return pager(offset, PAGE, count, count === PAGE, onPage, ['← Newer', 'Older →']);
}

export async function usage(view, { query }) {
    const range = defaultRange(query);
    let keyId = query.get('key') || '';
    let offset = 0;
    const out = h('div', { class: 'stack-lg' });
    const keys = (await api('GET', '/api/client/keys')).data;
    const keyName = (id) => (keys.find((k) => k.id === id) || {}).name || `#${id}`;
    const keySel = field('Key', select('key', [['', 'All keys'],
        ...keys.map((k) => [String(k.id), `${k.name} (${k.key})`])], keyId));

    async function load() {
        const path = keyId ? `/api/client/keys/${encodeURIComponent(keyId)}/usage` : '/api/client/users/usage';
        const u = await api('GET', withQuery(path, { ...range, limit: PAGE, offset }));
        const t = u.totals || {};
        clear(out).append(
            h('div', { class: 'stats' },
                stat('Requests', fmtInt(t.requests || 0)),
                stat('Tokens', fmtInt(t.tokens || 0),
                    `${fmtInt(t.input_tokens || 0)} in · ${fmtInt(t.output_tokens || 0)} out`),
                stat('Cost', fmtUsd(t.usd || 0), `${fmtInt(t.quota || 0)} quota`),
                stat('Cache tokens', fmtInt((t.cache_read_tokens || 0) + (t.cache_write_tokens || 0)),
                    `${fmtInt(t.cache_read_tokens || 0)} read · ${fmtInt(t.cache_write_tokens || 0)} write`)),
            h('p', { class: 'muted small' }, `${u.from} to ${u.to} (UTC days).`),
            card('By day', table('Usage by day', [{ label: 'Day', value: (r) => r.day }, ...tokenCols],
                u.by_day, { empty: 'No calls in this range.' })),
            card('By model', table('Usage by model',
                [{ label: 'Model', value: (r) => h('code', null, r.model) }, ...tokenCols],
                u.by_model, { empty: 'No calls in this range.' })),
            keyId ? null : card('By key', table('Usage by key',
                [{ label: 'Key', value: (r) => r.name || keyName(r.key_id) }, ...tokenCols],
                u.by_key, { empty: 'No calls in this range.' })),
            card('Requests', table('Requests', [
                { label: 'Time', value: (r) => fmtDate(r.created_at) },
                { label: 'Key', value: (r) => keyName(r.key_id) },
                { label: 'Model', value: (r) => h('code', null, r.model) },
                { label: 'Endpoint', value: (r) => r.endpoint },
                { label: 'In', num: true, value: (r) => fmtInt(r.input_tokens) },
                { label: 'Out', num: true, value: (r) => fmtInt(r.output_tokens) },
                { label: 'Cost', num: true, value: (r) => fmtUsd(r.usd) },
                { label: 'Time (ms)', num: true, value: (r) => fmtInt(r.duration_ms) },
                {
                    label: 'Status', num: true,
                    value: (r) => h('span', { class: r.status >= 400 ? 'bad' : 'good' },
                        String(r.status), r.error ? ` ${r.error}` : ''),
                },
            ], u.items, { empty: 'No requests in this range.' }),
            newerOlder(offset, u.items.length, (o) => { offset = o; load(); })));
    }

    view.append(pageHead('Usage'),
        rangeForm(range, keySel, async (v) => {
            range.from = v.from;
            range.to = v.to;
            keyId = v.key;
            offset = 0;
            await load();
        }), out);
    await load();
}

export async function billing(view, { query }) {
    const range = defaultRange(query);
    let offset = 0;
    const out = h('div', { class: 'stack-lg' });

    async function load() {
        const b = await api('GET', withQuery('/api/client/users/billing', { ...range, limit: PAGE, offset }));
        const perUsd = b.quota_per_usd || QUOTA_PER_USD;
        clear(out).append(
            h('div', { class: 'stats' },
                stat('Balance', fmtUsd(b.balance_usd), `${fmtInt(b.quota)} quota`),
                stat('Spent in total', fmtUsd(b.used_usd), `${fmtInt(b.used_quota)} quota`),
                stat('Top-ups in range', fmtUsd(b.topups.usd), `${fmtInt(b.topups.count)} top-ups`),
                stat('Charges in range', fmtUsd(b.charges.usd), `${fmtInt(b.charges.requests)} requests`)),
            h('p', { class: 'muted' }, `1 USD = ${fmtInt(perUsd)} quota. Calls are charged per token at the model’s price.`),
            card('Top-ups', table('Top-ups', [
                { label: 'Time', value: (r) => fmtDate(r.created_at) },
                { label: 'Amount', num: true, value: (r) => fmtUsd(r.usd) },
                { label: 'Quota', num: true, value: (r) => fmtInt(r.quota) },
                { label: 'Source', value: (r) => r.source },
                { label: 'Method', value: (r) => r.payment_method },
                { label: 'Reference', value: (r) => h('code', { class: 'small' }, r.payment_id) },
            ], b.topups.items, { empty: 'No top-ups in this range.' }),
            newerOlder(offset, b.topups.items.length, (o) => { offset = o; load(); })),
            card('Charges by day', table('Charges by day', [
                { label: 'Day', value: (r) => r.day },
                { label: 'Requests', num: true, value: (r) => fmtInt(r.requests) },
                { label: 'Quota', num: true, value: (r) => fmtInt(r.quota) },
                { label: 'Cost', num: true, value: (r) => fmtUsd(r.usd) },
            ], b.charges.by_day, { empty: 'No charges in this range.' })));
    }

    view.append(pageHead('Billing'),
        rangeForm(range, null, async (v) => {
            range.from = v.from;
            range.to = v.to;
            offset = 0;
            await load();
        }), out);
    await load();
}
