// api: the portal's JSON API client. Tokens live in sessionStorage (they end with the
// tab); an expired access token is refreshed once, transparently, on a 401.

const ACCESS = 'tg.access';
const REFRESH = 'tg.refresh';
const USER = 'tg.user';

/** An API error: message, HTTP status, and the field it is about (param). */
export class ApiError extends Error {
    constructor(status, body) {
        const e = (body && body.error) || {};
        super(e.message || (status ? `request failed (HTTP ${status})` : 'cannot reach the server'));
        this.status = status;
        this.type = e.type || null;
        this.code = e.code || null;
        this.param = e.param || null;
    }
}

const listeners = new Set();

/** fn(user|null) runs when the session starts or ends. */
export function onSessionChange(fn) {
    listeners.add(fn);
}

function notify() {
    const u = currentUser();
    for (const fn of listeners) fn(u);
}

export function currentUser() {
    try {
        return JSON.parse(sessionStorage.getItem(USER) || 'null');
    } catch {
        return null;
    }
}

export function isAdmin() {
    const u = currentUser();
    return Boolean(u && u.role === 'admin');
}

function saveTokens(ans) {
    sessionStorage.setItem(ACCESS, ans.access_token);
    sessionStorage.setItem(REFRESH, ans.refresh_token);
    if (ans.user) sessionStorage.setItem(USER, JSON.stringify(ans.user));
}

/** Change the stored user's public fields (a renamed account) and redraw. */
export function updateUser(patch) {
    const u = currentUser();
    if (!u) return;
    sessionStorage.setItem(USER, JSON.stringify({ ...u, ...patch }));
    notify();
}

export function clearSession() {
    const had = sessionStorage.getItem(ACCESS) !== null;
    sessionStorage.removeItem(ACCESS);
    sessionStorage.removeItem(REFRESH);
    sessionStorage.removeItem(USER);
    if (had) notify();
}

async function send(method, path, body, token) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (token) headers.Authorization = `Bearer ${token}`;
    let res;
    try {
        res = await fetch(path, {
            method,
            headers,
            body: body === undefined ? undefined : JSON.stringify(body),
            cache: 'no-store',
            credentials: 'omit',
        });
    } catch {
        throw new ApiError(0, null);
    }
    let data = null;
    const text = await res.text();
    if (text) {
        try {
            data = JSON.parse(text);
        } catch {
            data = null;
        }
    }
    if (!res.ok) throw new ApiError(res.status, data);
    return data;
}

let refreshing = null;

/** Trade the refresh token for new tokens (one request however many callers wait). */
function refresh() {
    const rt = sessionStorage.getItem(REFRESH);
    if (!rt) return Promise.resolve(false);
    if (!refreshing) {
        refreshing = send('POST', '/api/client/auth/refresh', { refresh_token: rt })
            .then((ans) => {
                saveTokens(ans);
                return true;
            })
            .catch((e) => {
                // Another tab or call rotated it first: only a real refusal ends the session.
                if (e.status === 401 || e.status === 403) return false;
                throw e;
            })
            .finally(() => {
                refreshing = null;
            });
    }
    return refreshing;
}

/**
 * Call the API as the signed-in user. On 401 the session is refreshed once and the
 * call retried; if that fails the session ends and the error goes to the caller.
 */
export async function api(method, path, body) {
    const token = sessionStorage.getItem(ACCESS);
    try {
        return await send(method, path, body, token);
    } catch (e) {
        if (e.status !== 401 || !token) throw e;
        if (!(await refresh())) {
            clearSession();
            throw e;
        }
        try {
            return await send(method, path, body, sessionStorage.getItem(ACCESS));
        } catch (e2) {
            if (e2.status === 401) clearSession();
            throw e2;
        }
    }
}

/** Call an endpoint that needs no session (login, register, status ...). */
export function publicApi(method, path, body) {
    return send(method, path, body, null);
}

export async function login(loginName, password, remember) {
    const ans = await send('POST', '/api/client/auth/login',
        { login: loginName, password, remember: Boolean(remember) });
    saveTokens(ans);
    notify();
    return ans.user;
}

export async function logout() {
    try {
        if (sessionStorage.getItem(ACCESS)) await api('POST', '/api/client/auth/logout', {});
    } catch {
        // The session ends locally whatever the server said.
    }
    clearSession();
}

/** Build "path?a=1&b=2" skipping empty values. */
export function withQuery(path, params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params || {})) {
        if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
    }
    const s = q.toString();
    return s ? `${path}?${s}` : path;
}
