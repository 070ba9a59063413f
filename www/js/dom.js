// dom: small helpers to build the UI without a framework: elements, forms with
// per-field errors, tables, dialogs, copy buttons, toasts and number formats.

let uid = 0;

/** A fresh id for label/aria wiring. */
export function nextId(prefix = 'f') {
    uid += 1;
    return `${prefix}-${uid}`;
}

/**
 * h('button', {class: 'btn', onclick: fn, type: 'button'}, 'Save')
 * Attributes: class, text, html is not supported on purpose (everything is text);
 * on* functions become listeners; true/false toggle boolean attributes; null skips.
 */
export function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    if (attrs) {
        for (const [k, v] of Object.entries(attrs)) {
            if (v === null || v === undefined || v === false) continue;
            if (k.startsWith('on') && typeof v === 'function') {
                el.addEventListener(k.slice(2), v);
            } else if (k === 'class') {
                el.className = v;
            } else if (k === 'text') {
                el.textContent = v;
            } else if (k === 'dataset') {
                Object.assign(el.dataset, v);
            } else if (k === 'value' && 'value' in el) {
                el.value = v;
            } else if (k === 'checked' || k === 'selected') {
                el[k] = Boolean(v);
            } else {
                el.setAttribute(k, v === true ? '' : String(v));
            }
        }
    }
    append(el, children);
    return el;
}

function append(el, children) {
    for (const c of children) {
        if (c === null || c === undefined || c === false) continue;
        if (Array.isArray(c)) append(el, c);
        else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
}

export function clear(el) {
    while (el.firstChild) el.firstChild.remove();
    return el;
}

// ------------------------------------------------------------------ formats

export const QUOTA_PER_USD = 500000;

/** "4.999994" or 4.5 -> "$4.999994" / "$4.50": at least 2 decimals, no trailing zeros. */
export function fmtUsd(v) {
    if (v === null || v === undefined || v === '') return '—';
    let s = typeof v === 'number' ? v.toFixed(6) : String(v);
    const neg = s.startsWith('-');
    if (neg) s = s.slice(1);
    let [int, dec = ''] = s.split('.');
    dec = dec.replace(/0+$/, '');
    if (dec.length < 2) dec = dec.padEnd(2, '0');
    int = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    return `${neg ? '-' : ''}$${int}.${dec}`;
}

/** Quota units as USD text. */
export function quotaUsd(q) {
    return fmtUsd(Number(q || 0) / QUOTA_PER_USD);
}

export function fmtInt(n) {
    if (n === null || n === undefined) return '—';
    return Number(n).toLocaleString('en-US');
}

/** ISO text or epoch seconds -> local date and time. */
export function fmtDate(v, dateOnly = false) {
    if (v === null || v === undefined || v === '' || v === 0) return '—';
    const d = typeof v === 'number' ? new Date(v * 1000) : new Date(v);
    if (Number.isNaN(d.getTime())) return String(v);
    return dateOnly
        ? d.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' })
        : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** YYYY-MM-DD of a Date in UTC (the API's days are UTC days). */
export function isoDay(d) {
    return d.toISOString().slice(0, 10);
}

// ------------------------------------------------------------------ feedback

export function toast(message, kind = 'ok') {
    const box = document.getElementById('toasts');
    if (!box) return;
    const t = h('div', { class: `toast toast-${kind}` }, message);
    box.append(t);
    setTimeout(() => t.remove(), kind === 'error' ? 8000 : 4000);
}

export function badge(text, kind) {
    return h('span', { class: `badge badge-${kind || text}` }, text);
}

// ------------------------------------------------------------------ forms

/**
 * A labelled field. input is an element with a name; hint is optional help text.
 * The error slot is wired with aria-describedby so screen readers read it.
 */
export function field(label, input, hint) {
    const id = input.id || nextId(input.name || 'f');
    input.id = id;
    const errId = `${id}-err`;
    const hintId = hint ? `${id}-hint` : null;
    input.setAttribute('aria-describedby', [hintId, errId].filter(Boolean).join(' '));
    const wrap = h('div', { class: input.type === 'checkbox' ? 'field field-check' : 'field' });
    const lab = h('label', { for: id }, label);
    if (input.type === 'checkbox') wrap.append(input, lab);
    else wrap.append(lab, input);
    if (hint) wrap.append(h('p', { class: 'hint', id: hintId }, hint));
    wrap.append(h('p', { class: 'field-error', id: errId, 'data-error-for': input.name }));
    return wrap;
}

export function input(name, attrs = {}) {
    return h('input', { name, type: 'text', ...attrs });
}

export function select(name, options, value, attrs = {}) {
    return h('select', { name, ...attrs },
        options.map((o) => {
            const [v, label] = Array.isArray(o) ? o : [o, o];
            return h('option', { value: v, selected: v === value }, label);
        }));
}

/** A form with a status region (role=alert) for errors that name no field. */
export function form(attrs, ...children) {
    const f = h('form', { novalidate: true, ...attrs }, ...children);
    f.prepend(h('div', { class: 'form-error', role: 'alert', 'aria-live': 'assertive' }));
    return f;
}

export function clearErrors(f) {
    for (const el of f.querySelectorAll('.field-error')) el.textContent = '';
    for (const el of f.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    const top = f.querySelector('.form-error');
    if (top) {
        top.textContent = '';
        top.classList.remove('show');
    }
}

/** Show an API error: next to the field named by err.param, else at the form's top. */
export function showError(f, err) {
    clearErrors(f);
    const msg = err && err.message ? err.message : String(err);
    const name = err && err.param;
    const slot = name ? f.querySelector(`[data-error-for="${CSS.escape(name)}"]`) : null;
    if (slot) {
        slot.textContent = msg;
        const ctl = f.elements.namedItem(name);
        const el = ctl && ctl.length !== undefined && !ctl.tagName ? ctl[0] : ctl;
        if (el) {
            el.setAttribute('aria-invalid', 'true');
            el.focus();
        }
        return;
    }
    const top = f.querySelector('.form-error');
    if (top) {
        top.textContent = msg;
        top.classList.add('show');
    } else {
        toast(msg, 'error');
    }
}

/**
 * Wire a submit handler: disables the submit button while run() works, shows API
 * errors on the form. run gets the form's values as an object of strings (checkbox
 * groups with the same name become arrays).
 */
export function onSubmit(f, run) {
    f.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        clearErrors(f);
        const btn = f.querySelector('button[type=submit]');
        if (btn) btn.disabled = true;
        f.setAttribute('aria-busy', 'true');
        try {
            await run(values(f), f);
        } catch (e) {
            showError(f, e);
        } finally {
            if (btn) btn.disabled = false;
            f.removeAttribute('aria-busy');
        }
    });
    return f;
}

export function values(f) {
    const out = {};
    for (const el of f.elements) {
        if (!el.name || el.disabled) continue;
        if (el.type === 'checkbox') {
            const group = f.querySelectorAll(`input[type=checkbox][name="${CSS.escape(el.name)}"]`);
            if (group.length > 1) {
                out[el.name] = out[el.name] || [];
                if (el.checked) out[el.name].push(el.value);
            } else {
                out[el.name] = el.checked;
            }
        } else if (el.tagName !== 'BUTTON') {
            out[el.name] = el.value;
        }
    }
    return out;
}

/** Local validation error in the API's shape, so showError can place it. */
export function fieldError(param, message) {
    return Object.assign(new Error(message), { param });
}

// ------------------------------------------------------------------ widgets

/**
 * columns: [{label, value: row => text|Node, class, num: true}]
 * A real <table> with a caption (visually hidden when hideCaption).
 */
export function table(caption, columns, rows, opts = {}) {
    const t = h('table', { class: 'table' });
    t.append(h('caption', { class: opts.showCaption ? '' : 'sr-only' }, caption));
    t.append(h('thead', null, h('tr', null, columns.map((c) =>
        h('th', { scope: 'col', class: c.num ? 'num' : c.class }, c.label)))));
    const body = h('tbody');
    if (!rows.length) {
        body.append(h('tr', null, h('td', { colspan: columns.length, class: 'empty' },
            opts.empty || 'Nothing here yet.')));
    }
    for (const r of rows) {
        const tr = h('tr', opts.rowAttrs ? opts.rowAttrs(r) : null);
        for (const c of columns) {
            const v = c.value(r);
            tr.append(h('td', { class: c.num ? 'num' : c.class, 'data-label': c.label },
                v === null || v === undefined || v === '' ? '—' : v));
        }
        body.append(tr);
    }
    t.append(body);
    return h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': caption }, t);
}

export function copyButton(getText, label = 'Copy') {
    const b = h('button', { type: 'button', class: 'btn btn-small', 'aria-label': label }, label);
    b.addEventListener('click', async () => {
        const text = getText();
        let ok = false;
        try {
            await navigator.clipboard.writeText(text);
            ok = true;
        } catch {
            ok = legacyCopy(text);
        }
        b.textContent = ok ? 'Copied' : 'Select and copy';
        setTimeout(() => { b.textContent = label; }, 1800);
    });
    return b;
}

function legacyCopy(text) {
    const ta = h('textarea', { class: 'sr-only', readonly: true });
    ta.value = text;
    document.body.append(ta);
    ta.select();
    let ok = false;
    try {
        ok = document.execCommand('copy');
    } catch {
        ok = false;
    }
    ta.value = '';
    ta.remove();
    return ok;
}

/** A code block with a copy button. */
export function codeBlock(text, label) {
    const pre = h('pre', { class: 'code' }, h('code', null, text));
    return h('div', { class: 'code-wrap' },
        h('div', { class: 'code-head' }, h('span', null, label || ''),
            copyButton(() => pre.textContent, 'Copy')), pre);
}

/**
 * A modal <dialog>. content is a node or a function(close) returning one.
 * Resolves with the value passed to close() (undefined on Esc).
 */
export function modal(title, content, { wide = false } = {}) {
    return new Promise((resolve) => {
        const titleId = nextId('dlg');
        const dlg = h('dialog', { class: wide ? 'dialog dialog-wide' : 'dialog', 'aria-labelledby': titleId });
        let result;
        const close = (v) => {
            result = v;
            dlg.close();
        };
        const head = h('div', { class: 'dialog-head' },
            h('h2', { id: titleId }, title),
            h('button', { type: 'button', class: 'btn-icon', 'aria-label': 'Close', onclick: () => close() }, '×'));
        dlg.append(head, typeof content === 'function' ? content(close) : content);
        dlg.addEventListener('close', () => {
            dlg.remove();
            resolve(result);
        });
        document.body.append(dlg);
        dlg.showModal();
        const first = dlg.querySelector('input:not([type=hidden]), select, textarea, [data-autofocus]');
        if (first) first.focus();
    });
}

/** Ask before a destructive step. Resolves true when confirmed. */
export function confirmAction(title, message, confirmText = 'Confirm', danger = true) {
    return modal(title, (close) => h('div', null,
        h('p', null, message),
        h('div', { class: 'actions' },
            h('button', { type: 'button', class: 'btn', onclick: () => close(false) }, 'Cancel'),
            h('button', {
                type: 'button', class: danger ? 'btn btn-danger' : 'btn btn-primary',
                'data-autofocus': true, onclick: () => close(true),
            }, confirmText)))).then(Boolean);
}

/** A button: btn('Edit', fn) is a small one; cls and extra attributes are optional. */
export function btn(label, onclick, cls = 'btn btn-small', attrs = {}) {
    return h('button', { type: 'button', class: cls, onclick, ...attrs }, label);
}

/** Model names and the like as small pills. */
export function tags(list) {
    return h('div', { class: 'tags' }, list.map((m) => h('span', { class: 'tag' }, m)));
}

/** Previous/next buttons around "first–last" for offset paging. */
export function pager(offset, size, count, hasMore, onPage, labels = ['← Previous', 'Next →']) {
    return h('div', { class: 'pager' },
        btn(labels[0], () => onPage(Math.max(0, offset - size)), 'btn btn-small', { disabled: offset === 0 }),
        h('span', { class: 'muted' }, count ? `${offset + 1}–${offset + count}` : 'none'),
        btn(labels[1], () => onPage(offset + size), 'btn btn-small', { disabled: !hasMore }));
}

export function card(title, ...children) {
    return h('section', { class: 'card' }, title ? h('h2', null, title) : null, ...children);
}

export function stat(label, value, sub) {
    return h('div', { class: 'stat' },
        h('div', { class: 'stat-label' }, label),
        h('div', { class: 'stat-value' }, value),
        sub ? h('div', { class: 'stat-sub' }, sub) : null);
}

export function pageHead(title, ...actions) {
    return h('div', { class: 'page-head' }, h('h1', null, title),
        actions.length ? h('div', { class: 'page-actions' }, actions) : null);
}

/** Split "a, b ,c" into ['a','b','c']. */
export function splitList(s) {
    return String(s || '').split(/[\s,]+/).map((x) => x.trim()).filter(Boolean);
}
