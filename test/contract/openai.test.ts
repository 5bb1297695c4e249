/**
 * Contract tests for our OpenAI integration, run through the real `openai` SDK (7.x, fetch-based):
 *  - every test/contracts/samples/openai-*.json sample against OpenAI's official OpenAPI document
 *    (test/support/openai-contract.ts) — proving the validator accepts the real shapes and rejects
 *    broken ones;
 *  - createOpenAiClient → the hand-written stand-in (scripts/openai-standin.ts): the exact requests the
 *    SDK sends (`POST /v1/chat/completions`, `POST /v1/responses`, bearer key, JSON body) validate as
 *    `CreateChatCompletionRequest` / `CreateResponse`, the stand-in's answers validate as
 *    `CreateChatCompletionResponse` / `Response` / `ErrorResponse` and the SDK parses them; 429 → RateLimitError,
 *    wrong key → AuthenticationError; scripted tool-call rounds.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import OpenAI, { APIConnectionError, AuthenticationError, BadRequestError, RateLimitError } from 'openai';
import { createOpenAiClient, DEFAULT_OPENAI_BASE_URL } from '../../activities/openai-client';
import {
  chatCompletionBody,
  DEFAULT_REPLY_TEXT,
  exampleForJsonSchema,
  openAiErrorBody,
  rateLimitErrorBody,
  responseBody,
  startOpenAiStandIn,
  type OpenAiStandIn,
  type RecordedOpenAiRequest,
} from '../../scripts/openai-standin';
import { validateAgainstOpenApi } from '../support/openai-contract';
import { getFreePort } from '../support/prism';
import { SAMPLES_DIR } from '../support/twilio-webhooks';
import { captureError } from '../support/capture-error';

const API_KEY = 'test';

type ChatParams = OpenAI.Chat.ChatCompletionCreateParamsNonStreaming;
type ResponsesParams = OpenAI.Responses.ResponseCreateParamsNonStreaming;

function sample(name: string): unknown {
  return JSON.parse(readFileSync(path.join(SAMPLES_DIR, name), 'utf8')) as unknown;
}
function sampleObject(name: string): Record<string, unknown> {
  return sample(name) as Record<string, unknown>;
}

/** The draft schema of the AI-assistant issue (reply, confidence, complexity, intent, handoff, handoffReason). */
const ASSISTANT_DRAFT_SCHEMA = {
  type: 'object',
  properties: {
    reply: { type: 'string' },
    confidence: { type: 'number', minimum: 0, maximum: 1 },
    complexity: { type: 'string', enum: ['low', 'medium', 'high'] },
    intent: { type: 'string' },
    handoff: { type: 'boolean' },
    handoffReason: { type: ['string', 'null'] },
  },
  required: ['reply', 'confidence', 'complexity', 'intent', 'handoff', 'handoffReason'],
  additionalProperties: false,
};

describe('OpenAI samples → openai_openapi.json', () => {
  const files = readdirSync(SAMPLES_DIR)
    .filter((f) => f.startsWith('openai-') && f.endsWith('.json'))
    .sort();

  /** The component schema each sample must satisfy; a new sample without an entry fails the test below. */
  const schemaFor: Record<string, string> = {
    'openai-chat-json-schema.request.json': 'CreateChatCompletionRequest',
    'openai-chat-json-schema.response.json': 'CreateChatCompletionResponse',
    'openai-chat-tool-call.request.json': 'CreateChatCompletionRequest',
    'openai-chat-tool-call.response.json': 'CreateChatCompletionResponse',
    'openai-error-429.json': 'ErrorResponse',
    'openai-responses-function-call.response.json': 'Response',
    'openai-responses-json-schema.request.json': 'CreateResponse',
    'openai-responses-json-schema.response.json': 'Response',
  };

  it('finds the OpenAI samples, and every one has a schema', () => {
    expect(files).toEqual(Object.keys(schemaFor).sort());
  });

  it.each(files)('%s', (file) => {
    const schema = schemaFor[file];
    if (!schema) throw new Error(`no schema for ${file}`);
    expect(validateAgainstOpenApi(schema, sample(file))).toEqual([]);
  });

  it('rejects broken requests and responses', () => {
    const { messages: _messages, ...noMessages } = sampleObject('openai-chat-json-schema.request.json');
    expect(validateAgainstOpenApi('CreateChatCompletionRequest', noMessages)).toEqual([
      expect.stringContaining("must have required property 'messages'"),
    ]);
    const badRole = { ...sampleObject('openai-chat-tool-call.request.json'), messages: [{ role: 'customer', content: 'hi' }] };
    expect(validateAgainstOpenApi('CreateChatCompletionRequest', badRole).length).toBeGreaterThan(0);
    const hot = { ...sampleObject('openai-chat-json-schema.request.json'), temperature: 'hot' };
    expect(validateAgainstOpenApi('CreateChatCompletionRequest', hot).join('\n')).toContain('/temperature');
    const { choices: _choices, ...noChoices } = sampleObject('openai-chat-json-schema.response.json');
    expect(validateAgainstOpenApi('CreateChatCompletionResponse', noChoices)).toEqual([
      expect.stringContaining("must have required property 'choices'"),
    ]);
    expect(
      validateAgainstOpenApi('Response', { ...sampleObject('openai-responses-json-schema.response.json'), object: 'chat.completion' }),
    ).not.toEqual([]);
    expect(
      validateAgainstOpenApi('CreateResponse', { ...sampleObject('openai-responses-json-schema.request.json'), store: 'no' }),
    ).not.toEqual([]);
    expect(validateAgainstOpenApi('ErrorResponse', { message: 'flat' })).not.toEqual([]);
    // OpenAPI 3.0 `nullable` survives the normalisation: null where the spec says nullable, not elsewhere.
    const nullable = { ...sampleObject('openai-chat-json-schema.request.json'), max_completion_tokens: null, n: null };
    expect(validateAgainstOpenApi('CreateChatCompletionRequest', nullable)).toEqual([]);
    expect(validateAgainstOpenApi('CreateChatCompletionRequest', { ...nullable, model: null })).not.toEqual([]);
  });

  it('an unknown schema name throws', () => {
    expect(() => validateAgainstOpenApi('NoSuchSchema', {})).toThrow(/NoSuchSchema/);
  });
});

describe('createOpenAiClient', () => {
  it('talks to the real API when baseURL is unset or empty — never to an ambient OPENAI_BASE_URL', () => {
    const saved = process.env.OPENAI_BASE_URL;
    process.env.OPENAI_BASE_URL = 'http://127.0.0.1:9/v1';
    try {
      for (const baseURL of [undefined, '', '  ']) {
        expect(createOpenAiClient({ apiKey: API_KEY, baseURL }).baseURL).toBe(DEFAULT_OPENAI_BASE_URL);
      }
    } finally {
      if (saved === undefined) delete process.env.OPENAI_BASE_URL;
      else process.env.OPENAI_BASE_URL = saved;
    }
  });

  it('passes key, baseURL, timeout and retries to the SDK', () => {
    const client = createOpenAiClient({ apiKey: 'sk-x', baseURL: 'http://127.0.0.1:4012/v1', timeoutMs: 5_000, maxRetries: 0 });
    expect(client).toBeInstanceOf(OpenAI);
    expect(client).toMatchObject({ apiKey: 'sk-x', baseURL: 'http://127.0.0.1:4012/v1', timeout: 5_000, maxRetries: 0 });
    const defaults = createOpenAiClient({ apiKey: 'sk-x' });
    expect(defaults.maxRetries).toBe(2);
    expect(defaults.timeout).toBe(600_000);
  });

  it('rejects a blank key, a non-http(s) URL and bad numbers itself', () => {
    expect(() => createOpenAiClient({ apiKey: ' ' })).toThrow(/API key is empty/);
    expect(() => createOpenAiClient({ apiKey: API_KEY, baseURL: '127.0.0.1:4012/v1' })).toThrow(/not a URL/);
    expect(() => createOpenAiClient({ apiKey: API_KEY, baseURL: 'ftp://127.0.0.1/v1' })).toThrow(/http\(s\)/);
    expect(() => createOpenAiClient({ apiKey: API_KEY, timeoutMs: 0 })).toThrow(/timeoutMs/);
    expect(() => createOpenAiClient({ apiKey: API_KEY, maxRetries: -1 })).toThrow(/maxRetries/);
    expect(() => createOpenAiClient({ apiKey: API_KEY, maxRetries: 1.5 })).toThrow(/maxRetries/);
  });
});

describe('openai SDK → stand-in', () => {
  let standIn: OpenAiStandIn | undefined;
  let client: OpenAI;

  beforeAll(async () => {
    standIn = await startOpenAiStandIn({ apiKey: API_KEY });
    client = createOpenAiClient({ apiKey: API_KEY, baseURL: standIn.url, maxRetries: 0 });
  });

  afterEach(() => standIn?.reset());

  afterAll(async () => {
    await standIn?.stop();
  });

  function recorded(): RecordedOpenAiRequest[] {
    if (!standIn) throw new Error('stand-in not started');
    return standIn.requests;
  }
  function onlyRequest(): RecordedOpenAiRequest {
    expect(recorded()).toHaveLength(1);
    const req = recorded()[0];
    if (!req) throw new Error('no request recorded');
    return req;
  }

  it('url ends in /v1', () => {
    expect(standIn?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
  });

  it('chat.completions.create with a json_schema response_format: the request validates, the SDK parses the answer', async () => {
    const params = sample('openai-chat-json-schema.request.json') as ChatParams;
    const completion = await client.chat.completions.create(params);

    const req = onlyRequest();
    expect(req).toMatchObject({ method: 'POST', path: '/v1/chat/completions', apiKey: API_KEY, responseStatus: 200 });
    expect(req.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(req.headers['content-type']).toMatch(/^application\/json/);
    expect(req.body).toEqual(params);
    expect(validateAgainstOpenApi('CreateChatCompletionRequest', req.body)).toEqual([]);
    expect(validateAgainstOpenApi('CreateChatCompletionResponse', req.responseBody)).toEqual([]);

    const sampleResponse = sampleObject('openai-chat-json-schema.response.json');
    expect(completion.id).toMatch(/^chatcmpl-[A-Za-z0-9]{29}$/);
    expect(completion.id).not.toBe(sampleResponse.id);
    expect(completion.model).toBe('gpt-4o-mini');
    expect(completion.object).toBe('chat.completion');
    expect(Math.abs(completion.created - Date.now() / 1000)).toBeLessThan(60);
    expect(completion._request_id).toMatch(/^req_[0-9a-f]{32}$/);
    const choice = completion.choices[0];
    expect(choice?.finish_reason).toBe('stop');
    // The default content is an instance of the request's schema, with the sample's values.
    const sampleContent = (sampleResponse.choices as Array<{ message: { content: string } }>)[0]?.message.content ?? '';
    expect(JSON.parse(choice?.message.content ?? '')).toEqual(JSON.parse(sampleContent));
  });

  it('structured output for any schema: the assistant draft', async () => {
    const completion = await client.chat.completions.create({
      model: 'gpt-4.1-mini',
      messages: [
        { role: 'system', content: 'Draft a reply.' },
        { role: 'user', content: 'Where is my order?' },
      ],
      response_format: { type: 'json_schema', json_schema: { name: 'draft', strict: true, schema: ASSISTANT_DRAFT_SCHEMA } },
    });
    expect(completion.model).toBe('gpt-4.1-mini');
    expect(JSON.parse(completion.choices[0]?.message.content ?? '')).toEqual({
      reply: DEFAULT_REPLY_TEXT,
      confidence: 0.86,
      complexity: 'low',
      intent: 'change_request',
      handoff: false,
      handoffReason: null,
    });
    expect(validateAgainstOpenApi('CreateChatCompletionRequest', onlyRequest().body)).toEqual([]);
  });

  it('plain text when no response_format is asked for', async () => {
    const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] });
    expect(completion.choices[0]?.message.content).toBe(DEFAULT_REPLY_TEXT);
    expect(validateAgainstOpenApi('CreateChatCompletionResponse', onlyRequest().responseBody)).toEqual([]);
  });

  it('responses.create with text.format json_schema: the request validates, the SDK parses the answer', async () => {
    const params = sample('openai-responses-json-schema.request.json') as ResponsesParams;
    const response = await client.responses.create(params);

    const req = onlyRequest();
    expect(req).toMatchObject({ method: 'POST', path: '/v1/responses', apiKey: API_KEY, responseStatus: 200 });
    expect(req.body).toEqual(params);
    expect(validateAgainstOpenApi('CreateResponse', req.body)).toEqual([]);
    expect(validateAgainstOpenApi('Response', req.responseBody)).toEqual([]);

    const sampleResponse = sampleObject('openai-responses-json-schema.response.json');
    expect(response.id).toMatch(/^resp_[0-9a-f]{32}$/);
    expect(response.id).not.toBe(sampleResponse.id);
    expect(response).toMatchObject({ object: 'response', status: 'completed', model: 'gpt-4o-mini', store: false });
    expect(response.text).toEqual(sampleResponse.text);
    expect(response.instructions).toBe(sampleResponse.instructions);
    // output_text is the SDK's own convenience (joined output_text parts).
    expect(JSON.parse(response.output_text)).toMatchObject({ intent: 'change_request', needs_human: false, confidence: 0.86 });
  });

  it('respondNext(429, sample body) → RateLimitError with the body fields; the queue is one request deep', async () => {
    const body = sample('openai-error-429.json') as object;
    standIn?.respondNext(429, body);
    const err = await captureError(client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] }));
    expect(err).toBeInstanceOf(RateLimitError);
    expect(err).toMatchObject({ status: 429, code: 'rate_limit_exceeded', type: 'requests', param: null });
    expect((err as RateLimitError).message).toContain('Rate limit reached for gpt-4o-mini');
    expect(recorded()[0]?.responseBody).toEqual(body);
    expect(validateAgainstOpenApi('ErrorResponse', rateLimitErrorBody())).toEqual([]);
    expect(rateLimitErrorBody()).toEqual(body);

    await expect(
      client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] }),
    ).resolves.toMatchObject({
      object: 'chat.completion',
    });
    expect(recorded().map((r) => r.responseStatus)).toEqual([429, 200]);
  });

  it('429 then success inside the SDK when it may retry (retry-after-ms honoured)', async () => {
    const retrying = createOpenAiClient({ apiKey: API_KEY, baseURL: standIn?.url, maxRetries: 1 });
    standIn?.respondNext(429, rateLimitErrorBody(), { 'retry-after-ms': '10' });
    const completion = await retrying.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] });
    expect(completion.choices[0]?.message.content).toBe(DEFAULT_REPLY_TEXT);
    expect(recorded().map((r) => [r.responseStatus, r.headers['x-stainless-retry-count']])).toEqual([
      [429, '0'],
      [200, '1'],
    ]);
  });

  it('wrong key → 401 AuthenticationError (invalid_api_key, key masked); no key → 401', async () => {
    const wrong = createOpenAiClient({ apiKey: 'sk-wrong-key-123456', baseURL: standIn?.url, maxRetries: 0 });
    const err = await captureError(wrong.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] }));
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err).toMatchObject({ status: 401, code: 'invalid_api_key', type: 'invalid_request_error' });
    expect((err as AuthenticationError).message).not.toContain('sk-wrong-key-123456');
    expect(validateAgainstOpenApi('ErrorResponse', recorded()[0]?.responseBody)).toEqual([]);

    // A queued answer is not consumed by an unauthenticated request.
    standIn?.respondNext(500, openAiErrorBody('boom', 'server_error'));
    const res = await fetch(`${standIn?.url}/chat/completions`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(401);
    const body = (await res.json()) as unknown;
    expect(validateAgainstOpenApi('ErrorResponse', body)).toEqual([]);
    expect(recorded()[1]?.apiKey).toBeNull();
    const stillQueued = await captureError(client.chat.completions.create({ model: 'gpt-4o-mini', messages: [] }));
    expect(stillQueued).toMatchObject({ status: 500 });
  });

  it('tool calls: respondWith returns the sample tool-call response, then the default answer ends the loop', async () => {
    const toolCallResponse = sampleObject('openai-chat-tool-call.response.json');
    standIn?.respondWith((req) => {
      const messages = (req.body as { messages?: Array<{ role: string }> }).messages ?? [];
      return messages.some((m) => m.role === 'tool') ? undefined : { status: 200, body: toolCallResponse };
    });

    const params = sample('openai-chat-tool-call.request.json') as ChatParams;
    const first = await client.chat.completions.create(params);
    const message = first.choices[0]?.message;
    expect(first.choices[0]?.finish_reason).toBe('tool_calls');
    expect(message?.content).toBeNull();
    const call = message?.tool_calls?.[0];
    if (call?.type !== 'function') throw new Error('expected a function tool call');
    expect(call.id).toBe('call_7Qm2Xc9RkL0pZ4vT1bN8sY3e');
    expect(call.function.name).toBe('lookup_order');
    expect(JSON.parse(call.function.arguments)).toEqual({ order_number: '4821' });

    const second = await client.chat.completions.create({
      ...params,
      messages: [
        ...params.messages,
        { role: 'assistant', content: null, tool_calls: [call] },
        { role: 'tool', tool_call_id: call.id, content: JSON.stringify({ order_number: '4821', status: 'packed' }) },
      ],
    });
    expect(second.choices[0]?.finish_reason).toBe('stop');
    expect(second.choices[0]?.message.content).toBe(DEFAULT_REPLY_TEXT);

    expect(recorded()).toHaveLength(2);
    for (const req of recorded()) {
      expect(validateAgainstOpenApi('CreateChatCompletionRequest', req.body)).toEqual([]);
      expect(validateAgainstOpenApi('CreateChatCompletionResponse', req.responseBody)).toEqual([]);
    }
    expect(recorded()[0]?.body).toEqual(params);
  });

  it('builders: scripted chat tool calls and Responses function calls validate and parse', async () => {
    const chat = chatCompletionBody({
      model: 'gpt-4o-mini',
      toolCalls: [
        { name: 'reply_to_inbox', arguments: { id: 'conv_1', text: 'Done!' } },
        { name: 'close_inbox_item', arguments: '{"id":"conv_1","resolution":"answered"}', id: 'call_fixed' },
      ],
    });
    expect(validateAgainstOpenApi('CreateChatCompletionResponse', chat)).toEqual([]);
    standIn?.respondNext(200, chat);
    const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] });
    const calls = completion.choices[0]?.message.tool_calls ?? [];
    expect(calls.map((c) => (c.type === 'function' ? [c.function.name, c.function.arguments] : []))).toEqual([
      ['reply_to_inbox', '{"id":"conv_1","text":"Done!"}'],
      ['close_inbox_item', '{"id":"conv_1","resolution":"answered"}'],
    ]);
    expect(calls[1]?.id).toBe('call_fixed');
    expect(calls[0]?.id).toMatch(/^call_[A-Za-z0-9]{24}$/);

    const fc = responseBody({ model: 'gpt-4o-mini', functionCalls: [{ name: 'lookup_order', arguments: { order_number: '4821' } }] });
    expect(validateAgainstOpenApi('Response', fc)).toEqual([]);
    standIn?.respondWith(() => ({ status: 200, body: fc }));
    const response = await client.responses.create({ model: 'gpt-4o-mini', input: 'Where is order 4821?' });
    const item = response.output[0];
    if (item?.type !== 'function_call') throw new Error('expected a function_call item');
    expect(item).toMatchObject({ name: 'lookup_order', arguments: '{"order_number":"4821"}', status: 'completed' });
    expect(response.output_text).toBe('');
    expect(validateAgainstOpenApi('CreateResponse', recorded()[1]?.body)).toEqual([]);

    // The Responses default answer for a plain request validates too.
    standIn?.respondWith(null);
    const plain = await client.responses.create({ model: 'gpt-4o-mini', input: 'Hi' });
    expect(plain.output_text).toBe(DEFAULT_REPLY_TEXT);
    expect(validateAgainstOpenApi('Response', recorded()[2]?.responseBody)).toEqual([]);
    expect(validateAgainstOpenApi('Response', sample('openai-responses-function-call.response.json'))).toEqual([]);
  });

  it('400 for requests the API would refuse: no messages, no model, not JSON, stream', async () => {
    const noMessages = await captureError(client.chat.completions.create({ model: 'gpt-4o-mini' } as unknown as ChatParams));
    expect(noMessages).toBeInstanceOf(BadRequestError);
    expect(noMessages).toMatchObject({ status: 400, param: 'messages', code: 'missing_required_parameter' });
    expect(validateAgainstOpenApi('CreateChatCompletionRequest', recorded()[0]?.body)).not.toEqual([]);

    const noModel = await captureError(client.responses.create({ input: 'Hi' } as unknown as ResponsesParams));
    expect(noModel).toMatchObject({ status: 400, message: expect.stringContaining('model') as unknown });

    const headers = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };
    const notJson = await fetch(`${standIn?.url}/chat/completions`, { method: 'POST', headers, body: '{"model":' });
    expect(notJson.status).toBe(400);
    const stream = await fetch(`${standIn?.url}/chat/completions`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [], stream: true }),
    });
    expect(stream.status).toBe(400);
    for (const r of recorded()) expect(validateAgainstOpenApi('ErrorResponse', r.responseBody)).toEqual([]);
  });

  it('other routes → 404 (even without a key); reset clears requests, queue and responder', async () => {
    const models = await fetch(`${standIn?.url}/models`);
    expect(models.status).toBe(404);
    expect(await models.json()).toEqual(openAiErrorBody('Invalid URL (GET /v1/models)'));
    const root = await fetch(`${standIn?.url?.replace(/\/v1$/, '')}/chat/completions`, { method: 'POST' });
    expect(root.status).toBe(404);
    expect(recorded()).toHaveLength(2);

    standIn?.respondNext(500, {});
    standIn?.respondWith(() => ({ status: 503, body: {} }));
    standIn?.reset();
    expect(recorded()).toHaveLength(0);
    await expect(
      client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] }),
    ).resolves.toMatchObject({
      object: 'chat.completion',
    });
  });

  it('network failure (nothing listening) → APIConnectionError', async () => {
    const port = await getFreePort();
    const offline = createOpenAiClient({ apiKey: API_KEY, baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
    const err = await captureError(offline.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] }));
    expect(err).toBeInstanceOf(APIConnectionError);
  });

  it('onRequest sees every answered request; without a configured key any key is accepted', async () => {
    const seen: string[] = [];
    const other = await startOpenAiStandIn({ onRequest: (r) => seen.push(`${r.responseStatus} ${r.path}`) });
    try {
      const c = createOpenAiClient({ apiKey: 'anything', baseURL: other.url, maxRetries: 0 });
      await c.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] });
      await c.responses.create({ model: 'gpt-4o-mini', input: 'Hi' });
      expect(seen).toEqual(['200 /v1/chat/completions', '200 /v1/responses']);
    } finally {
      await other.stop();
      await other.stop(); // idempotent
    }
  });
});

describe('exampleForJsonSchema', () => {
  it('fills every property: enums, nullable unions, bounds, $defs, minItems', () => {
    expect(
      exampleForJsonSchema({
        type: 'object',
        properties: {
          reply: { type: 'string' },
          note: { anyOf: [{ type: 'string' }, { type: 'null' }] },
          handoffReason: { anyOf: [{ type: 'string' }, { type: 'null' }] },
          level: { enum: ['b', 'a'] },
          intent: { type: 'string', enum: ['other', 'change_request'] },
          score: { type: 'integer', minimum: 3, maximum: 8 },
          confidence: { type: 'number', minimum: 0.9, maximum: 1 },
          kind: { const: 'draft' },
          tags: { type: 'array', items: { $ref: '#/$defs/tag' }, minItems: 2 },
        },
        $defs: { tag: { type: 'string' } },
      }),
    ).toEqual({
      reply: DEFAULT_REPLY_TEXT,
      note: 'example note',
      handoffReason: null,
      level: 'b',
      intent: 'change_request',
      score: 6,
      confidence: 0.95,
      kind: 'draft',
      tags: ['example', 'example'],
    });
  });
});
