// admin: upstream channels (list, add, edit, test, enable/disable, delete) and model
// prices (USD per million tokens).

import { api } from '../api.js';
import {
    badge, btn, card, clear, confirmAction, field, fieldError, fmtInt, form, h, input, modal,
    onSubmit, pageHead, select, splitList, table, tags, toast,
} from '../dom.js';

const TYPES = [['openai', 'OpenAI'], ['anthropic', 'Anthropic'], ['openai-compatible', 'OpenAI-compatible']];

function intOf(v, name, min, max) {
    const s = String(v ?? '').trim();
    if (!s) return undefined;
    const n = Number(s);
    if (!Number.isInteger(n) || n < min || n > max) throw fieldError(name, `Enter a whole number from ${min} to ${max}.`);
    return n;
}

function channelBody(v, editing) {
    const body = {
        name: v.name.trim(),
        type: v.type,
        base_url: v.base_url.trim(),
        models: splitList(v.models),
        group: v.group.trim() || 'default',
        status: v.status,
    };
    if (!body.name) throw fieldError('name', 'Name the channel.');
    if (!body.base_url) throw fieldError('base_url', 'Enter the upstream base URL.');
    if (!body.models.length) throw fieldError('models', 'List at least one model.');
    if (v.key) body.key = v.key;
    else if (!editing) throw fieldError('key', 'Enter the upstream API key.');
    const map = v.model_map.trim();
    if (map) {
        try {
            body.model_map = JSON.parse(map);
        } catch {
            throw fieldError('model_map', 'Model map must be JSON, e.g. {"gpt-4o": "gpt-4o-2024-08-06"}.');
        }
    } else {
        body.model_map = null;
    }
    for (const [name, min, max] of [['priority', -1000000, 1000000], ['weight', 1, 1000000],
        ['connect_timeout', 0, 600], ['total_timeout', 0, 86400]]) {
        const n = intOf(v[name], name, min, max);
        if (n !== undefined) body[name] = n;
    }
    return body;
}

function channelForm(ch, submitLabel) {
    const c = ch || { type: 'openai', status: 'enabled', group: 'default', priority: 0, weight: 1 };
    const mapText = c.model_map && Object.keys(c.model_map).length ? JSON.stringify(c.model_map) : '';
    return form({ class: 'stack' },
        h('div', { class: 'grid-2' },
            field('Name', input('name', { required: true, maxlength: 128, value: c.name || '' })),
            field('Type', select('type', TYPES, c.type))),
        field('Base URL', input('base_url', {
            type: 'url', required: true, maxlength: 512, value: c.base_url || '', placeholder: 'https://api.openai.com',
            spellcheck: 'false',
        }), 'The upstream’s origin, without /v1.'),
        field(ch ? 'API key (leave empty to keep the current one)' : 'API key', input('key', {
            type: 'password', autocomplete: 'new-password', maxlength: 4096, spellcheck: 'false',
            placeholder: ch && ch.key_set ? '•••••••• (stored, encrypted)' : '',
        })),
        field('Models', h('textarea', { name: 'models', rows: 2, required: true, spellcheck: 'false' },
            (c.models || []).join(', ')),
            'Comma-separated model names this channel serves.'),
        field('Model map (optional JSON)', h('textarea', {
            name: 'model_map', rows: 2, spellcheck: 'false', placeholder: '{"public-name": "upstream-name"}',
        }, mapText)),
        h('div', { class: 'grid-3' },
            field('Priority', input('priority', { type: 'number', value: c.priority }), 'Higher goes first.'),
            field('Weight', input('weight', { type: 'number', min: 1, value: c.weight }), 'Share among equals.'),
            field('Group', input('group', { maxlength: 32, value: c.group }))),
        h('div', { class: 'grid-3' },
            field('Status', select('status', [['enabled', 'Enabled'], ['disabled', 'Disabled']],
                c.status === 'disabled' ? 'disabled' : 'enabled')),
            field('Connect timeout (s)', input('connect_timeout', {
                type: 'number', min: 0, max: 600, value: c.connect_timeout || '', placeholder: 'default',
            })),
            field('Total timeout (s)', input('total_timeout', {
                type: 'number', min: 0, max: 86400, value: c.total_timeout || '', placeholder: 'default',
            }))),
        h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, submitLabel)));
}

function health(ch) {
    const parts = [];
    if (ch.response_ms) parts.push(`${fmtInt(ch.response_ms)} ms`);
    if (!ch.key_ok) parts.push(h('span', { class: 'bad' }, 'key does not decrypt'));
    if (ch.last_error) parts.push(h('span', { class: 'bad', title: ch.last_error }, ch.last_error));
    if (ch.status_reason && ch.status !== 'enabled') parts.push(h('span', { class: 'muted' }, ch.status_reason));
    if (!parts.length) return h('div', { class: 'muted small health' }, 'not tested');
    return h('div', { class: 'small health' }, parts.map((p) => h('div', null, p)));
}

export async function channels(view) {
    const list = h('div');

    const openForm = (ch) => modal(ch ? `Edit channel “${ch.name}”` : 'Add a channel', (close) => {
        const f = channelForm(ch, ch ? 'Save channel' : 'Add channel');
        onSubmit(f, async (v) => {
            const body = channelBody(v, Boolean(ch));
            // An auto-disabled channel keeps its state unless the admin picks another.
            if (ch && body.status === (ch.status === 'disabled' ? 'disabled' : 'enabled')) delete body.status;
            if (ch) await api('PUT', `/api/admin/channels/${ch.id}`, body);
            else await api('POST', '/api/admin/channels', body);
            close();
            toast(ch ? 'Channel saved.' : 'Channel added.');
            await load();
        });
        return f;
    }, { wide: true });

    const test = async (ch, btn) => {
        btn.disabled = true;
        btn.textContent = 'Testing…';
        try {
            const r = await api('POST', `/api/admin/channels/${ch.id}/test`);
            toast(r.ok ? `“${ch.name}” answered in ${r.ms} ms.` : `“${ch.name}” failed: ${r.error || `HTTP ${r.status}`}`,
                r.ok ? 'ok' : 'error');
            await load();
        } catch (e) {
            toast(e.message, 'error');
            btn.disabled = false;
            btn.textContent = 'Test';
        }
    };

    const toggle = async (ch) => {
        try {
            await api('PUT', `/api/admin/channels/${ch.id}`, { status: ch.status === 'enabled' ? 'disabled' : 'enabled' });
            await load();
        } catch (e) {
            toast(e.message, 'error');
        }
    };

    const remove = async (ch) => {
        const ok = await confirmAction('Delete channel?', `“${ch.name}” is removed. Calls go to the other channels.`, 'Delete');
        if (!ok) return;
        try {
            await api('DELETE', `/api/admin/channels/${ch.id}`);
            toast(`Channel “${ch.name}” deleted.`);
            await load();
        } catch (e) {
            toast(e.message, 'error');
        }
    };

    async function load() {
        const ans = await api('GET', '/api/admin/channels');
        clear(list).append(table('Channels', [
            {
                label: 'Channel',
                value: (c) => h('div', null, h('div', { class: 'strong' }, c.name),
                    h('div', { class: 'muted small' }, `${c.type} · #${c.id} · ${c.group}`)),
            },
            { label: 'Base URL', value: (c) => h('code', { class: 'small break' }, c.base_url) },
            { label: 'Models', value: (c) => tags(c.models) },
            {
                label: 'Routing',
                value: (c) => h('div', { class: 'small nowrap' }, h('div', null, `priority ${c.priority}`),
                    h('div', null, `weight ${c.weight}`)),
            },
            { label: 'Status', value: (c) => h('div', null, badge(c.status), health(c)) },
            {
                label: 'Actions',
                value: (c) => {
                    const t = h('button', { type: 'button', class: 'btn btn-small' }, 'Test');
                    t.addEventListener('click', () => test(c, t));
                    return h('div', { class: 'row-actions' }, t,
                        btn('Edit', () => openForm(c)),
                        btn(c.status === 'enabled' ? 'Disable' : 'Enable', () => toggle(c)),
                        btn('Delete', () => remove(c), 'btn btn-small btn-danger'));
                },
            },
        ], ans.data, {
            empty: 'No channels yet: add one to start relaying.',
            rowAttrs: (c) => ({ 'data-channel': c.name }),
        }));
    }

    view.append(pageHead('Channels',
        btn('Add channel', () => openForm(null), 'btn btn-primary', { id: 'add-channel' })),
    h('p', { class: 'muted' }, 'Upstream accounts tollgate relays to. Keys are stored encrypted and never shown again.'),
    card(null, list));
    await load();
}

// ------------------------------------------------------------------ prices

const PRICE_FIELDS = [['input', 'Input'], ['output', 'Output'], ['cache_read', 'Cache read'],
    ['cache_write', 'Cache write']];

function priceText(v) {
    return v === '0' ? h('span', { class: 'muted' }, '0') : `$${v}`;
}

export async function prices(view) {
    const list = h('div');
    const f = form({ class: 'stack', id: 'price-form', 'aria-label': 'Set a price' },
        h('p', { class: 'hint' }, 'Prices in USD per million tokens; input and output are required.'),
        h('div', { class: 'grid-5' },
            field('Model', input('model', {
                required: true, maxlength: 128, spellcheck: 'false', placeholder: 'gpt-4o-mini',
            })),
            PRICE_FIELDS.map(([name, label]) => field(label, input(name, {
                type: 'text', inputmode: 'decimal', placeholder: '0', pattern: '[0-9]*[.]?[0-9]*',
                required: name === 'input' || name === 'output',
            })))),
        h('div', { class: 'actions' },
            h('button', { type: 'reset', class: 'btn' }, 'Clear'),
            h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save price')));
    onSubmit(f, async (v) => {
        const model = v.model.trim();
        if (!model || /[\s,]/.test(model)) throw fieldError('model', 'Enter a model name without spaces or commas.');
        const body = {};
        for (const [name] of PRICE_FIELDS) {
            const s = v[name].trim();
            if (!s && (name === 'input' || name === 'output')) throw fieldError(name, 'Enter a price (0 for free).');
            if (s && !/^\d+(\.\d{1,6})?$/.test(s)) throw fieldError(name, 'Enter a decimal with at most 6 decimals.');
            if (s) body[name] = s;
        }
        await api('PUT', `/api/admin/prices/${encodeURIComponent(model)}`, body);
        toast(`Price of ${model} saved.`);
        f.reset();
        await load();
    });

    const edit = (p) => {
        f.elements.model.value = p.model;
        for (const [name] of PRICE_FIELDS) f.elements[name].value = p[name];
        f.elements.input.focus();
        f.scrollIntoView({ behavior: 'smooth', block: 'center' });
    };

    const remove = async (p) => {
        const ok = await confirmAction('Delete price?',
            `Calls to ${p.model} are refused until it has a price again.`, 'Delete');
        if (!ok) return;
        try {
            await api('DELETE', `/api/admin/prices/${encodeURIComponent(p.model)}`);
            toast(`Price of ${p.model} deleted.`);
            await load();
        } catch (e) {
            toast(e.message, 'error');
        }
    };

    async function load() {
        const ans = await api('GET', '/api/admin/prices');
        clear(list).append(table('Prices', [
            { label: 'Model', value: (p) => h('code', null, p.model) },
            ...PRICE_FIELDS.map(([name, label]) => ({
                label: `${label} / 1M`, num: true, value: (p) => priceText(p[name]),
            })),
            {
                label: 'Actions',
                value: (p) => h('div', { class: 'row-actions' },
                    btn('Edit', () => edit(p)), btn('Delete', () => remove(p), 'btn btn-small btn-danger')),
            },
        ], ans.data, {
            empty: 'No prices: calls to unpriced models are refused.',
            rowAttrs: (p) => ({ 'data-model': p.model }),
        }));
    }

    view.append(pageHead('Prices'),
        h('p', { class: 'muted' },
            'USD per million tokens. A model without a price cannot be called. 1 USD = 500,000 quota.'),
        card('Set a price', f),
        card('All prices', list));
    await load();
}
