// profile: account details, display name, notification switches, account deletion.

import { api, clearSession, updateUser } from '../api.js';
import {
    badge, card, field, fmtDate, fmtInt, fmtUsd, form, h, input, modal, onSubmit, pageHead, toast,
} from '../dom.js';
import { verifyBanner } from './overview.js';

const NOTIFY = [
    ['security', 'Security: new sign-ins and password changes'],
    ['usage_alerts', 'Usage alerts: a key near its limits'],
    ['low_balance', 'Low balance'],
    ['product_news', 'Product news'],
];

function planText(l) {
    return `(${fmtInt(l.rpm)} rpm, ${fmtInt(l.rpd)} rpd, ${fmtInt(l.tpm)} tpm, ${l.max_keys} keys)`;
}

function deleteDialog(go) {
    return modal('Delete your account', (close) => {
        const f = form({ class: 'stack' },
            h('p', null, 'Your keys stop working and your personal data is removed. Any balance left is lost. ',
                'This cannot be undone.'),
            field('Your password', input('password', {
                type: 'password', autocomplete: 'current-password', required: true,
            })),
            h('div', { class: 'actions' },
                h('button', { type: 'button', class: 'btn', onclick: () => close() }, 'Cancel'),
                h('button', { type: 'submit', class: 'btn btn-danger' }, 'Delete my account')));
        onSubmit(f, async (v) => {
            await api('DELETE', '/api/client/users/account', { password: v.password });
            close();
            clearSession();
            toast('Your account was deleted.');
            go('/login');
        });
        return f;
    });
}

export async function profile(view, { go }) {
    const p = await api('GET', '/api/client/users/profile');
    const details = f => h('dl', { class: 'kv' }, f.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]));

    const nameForm = form({ class: 'stack' },
        field('Display name', input('display_name', { maxlength: 128, value: p.display_name || '', autocomplete: 'name' })),
        field('Username', input('username', { maxlength: 32, value: p.username, autocomplete: 'username' })),
        h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save')));
    onSubmit(nameForm, async (v) => {
        const body = { display_name: v.display_name.trim() };
        if (v.username.trim() !== p.username) body.username = v.username.trim();
        const ans = await api('PUT', '/api/client/users/profile', body);
        p.username = ans.username;
        updateUser({ username: ans.username });
        toast('Profile saved.');
    });

    const notifyForm = form({ class: 'stack' },
        h('fieldset', { class: 'field' }, h('legend', null, 'E-mail me about'),
            h('div', { class: 'checks checks-col' }, NOTIFY.map(([k, label]) => h('label', { class: 'check' },
                h('input', { type: 'checkbox', name: k, checked: p.notifications[k] }), label)))),
        h('p', { class: 'field-error', 'data-error-for': 'notifications' }),
        h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save')));
    onSubmit(notifyForm, async (v) => {
        const notifications = {};
        for (const [k] of NOTIFY) notifications[k] = Boolean(v[k]);
        await api('PUT', '/api/client/users/profile', { notifications });
        toast('Notification settings saved.');
    });

    view.append(
        pageHead('Profile'),
        verifyBanner(p),
        h('div', { class: 'grid-2 align-start' },
            card('Account', details([
                ['Username', p.username],
                ['E-mail', h('span', null, p.email || '—', ' ',
                    p.email ? badge(p.email_verified ? 'verified' : 'unverified') : null)],
                ['Role', p.role],
                ['Plan', h('span', null, p.plan, ' ', h('span', { class: 'muted' }, planText(p.plan_limits)))],
                ['Balance', `${fmtUsd(p.balance_usd)} (${fmtInt(p.quota)} quota)`],
                ['Spent', fmtUsd(p.used_usd)],
                ['Requests', fmtInt(p.request_count)],
                ['Member since', fmtDate(p.created_at, true)],
                ['Last sign-in', fmtDate(p.last_login_at)],
            ])),
            h('div', { class: 'stack-lg' },
                card('Name', nameForm),
                card('Notifications', notifyForm))),
        p.role === 'admin' ? null : card('Danger zone',
            h('p', { class: 'muted' }, 'Deleting your account revokes every key.'),
            h('button', { type: 'button', class: 'btn btn-danger', onclick: () => deleteDialog(go) }, 'Delete account…')));
}
