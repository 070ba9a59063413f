// connect: copy-paste set-ups for Claude Code, Codex CLI, the OpenAI and Anthropic SDKs
// and curl, filled in with this gateway's address. A key pasted here stays in the page:
// it fills the snippets and is never stored or sent anywhere but /v1/models.

import { card, clear, codeBlock, field, h, input, pageHead, select } from '../dom.js';

const KEY_PH = '<your-api-key>';

const lines = (...l) => l.join('\n');

function claudeCode(origin, k) {
    return [
        ['Shell', lines(
            `export ANTHROPIC_BASE_URL="${origin}"`,
            `export ANTHROPIC_AUTH_TOKEN="${k}"`,
            'claude')],
        ['Or in ~/.claude/settings.json', JSON.stringify({
            env: { ANTHROPIC_BASE_URL: origin, ANTHROPIC_AUTH_TOKEN: k },
        }, null, 2)],
    ];
}

function codex(origin, k, model) {
    return [
        ['~/.codex/config.toml', lines(
            `model = "${model}"`,
            'model_provider = "tollgate"',
            '',
            '[model_providers.tollgate]',
            'name = "tollgate"',
            `base_url = "${origin}/v1"`,
            'env_key = "TOLLGATE_API_KEY"',
            'wire_api = "responses"')],
        ['Shell', lines(`export TOLLGATE_API_KEY="${k}"`, 'codex')],
    ];
}

function openaiSdk(origin, k, model) {
    return [
        ['Python', lines(
            `# pip install openai   ·   export TOLLGATE_API_KEY="${k}"`,
            'import os',
            'from openai import OpenAI',
            '',
            `client = OpenAI(base_url="${origin}/v1", api_key=os.environ["TOLLGATE_API_KEY"])`,
            'resp = client.chat.completions.create(',
            `    model="${model}",`,
            '    messages=[{"role": "user", "content": "Hello!"}],',
            ')',
            'print(resp.choices[0].message.content)')],
        ['Node.js', lines(
            `// npm install openai   ·   export TOLLGATE_API_KEY="${k}"`,
            "import OpenAI from 'openai';",
            '',
            `const client = new OpenAI({ baseURL: '${origin}/v1', apiKey: process.env.TOLLGATE_API_KEY });`,
            'const resp = await client.chat.completions.create({',
            `  model: '${model}',`,
            "  messages: [{ role: 'user', content: 'Hello!' }],",
            '});',
            'console.log(resp.choices[0].message.content);')],
    ];
}

function anthropicSdk(origin, k, model) {
    return [
        ['Python', lines(
            `# pip install anthropic   ·   export TOLLGATE_API_KEY="${k}"`,
            'import os',
            'import anthropic',
            '',
            `client = anthropic.Anthropic(base_url="${origin}", api_key=os.environ["TOLLGATE_API_KEY"])`,
            'msg = client.messages.create(',
            `    model="${model}",`,
            '    max_tokens=1024,',
            '    messages=[{"role": "user", "content": "Hello!"}],',
            ')',
            'print(msg.content[0].text)')],
        ['Node.js', lines(
            `// npm install @anthropic-ai/sdk   ·   export TOLLGATE_API_KEY="${k}"`,
            "import Anthropic from '@anthropic-ai/sdk';",
            '',
            `const client = new Anthropic({ baseURL: '${origin}', apiKey: process.env.TOLLGATE_API_KEY });`,
            'const msg = await client.messages.create({',
            `  model: '${model}',`,
            '  max_tokens: 1024,',
            "  messages: [{ role: 'user', content: 'Hello!' }],",
            '});',
            'console.log(msg.content[0].text);')],
    ];
}

function curl(origin, k, model) {
    return [['Shell', lines(
        `curl ${origin}/v1/chat/completions \\`,
        `  -H "Authorization: Bearer ${k}" \\`,
        '  -H "Content-Type: application/json" \\',
        `  -d '{"model": "${model}", "messages": [{"role": "user", "content": "Hello!"}]}'`)]];
}

/** [title, id, lead, [[label, text]...]] for each tool. */
function snippets(origin, key, oaModel, anModel) {
    const k = key || KEY_PH;
    return [
        ['Claude Code', 'claude-code',
            'Point Claude Code at tollgate with two environment variables, then run claude as usual.',
            claudeCode(origin, k)],
        ['Codex CLI', 'codex',
            'Add a provider to ~/.codex/config.toml; Codex reads the key from the variable named by env_key.',
            codex(origin, k, oaModel)],
        ['OpenAI SDK', 'openai', 'Any OpenAI client works: set the base URL to /v1 on this gateway.',
            openaiSdk(origin, k, oaModel)],
        ['Anthropic SDK', 'anthropic',
            'The Anthropic SDKs take the gateway’s origin as base URL (they add /v1/messages).',
            anthropicSdk(origin, k, anModel)],
        ['curl', 'curl', 'A quick check from a terminal.', curl(origin, k, oaModel)],
    ];
}

async function listModels(key) {
    const res = await fetch('/v1/models', {
        headers: { Authorization: `Bearer ${key}` }, cache: 'no-store', credentials: 'omit',
    });
    const body = await res.json().catch(() => null);
    if (!res.ok) throw new Error((body && body.error && body.error.message) || `HTTP ${res.status}`);
    return (body.data || []).map((m) => ({ id: m.id, owner: m.owned_by || '' }));
}

export function connect(view) {
    const origin = location.origin;
    const state = { key: '', oa: 'gpt-4o-mini', an: 'claude-sonnet-4-20250514' };
    const out = h('div', { class: 'stack-lg' });
    const modelsMsg = h('p', { class: 'hint', role: 'status', 'aria-live': 'polite' });
    const oaSel = h('div');
    const anSel = h('div');

    const draw = () => {
        clear(out);
        for (const [title, id, lead, blocks] of snippets(origin, state.key, state.oa, state.an)) {
            out.append(card(title, h('p', { class: 'muted' }, lead),
                ...blocks.map(([label, text]) => codeBlock(text, label))));
            out.lastChild.id = `connect-${id}`;
        }
    };

    const modelPicker = (slot, name, list, current, label) => {
        clear(slot);
        const ids = list.length ? list : [current];
        const s = select(name, ids, ids.includes(current) ? current : ids[0]);
        s.addEventListener('change', () => { state[name] = s.value; draw(); });
        state[name] = s.value;
        slot.append(field(label, s));
    };

    const keyInput = input('key', {
        type: 'password', autocomplete: 'off', spellcheck: 'false', placeholder: KEY_PH,
    });
    keyInput.addEventListener('input', () => { state.key = keyInput.value.trim(); draw(); });
    const load = h('button', { type: 'button', class: 'btn' }, 'Load my models');
    load.addEventListener('click', async () => {
        if (!state.key) {
            modelsMsg.textContent = 'Paste a key first.';
            return;
        }
        load.disabled = true;
        modelsMsg.textContent = 'Loading…';
        try {
            const models = await listModels(state.key);
            const an = models.filter((m) => m.owner === 'anthropic' || m.id.startsWith('claude')).map((m) => m.id);
            const oa = models.map((m) => m.id).filter((m) => !an.includes(m));
            modelPicker(oaSel, 'oa', oa, state.oa, 'OpenAI-style model');
            modelPicker(anSel, 'an', an, state.an, 'Anthropic model');
            modelsMsg.textContent = `${models.length} models available to this key.`;
            draw();
        } catch (e) {
            modelsMsg.textContent = `Could not list models: ${e.message}`;
        } finally {
            load.disabled = false;
        }
    });
    modelPicker(oaSel, 'oa', [], state.oa, 'OpenAI-style model');
    modelPicker(anSel, 'an', [], state.an, 'Anthropic model');

    view.append(
        pageHead('Connect your tools'),
        card('Your settings',
            h('dl', { class: 'kv' },
                h('dt', null, 'Base URL (Anthropic, Claude Code)'), h('dd', null, h('code', null, origin)),
                h('dt', null, 'Base URL (OpenAI, Codex)'), h('dd', null, h('code', null, `${origin}/v1`))),
            h('div', { class: 'grid-2' },
                field('API key (optional: fills the snippets, stays in this page)', keyInput,
                    'Create one on the API keys page. It is not saved anywhere.'),
                h('div', { class: 'field field-button' }, load)),
            modelsMsg,
            h('div', { class: 'grid-2' }, oaSel, anSel)),
        out);
    draw();
    return () => { keyInput.value = ''; state.key = ''; };
}
