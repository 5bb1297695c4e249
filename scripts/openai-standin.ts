/**
 * A tiny hand-written OpenAI API stand-in (node:http), for tests and local development
 * (see test/contracts/README.md §4). Point the real SDK at it with
 * `createOpenAiClient({ apiKey, baseURL: standIn.url, maxRetries: 0 })` — `url` already ends in `/v1`.
 *
 * Implements only `POST /v1/chat/completions` and `POST /v1/responses`, non-streaming:
 *   - 401 with OpenAI's error body `{error: {message, type, param, code}}` when `Authorization: Bearer …`
 *     is missing, or differs from `apiKey` if one is set (code `invalid_api_key`);
 *   - then the next queued `respondNext(status, body)` answer (FIFO, one per request), else the
 *     `respondWith(fn)` responder if it returns an answer (scripted tool-call loops), else:
 *   - 400 `invalid_request_error` for a body that is not a JSON object, without `model`, for chat
 *     without a `messages` array, or with `stream: true` (not supported here);
 *   - otherwise 200 with a default answer in the shape of the matching sample
 *     (test/contracts/samples/openai-chat-json-schema.response.json, openai-responses-json-schema.response.json),
 *     built inline so the stand-in needs no sample file at run time: a fresh `id`, `created`/`created_at` now,
 *     the request's `model` echoed. When the request asks for structured output (`response_format` /
 *     `text.format` of type `json_schema`) the answer's content is a JSON instance of the request's
 *     schema (see {@link exampleForJsonSchema}), so `JSON.parse` + the caller's own validation succeed.
 * Any other route answers 404 (`Invalid URL (METHOD /path)`, as OpenAI does). Every request (matched or
 * not) is recorded with its parsed JSON body; every answer carries an `x-request-id` header.
 *
 * Scripted answers are sent verbatim; the builders below ({@link chatCompletionBody},
 * {@link responseBody}, {@link openAiErrorBody}, {@link rateLimitErrorBody}) produce valid bodies
 * for them, e.g. a tool-call loop:
 *   standIn.respondWith((req) => {
 *     const messages = (req.body as { messages?: Array<{ role: string }> }).messages ?? [];
 *     if (messages.some((m) => m.role === 'tool')) return undefined; // → default final answer
 *     return { status: 200, body: chatCompletionBody({ model: 'gpt-4o-mini', toolCalls: [{ name: 'close_inbox_item', arguments: { id } }] }) };
 *   });
 */
import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { listenOnLoopback, parseJson, readBody, sendJson } from './loopback-server';

/** A JSON object as sent over the wire. */
export type JsonObject = { [key: string]: unknown };

/** One request as received by the stand-in, before it is answered (what a responder sees). */
export interface OpenAiStandInRequest {
  /** HTTP method, upper case. */
  method: string;
  /** Path without query string, e.g. `/v1/chat/completions`. */
  path: string;
  /** Request headers, lower-cased names (`authorization`, `content-type`, `user-agent`, `x-stainless-*`, …). */
  headers: IncomingHttpHeaders;
  /** The bearer token of `Authorization: Bearer <token>`, or null if absent / not bearer. */
  apiKey: string | null;
  /** Raw body as received. */
  rawBody: string;
  /** The body parsed as JSON, or null if it was empty or not JSON. */
  body: unknown;
}

/** One request as recorded, with the answer the stand-in gave. */
export interface RecordedOpenAiRequest extends OpenAiStandInRequest {
  /** Status the stand-in answered with. */
  responseStatus: number;
  /** Body the stand-in answered with. */
  responseBody: unknown;
}

/** A scripted answer. */
export interface OpenAiCannedResponse {
  status: number;
  body: object;
  /** Extra response headers, e.g. `{ 'retry-after-ms': '10' }` for a 429 the SDK should retry quickly. */
  headers?: Record<string, string>;
}

/** Decides the answer to an authenticated request on a known route; `undefined` = the default answer. */
export type OpenAiResponder = (request: OpenAiStandInRequest) => OpenAiCannedResponse | undefined;

/** Options for {@link startOpenAiStandIn}. */
export interface OpenAiStandInOptions {
  /** If set, the bearer token must equal it (else 401); if unset, any non-empty token is accepted. */
  apiKey?: string;
  /** Port to listen on (default: a free one). */
  port?: number;
  /** Called after each request is answered (the dev runner can log AI calls with it). */
  onRequest?: (request: RecordedOpenAiRequest) => void;
}

/** A running stand-in. */
export interface OpenAiStandIn {
  /** Base URL ending in `/v1`, e.g. `http://127.0.0.1:40125/v1` — pass as `baseURL` / `OPENAI_BASE_URL`. */
  url: string;
  /** Every request received, in order (mutable: `requests.length = 0` clears it). */
  requests: RecordedOpenAiRequest[];
  /**
   * The next authenticated request to a known route answers `status` with JSON `body` (queued, FIFO;
   * each call = one request), e.g. `respondNext(429, rateLimitErrorBody())`. Takes precedence over `respondWith`.
   */
  respondNext(status: number, body: object, headers?: Record<string, string>): void;
  /** Installs a responder for authenticated requests on known routes (replacing any previous one); `null` removes it. */
  respondWith(fn: OpenAiResponder | null): void;
  /** Clears recorded requests, queued answers and the responder. */
  reset(): void;
  /** Stops listening and closes open (keep-alive) connections. Idempotent. */
  stop(): Promise<void>;
}

/** The model used in answers when a request names none (only reachable through a responder). */
const FALLBACK_MODEL = 'gpt-4o-mini';

/** The reply text of the samples (openai-chat-json-schema.response.json); the default plain-text answer. */
export const DEFAULT_REPLY_TEXT = "Hi Amara! Yes - please send the new address and I'll update order 4821 before it ships.";

/**
 * Values the default structured answer uses for properties of these names (when the type fits) —
 * the sample's `draft_reply` values, plus the draft fields of the AI-assistant issue.
 */
const SAMPLE_PROPERTY_VALUES: Record<string, unknown> = {
  reply: DEFAULT_REPLY_TEXT,
  language: 'en',
  intent: 'change_request',
  needs_human: false,
  confidence: 0.86,
  complexity: 'low',
  handoff: false,
  handoffReason: null,
  handoff_reason: null,
};

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomAlnum(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += ALNUM[b % ALNUM.length];
  return out;
}

function randomHex(length: number): string {
  return randomBytes(Math.ceil(length / 2))
    .toString('hex')
    .slice(0, length);
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** A rough token count (≈ 4 characters per token), for `usage`. */
function roughTokens(value: unknown): number {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
  return Math.max(1, Math.ceil(text.length / 4));
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** OpenAI's error body `{error: {message, type, param, code}}` (test/contracts/samples/openai-error-429.json). */
export function openAiErrorBody(
  message: string,
  type = 'invalid_request_error',
  param: string | null = null,
  code: string | null = null,
): { error: { message: string; type: string; param: string | null; code: string | null } } {
  return { error: { message, type, param, code } };
}

/** The 429 body of openai-error-429.json (`type: requests`, `code: rate_limit_exceeded`). */
export function rateLimitErrorBody(model = FALLBACK_MODEL): ReturnType<typeof openAiErrorBody> {
  return openAiErrorBody(
    `Rate limit reached for ${model} in organization org-XXXX on requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in 120ms.`,
    'requests',
    null,
    'rate_limit_exceeded',
  );
}

/** A function call to put into a scripted answer; object `arguments` are JSON-encoded. */
export interface ScriptedToolCall {
  name: string;
  arguments: string | JsonObject;
  /** Call id (`call_…`); fresh if omitted. */
  id?: string;
}

function argumentsText(args: string | JsonObject): string {
  return typeof args === 'string' ? args : JSON.stringify(args);
}

/**
 * A `CreateChatCompletionResponse` body like openai-chat-json-schema.response.json (text/JSON content)
 * or, with `toolCalls`, like openai-chat-tool-call.response.json (`content: null`, `finish_reason: tool_calls`),
 * or with `refusal`, a structured-outputs refusal.
 */
export function chatCompletionBody(opts: {
  model: string;
  content?: string | null;
  toolCalls?: ScriptedToolCall[];
  /** A refusal (structured outputs): `message.refusal` set, `content` null unless given. */
  refusal?: string;
  promptTokens?: number;
}): JsonObject {
  const toolCalls = opts.toolCalls ?? [];
  const content =
    opts.content !== undefined ? opts.content : toolCalls.length > 0 || opts.refusal !== undefined ? null : DEFAULT_REPLY_TEXT;
  const message: JsonObject = { role: 'assistant', content, refusal: opts.refusal ?? null, annotations: [] };
  if (toolCalls.length > 0) {
    message.tool_calls = toolCalls.map((call) => ({
      id: call.id ?? `call_${randomAlnum(24)}`,
      type: 'function',
      function: { name: call.name, arguments: argumentsText(call.arguments) },
    }));
  }
  const promptTokens = opts.promptTokens ?? 96;
  const completionTokens = roughTokens(content ?? message.tool_calls);
  return {
    id: `chatcmpl-${randomAlnum(29)}`,
    object: 'chat.completion',
    created: nowSeconds(),
    model: opts.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: toolCalls.length > 0 ? 'tool_calls' : 'stop' }],
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    },
    service_tier: 'default',
    system_fingerprint: 'fp_5f2b1a9c3e',
  };
}

/**
 * A `Response` body (Responses API) like openai-responses-json-schema.response.json (one assistant
 * message with `outputText`) or, with `functionCalls`, like openai-responses-function-call.response.json.
 * Request parameters that the API echoes (`instructions`, `text`, `tools`, `tool_choice`, `store`, …) are
 * taken from `request` when given.
 */
export function responseBody(opts: {
  model: string;
  outputText?: string;
  functionCalls?: ScriptedToolCall[];
  request?: JsonObject;
}): JsonObject {
  const req = opts.request ?? {};
  const functionCalls = opts.functionCalls ?? [];
  const output: JsonObject[] =
    functionCalls.length > 0
      ? functionCalls.map((call) => ({
          id: `fc_${randomHex(32)}`,
          type: 'function_call',
          status: 'completed',
          call_id: call.id ?? `call_${randomAlnum(24)}`,
          name: call.name,
          arguments: argumentsText(call.arguments),
        }))
      : [
          {
            id: `msg_${randomHex(32)}`,
            type: 'message',
            status: 'completed',
            role: 'assistant',
            content: [{ type: 'output_text', text: opts.outputText ?? DEFAULT_REPLY_TEXT, annotations: [], logprobs: [] }],
          },
        ];
  const inputTokens = req.input !== undefined ? roughTokens([req.instructions, req.input]) : 96;
  const outputTokens = roughTokens(output);
  const reasoning = isObject(req.reasoning) ? req.reasoning : {};
  const echo = (key: string, fallback: unknown): unknown => (req[key] !== undefined ? req[key] : fallback);
  return {
    id: `resp_${randomHex(32)}`,
    object: 'response',
    created_at: nowSeconds(),
    status: 'completed',
    background: echo('background', false),
    error: null,
    incomplete_details: null,
    instructions: echo('instructions', null),
    max_output_tokens: echo('max_output_tokens', null),
    model: opts.model,
    output,
    parallel_tool_calls: echo('parallel_tool_calls', true),
    previous_response_id: echo('previous_response_id', null),
    reasoning: { effort: reasoning.effort ?? null, summary: reasoning.summary ?? null },
    service_tier: 'default',
    store: echo('store', true),
    temperature: echo('temperature', 1),
    text: echo('text', { format: { type: 'text' } }),
    tool_choice: echo('tool_choice', 'auto'),
    tools: echo('tools', []),
    top_p: echo('top_p', 1),
    truncation: echo('truncation', 'disabled'),
    usage: {
      input_tokens: inputTokens,
      input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
      output_tokens: outputTokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: inputTokens + outputTokens,
    },
    metadata: echo('metadata', {}),
  };
}

/** Resolves a local `$ref` (`#/$defs/x`, `#/definitions/x`, any JSON pointer into `root`). */
function resolveLocalRef(root: unknown, ref: string): unknown {
  if (!ref.startsWith('#')) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(1).split('/').slice(1)) {
    let key: string;
    try {
      key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    } catch {
      return undefined;
    }
    if (!isObject(node) && !Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function typesOf(schema: JsonObject): string[] {
  if (typeof schema.type === 'string') return [schema.type];
  if (Array.isArray(schema.type)) return schema.type.filter((t): t is string => typeof t === 'string');
  if (isObject(schema.properties)) return ['object'];
  if (schema.items !== undefined) return ['array'];
  return [];
}

function fitsType(value: unknown, type: string): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    default:
      return false;
  }
}

function withinBounds(value: number, schema: JsonObject): boolean {
  const num = (k: string): number | undefined => (typeof schema[k] === 'number' ? schema[k] : undefined);
  const min = num('minimum');
  const max = num('maximum');
  const xmin = num('exclusiveMinimum');
  const xmax = num('exclusiveMaximum');
  return (
    (min === undefined || value >= min) &&
    (max === undefined || value <= max) &&
    (xmin === undefined || value > xmin) &&
    (xmax === undefined || value < xmax)
  );
}

function exampleNumber(schema: JsonObject, integer: boolean): number {
  const min =
    typeof schema.minimum === 'number' ? schema.minimum : typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum : undefined;
  const max =
    typeof schema.maximum === 'number' ? schema.maximum : typeof schema.exclusiveMaximum === 'number' ? schema.exclusiveMaximum : undefined;
  let value = min !== undefined && max !== undefined ? (min + max) / 2 : min !== undefined ? min + 1 : max !== undefined ? max - 1 : 0;
  if (integer) value = Math.ceil(value);
  return withinBounds(value, schema) ? value : (min ?? max ?? 0);
}

function exampleFor(schema: unknown, root: unknown, propertyName: string | undefined, depth: number): unknown {
  if (!isObject(schema) || depth > 12) return null;
  if (typeof schema.$ref === 'string') return exampleFor(resolveLocalRef(root, schema.$ref), root, propertyName, depth + 1);
  if ('const' in schema) return schema.const;
  const preferred =
    propertyName !== undefined && Object.hasOwn(SAMPLE_PROPERTY_VALUES, propertyName) ? SAMPLE_PROPERTY_VALUES[propertyName] : undefined;
  if (Array.isArray(schema.enum)) {
    return preferred !== undefined && schema.enum.includes(preferred) ? preferred : (schema.enum[0] ?? null);
  }
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const branches = schema[key];
    if (!Array.isArray(branches) || branches.length === 0) continue;
    if (preferred === null && branches.some((b) => isObject(b) && b.type === 'null')) return null;
    const nonNull = branches.find((b) => !(isObject(b) && b.type === 'null')) ?? branches[0];
    return exampleFor(nonNull, root, propertyName, depth + 1);
  }
  const types = typesOf(schema);
  if (preferred !== undefined && types.some((t) => fitsType(preferred, t))) {
    if (typeof preferred !== 'number' || withinBounds(preferred, schema)) return preferred;
  }
  const type = types.find((t) => t !== 'null') ?? (types.includes('null') ? 'null' : 'string');
  switch (type) {
    case 'null':
      return null;
    case 'boolean':
      return false;
    case 'integer':
      return exampleNumber(schema, true);
    case 'number':
      return exampleNumber(schema, false);
    case 'array': {
      const count = typeof schema.minItems === 'number' ? schema.minItems : 0;
      return Array.from({ length: count }, () => exampleFor(schema.items, root, undefined, depth + 1));
    }
    case 'object': {
      const out: JsonObject = {};
      const properties = isObject(schema.properties) ? schema.properties : {};
      for (const [name, sub] of Object.entries(properties)) out[name] = exampleFor(sub, root, name, depth + 1);
      return out;
    }
    default: {
      if (typeof schema.minLength === 'number' && schema.minLength > 'example'.length) return 'x'.repeat(schema.minLength);
      return propertyName === undefined ? 'example' : `example ${propertyName}`;
    }
  }
}

/**
 * A JSON value that satisfies a (strict-mode style) JSON schema: every listed property present, the
 * first `enum` value, the first non-null `anyOf` branch, numbers within bounds, `minItems` items.
 * Properties named like the sample's `draft_reply` fields (`reply`, `language`, `intent`,
 * `needs_human`, `confidence`) or the assistant's (`complexity`, `handoff`, `handoffReason`) get the
 * sample's values when the type allows. Not a general generator: `pattern`, `format` and
 * `additionalProperties` are not honoured.
 */
export function exampleForJsonSchema(schema: unknown): unknown {
  return exampleFor(schema, schema, undefined, 0);
}

/** The content of the default answer for a request's structured-output format (`json_schema` / `json_object` / text). */
function defaultContent(format: unknown): string {
  if (isObject(format) && format.type === 'json_schema') {
    const schema = isObject(format.json_schema) ? format.json_schema.schema : format.schema;
    return JSON.stringify(exampleForJsonSchema(schema));
  }
  if (isObject(format) && format.type === 'json_object') return JSON.stringify({ reply: DEFAULT_REPLY_TEXT });
  return DEFAULT_REPLY_TEXT;
}

const ROUTES = new Set(['/v1/chat/completions', '/v1/responses']);

function bearerToken(headers: IncomingHttpHeaders): string | null {
  const match = /^Bearer\s+(\S.*)$/i.exec(headers.authorization ?? '');
  return match?.[1]?.trim() ?? null;
}

/** `sk-…abcd` → `sk-*****abcd`, as OpenAI masks keys in its 401 message. */
function maskKey(key: string): string {
  return key.length <= 8 ? '*'.repeat(key.length) : `${key.slice(0, 3)}${'*'.repeat(key.length - 7)}${key.slice(-4)}`;
}

/** The default answer (after auth) of a known route. */
function defaultAnswer(path: string, body: unknown): OpenAiCannedResponse {
  if (!isObject(body)) {
    return {
      status: 400,
      body: openAiErrorBody(
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
      ),
    };
  }
  if (typeof body.model !== 'string' || body.model === '') {
    return { status: 400, body: openAiErrorBody('you must provide a model parameter') };
  }
  if (body.stream === true) {
    return {
      status: 400,
      body: openAiErrorBody('stream is not supported by the OpenAI stand-in', 'invalid_request_error', 'stream', 'unsupported_value'),
    };
  }
  if (path === '/v1/chat/completions') {
    if (!Array.isArray(body.messages)) {
      return {
        status: 400,
        body: openAiErrorBody("Missing required parameter: 'messages'.", 'invalid_request_error', 'messages', 'missing_required_parameter'),
      };
    }
    return {
      status: 200,
      body: chatCompletionBody({
        model: body.model,
        content: defaultContent(body.response_format),
        promptTokens: roughTokens(body.messages),
      }),
    };
  }
  const format = isObject(body.text) ? body.text.format : undefined;
  return { status: 200, body: responseBody({ model: body.model, outputText: defaultContent(format), request: body }) };
}

/** Starts the stand-in on 127.0.0.1 (OS-assigned port unless `port` is given). */
export async function startOpenAiStandIn(opts: OpenAiStandInOptions = {}): Promise<OpenAiStandIn> {
  const requests: RecordedOpenAiRequest[] = [];
  const queued: OpenAiCannedResponse[] = [];
  let responder: OpenAiResponder | null = null;

  const answer = (request: OpenAiStandInRequest): OpenAiCannedResponse => {
    if (!(request.method === 'POST' && ROUTES.has(request.path))) {
      return { status: 404, body: openAiErrorBody(`Invalid URL (${request.method} ${request.path})`) };
    }
    const key = request.apiKey;
    if (key === null || key === '') {
      return {
        status: 401,
        body: openAiErrorBody(
          "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        ),
      };
    }
    if (opts.apiKey !== undefined && key !== opts.apiKey) {
      return {
        status: 401,
        body: openAiErrorBody(`Incorrect API key provided: ${maskKey(key)}.`, 'invalid_request_error', null, 'invalid_api_key'),
      };
    }
    const next = queued.shift();
    if (next) return next;
    const scripted = responder?.(request);
    if (scripted) return scripted;
    return defaultAnswer(request.path, request.body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const rawBody = await readBody(req);
    const request: OpenAiStandInRequest = {
      method: (req.method ?? 'GET').toUpperCase(),
      path: new URL(req.url ?? '/', 'http://standin.invalid').pathname,
      headers: req.headers,
      apiKey: bearerToken(req.headers),
      rawBody,
      body: parseJson(rawBody),
    };
    const result = answer(request);
    const recorded: RecordedOpenAiRequest = { ...request, responseStatus: result.status, responseBody: result.body };
    requests.push(recorded);
    opts.onRequest?.(recorded);

    res.setHeader('x-request-id', `req_${randomHex(32)}`);
    for (const [name, value] of Object.entries(result.headers ?? {})) res.setHeader(name, value);
    sendJson(res, result.status, result.body);
  };

  const server = await listenOnLoopback(handle, opts.port ?? 0);

  return {
    url: `${server.url}/v1`,
    requests,
    respondNext(status: number, body: object, headers?: Record<string, string>) {
      queued.push(headers ? { status, body, headers } : { status, body });
    },
    respondWith(fn: OpenAiResponder | null) {
      responder = fn;
    },
    reset() {
      requests.length = 0;
      queued.length = 0;
      responder = null;
    },
    stop: () => server.stop(),
  };
}
