// The official openai and @anthropic-ai/sdk packages against a running stack
// (STACK_DIR/stack.json): every call completes, streams assemble the mock's text, errors
// map to the SDKs' classes, and each billed call lowers the balance by exactly the
// usage_logs row's quota, which is the price table applied to the tokens the SDK saw.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI, { AuthenticationError as OAuthError, RateLimitError } from 'openai';
import Anthropic, {
    APIError as AnthropicAPIError, AuthenticationError as AnthropicAuthError,
} from '@anthropic-ai/sdk';
import { loadStack, newUser, quotaOf, charged, unbilled, expectedQuota } from './lib.mjs';

const { stack, reason } = loadStack();
const SONNET = 'claude-sonnet-4-20250514';
const HAIKU = 'claude-haiku-4-5';
const MINI = 'gpt-4o-mini';

// The text the mock streams for chunks=n: "tok1 tok2 ... tokn " (compared trimmed).
const toks = (n) => Array.from({ length: n }, (_, i) => `tok${i + 1}`).join(' ');

// ask(directive, tokens): a prompt carrying a mock directive that makes the upstream
// report `tokens` input tokens, padded to at least that many bytes. The gateway reserves
// for at most one token per byte and never bills beyond its reservation, so an upstream
// claiming more tokens than the prompt has bytes would be (rightly) capped.
const ask = (directive, tokens) =>
    `hello [mock ${[directive, `input=${tokens}`].filter(Boolean).join(' ')}] ` +
    'pad '.repeat(Math.ceil(tokens / 4));

// recorder(): a fetch that remembers the headers of every request it sends.
function recorder() {
    const seen = [];
    const f = (url, init = {}) => {
        seen.push({ url: String(url), headers: new Headers(init.headers) });
        return fetch(url, init);
    };
    return { fetch: f, seen };
}

function openai(key, extra = {}) {
    return new OpenAI({ apiKey: key, baseURL: `${stack.base_url}/v1`, maxRetries: 0,
        timeout: 30000, ...extra });
}

// anthropic(key, how): how = 'authToken' (Authorization: Bearer) or 'x-api-key'.
function anthropic(key, how, extra = {}) {
    const base = { baseURL: stack.base_url, maxRetries: 0, timeout: 30000, ...extra };
    if (how === 'authToken') {
        return new Anthropic({ ...base, authToken: key, apiKey: null });
    }
    return new Anthropic({ ...base, apiKey: key,
        defaultHeaders: { authorization: null, 'x-api-key': key } });
}

// One billed call: one row, on the endpoint, tokens as the SDK saw them, the price-table
// charge, and the balance lowered by exactly that.
async function checkBill(bill, { endpoint, model, stream, input, output }) {
    assert.equal(bill.rows.length, 1, 'one usage_logs row');
    const row = bill.rows[0];
    assert.equal(row.endpoint, endpoint);
    assert.equal(row.model, model);
    assert.equal(row.is_stream, stream ? 1 : 0);
    assert.equal(row.status, 200);
    assert.equal(row.estimated, 0);
    if (input !== undefined) assert.equal(row.input_tokens, input, 'logged input tokens');
    if (output !== undefined) {
        assert.equal(row.output_tokens, output, 'logged output tokens');
    }
    assert.ok(row.quota > 0, 'a positive charge');
    assert.equal(row.quota, await expectedQuota(stack, row), 'charge = price table');
    assert.equal(bill.drop, row.quota, 'balance lowered by the logged charge');
}

describe('openai SDK', { skip: stack ? false : reason }, () => {
    let user;
    let client;
    before(async () => {
        user = await newUser(stack, 5);
        client = openai(user.key);
    });

    test('chat completion, non-streaming', async () => {
        const bill = await charged(stack, user, () => client.chat.completions.create({
            model: MINI, messages: [{ role: 'user', content: ask('chunks=4', 1000) }],
        }));
        const r = bill.result;
        assert.equal(r.object, 'chat.completion');
        assert.equal(r.choices[0].message.role, 'assistant');
        assert.equal(r.choices[0].message.content.trim(), toks(4));
        assert.equal(r.choices[0].finish_reason, 'stop');
        assert.equal(r.usage.prompt_tokens, 1000);
        assert.equal(r.usage.completion_tokens, 4);
        await checkBill(bill, { endpoint: '/v1/chat/completions', model: MINI,
            stream: false, input: r.usage.prompt_tokens,
            output: r.usage.completion_tokens });
    });

    test('chat completion, streaming without include_usage', async () => {
        const chunks = [];
        const bill = await charged(stack, user, async () => {
            const s = await client.chat.completions.create({
                model: MINI, stream: true,
                messages: [{ role: 'user', content: 'hello [mock chunks=5]' }],
            });
            for await (const c of s) chunks.push(c);
        });
        const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
        assert.equal(text.trim(), toks(5));
        assert.ok(chunks.every((c) => c.choices.length === 1), 'no usage-only chunk');
        assert.ok(chunks.every((c) => !c.usage), 'no usage the caller did not ask for');
        assert.equal(chunks.at(-1).choices[0].finish_reason, 'stop');
        await checkBill(bill, { endpoint: '/v1/chat/completions', model: MINI,
            stream: true, output: 5 });
    });

    test('chat completion, streaming with include_usage', async () => {
        const chunks = [];
        const bill = await charged(stack, user, async () => {
            const s = await client.chat.completions.create({
                model: MINI, stream: true, stream_options: { include_usage: true },
                messages: [{ role: 'user', content: ask('chunks=3', 2000) }],
            });
            for await (const c of s) chunks.push(c);
        });
        const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
        assert.equal(text.trim(), toks(3));
        const last = chunks.at(-1);
        assert.deepEqual(last.choices, []);
        assert.equal(last.usage.prompt_tokens, 2000);
        assert.equal(last.usage.completion_tokens, 3);
        assert.equal(last.usage.total_tokens, 2003);
        await checkBill(bill, { endpoint: '/v1/chat/completions', model: MINI,
            stream: true, input: 2000, output: 3 });
    });

    test('responses, non-streaming', async () => {
        const bill = await charged(stack, user, () => client.responses.create({
            model: MINI, input: ask('chunks=3', 500),
        }));
        const r = bill.result;
        assert.equal(r.object, 'response');
        assert.equal(r.status, 'completed');
        assert.equal(r.output_text.trim(), toks(3));
        assert.equal(r.usage.input_tokens, 500);
        assert.equal(r.usage.output_tokens, 3);
        await checkBill(bill, { endpoint: '/v1/responses', model: MINI, stream: false,
            input: 500, output: 3 });
    });

    test('responses, streaming', async () => {
        const events = [];
        const bill = await charged(stack, user, async () => {
            const s = await client.responses.create({
                model: MINI, stream: true, input: ask('chunks=6', 700),
            });
            for await (const e of s) events.push(e);
        });
        const types = events.map((e) => e.type);
        for (const t of ['response.created', 'response.output_item.added',
            'response.output_text.delta', 'response.output_text.done',
            'response.output_item.done', 'response.completed']) {
            assert.ok(types.includes(t), `event ${t} arrives`);
        }
        assert.equal(types[0], 'response.created');
        assert.equal(types.at(-1), 'response.completed');
        const deltas = events.filter((e) => e.type === 'response.output_text.delta');
        assert.equal(deltas.length, 6);
        assert.equal(deltas.map((e) => e.delta).join('').trim(), toks(6));
        const seq = events.map((e) => e.sequence_number);
        assert.deepEqual(seq, [...seq].sort((a, b) => a - b), 'events in order');
        const done = events.at(-1).response;
        assert.equal(done.status, 'completed');
        assert.equal(done.usage.input_tokens, 700);
        assert.equal(done.usage.output_tokens, 6);
        await checkBill(bill, { endpoint: '/v1/responses', model: MINI, stream: true,
            input: 700, output: 6 });
    });

    test('responses, streaming with the SDK helper', async () => {
        const bill = await charged(stack, user, async () => {
            return client.responses.stream({ model: MINI, input: 'hi [mock chunks=2]' })
                .finalResponse();
        });
        assert.equal(bill.result.output_text.trim(), toks(2));
        await checkBill(bill, { endpoint: '/v1/responses', model: MINI, stream: true,
            output: 2 });
    });

    test('embeddings', async () => {
        const bill = await charged(stack, user, () => client.embeddings.create({
            model: 'text-embedding-3-small', input: ask('', 5000),
        }));
        const r = bill.result;
        assert.equal(r.object, 'list');
        assert.equal(r.data.length, 1);
        assert.ok(Array.isArray(r.data[0].embedding) && r.data[0].embedding.length > 0);
        assert.ok(r.data[0].embedding.every((x) => typeof x === 'number'));
        assert.equal(r.usage.prompt_tokens, 5000);
        await checkBill(bill, { endpoint: '/v1/embeddings',
            model: 'text-embedding-3-small', stream: false, input: 5000, output: 0 });
    });

    test('models list', async () => {
        const ids = [];
        for await (const m of client.models.list()) ids.push(m.id);
        assert.ok(ids.includes(MINI) && ids.includes('gpt-4o'), ids.join(','));
    });

    test('a bad key is an AuthenticationError', async () => {
        const bad = openai('tg_this_is_not_a_valid_key_at_all');
        await assert.rejects(bad.chat.completions.create({
            model: MINI, messages: [{ role: 'user', content: 'hi' }],
        }), (e) => {
            assert.ok(e instanceof OAuthError, e.constructor.name);
            assert.equal(e.status, 401);
            assert.equal(e.code, 'invalid_api_key');
            return true;
        });
    });

    test('an empty balance: RateLimitError, code insufficient_quota', async () => {
        const broke = await newUser(stack, 0);
        const bill = await unbilled(stack, broke, () => assert.rejects(
            openai(broke.key).chat.completions.create({
                model: MINI, messages: [{ role: 'user', content: 'hi' }],
            }), (e) => {
                assert.ok(e instanceof RateLimitError, e.constructor.name);
                assert.equal(e.status, 429);
                assert.equal(e.code, 'insufficient_quota');
                assert.equal(e.type, 'insufficient_quota');
                return true;
            }));
        assert.equal(bill.before, 0);
        assert.equal(bill.after, 0);
        assert.ok(bill.rows.every((r) => r.quota === 0));
    });
});

describe('Anthropic SDK', { skip: stack ? false : reason }, () => {
    let user;
    before(async () => {
        user = await newUser(stack, 5);
    });

    for (const how of ['authToken', 'x-api-key']) {
        test(`messages, non-streaming (${how})`, async () => {
            const rec = recorder();
            const client = anthropic(user.key, how, { fetch: rec.fetch });
            const bill = await charged(stack, user, () => client.messages.create({
                model: SONNET, max_tokens: 256,
                messages: [{ role: 'user', content: ask('chunks=4', 1200) }],
            }));
            const h = rec.seen[0].headers;
            if (how === 'authToken') {
                assert.equal(h.get('authorization'), `Bearer ${user.key}`);
                assert.equal(h.get('x-api-key'), null);
            } else {
                assert.equal(h.get('x-api-key'), user.key);
                assert.equal(h.get('authorization'), null);
            }
            const m = bill.result;
            assert.equal(m.type, 'message');
            assert.equal(m.role, 'assistant');
            assert.equal(m.content[0].type, 'text');
            assert.equal(m.content.map((c) => c.text).join('').trim(), toks(4));
            assert.equal(m.stop_reason, 'end_turn');
            assert.equal(m.usage.input_tokens, 1200);
            assert.equal(m.usage.output_tokens, 4);
            await checkBill(bill, { endpoint: '/v1/messages', model: SONNET,
                stream: false, input: 1200, output: 4 });
        });

        test(`messages, streaming with the SDK helper (${how})`, async () => {
            const client = anthropic(user.key, how);
            let text = '';
            const bill = await charged(stack, user, () => {
                const s = client.messages.stream({
                    model: HAIKU, max_tokens: 256,
                    messages: [{ role: 'user', content: ask('chunks=7', 900) }],
                });
                s.on('text', (t) => { text += t; });
                return s.finalMessage();
            });
            assert.equal(text.trim(), toks(7));
            const m = bill.result;
            assert.equal(m.content[0].text.trim(), toks(7));
            assert.equal(m.stop_reason, 'end_turn');
            assert.equal(m.usage.input_tokens, 900);
            assert.equal(m.usage.output_tokens, 7);
            await checkBill(bill, { endpoint: '/v1/messages', model: HAIKU, stream: true,
                input: 900, output: 7 });
        });
    }

    test('messages, raw event stream', async () => {
        const client = anthropic(user.key, 'authToken');
        const events = [];
        const bill = await charged(stack, user, async () => {
            const s = await client.messages.create({
                model: SONNET, max_tokens: 128, stream: true,
                messages: [{ role: 'user', content: ask('chunks=3', 400) }],
            });
            for await (const e of s) events.push(e);
        });
        const types = events.map((e) => e.type).filter((t) => t !== 'ping');
        assert.equal(types[0], 'message_start');
        assert.deepEqual(types.slice(-3),
            ['content_block_stop', 'message_delta', 'message_stop']);
        assert.ok(types.includes('content_block_start'));
        const text = events.filter((e) => e.type === 'content_block_delta')
            .map((e) => e.delta.text).join('');
        assert.equal(text.trim(), toks(3));
        assert.equal(events[0].message.usage.input_tokens, 400);
        const delta = events.find((e) => e.type === 'message_delta');
        assert.equal(delta.usage.output_tokens, 3);
        await checkBill(bill, { endpoint: '/v1/messages', model: SONNET, stream: true,
            input: 400, output: 3 });
    });

    for (const how of ['authToken', 'x-api-key']) {
        test(`count_tokens is answered and not billed (${how})`, async () => {
            const client = anthropic(user.key, how);
            const r = await unbilled(stack, user, () => client.messages.countTokens({
                model: SONNET,
                messages: [{ role: 'user', content: 'how many tokens is this?' }],
            }));
            const n = r.result.input_tokens;
            assert.ok(Number.isInteger(n) && n > 0, JSON.stringify(r.result));
            assert.equal(r.after, r.before, 'balance unchanged');
            assert.ok(r.rows.every((row) => row.quota === 0), 'no charge logged');
        });
    }

    test('models list (Anthropic shape)', async () => {
        const client = anthropic(user.key, 'x-api-key');
        const ids = [];
        for await (const m of client.models.list()) ids.push(m.id);
        assert.ok(ids.includes(SONNET) && ids.includes(HAIKU), ids.join(','));
    });

    for (const how of ['authToken', 'x-api-key']) {
        test(`a bad key is an AuthenticationError (${how})`, async () => {
            const bad = anthropic('tg_this_is_not_a_valid_key_at_all', how);
            await assert.rejects(bad.messages.create({
                model: SONNET, max_tokens: 16,
                messages: [{ role: 'user', content: 'hi' }],
            }), (e) => {
                assert.ok(e instanceof AnthropicAuthError, e.constructor.name);
                assert.equal(e.status, 401);
                assert.equal(e.error?.error?.type, 'authentication_error');
                return true;
            });
        });
    }

    test('an empty balance is a 402 billing_error, not retried', async () => {
        const broke = await newUser(stack, 0);
        const rec = recorder();
        const client = anthropic(broke.key, 'authToken',
            { maxRetries: 2, fetch: rec.fetch });
        const call = () => client.messages.create({
            model: SONNET, max_tokens: 16, messages: [{ role: 'user', content: 'hi' }],
        });
        const r = await unbilled(stack, broke, () => assert.rejects(call, (e) => {
            assert.ok(e instanceof AnthropicAPIError, e.constructor.name);
            assert.equal(e.status, 402);
            assert.equal(e.error?.error?.type, 'billing_error');
            return true;
        }));
        assert.equal(rec.seen.length, 1, 'the SDK does not retry a 402');
        assert.equal(r.before, 0);
        assert.equal(r.after, 0);
        assert.equal(await quotaOf(stack, broke), 0);
    });
});
