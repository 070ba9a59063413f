// app: the shell of the web UI: hash routes, the navigation, the signed-in user's bar.
// Pages live in pages/*.js and are loaded when first visited.

import { currentUser, isAdmin, logout, onSessionChange } from './api.js';
import { clear, h } from './dom.js';

/* path -> [module, export, access]; access: public (signed out only), any, user, admin */
const ROUTES = {
    '/login': ['auth', 'login', 'public', 'Sign in'],
    '/register': ['auth', 'register', 'public', 'Create account'],
    '/forgot': ['auth', 'forgot', 'public', 'Forgot password'],
    '/reset': ['auth', 'reset', 'any', 'Reset password'],
    '/verify': ['auth', 'verify', 'any', 'Verify e-mail'],
    '/overview': ['overview', 'overview', 'user', 'Overview'],
    '/keys': ['keys', 'keys', 'user', 'API keys'],
    '/usage': ['usage', 'usage', 'user', 'Usage'],
    '/billing': ['usage', 'billing', 'user', 'Billing'],
    '/connect': ['connect', 'connect', 'user', 'Connect your tools'],
    '/profile': ['profile', 'profile', 'user', 'Profile'],
    '/admin/channels': ['admin_channels', 'channels', 'admin', 'Channels'],
    '/admin/prices': ['admin_channels', 'prices', 'admin', 'Prices'],
    '/admin/users': ['admin', 'users', 'admin', 'Users'],
    '/admin/logs': ['admin', 'logs', 'admin', 'Logs'],
    '/admin/status': ['admin', 'status', 'admin', 'Status'],
};

const NAV = [
    ['Portal', [['/overview', 'Overview'], ['/keys', 'API keys'], ['/usage', 'Usage'],
        ['/billing', 'Billing'], ['/connect', 'Connect your tools'], ['/profile', 'Profile']]],
    ['Admin', [['/admin/channels', 'Channels'], ['/admin/prices', 'Prices'],
        ['/admin/users', 'Users'], ['/admin/logs', 'Logs'], ['/admin/status', 'Status']], true],
];

let renderSeq = 0;
let cleanup = null;
let leaving = false; /* a deliberate log-out: no "session ended" notice */

/** Current route: {path, query}. */
export function route() {
    const raw = location.hash.replace(/^#/, '') || '/';
    const [path, qs = ''] = raw.split('?');
    return { path: path || '/', query: new URLSearchParams(qs) };
}

export function go(path) {
    if (location.hash === `#${path}`) render();
    else location.hash = path;
}

function home() {
    return isAdmin() ? '/admin/channels' : '/overview';
}

function renderNav() {
    const nav = document.getElementById('nav');
    const bar = document.getElementById('topbar-user');
    const toggle = document.getElementById('nav-toggle');
    const user = currentUser();
    clear(nav);
    clear(bar);
    document.body.classList.toggle('signed-in', Boolean(user));
    nav.hidden = !user;
    toggle.hidden = !user;
    if (!user) return;
    const { path } = route();
    for (const [title, items, adminOnly] of NAV) {
        if (adminOnly && user.role !== 'admin') continue;
        nav.append(h('div', { class: 'nav-group' },
            h('div', { class: 'nav-title' }, title),
            h('ul', null, items.map(([p, label]) => h('li', null,
                h('a', { href: `#${p}`, 'aria-current': p === path ? 'page' : null }, label))))));
    }
    bar.append(h('span', { class: 'who' }, user.username));
    if (user.role === 'admin') bar.append(h('span', { class: 'badge badge-admin' }, 'admin'));
    bar.append(
        h('button', {
            type: 'button', class: 'btn btn-small', id: 'logout',
            onclick: async () => {
                leaving = true;
                await logout();
                leaving = false;
                go('/login');
            },
        }, 'Log out'));
}

function notFound(main) {
    main.append(h('div', { class: 'page-head' }, h('h1', null, 'Page not found')),
        h('p', null, 'There is nothing at this address. ', h('a', { href: '#/' }, 'Go home'), '.'));
}

/** Redirect when the route's access does not match the session. Returns a path or null. */
function guard(access, path) {
    const user = currentUser();
    if (access === 'public' && user) return home();
    if ((access === 'user' || access === 'admin') && !user) {
        return `/login?next=${encodeURIComponent(path)}`;
    }
    if (access === 'admin' && user.role !== 'admin') return '/overview';
    return null;
}

export async function render() {
    const seq = ++renderSeq;
    const { path, query } = route();
    const main = document.getElementById('main');
    if (path === '/') {
        location.replace(`#${currentUser() ? home() : '/login'}`);
        return;
    }
    const r = ROUTES[path];
    const redirect = r ? guard(r[2], location.hash.slice(1)) : null;
    if (redirect) {
        location.replace(`#${redirect}`);
        return;
    }
    if (cleanup) {
        try {
            cleanup();
        } catch {
            // a page's cleanup must not stop navigation
        }
        cleanup = null;
    }
    renderNav();
    document.body.classList.remove('nav-open');
    document.getElementById('nav-toggle').setAttribute('aria-expanded', 'false');
    clear(main);
    main.setAttribute('aria-busy', 'true');
    if (!r) {
        notFound(main);
        document.title = 'Not found · tollgate';
        main.removeAttribute('aria-busy');
        return;
    }
    document.title = `${r[3]} · tollgate`;
    document.body.dataset.route = path;
    try {
        const mod = await import(`./pages/${r[0]}.js`);
        if (seq !== renderSeq) return;
        const view = h('div', { class: 'view' });
        main.append(view);
        const ret = await mod[r[1]](view, { query, go });
        if (seq === renderSeq && typeof ret === 'function') cleanup = ret;
    } catch (e) {
        if (seq !== renderSeq) return;
        clear(main);
        main.append(h('div', { class: 'page-head' }, h('h1', null, r[3])),
            h('p', { class: 'form-error show', role: 'alert' }, e && e.message ? e.message : String(e)));
    } finally {
        if (seq === renderSeq) {
            main.removeAttribute('aria-busy');
            const h1 = main.querySelector('h1');
            if (h1 && document.activeElement === document.body) {
                h1.tabIndex = -1;
                h1.focus({ preventScroll: true });
            }
        }
    }
}

/** Links in mails point at /verify-email?token= and /reset-password?token=. */
function mailLinks() {
    const map = { '/verify-email': '/verify', '/reset-password': '/reset' };
    const to = map[location.pathname];
    if (to) history.replaceState(null, '', `/#${to}${location.search}`);
}

function boot() {
    mailLinks();
    const toggle = document.getElementById('nav-toggle');
    toggle.addEventListener('click', () => {
        const open = !document.body.classList.contains('nav-open');
        document.body.classList.toggle('nav-open', open);
        toggle.setAttribute('aria-expanded', String(open));
    });
    window.addEventListener('hashchange', render);
    onSessionChange((u) => {
        renderNav();
        // The session ended under a page that needs one: back to sign-in.
        const r = ROUTES[route().path];
        if (!u && !leaving && r && (r[2] === 'user' || r[2] === 'admin')) {
            location.replace(`#/login?next=${encodeURIComponent(location.hash.slice(1))}&expired=1`);
        }
    });
    render();
}

boot();
