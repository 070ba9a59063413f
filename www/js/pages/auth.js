// auth pages: sign in, create an account (with the proof of work), forgot and reset
// the password, verify the e-mail address.

import { currentUser, login as apiLogin, publicApi } from '../api.js';
import { field, fieldError, form, h, input, onSubmit, toast } from '../dom.js';
import { solve } from '../pow.js';

function authCard(title, lead, ...children) {
    return h('div', { class: 'auth' },
        h('div', { class: 'auth-card card' },
            h('div', { class: 'auth-brand', 'aria-hidden': 'true' },
                h('span', { class: 'brand-mark' }, 'T'), 'tollgate'),
            h('h1', null, title),
            lead ? h('p', { class: 'lead' }, lead) : null,
            ...children));
}

/** Where to go after signing in: a safe in-app ?next=, else the role's home. */
function nextPath(query, user) {
    const next = query.get('next');
    if (next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/login')) {
        return next;
    }
    return user && user.role === 'admin' ? '/admin/channels' : '/overview';
}

function passwordInput(name, autocomplete) {
    return input(name, { type: 'password', autocomplete, required: true, maxlength: 1024 });
}

export function login(view, { query, go }) {
    const f = form({ class: 'stack', 'aria-label': 'Sign in' },
        field('Username or e-mail', input('login', {
            autocomplete: 'username', required: true, maxlength: 254, autocapitalize: 'none',
            spellcheck: 'false',
        })),
        field('Password', passwordInput('password', 'current-password')),
        field('Keep me signed in longer', input('remember', { type: 'checkbox' })),
        h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, 'Sign in'));
    onSubmit(f, async (v) => {
        if (!v.login.trim()) throw fieldError('login', 'Enter your username or e-mail.');
        if (!v.password) throw fieldError('password', 'Enter your password.');
        const user = await apiLogin(v.login.trim(), v.password, v.remember);
        go(nextPath(query, user));
    });
    const notice = query.get('expired')
        ? h('p', { class: 'notice', role: 'status' }, 'Your session ended. Sign in again.')
        : null;
    view.append(authCard('Sign in', 'Manage your API keys, usage and balance.', notice, f,
        h('p', { class: 'auth-links' },
            h('a', { href: '#/register' }, 'Create an account'), ' · ',
            h('a', { href: '#/forgot' }, 'Forgot your password?'))));
}

export function register(view, { go }) {
    const status = h('p', { class: 'pow-status', role: 'status', 'aria-live': 'polite' });
    const f = form({ class: 'stack', 'aria-label': 'Create account' },
        field('E-mail', input('email', { type: 'email', autocomplete: 'email', required: true, maxlength: 254 })),
        field('Username', input('username', {
            autocomplete: 'username', required: true, minlength: 3, maxlength: 32,
            pattern: '[A-Za-z0-9][A-Za-z0-9_.\\-]{2,31}', autocapitalize: 'none', spellcheck: 'false',
        }), '3 to 32 letters, digits, _ . or -'),
        field('Display name (optional)', input('display_name', { autocomplete: 'name', maxlength: 128 })),
        field('Password', passwordInput('password', 'new-password'),
            'At least 8 characters; not your username or e-mail.'),
        field('Repeat password', passwordInput('password2', 'new-password')),
        status,
        h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, 'Create account'));
    onSubmit(f, async (v) => {
        if (!v.email.includes('@')) throw fieldError('email', 'Enter a valid e-mail address.');
        if (v.username.length < 3) throw fieldError('username', 'Choose a username of at least 3 characters.');
        if (v.password.length < 8) throw fieldError('password', 'Use at least 8 characters.');
        if (v.password !== v.password2) throw fieldError('password2', 'The passwords differ.');
        const body = { email: v.email.trim(), username: v.username.trim(), password: v.password };
        if (v.display_name.trim()) body.display_name = v.display_name.trim();
        try {
            const ch = await publicApi('GET', '/api/client/auth/challenge');
            if (ch && ch.difficulty > 0) {
                status.textContent = 'Checking this browser (a few seconds)…';
                const t0 = performance.now();
                const sol = await solve(ch.challenge, ch.difficulty, {
                    onProgress: (n) => { status.textContent = `Checking this browser… ${n.toLocaleString()} tries`; },
                });
                body.challenge = ch.challenge;
                body.nonce = sol.nonce;
                status.textContent = `Check done in ${((performance.now() - t0) / 1000).toFixed(1)} s.`;
            }
            await publicApi('POST', '/api/client/auth/register', body);
        } catch (e) {
            status.textContent = '';
            throw e;
        }
        status.textContent = 'Account created. Signing you in…';
        try {
            const user = await apiLogin(body.username, body.password, false);
            toast(`Welcome, ${user.username}! Check ${body.email} to confirm your address.`);
            go('/overview');
        } catch {
            toast('Account created. Sign in to continue.');
            go('/login');
        }
    });
    view.append(authCard('Create an account', 'Get an API key for Claude Code, Codex and the SDKs.', f,
        h('p', { class: 'auth-links' }, 'Have an account? ', h('a', { href: '#/login' }, 'Sign in'))));
}

export function forgot(view) {
    const done = h('p', { class: 'notice', role: 'status', hidden: true });
    const f = form({ class: 'stack', 'aria-label': 'Forgot password' },
        field('E-mail', input('email', { type: 'email', autocomplete: 'email', required: true })),
        h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, 'Send reset link'));
    onSubmit(f, async (v) => {
        if (!v.email.includes('@')) throw fieldError('email', 'Enter a valid e-mail address.');
        const ans = await publicApi('POST', '/api/client/auth/forgot-password', { email: v.email.trim() });
        done.textContent = (ans && ans.message) || 'If the address is registered, a reset link is on its way.';
        done.hidden = false;
        f.reset();
    });
    view.append(authCard('Forgot your password?', 'We will mail you a link to choose a new one.', done, f,
        h('p', { class: 'auth-links' }, h('a', { href: '#/login' }, 'Back to sign in'))));
}

function tokenField(query) {
    const t = query.get('token') || '';
    return field('Code from the mail', input('token', {
        required: true, value: t, autocomplete: 'one-time-code', spellcheck: 'false', maxlength: 128,
    }));
}

export function reset(view, { query, go }) {
    const f = form({ class: 'stack', 'aria-label': 'Reset password' },
        tokenField(query),
        field('New password', passwordInput('password', 'new-password'), 'At least 8 characters.'),
        field('Repeat password', passwordInput('password2', 'new-password')),
        h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, 'Set password'));
    onSubmit(f, async (v) => {
        if (!v.token.trim()) throw fieldError('token', 'Paste the code from the mail.');
        if (v.password !== v.password2) throw fieldError('password2', 'The passwords differ.');
        await publicApi('POST', '/api/client/auth/reset-password', { token: v.token.trim(), password: v.password });
        toast('Password changed. Sign in with the new one.');
        go('/login');
    });
    view.append(authCard('Choose a new password', null, f,
        h('p', { class: 'auth-links' }, h('a', { href: '#/login' }, 'Back to sign in'))));
}

export function verify(view, { query }) {
    const done = h('p', { class: 'notice', role: 'status', hidden: true });
    const f = form({ class: 'stack', 'aria-label': 'Verify e-mail' },
        tokenField(query),
        h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, 'Confirm address'));
    onSubmit(f, async (v) => {
        if (!v.token.trim()) throw fieldError('token', 'Paste the code from the mail.');
        await publicApi('POST', '/api/client/auth/verify-email', { token: v.token.trim() });
        done.textContent = 'Thank you: your e-mail address is confirmed.';
        done.hidden = false;
        f.hidden = true;
    });
    const back = currentUser() ? h('a', { href: '#/overview' }, 'Go to your overview')
        : h('a', { href: '#/login' }, 'Sign in');
    view.append(authCard('Confirm your e-mail', null, done, f, h('p', { class: 'auth-links' }, back)));
    if (query.get('token')) f.requestSubmit();
}
