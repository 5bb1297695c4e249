/**
 * Factory for the Postmark client used by the email activities, and classification of its errors.
 *
 * In production the SDK (`postmark` 5.x, fetch-based) talks to `https://api.postmarkapp.com`. For tests
 * and local development `apiBaseUrl` points it at a local stand-in (`channels/postmark/standin.ts`)
 * while the real SDK still builds the requests (path `/email`, JSON body, `X-Postmark-Server-Token`).
 *
 * Mechanism (postmark 5.1 `dist/client/models/client/HttpClient.js`): the request URL is
 * `${useHttps ? 'https' : 'http'}://${requestHost}${path}` — plain string concatenation, so
 * `requestHost` may carry a port and even a path prefix (`127.0.0.1:4011/postmark`).
 *
 * Errors (postmark 5.1 `dist/client/HttpClient.js` + `dist/client/errors/ErrorHandler.js`): every
 * failure rejects with a `PostmarkError` subclass carrying `statusCode` (HTTP status, 0 if no response)
 * and `code` (the body's Postmark `ErrorCode`, 0 if absent or not JSON). The class is chosen by HTTP
 * status only: 401 `InvalidAPIKeyError`, 404 plain `PostmarkError`, 422 `ApiInputError` (ErrorCode 406 →
 * `InactiveRecipientsError` with `recipients`, 300 → `InvalidEmailRequestError`), 429
 * `RateLimitExceededError`, 500 `InternalServerError`, 503 `ServiceUnavailablerError` (sic), any other
 * status (400, 403, 502, 504, …) `UnknownError`. Network failures and timeouts (SDK default 180 s)
 * reject with a plain `PostmarkError` with `statusCode` 0 and `code` 0.
 */
import { Errors, ServerClient } from 'postmark';

/** Options for {@link createPostmarkClient}. */
export interface PostmarkClientOptions {
  /** Server API token (sent as `X-Postmark-Server-Token`). */
  serverToken: string;
  /**
   * Base URL replacing `https://api.postmarkapp.com`, e.g. `http://127.0.0.1:4011` (http → `useHttps:
   * false`, https → `useHttps: true`). A path prefix is kept; a trailing slash is ignored.
   * Unset (or empty) = the real Postmark API.
   */
  apiBaseUrl?: string;
  /** Request timeout in seconds (SDK default 180). Keep it below the activity's start-to-close timeout. */
  timeoutSeconds?: number;
}

/** The `ServerClient` configuration for `apiBaseUrl`: `{ useHttps, requestHost }`. */
export function postmarkConnectionOptions(apiBaseUrl: string): { useHttps: boolean; requestHost: string } {
  let url: URL;
  try {
    url = new URL(apiBaseUrl);
  } catch {
    throw new Error(`Postmark apiBaseUrl is not a URL: ${JSON.stringify(apiBaseUrl)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`Postmark apiBaseUrl must be http(s): ${JSON.stringify(apiBaseUrl)}`);
  }
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new Error(`Postmark apiBaseUrl must not carry credentials, query or fragment: ${JSON.stringify(apiBaseUrl)}`);
  }
  return { useHttps: url.protocol === 'https:', requestHost: url.host + url.pathname.replace(/\/+$/, '') };
}

/**
 * Creates a Postmark server client.
 *
 * @example
 *   const postmark = createPostmarkClient({ serverToken, apiBaseUrl: process.env.POSTMARK_API_BASE_URL });
 *   const res = await postmark.sendEmail({ From, To, Subject, TextBody, ReplyTo, Headers, Attachments });
 *   res.MessageID; // Postmark's id, the `MessageID` of later delivery/bounce webhooks
 *
 * @throws Error if `serverToken` is empty (the SDK would throw a `PostmarkError` with status 0,
 *   which {@link isPermanentPostmarkError} would mistake for a network error) or `apiBaseUrl` is invalid.
 */
export function createPostmarkClient(opts: PostmarkClientOptions): ServerClient {
  if (opts.serverToken.trim() === '') throw new Error('Postmark server token is empty');
  const config: { useHttps?: boolean; requestHost?: string; timeout?: number } = {};
  if (opts.apiBaseUrl) Object.assign(config, postmarkConnectionOptions(opts.apiBaseUrl));
  if (opts.timeoutSeconds !== undefined) config.timeout = opts.timeoutSeconds;
  return new ServerClient(opts.serverToken, config);
}

/** A Postmark failure that retrying the same request cannot fix. */
export interface PermanentPostmarkError {
  /** Postmark `ErrorCode` (e.g. 10 bad token, 300 invalid email request, 406 inactive recipient); 0 if the body had none. */
  code: number;
  /** Postmark's `Message` (or the SDK's `Request returned status code N`). */
  message: string;
  /** HTTP status (401, 422, …). */
  status: number;
  /** For ErrorCode 406: the inactive addresses the SDK parsed from the message (may be empty). */
  inactiveRecipients?: string[];
}

/**
 * Classifies an error thrown by the Postmark SDK. Returns the details if it is PERMANENT (fail the
 * message, do not retry), `null` if it is transient or unknown (let the activity retry).
 *
 * Rules, from postmarkapp.com/developer/api/overview#http-response-codes and #error-codes:
 *  - 401 (ErrorCode 10 "Bad or missing API token"): permanent — a configuration error that no retry
 *    fixes (an operator must fix the token; the message should surface as failed, not retry forever).
 *  - 422 (ErrorCode 300 invalid email request, 406 inactive recipient, 405 not allowed to send,
 *    411 forbidden attachment type, 412/413 account cannot send, …): permanent.
 *  - other 4xx WITH a Postmark ErrorCode (e.g. 413 payload too large): permanent.
 *  - 4xx WITHOUT an ErrorCode (e.g. an HTML 403 from the network layer in front of the API, see
 *    postmarkapp.com/support/article/getting-a-403-that-doesnt-look-like-a-postmark-error), 408,
 *    429 (rate limit), every 5xx (500 internal error, 503 maintenance, 502/504 from proxies) and
 *    status 0 (connection refused, DNS, timeout): transient → `null`.
 *  - anything that is not a `PostmarkError` (programming errors, …): `null` (the caller decides).
 *
 * Note: after a timeout Postmark may already have accepted the email; the API has no idempotency
 * key, so a retry can send it twice.
 */
export function isPermanentPostmarkError(err: unknown): PermanentPostmarkError | null {
  if (!(err instanceof Errors.PostmarkError)) return null;
  const status = err.statusCode;
  const code = err.code;
  if (status < 400 || status >= 500 || status === 408 || status === 429) return null;
  if (status !== 401 && status !== 422 && code === 0) return null;
  const result: PermanentPostmarkError = { code, message: err.message, status };
  if (err instanceof Errors.InactiveRecipientsError) result.inactiveRecipients = [...err.recipients];
  return result;
}
