/**
 * A tiny hand-written Postmark Email API stand-in (node:http), for tests and local development
 * (see shared/contracts/README.md §3). Point the real SDK at it with
 * `createPostmarkClient({ serverToken, apiBaseUrl: standIn.url })`.
 *
 * Implements only `POST /email` (postmarkapp.com/developer/api/email-api#send-email):
 *   - 401 `{ErrorCode: 10, Message}` when `X-Postmark-Server-Token` is missing, or differs from
 *     `serverToken` if one is set (compared case-insensitively: Postmark documents header name AND value
 *     as case-insensitive, postmarkapp.com/developer/api/overview#authentication);
 *   - 422 `{ErrorCode: 402}` for a body that is not JSON, 422 `{ErrorCode: 300}` without `From`,
 *     without any of `To`/`Cc`/`Bcc`, or without both `TextBody` and `HtmlBody` (Postmark's codes);
 *   - otherwise 200 `{To, SubmittedAt, MessageID, ErrorCode: 0, Message: 'OK'}` — the shape of
 *     shared/contracts/samples/postmark-send-email.response.json, with a fresh UUID `MessageID`
 *     (built inline, so this works without the shared/ folder).
 * Any other route answers 404. Every request (matched or not) is recorded.
 * `failNext(status, body)` queues a canned answer for the next authenticated `POST /email` (FIFO,
 * one per call), e.g. `failNext(422, {ErrorCode: 406, Message: '… Found inactive addresses: x@y. Inactive …'})`.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { listenOnLoopback, parseJson, readBody, sendJson } from './loopback-server';

/** One request as received by the stand-in. */
export interface RecordedPostmarkRequest {
  /** HTTP method, upper case. */
  method: string;
  /** Path without query string, e.g. `/email`. */
  path: string;
  /** Request headers, lower-cased names (`x-postmark-server-token`, `content-type`, `user-agent`, …). */
  headers: IncomingHttpHeaders;
  /** `X-Postmark-Server-Token` as sent, or null if absent. */
  serverToken: string | null;
  /** Raw body as received. */
  rawBody: string;
  /** The body parsed as JSON, or null if it was empty or not JSON. */
  body: unknown;
  /** Status the stand-in answered with. */
  responseStatus: number;
  /** Body the stand-in answered with. */
  responseBody: unknown;
}

/** Options for {@link startPostmarkStandIn}. */
export interface PostmarkStandInOptions {
  /** If set, `X-Postmark-Server-Token` must equal it (else 401); if unset, any non-empty token is accepted. */
  serverToken?: string;
  /** Port to listen on (default: a free one). */
  port?: number;
  /** Called after each request is answered (the dev runner can log outbound emails with it). */
  onRequest?: (request: RecordedPostmarkRequest) => void;
}

/** A running stand-in. */
export interface PostmarkStandIn {
  /** Base URL, e.g. `http://127.0.0.1:40125` — pass as `apiBaseUrl` to `createPostmarkClient`. */
  url: string;
  /** Every request received, in order (mutable: `requests.length = 0` clears it). */
  requests: RecordedPostmarkRequest[];
  /** The next authenticated `POST /email` answers `status` with JSON `body` (queued; each call = one request). */
  failNext(status: number, body: object): void;
  /** Clears recorded requests and pending failures. */
  reset(): void;
  /** Stops listening and closes open (keep-alive) connections. Idempotent. */
  stop(): Promise<void>;
}

/** Postmark's error body `{ErrorCode, Message}` (postmarkapp.com/developer/api/overview#error-codes). */
function postmarkError(code: number, message: string): { ErrorCode: number; Message: string } {
  return { ErrorCode: code, Message: message };
}

/** `2026-01-16T15:40:12.4180000Z`: ISO-8601 UTC with 7 fractional digits, as Postmark prints `SubmittedAt`. */
function submittedAt(d: Date): string {
  return d.toISOString().replace(/Z$/, '0000Z');
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

/** Starts the stand-in on 127.0.0.1 (OS-assigned port unless `port` is given). */
export async function startPostmarkStandIn(opts: PostmarkStandInOptions = {}): Promise<PostmarkStandIn> {
  const requests: RecordedPostmarkRequest[] = [];
  const failures: Array<{ status: number; body: object }> = [];

  const answer = (token: string | null, body: unknown): { status: number; body: unknown } => {
    if (token === null || token.trim() === '') {
      return {
        status: 401,
        body: postmarkError(
          10,
          'No Account or Server API tokens were supplied in the HTTP headers. Please add a header for either X-Postmark-Server-Token or X-Postmark-Account-Token.',
        ),
      };
    }
    if (opts.serverToken !== undefined && token.trim().toLowerCase() !== opts.serverToken.trim().toLowerCase()) {
      return { status: 401, body: postmarkError(10, 'The Server API token you provided is invalid.') };
    }
    const failure = failures.shift();
    if (failure) return failure;

    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      return { status: 422, body: postmarkError(402, 'Invalid JSON') };
    }
    const email = body as Record<string, unknown>;
    if (!nonEmptyString(email.From)) return { status: 422, body: postmarkError(300, "Invalid 'From' address: ''.") };
    if (!nonEmptyString(email.To) && !nonEmptyString(email.Cc) && !nonEmptyString(email.Bcc)) {
      return { status: 422, body: postmarkError(300, 'Zero recipients specified') };
    }
    if (!nonEmptyString(email.TextBody) && !nonEmptyString(email.HtmlBody)) {
      return { status: 422, body: postmarkError(300, 'Provide either email TextBody or HtmlBody or both.') };
    }
    return {
      status: 200,
      body: {
        To: typeof email.To === 'string' ? email.To : '',
        SubmittedAt: submittedAt(new Date()),
        MessageID: randomUUID(),
        ErrorCode: 0,
        Message: 'OK',
      },
    };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const rawBody = await readBody(req);
    const path = new URL(req.url ?? '/', 'http://standin.invalid').pathname;
    const method = (req.method ?? 'GET').toUpperCase();
    const tokenHeader = req.headers['x-postmark-server-token'];
    const serverToken = Array.isArray(tokenHeader) ? (tokenHeader[0] ?? null) : (tokenHeader ?? null);
    const body = parseJson(rawBody);

    const result =
      method === 'POST' && path === '/email'
        ? answer(serverToken, body)
        : { status: 404, body: postmarkError(0, `The requested resource ${method} ${path} was not found`) };

    const recorded: RecordedPostmarkRequest = {
      method,
      path,
      headers: req.headers,
      serverToken,
      rawBody,
      body,
      responseStatus: result.status,
      responseBody: result.body,
    };
    requests.push(recorded);
    opts.onRequest?.(recorded);

    sendJson(res, result.status, result.body);
  };

  const server = await listenOnLoopback(handle, opts.port ?? 0);

  return {
    url: server.url,
    requests,
    failNext(status: number, body: object) {
      failures.push({ status, body });
    },
    reset() {
      requests.length = 0;
      failures.length = 0;
    },
    stop: () => server.stop(),
  };
}
