/**
 * Factory for the OpenAI client used by the AI-assistant activities.
 *
 * In production the SDK (`openai` 7.x, fetch-based) talks to `https://api.openai.com/v1`. For tests
 * and local development `baseURL` (from `OPENAI_BASE_URL`) points it at an OpenAI-compatible
 * endpoint elsewhere — e.g. the stand-in in `scripts/openai-standin.ts` — while the real SDK still
 * builds the requests (`POST {baseURL}/chat/completions`, `POST {baseURL}/responses`, JSON body,
 * `Authorization: Bearer <apiKey>`).
 *
 * Without an API key the assistant is unavailable: callers check `OPENAI_API_KEY` BEFORE calling
 * this (the return type stays `OpenAI`, never `OpenAI | null`), and this function throws on a blank
 * key rather than letting the SDK fall back to the environment.
 *
 * Environment: the SDK itself reads `OPENAI_API_KEY` / `OPENAI_BASE_URL` only for options left
 * `undefined`; we always pass both, so the values the caller's config resolved are the ones used.
 * It still reads `OPENAI_ORG_ID`, `OPENAI_PROJECT_ID` (sent as `OpenAI-Organization` /
 * `OpenAI-Project`), `OPENAI_LOG` and `OPENAI_CUSTOM_HEADERS` from the environment.
 *
 * Errors (openai 7.x `core/error.d.ts`): an HTTP error rejects with an `APIError` subclass carrying
 * `status` and the body's `error.{type,code,param,message}` — 400 `BadRequestError`, 401
 * `AuthenticationError`, 403 `PermissionDeniedError`, 404 `NotFoundError`, 409 `ConflictError`, 422
 * `UnprocessableEntityError`, 429 `RateLimitError`, ≥ 500 `InternalServerError`; no response at all
 * → `APIConnectionError` (timeout: `APIConnectionTimeoutError`). The SDK retries 408/409/429/5xx and
 * connection errors itself `maxRetries` times (default 2, honouring `retry-after(-ms)`); set it to 0
 * when the caller (a Temporal activity) does its own retrying.
 */
import OpenAI from 'openai';

/** The real API; used when `baseURL` is unset or empty. */
export const DEFAULT_OPENAI_BASE_URL = 'https://api.openai.com/v1';

/** Options for {@link createOpenAiClient}. */
export interface OpenAiClientOptions {
  /** API key, sent as `Authorization: Bearer <apiKey>`. Must not be blank. */
  apiKey: string;
  /**
   * Base URL including the version prefix, e.g. `http://127.0.0.1:4012/v1` (what `OPENAI_BASE_URL`
   * holds). Unset or empty = {@link DEFAULT_OPENAI_BASE_URL}.
   */
  baseURL?: string;
  /** Per-attempt request timeout in milliseconds (SDK default: 10 minutes). Keep it below the activity's start-to-close timeout. */
  timeoutMs?: number;
  /** Retries the SDK makes itself on 408/409/429/5xx/connection errors (SDK default 2). */
  maxRetries?: number;
}

/**
 * Creates an OpenAI client.
 *
 * @example
 *   if (!config.openAiApiKey) return { available: false };
 *   const openai = createOpenAiClient({ apiKey: config.openAiApiKey, baseURL: config.openAiBaseUrl, maxRetries: 0 });
 *   const completion = await openai.chat.completions.create({ model, messages, response_format });
 *
 * @throws Error if `apiKey` is blank (the assistant is unavailable: callers check the key first),
 *   if `baseURL` is not an http(s) URL, or if `timeoutMs` is not a positive integer / `maxRetries` not a non-negative one.
 */
export function createOpenAiClient(opts: OpenAiClientOptions): OpenAI {
  if (opts.apiKey.trim() === '') throw new Error('OpenAI API key is empty (the AI assistant is unavailable without OPENAI_API_KEY)');
  const baseURL = opts.baseURL?.trim() || DEFAULT_OPENAI_BASE_URL;
  let url: URL;
  try {
    url = new URL(baseURL);
  } catch {
    throw new Error(`OpenAI baseURL is not a URL: ${JSON.stringify(baseURL)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`OpenAI baseURL must be http(s): ${JSON.stringify(baseURL)}`);
  }
  if (opts.timeoutMs !== undefined && !(Number.isSafeInteger(opts.timeoutMs) && opts.timeoutMs > 0)) {
    throw new Error(`OpenAI timeoutMs must be a positive integer, got ${String(opts.timeoutMs)}`);
  }
  if (opts.maxRetries !== undefined && !(Number.isSafeInteger(opts.maxRetries) && opts.maxRetries >= 0)) {
    throw new Error(`OpenAI maxRetries must be a non-negative integer, got ${String(opts.maxRetries)}`);
  }
  return new OpenAI({
    apiKey: opts.apiKey,
    baseURL,
    ...(opts.timeoutMs !== undefined ? { timeout: opts.timeoutMs } : {}),
    ...(opts.maxRetries !== undefined ? { maxRetries: opts.maxRetries } : {}),
  });
}
