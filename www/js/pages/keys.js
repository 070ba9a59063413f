// keys: the user's API keys: list, create (secret shown once), edit limits and models,
// regenerate, revoke. A secret lives only in the page's DOM until dismissed or the
// page is left: it is never stored, logged or put in the URL.

import { api } from '../api.js';
import {
    badge, btn, card, clear, confirmAction, copyButton, field, fieldError, fmtDate, fmtInt, form, h,
    input, modal, onSubmit, pageHead, quotaUsd, QUOTA_PER_USD, select, splitList, table, tags, toast,
} from '../dom.js';

const SERVICES = [['claude', 'Claude (Anthropic API)'], ['codex', 'Codex (Responses API)'],
    ['openai', 'OpenAI (chat, embeddings)']];

/** The box that shows a new secret once. */
function secretBox(secret, keyName, onDone) {
    const box = h('section', { class: 'card secret-box', 'aria-labelledby': 'secret-title' });
    const field_ = h('input', {
        class: 'secret', id: 'new-key-secret', readonly: true, autocomplete: 'off',
        spellcheck: 'false', 'aria-label': 'Your new API key', value: secret,
    });
    field_.addEventListener('focus', () => field_.select());
    const done = h('button', { type: 'button', class: 'btn' }, 'I have copied it');
    done.addEventListener('click', () => {
        field_.value = '';
        box.remove();
        onDone();
    });
    box.append(
        h('h2', { id: 'secret-title' }, `Your new key “${keyName}”`),
        h('p', { class: 'warning', role: 'alert' },
            h('strong', null, 'Copy this key now. '),
            'It is shown only this once: tollgate keeps only a hash of it. If you lose it, ',
            'regenerate the key.'),
        h('div', { class: 'secret-row' }, field_, copyButton(() => field_.value, 'Copy key')),
        h('div', { class: 'actions' }, h('a', { href: '#/connect', class: 'btn btn-link' }, 'How to use it →'), done));
    return box;
}

function numOrZero(v, name) {
    const s = String(v || '').trim();
    if (!s) return 0;
    const n = Number(s);
    if (!Number.isInteger(n) || n < 0) throw fieldError(name, 'Enter a whole number, 0 or more.');
    return n;
}

/** Turn the form's values into the API body. */
function keyBody(v, editing) {
    const body = {
        name: v.name.trim(),
        description: v.description.trim(),
        services: v.services,
        models: splitList(v.models),
        ip_allow: splitList(v.ip_allow),
        rpm: numOrZero(v.rpm, 'rpm'),
        rpd: numOrZero(v.rpd, 'rpd'),
        tpm: numOrZero(v.tpm, 'tpm'),
    };
    if (!body.name) throw fieldError('name', 'Give the key a name, e.g. “laptop”.');
    if (!body.services.length) throw fieldError('services', 'Pick at least one service.');
    const usd = String(v.quota_limit || '').trim();
    if (usd) {
        const n = Number(usd);
        if (!Number.isFinite(n) || n < 0) throw fieldError('quota_limit', 'Enter an amount in USD, or leave it empty.');
        body.quota_limit = Math.round(n * QUOTA_PER_USD);
    } else {
        body.quota_limit = null;
    }
    const days = String(v.expires_in_days || '').trim();
    if (days) body.expires_in_days = numOrZero(days, 'expires_in_days');
    if (editing) body.status = v.status;
    return body;
}

function keyForm(key, plan, submitLabel) {
    const k = key || {};
    const services = k.services || SERVICES.map((s) => s[0]);
    const limit = (name, max) => field(`${name.toUpperCase()} limit`, input(name, {
        type: 'number', min: 0, max, inputmode: 'numeric', placeholder: `${fmtInt(max)} (plan max)`,
        value: k[name] && k[name] !== max ? k[name] : '',
    }));
    const servicesSet = h('fieldset', { class: 'field' },
        h('legend', null, 'Services'),
        h('div', { class: 'checks' }, SERVICES.map(([v, label]) => h('label', { class: 'check' },
            h('input', { type: 'checkbox', name: 'services', value: v, checked: services.includes(v) }), label))),
        h('p', { class: 'field-error', 'data-error-for': 'services' }));
    return form({ class: 'stack' },
        field('Name', input('name', { required: true, maxlength: 128, value: k.name || '', placeholder: 'laptop' })),
        field('Description (optional)', input('description', { maxlength: 512, value: k.description || '' })),
        servicesSet,
        field('Models', input('models', {
            value: (k.models || []).join(', '), placeholder: 'all models', spellcheck: 'false',
        }), 'Comma-separated, e.g. gpt-4o-mini, claude-sonnet-4-20250514. Empty allows every model.'),
        h('div', { class: 'grid-3' },
            limit('rpm', plan.rpm), limit('rpd', plan.rpd), limit('tpm', plan.tpm)),
        h('p', { class: 'hint' },
            'Requests per minute, requests per day and tokens per minute. Empty means your plan’s maximum.'),
        h('div', { class: 'grid-2' },
            field('Spending cap (USD)', input('quota_limit', {
                type: 'number', min: 0, step: '0.01', inputmode: 'decimal', placeholder: 'no cap',
                value: k.quota_limit === null || k.quota_limit === undefined ? '' : String(k.quota_limit / QUOTA_PER_USD),
            })),
            field(key ? 'Extend: expires in (days)' : 'Expires in (days)', input('expires_in_days', {
                type: 'number', min: 1, max: 3650, inputmode: 'numeric', placeholder: key ? 'unchanged' : '365',
            }))),
        field('Allowed IP addresses (optional)', input('ip_allow', {
            value: (k.ip_allow || []).join(', '), placeholder: 'any address', spellcheck: 'false',
        }), 'Comma-separated addresses or CIDR ranges.'),
        key ? field('Status', select('status', [['active', 'Active'], ['suspended', 'Suspended (paused)']],
            k.status)) : null,
        h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, submitLabel)));
}

function limitsText(k) {
    return h('div', { class: 'small nowrap' },
        h('div', null, `${fmtInt(k.rpm)} rpm`), h('div', null, `${fmtInt(k.rpd)} rpd`),
        h('div', null, `${fmtInt(k.tpm)} tpm`));
}

export async function keys(view) {
    const profile = await api('GET', '/api/client/users/profile');
    const plan = profile.plan_limits;
    const secretSlot = h('div');
    const list = h('div');
    let secretShown = false;

    const showSecret = (secret, name) => {
        clear(secretSlot);
        secretShown = true;
        secretSlot.append(secretBox(secret, name, () => { secretShown = false; }));
        secretSlot.querySelector('input').focus();
    };

    const openCreate = () => modal('Create an API key', (close) => {
        const f = keyForm(null, plan, 'Create key');
        onSubmit(f, async (v) => {
            const ans = await api('POST', '/api/client/keys', keyBody(v, false));
            close();
            showSecret(ans.key, ans.name);
            ans.key = null;
            await load();
        });
        return f;
    }, { wide: true });

    const openEdit = (k) => modal(`Edit “${k.name}”`, (close) => {
        const f = keyForm(k, plan, 'Save changes');
        onSubmit(f, async (v) => {
            await api('PUT', `/api/client/keys/${k.id}`, keyBody(v, true));
            close();
            toast('Key saved.');
            await load();
        });
        return f;
    }, { wide: true });

    const regenerate = async (k) => {
        if (!(await confirmAction('Regenerate key?',
            `The current secret of “${k.name}” stops working at once. Tools using it need the new one.`,
            'Regenerate'))) return;
        try {
            const ans = await api('POST', `/api/client/keys/${k.id}/regenerate`);
            showSecret(ans.key, ans.name);
            ans.key = null;
            await load();
        } catch (e) {
            toast(e.message, 'error');
        }
    };

    const revoke = async (k) => {
        if (!(await confirmAction('Revoke key?',
            `“${k.name}” (${k.key}) stops working for good. This cannot be undone.`, 'Revoke'))) return;
        try {
            await api('DELETE', `/api/client/keys/${k.id}`);
            toast(`Key “${k.name}” revoked.`);
            await load();
        } catch (e) {
            toast(e.message, 'error');
        }
    };

    const actions = (k) => {
        if (k.status === 'revoked') return h('span', { class: 'muted' }, 'revoked');
        return h('div', { class: 'row-actions' },
            h('button', { type: 'button', class: 'btn btn-small', onclick: () => openEdit(k) }, 'Edit'),
            h('a', { class: 'btn btn-small', href: `#/usage?key=${k.id}` }, 'Usage'),
            h('button', { type: 'button', class: 'btn btn-small', onclick: () => regenerate(k) }, 'Regenerate'),
            h('button', { type: 'button', class: 'btn btn-small btn-danger', onclick: () => revoke(k) }, 'Revoke'));
    };

    async function load() {
        const ans = await api('GET', '/api/client/keys');
        const rows = ans.data.slice().sort((a, b) =>
            (a.status === 'revoked') - (b.status === 'revoked') || b.id - a.id);
        const live = rows.filter((k) => k.status !== 'revoked').length;
        clear(list).append(
            h('p', { class: 'muted' }, `${live} of ${plan.max_keys} keys on the ${profile.plan} plan · `,
                `plan limits ${fmtInt(plan.rpm)} rpm, ${fmtInt(plan.rpd)} rpd, ${fmtInt(plan.tpm)} tpm per key.`),
            table('Your API keys', [
                {
                    label: 'Key',
                    value: (k) => h('div', null, h('div', { class: 'strong' }, k.name),
                        h('code', { class: 'masked small' }, k.key),
                        k.description ? h('div', { class: 'muted small' }, k.description) : null),
                },
                { label: 'Status', value: (k) => badge(k.status) },
                { label: 'Limits', value: limitsText },
                {
                    label: 'Models',
                    value: (k) => (k.models.length ? tags(k.models) : h('span', { class: 'muted' }, 'all')),
                },
                {
                    label: 'Used', num: true,
                    value: (k) => h('div', null, quotaUsd(k.quota_used),
                        h('div', { class: 'muted small' }, `${fmtInt(k.request_count)} req`,
                            k.quota_limit !== null ? ` · cap ${quotaUsd(k.quota_limit)}` : '')),
                },
                {
                    label: 'Last used / expires',
                    value: (k) => h('div', { class: 'small' }, h('div', null, fmtDate(k.last_used_at)),
                        h('div', { class: 'muted' }, `expires ${fmtDate(k.expires_at, true)}`)),
                },
                { label: 'Actions', value: actions },
            ], rows, {
                empty: 'No keys yet. Create one to start calling the API.',
                rowAttrs: (k) => ({ class: k.status === 'revoked' ? 'row-muted' : null, 'data-key-id': k.id }),
            }));
    }

    view.append(
        pageHead('API keys', btn('Create key', openCreate, 'btn btn-primary', { id: 'create-key' })),
        secretSlot,
        card(null, list));
    await load();
    // Leaving the page drops any secret still on screen.
    return () => {
        if (secretShown) clear(secretSlot);
    };
}
