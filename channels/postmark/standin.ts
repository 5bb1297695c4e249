/**
 * A tiny hand-written Postmark Email API stand-in (node:http), for tests and local development
 * (see test/contracts/README.md §3). Point the real SDK at it with
 * `createPostmarkClient({ serverToken, apiBaseUrl: standIn.url })`.
 *
 * Implements only `POST /email` (postmarkapp.com/developer/api/email-api#send-email):
 *   - 401 `{ErrorCode: 10, Message}` when `X-Postmark-Server-Token` is missing, or differs from
 *     `serverToken` if one is set (compared case-insensitively: Postmark documents header name AND value
 *     as case-insensitive, postmarkapp.com/developer/api/overview#authentication);
 *   - 422 `{ErrorCode: 402}` for a body that is not JSON, 422 `{ErrorCode: 300}` without `From`,
 *     without any of `To`/`Cc`/`Bcc`, or without both `TextBody` and `HtmlBody` (Postmark's codes);
 *   - otherwise 200 `{To, SubmittedAt, MessageID, ErrorCode: 0, Message: 'OK'}` — the shape of
 *     test/contracts/samples/postmark-send-email.response.json, with a fresh UUID `MessageID`
 *     (built inline, so the stand-in needs no sample file at run time).
 * And `GET /messages/outbound` (postmarkapp.com/developer/api/messages-api#outbound-message-search):
 * the emails this stand-in accepted, newest first, filtered by `recipient` (To/Cc/Bcc address),
 * `fromemail`, `tag`, `subject`, `messagestream` and `metadata_<key>` (parameter names compared
 * case-insensitively: the SDK sends `messageStream`), paged by `count` (1–500) and `offset` (both
 * required, else 422 `{ErrorCode: 0}`); `{TotalCount, Messages: [{MessageID, To: [{Email, Name}], Cc,
 * Bcc, Recipients, ReceivedAt, From, Subject, Status: 'Sent', Metadata, MessageStream, Tag, …}]}`.
 * Any other route answers 404. Every request (matched or not) is recorded.
 * `failNext(status, body)` queues a canned answer for the next authenticated `POST /email` (FIFO,
 * one per call), e.g. `failNext(422, {ErrorCode: 406, Message: '… Found inactive addresses: x@y. Inactive …'})`;
 * `failSearch(status, body)` makes every search answer that until `failSearch(null)`;
 * `holdSends(true)`: accepted emails are stored (and searchable) at once, but their HTTP answer is
 * held until `releaseHeld()` or the client disconnects.
 * Several servers: `addServer(token)` accepts one more server token (a channel with its own Postmark
 * server). As in Postmark, a server's outbound search sees only the emails sent with its own token.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { HeldAnswers, listenOnLoopback, parseJson, readBody, sendJson } from '../../scripts/loopback-server';

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
  /** Every email accepted by `POST /email` (any server), oldest first, as the outbound search returns it. */
  sent: PostmarkOutboundMessage[];
  /** Accepts `X-Postmark-Server-Token: token` too (another Postmark server; see the module doc). */
  addServer(token: string): void;
  /** Every outbound search answers `status` with JSON `body` until called with `null`. */
  failSearch(failure: { status: number; body: object } | null): void;
  /** While `true`, accepted emails are stored but their answer is held (see {@link PostmarkStandIn.releaseHeld}). */
  holdSends(hold: boolean): void;
  /** How many `POST /email` answers are being held right now. */
  readonly heldCount: number;
  /** Sends every held answer (to clients still connected). */
  releaseHeld(): void;
  /** Clears recorded requests, stored emails, pending failures and holds. */
  reset(): void;
  /** Stops listening and closes open (keep-alive) connections. Idempotent. */
  stop(): Promise<void>;
}

/** One accepted email in the shape of Postmark's outbound message search (`OutboundMessage` of the SDK). */
export interface PostmarkOutboundMessage {
  MessageID: string;
  Tag: string;
  To: { Email: string; Name: string | null }[];
  Cc: { Email: string; Name: string | null }[];
  Bcc: { Email: string; Name: string | null }[];
  Recipients: string[];
  ReceivedAt: string;
  From: string;
  Subject: string;
  Attachments: string[];
  Status: 'Sent';
  TrackOpens: boolean;
  TrackLinks: 'None';
  Metadata: Record<string, string>;
  MessageStream: string;
  Sandboxed: boolean;
}

/** `"Name" <a@b>, c@d` → `[{Email: 'a@b', Name: 'Name'}, {Email: 'c@d', Name: null}]`. */
function parseAddressList(value: unknown): { Email: string; Name: string | null }[] {
  if (typeof value !== 'string') return [];
  return value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      const m = /^(.*)<([^>]+)>\s*$/.exec(part);
      return m ? { Email: m[2]!.trim(), Name: m[1]!.trim().replace(/^"|"$/g, '') || null } : { Email: part, Name: null };
    });
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
  const sent: PostmarkOutboundMessage[] = [];
  /** The server (token, normalised) each accepted email was sent with, by MessageID. */
  const serverOf = new Map<string, string>();
  /** Server tokens accepted besides `opts.serverToken` (normalised). */
  const extraServers = new Set<string>();
  const normalise = (token: string): string => token.trim().toLowerCase();
  let searchFailure: { status: number; body: object } | null = null;
  const held = new HeldAnswers();
  const releaseHeld = (): void => held.releaseAll();

  const authError = (token: string | null): { status: number; body: unknown } | null => {
    if (token === null || token.trim() === '') {
      return {
        status: 401,
        body: postmarkError(
          10,
          'No Account or Server API tokens were supplied in the HTTP headers. Please add a header for either X-Postmark-Server-Token or X-Postmark-Account-Token.',
        ),
      };
    }
    if (opts.serverToken !== undefined && normalise(token) !== normalise(opts.serverToken) && !extraServers.has(normalise(token))) {
      return { status: 401, body: postmarkError(10, 'The Server API token you provided is invalid.') };
    }
    return null;
  };

  /** `GET /messages/outbound`: the accepted emails, newest first, filtered and paged. */
  const search = (token: string | null, query: URLSearchParams): { status: number; body: unknown } => {
    const denied = authError(token);
    if (denied) return denied;
    if (searchFailure) return searchFailure;
    const params = new Map<string, string>();
    for (const [key, value] of query) params.set(key.toLowerCase(), value);
    const count = Number(params.get('count'));
    const offset = Number(params.get('offset'));
    if (
      !params.has('count') ||
      !params.has('offset') ||
      !Number.isInteger(count) ||
      count < 1 ||
      count > 500 ||
      !Number.isInteger(offset) ||
      offset < 0
    ) {
      return { status: 422, body: postmarkError(0, 'The count and offset parameters are required (count 1-500, offset >= 0).') };
    }
    const lower = (v: string | undefined) => v?.trim().toLowerCase();
    const recipient = lower(params.get('recipient'));
    const fromEmail = lower(params.get('fromemail'));
    const metadata = [...params].filter(([k]) => k.startsWith('metadata_')).map(([k, v]) => [k.slice('metadata_'.length), v] as const);
    const matching = sent
      .filter((m) => serverOf.get(m.MessageID) === normalise(token!))
      .filter((m) => (recipient ? m.Recipients.some((r) => r.toLowerCase() === recipient) : true))
      .filter((m) => (fromEmail ? m.From.toLowerCase().includes(fromEmail) : true))
      .filter((m) => (params.has('tag') ? m.Tag === params.get('tag') : true))
      .filter((m) => (params.has('subject') ? m.Subject === params.get('subject') : true))
      .filter((m) => (params.has('messagestream') ? m.MessageStream === params.get('messagestream') : true))
      .filter((m) => metadata.every(([k, v]) => m.Metadata[k] === v))
      .reverse();
    return { status: 200, body: { TotalCount: matching.length, Messages: matching.slice(offset, offset + count) } };
  };

  const answer = (token: string | null, body: unknown): { status: number; body: unknown } => {
    const denied = authError(token);
    if (denied) return denied;
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
    const messageId = randomUUID();
    const now = new Date();
    const to = parseAddressList(email.To);
    const cc = parseAddressList(email.Cc);
    const bcc = parseAddressList(email.Bcc);
    const metadata = email.Metadata && typeof email.Metadata === 'object' ? (email.Metadata as Record<string, unknown>) : {};
    serverOf.set(messageId, normalise(token!));
    sent.push({
      MessageID: messageId,
      Tag: typeof email.Tag === 'string' ? email.Tag : '',
      To: to,
      Cc: cc,
      Bcc: bcc,
      Recipients: [...to, ...cc, ...bcc].map((a) => a.Email),
      ReceivedAt: now.toISOString(),
      From: String(email.From),
      Subject: typeof email.Subject === 'string' ? email.Subject : '',
      Attachments: Array.isArray(email.Attachments) ? email.Attachments.map((a) => String((a as { Name?: unknown }).Name ?? '')) : [],
      Status: 'Sent',
      TrackOpens: email.TrackOpens === true,
      TrackLinks: 'None',
      Metadata: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, String(v)])),
      MessageStream: typeof email.MessageStream === 'string' ? email.MessageStream : 'outbound',
      Sandboxed: false,
    });
    return {
      status: 200,
      body: {
        To: typeof email.To === 'string' ? email.To : '',
        SubmittedAt: submittedAt(now),
        MessageID: messageId,
        ErrorCode: 0,
        Message: 'OK',
      },
    };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const rawBody = await readBody(req);
    const parsedUrl = new URL(req.url ?? '/', 'http://standin.invalid');
    const path = parsedUrl.pathname;
    const method = (req.method ?? 'GET').toUpperCase();
    const tokenHeader = req.headers['x-postmark-server-token'];
    const serverToken = Array.isArray(tokenHeader) ? (tokenHeader[0] ?? null) : (tokenHeader ?? null);
    const body = parseJson(rawBody);

    const result =
      method === 'POST' && path === '/email'
        ? answer(serverToken, body)
        : method === 'GET' && path === '/messages/outbound'
          ? search(serverToken, parsedUrl.searchParams)
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

    if (held.holding && method === 'POST' && path === '/email' && result.status === 200) {
      await held.until(res);
      if (res.destroyed || res.writableEnded) return;
    }
    sendJson(res, result.status, result.body);
  };

  const server = await listenOnLoopback(handle, opts.port ?? 0);

  return {
    url: server.url,
    requests,
    sent,
    failNext(status: number, body: object) {
      failures.push({ status, body });
    },
    addServer(token: string) {
      extraServers.add(normalise(token));
    },
    failSearch(failure) {
      searchFailure = failure;
    },
    holdSends(on: boolean) {
      held.holding = on;
    },
    get heldCount() {
      return held.count;
    },
    releaseHeld,
    reset() {
      requests.length = 0;
      failures.length = 0;
      sent.length = 0;
      serverOf.clear();
      searchFailure = null;
      held.holding = false;
      releaseHeld();
    },
    stop: () => {
      releaseHeld();
      return server.stop();
    },
  };
}
