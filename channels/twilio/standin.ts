/**
 * A tiny hand-written Twilio REST stand-in (node:http) for what Prism cannot do
 * (see test/contracts/README.md): MMS (`MediaUrl` repeated — Prism #2473 rejects it),
 * Twilio error bodies (4xx with `{code,message,more_info,status}`), and 5xx for retry tests.
 *
 * Implements `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` (create) and
 * `GET /2010-04-01/Accounts/{AccountSid}/Messages.json` (list, see below). Create:
 *   - 401 `{code: 20003}` without HTTP Basic auth (or with the wrong credentials if `expectAuth` is set);
 *   - 400 `{code: 21604}` without `To`, 400 `{code: 21603}` without `From`/`MessagingServiceSid`,
 *     400 `{code: 21602}` without `Body`/`MediaUrl`/`ContentSid` (Twilio's real codes for these);
 *   - otherwise 201 with `test/contracts/samples/twilio-rest-message-created.json`, with a fresh unique
 *     `sid` (`SM`/`MM` + 32 hex), `to`/`from`/`body` echoed, `num_media`, `account_sid`, `uri`s and dates
 *     filled from the request.
 * List (`ListMessageResponse` of twilio_api_v2010.json): the messages this stand-in accepted for that
 * account, newest first, filtered by `To`, `From` and `DateSent` / `DateSent<` / `DateSent>` (on
 * `date_sent`, or `date_created` while it is unset; a date-only value covers that whole UTC day),
 * paged by `PageSize` (default 50, 1–1000) and `Page`; `{messages, start, end, page, page_size, uri,
 * first_page_uri, next_page_uri, previous_page_uri}`. Auth as for create.
 *
 * Accounts and numbers (the Twilio onboarding, api/routes/twilio-onboarding.ts), shapes from
 * twilio_api_v2010.json (`api.v2010.account`, `ListAvailablePhoneNumberLocalResponse`,
 * `api.v2010.account.incoming_phone_number`):
 *   - `GET /2010-04-01/Accounts/{Sid}.json` (FetchAccount): the account registered with `accounts` /
 *     `addAccount` (friendly name, status, type), or a generic active one for an unregistered SID;
 *   - `GET /2010-04-01/Accounts/{AccountSid}/AvailablePhoneNumbers/{Country}/Local.json`: for `US` / `CA`,
 *     `PageSize` (default 20, 1–1000) numbers `+1<AreaCode>555<nnnn>` (AreaCode default 415) that the
 *     stand-in has not sold yet; other countries: none. `{ available_phone_numbers, uri }`, like Twilio's;
 *   - `POST /2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json` (buy): `PhoneNumber` (E.164,
 *     else 400 `{code: 21421}`) not sold yet (else 400 `{code: 21422}`) → 201 with the number's `sid`
 *     (`PN` + 32 hex), `sms_url`, `sms_method`, `status_callback`, … as given; kept in `incomingPhoneNumbers`.
 * Auth: a registered account's routes require exactly its SID and auth token (else 401 `{code: 20003}`);
 * an unregistered account's, any Basic credentials (or `expectAuth`).
 * Any other route answers 404 `{code: 20404}`. Every request (matched or not) is recorded.
 * `failNext(status, body)` queues a canned answer for the next Messages create (FIFO, one per call);
 * with `{ accepted: true }` the message is stored (and listed) anyway: an answer lost after Twilio
 * accepted the message (e.g. a 502 from a proxy);
 * `failList(status, body)` makes every list answer that until `failList(null)`.
 * `holdCreates(true)`: accepted creates are stored (and listed) at once, but their HTTP answer is held
 * until `releaseHeld()` or the client disconnects (a sender that dies mid-call).
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { HeldAnswers, listenOnLoopback, readBody, sendJson } from '../../scripts/loopback-server';
import { formToParams, newTwilioSid, type TwilioParams } from '../../scripts/twilio-form';

/** One request as received by the stub. */
export interface RecordedTwilioRequest {
  /** HTTP method, upper case. */
  method: string;
  /** Path without query string, e.g. `/2010-04-01/Accounts/AC…/Messages.json`. */
  path: string;
  /** Query string parameters (repeated keys → arrays). */
  query: TwilioParams;
  /** AccountSid from the path, or null if the route did not match. */
  accountSid: string | null;
  /** Request headers, lower-cased names (`authorization`, `content-type`, `user-agent`, …). */
  headers: IncomingHttpHeaders;
  /** Decoded HTTP Basic credentials from `Authorization`, or null if absent/not Basic. */
  basicAuth: { username: string; password: string } | null;
  /** Raw body as received. */
  rawBody: string;
  /** Form fields, express.urlencoded style: once → string, repeated (`MediaUrl`) → array. */
  form: TwilioParams;
  /** Form fields, every value an array (`formAll.MediaUrl ?? []`). */
  formAll: Record<string, string[]>;
  /** Status the stub answered with. */
  responseStatus: number;
  /** Body the stub answered with. */
  responseBody: unknown;
}

/** A Twilio (sub-)account the stand-in knows: its routes then require exactly these credentials. */
export interface TwilioStubAccount {
  /** `AC` + 32 hex digits. */
  sid: string;
  authToken: string;
  /** Default `Switchboard test <sid prefix>`. */
  friendlyName?: string;
  /** Default `active`. */
  status?: 'active' | 'suspended' | 'closed';
}

/** Options for {@link startTwilioStub}. */
export interface TwilioStubOptions {
  /** Accounts known from the start (see {@link TwilioStub.addAccount}). */
  accounts?: TwilioStubAccount[];
  /** If set, Basic auth must be exactly these credentials (else 401 code 20003). */
  expectAuth?: { username: string; password: string };
  /** Called after each request is answered (the dev runner logs outbound messages with it). */
  onRequest?: (request: RecordedTwilioRequest) => void;
  /** Port to listen on (default: a free one). */
  port?: number;
}

/** A running stub. */
export interface TwilioStub {
  /** Base URL, e.g. `http://127.0.0.1:40124` — pass as `apiBaseUrl` to `createTwilioClient`. */
  url: string;
  /** Every request received, in order (mutable: `requests.length = 0` clears it). */
  requests: RecordedTwilioRequest[];
  /** The next Messages create answers `status` with JSON `body` (queued; each call = one request). */
  failNext(status: number, body: object, opts?: { accepted?: boolean }): void;
  /** Every message accepted by create, oldest first (the list endpoint serves them). */
  messages: TwilioMessageResource[];
  /** Every number bought (`POST …/IncomingPhoneNumbers.json`), oldest first: `api.v2010.account.incoming_phone_number` bodies. */
  incomingPhoneNumbers: TwilioMessageResource[];
  /** Registers (or replaces) an account: its routes then require exactly its SID and auth token. */
  addAccount(account: TwilioStubAccount): void;
  /** Every list request answers `status` with JSON `body` (e.g. 503) until called with `null`. */
  failList(failure: { status: number; body: object } | null): void;
  /** While `true`, accepted creates are stored but their answer is held (see {@link TwilioStub.releaseHeld}). */
  holdCreates(hold: boolean): void;
  /** How many create answers are being held right now. */
  readonly heldCount: number;
  /** Sends every held create answer (to clients still connected). */
  releaseHeld(): void;
  /** Clears recorded requests, stored messages and numbers, pending failures and holds (registered accounts stay). */
  reset(): void;
  /** Stops listening and closes open (keep-alive) connections. Idempotent. */
  stop(): Promise<void>;
}

/** The stored 201 body of `POST …/Messages.json` (see test/contracts/samples). */
export type TwilioMessageResource = Record<string, unknown>;

/**
 * Shape of Twilio's 201 answer to a Messages create (`api.v2010.account.message` in
 * twilio_api_v2010.json, same fields as test/contracts/samples/twilio-rest-message-created.json);
 * per-request fields are filled in by the stub.
 */
const MESSAGE_TEMPLATE: TwilioMessageResource = {
  account_sid: null,
  api_version: '2010-04-01',
  body: '',
  date_created: null,
  date_sent: null,
  date_updated: null,
  direction: 'outbound-api',
  error_code: null,
  error_message: null,
  from: null,
  messaging_service_sid: null,
  num_media: '0',
  num_segments: '1',
  price: null,
  price_unit: null,
  sid: null,
  status: 'queued',
  subresource_uris: {},
  to: null,
  uri: null,
};

const MESSAGES_ROUTE = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/;
const ACCOUNT_ROUTE = /^\/2010-04-01\/Accounts\/([^/]+)\.json$/;
const AVAILABLE_LOCAL_ROUTE = /^\/2010-04-01\/Accounts\/([^/]+)\/AvailablePhoneNumbers\/([^/]+)\/Local\.json$/;
const INCOMING_NUMBERS_ROUTE = /^\/2010-04-01\/Accounts\/([^/]+)\/IncomingPhoneNumbers\.json$/;

/** Subresource URIs of an account, as FetchAccount lists them. */
function accountSubresources(sid: string): Record<string, string> {
  const base = `/2010-04-01/Accounts/${sid}`;
  return {
    available_phone_numbers: `${base}/AvailablePhoneNumbers.json`,
    incoming_phone_numbers: `${base}/IncomingPhoneNumbers.json`,
    messages: `${base}/Messages.json`,
  };
}

/** `(415) 555-1000` for `+14155551000` (how Twilio prints US numbers as friendly names). */
function friendlyUsNumber(e164: string): string {
  const d = e164.replace(/^\+1/, '');
  return `(${d.slice(0, 3)}) ${d.slice(3, 6)}-${d.slice(6)}`;
}

/** RFC 2822 (`Thu, 15 Jan 2026 14:31:07 +0000`) or ISO date → ms; NaN if unreadable. */
function parseTwilioDate(value: unknown): number {
  return typeof value === 'string' ? Date.parse(value) : Number.NaN;
}

/**
 * Whether a message passes a `DateSent` filter: `op` '=' (same UTC day, or the exact instant), '<' (on
 * or before), '>' (on or after); a date-only value (`YYYY-MM-DD`) means that day, as Twilio documents.
 */
function passesDateFilter(messageMs: number, op: '=' | '<' | '>', value: string): boolean {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const start = Date.parse(dateOnly ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(start) || Number.isNaN(messageMs)) return true;
  const end = dateOnly ? start + 86_400_000 - 1 : start;
  if (op === '<') return messageMs <= end;
  if (op === '>') return messageMs >= start;
  return messageMs >= start && messageMs <= end;
}

function twilioError(status: number, code: number, message: string): object {
  return { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status };
}

/** A stand-in answer: HTTP status and JSON body. */
type StubAnswer = { status: number; body: unknown };

/** Twilio's 401 (code 20003) for missing or wrong Basic credentials. */
function unauthenticated(): StubAnswer {
  return { status: 401, body: twilioError(401, 20003, 'Authenticate') };
}

/** Reads the first value of a key of a parsed form body (see {@link allValues}), or `undefined`. */
function firstValues(form: Record<string, string[]>): (key: string) => string | undefined {
  return (key) => form[key]?.[0];
}

function parseBasicAuth(header: string | undefined): { username: string; password: string } | null {
  const m = /^Basic\s+(.+)$/i.exec(header ?? '');
  if (!m?.[1]) return null;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function allValues(formBody: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [key, value] of new URLSearchParams(formBody)) (out[key] ??= []).push(value);
  return out;
}

/** RFC 2822 date as Twilio prints it: `Thu, 15 Jan 2026 14:31:07 +0000`. */
function twilioDate(d: Date): string {
  return d.toUTCString().replace(/GMT$/, '+0000');
}

/** Starts the stub on 127.0.0.1 with an OS-assigned port. */
export async function startTwilioStub(opts: TwilioStubOptions = {}): Promise<TwilioStub> {
  const requests: RecordedTwilioRequest[] = [];
  const failures: Array<{ status: number; body: object; accepted: boolean }> = [];
  const messages: TwilioMessageResource[] = [];
  const incomingPhoneNumbers: TwilioMessageResource[] = [];
  const accounts = new Map<string, TwilioStubAccount>((opts.accounts ?? []).map((a) => [a.sid, a]));
  let listFailure: { status: number; body: object } | null = null;
  const held = new HeldAnswers();

  const authError = (basicAuth: RecordedTwilioRequest['basicAuth'], accountSid?: string): StubAnswer | null => {
    if (basicAuth === null) return unauthenticated();
    const account = accountSid === undefined ? undefined : accounts.get(accountSid);
    if (account) {
      return basicAuth.username === account.sid && basicAuth.password === account.authToken ? null : unauthenticated();
    }
    if (opts.expectAuth && (basicAuth.username !== opts.expectAuth.username || basicAuth.password !== opts.expectAuth.password)) {
      return unauthenticated();
    }
    return null;
  };

  /** `GET …/Messages.json`: the stored messages, newest first, filtered and paged. */
  const list = (accountSid: string, path: string, query: URLSearchParams, basicAuth: RecordedTwilioRequest['basicAuth']) => {
    const denied = authError(basicAuth, accountSid);
    if (denied) return denied;
    if (listFailure) return { status: listFailure.status, body: listFailure.body };
    const pageSize = Number(query.get('PageSize') ?? '50');
    const page = Number(query.get('Page') ?? '0');
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000 || !Number.isInteger(page) || page < 0) {
      return { status: 400, body: twilioError(400, 20001, 'Invalid PageSize or Page') };
    }
    const to = query.get('To');
    const from = query.get('From');
    const dateFilters = (['=', '<', '>'] as const).flatMap((op) => {
      const value = query.get(op === '=' ? 'DateSent' : `DateSent${op}`);
      return value ? [{ op, value }] : [];
    });
    const matching = messages
      .filter((m) => m.account_sid === accountSid)
      .filter((m) => (to ? m.to === to : true) && (from ? m.from === from : true))
      .filter((m) => {
        const at = parseTwilioDate(m.date_sent ?? m.date_created);
        return dateFilters.every((f) => passesDateFilter(at, f.op, f.value));
      })
      .reverse();
    const start = page * pageSize;
    const slice = matching.slice(start, start + pageSize);
    const pageUri = (n: number) => {
      const q = new URLSearchParams(query);
      q.set('PageSize', String(pageSize));
      q.set('Page', String(n));
      return `${path}?${q.toString()}`;
    };
    return {
      status: 200,
      body: {
        messages: slice,
        start,
        end: start + Math.max(slice.length - 1, 0),
        page,
        page_size: pageSize,
        uri: pageUri(page),
        first_page_uri: pageUri(0),
        next_page_uri: start + pageSize < matching.length ? pageUri(page + 1) : null,
        previous_page_uri: page > 0 ? pageUri(page - 1) : null,
      },
    };
  };

  const answer = (accountSid: string, form: Record<string, string[]>, basicAuth: RecordedTwilioRequest['basicAuth']): StubAnswer => {
    const denied = authError(basicAuth, accountSid);
    if (denied) return denied;
    const failure = failures.shift();
    if (failure && !failure.accepted) return { status: failure.status, body: failure.body };

    const first = firstValues(form);
    const to = first('To');
    const from = first('From');
    const messagingServiceSid = first('MessagingServiceSid');
    const mediaUrls = form.MediaUrl ?? [];
    if (!to) return { status: 400, body: twilioError(400, 21604, "A 'To' phone number is required.") };
    if (!from && !messagingServiceSid) {
      return { status: 400, body: twilioError(400, 21603, "A 'From' phone number is required.") };
    }
    if (!first('Body') && mediaUrls.length === 0 && !first('ContentSid')) {
      return { status: 400, body: twilioError(400, 21602, 'Message body is required.') };
    }

    const sid = newTwilioSid(mediaUrls.length > 0 ? 'MM' : 'SM');
    const now = twilioDate(new Date());
    const uri = `/2010-04-01/Accounts/${accountSid}/Messages/${sid}`;
    const body: TwilioMessageResource = {
      ...MESSAGE_TEMPLATE,
      account_sid: accountSid,
      sid,
      to,
      from: from ?? null,
      body: first('Body') ?? '',
      messaging_service_sid: messagingServiceSid ?? null,
      num_media: String(mediaUrls.length),
      status: 'queued',
      date_created: now,
      date_updated: now,
      date_sent: null,
      uri: `${uri}.json`,
      subresource_uris: { media: `${uri}/Media.json` },
    };
    messages.push(body);
    if (failure) return { status: failure.status, body: failure.body };
    return { status: 201, body };
  };

  /** `GET /Accounts/{Sid}.json`: FetchAccount. */
  const fetchAccount = (sid: string, basicAuth: RecordedTwilioRequest['basicAuth']): StubAnswer => {
    const denied = authError(basicAuth, sid);
    if (denied) return denied;
    const account = accounts.get(sid);
    const created = twilioDate(new Date(Date.UTC(2026, 0, 15, 14, 31, 7)));
    return {
      status: 200,
      body: {
        auth_token: account?.authToken ?? basicAuth?.password ?? null,
        date_created: created,
        date_updated: created,
        friendly_name: account?.friendlyName ?? `Switchboard test ${sid.slice(0, 10)}`,
        owner_account_sid: sid,
        sid,
        status: account?.status ?? 'active',
        subresource_uris: accountSubresources(sid),
        type: 'Full',
        uri: `/2010-04-01/Accounts/${sid}.json`,
      },
    };
  };

  const sold = (phoneNumber: string): boolean => incomingPhoneNumbers.some((n) => n.phone_number === phoneNumber);

  /** `GET …/AvailablePhoneNumbers/{Country}/Local.json`. */
  const availableLocal = (
    accountSid: string,
    country: string,
    path: string,
    query: URLSearchParams,
    basicAuth: RecordedTwilioRequest['basicAuth'],
  ): StubAnswer => {
    const denied = authError(basicAuth, accountSid);
    if (denied) return denied;
    const pageSize = Number(query.get('PageSize') ?? '20');
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) return { status: 400, body: twilioError(400, 20001, 'Invalid PageSize') };
    const areaCode = query.get('AreaCode') ?? '415';
    if (!/^\d{3}$/.test(areaCode)) return { status: 400, body: twilioError(400, 21452, 'No phone numbers found in area code') };
    const numbers: TwilioMessageResource[] = [];
    if (country === 'US' || country === 'CA') {
      for (let n = 1000; n <= 9999 && numbers.length < pageSize; n++) {
        const phoneNumber = `+1${areaCode}555${n}`;
        if (sold(phoneNumber)) continue;
        numbers.push({
          friendly_name: friendlyUsNumber(phoneNumber),
          phone_number: phoneNumber,
          lata: '722',
          locality: 'San Francisco',
          rate_center: 'SNFC CNTRL',
          latitude: 37.77,
          longitude: -122.41,
          region: country === 'US' ? 'CA' : 'ON',
          postal_code: '94103',
          iso_country: country,
          address_requirements: 'none',
          beta: false,
          capabilities: { voice: true, sms: true, mms: true },
        });
      }
    }
    return { status: 200, body: { available_phone_numbers: numbers, uri: `${path}?${query.toString()}` } };
  };

  /** `POST …/IncomingPhoneNumbers.json`: buys a number. */
  const buyNumber = (accountSid: string, form: Record<string, string[]>, basicAuth: RecordedTwilioRequest['basicAuth']): StubAnswer => {
    const denied = authError(basicAuth, accountSid);
    if (denied) return denied;
    const first = firstValues(form);
    const phoneNumber = first('PhoneNumber');
    if (!phoneNumber || !/^\+[1-9]\d{6,14}$/.test(phoneNumber)) {
      return { status: 400, body: twilioError(400, 21421, 'PhoneNumber is invalid') };
    }
    if (sold(phoneNumber)) return { status: 400, body: twilioError(400, 21422, 'PhoneNumber is not available') };
    const sid = newTwilioSid('PN');
    const now = twilioDate(new Date());
    const body: TwilioMessageResource = {
      account_sid: accountSid,
      address_requirements: 'none',
      address_sid: null,
      api_version: '2010-04-01',
      beta: false,
      capabilities: { voice: true, sms: true, mms: true, fax: false },
      date_created: now,
      date_updated: now,
      emergency_status: 'Inactive',
      emergency_address_sid: null,
      emergency_address_status: 'unregistered',
      friendly_name: first('FriendlyName') ?? friendlyUsNumber(phoneNumber),
      identity_sid: null,
      origin: 'twilio',
      phone_number: phoneNumber,
      sid,
      sms_application_sid: null,
      sms_fallback_method: first('SmsFallbackMethod') ?? 'POST',
      sms_fallback_url: first('SmsFallbackUrl') ?? null,
      sms_method: first('SmsMethod') ?? 'POST',
      sms_url: first('SmsUrl') ?? null,
      status_callback: first('StatusCallback') ?? null,
      status_callback_method: first('StatusCallbackMethod') ?? 'POST',
      trunk_sid: null,
      uri: `/2010-04-01/Accounts/${accountSid}/IncomingPhoneNumbers/${sid}.json`,
      voice_application_sid: null,
      voice_caller_id_lookup: false,
      voice_fallback_method: 'POST',
      voice_fallback_url: null,
      voice_method: 'POST',
      voice_url: null,
      bundle_sid: null,
      voice_receive_mode: 'voice',
      status: 'in-use',
      type: 'local',
    };
    incomingPhoneNumbers.push(body);
    return { status: 201, body };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const rawBody = await readBody(req);
    const parsedUrl = new URL(req.url ?? '/', 'http://stub.invalid');
    const match = MESSAGES_ROUTE.exec(parsedUrl.pathname);
    const method = (req.method ?? 'GET').toUpperCase();
    const basicAuth = parseBasicAuth(req.headers.authorization);
    const formAll = allValues(rawBody);

    const accountMatch = ACCOUNT_ROUTE.exec(parsedUrl.pathname);
    const availableMatch = AVAILABLE_LOCAL_ROUTE.exec(parsedUrl.pathname);
    const numbersMatch = INCOMING_NUMBERS_ROUTE.exec(parsedUrl.pathname);
    const result =
      match?.[1] && method === 'POST'
        ? answer(decodeURIComponent(match[1]), formAll, basicAuth)
        : match?.[1] && method === 'GET'
          ? list(decodeURIComponent(match[1]), parsedUrl.pathname, parsedUrl.searchParams, basicAuth)
          : accountMatch?.[1] && method === 'GET'
            ? fetchAccount(decodeURIComponent(accountMatch[1]), basicAuth)
            : availableMatch?.[1] && availableMatch[2] && method === 'GET'
              ? availableLocal(
                  decodeURIComponent(availableMatch[1]),
                  decodeURIComponent(availableMatch[2]),
                  parsedUrl.pathname,
                  parsedUrl.searchParams,
                  basicAuth,
                )
              : numbersMatch?.[1] && method === 'POST'
                ? buyNumber(decodeURIComponent(numbersMatch[1]), formAll, basicAuth)
                : { status: 404, body: twilioError(404, 20404, `The requested resource ${parsedUrl.pathname} was not found`) };
    const routeAccount = match?.[1] ?? accountMatch?.[1] ?? availableMatch?.[1] ?? numbersMatch?.[1];

    const recorded: RecordedTwilioRequest = {
      method,
      path: parsedUrl.pathname,
      query: formToParams(parsedUrl.search.replace(/^\?/, '')),
      accountSid: routeAccount ? decodeURIComponent(routeAccount) : null,
      headers: req.headers,
      basicAuth,
      rawBody,
      form: formToParams(rawBody),
      formAll,
      responseStatus: result.status,
      responseBody: result.body,
    };
    requests.push(recorded);
    opts.onRequest?.(recorded);

    if (held.holding && match && method === 'POST' && result.status === 201) {
      // accepted and listed, but the sender does not hear so until released (or it disconnects)
      await held.until(res);
      if (res.destroyed || res.writableEnded) return;
    }
    sendJson(res, result.status, result.body);
  };

  const releaseHeld = (): void => held.releaseAll();

  const server = await listenOnLoopback(handle, opts.port ?? 0);

  return {
    url: server.url,
    requests,
    messages,
    incomingPhoneNumbers,
    addAccount(account: TwilioStubAccount) {
      accounts.set(account.sid, account);
    },
    failNext(status: number, body: object, failOpts: { accepted?: boolean } = {}) {
      failures.push({ status, body, accepted: failOpts.accepted === true });
    },
    failList(failure) {
      listFailure = failure;
    },
    holdCreates(on: boolean) {
      held.holding = on;
    },
    get heldCount() {
      return held.count;
    },
    releaseHeld,
    reset() {
      requests.length = 0;
      failures.length = 0;
      messages.length = 0;
      incomingPhoneNumbers.length = 0;
      listFailure = null;
      held.holding = false;
      releaseHeld();
    },
    stop: () => {
      releaseHeld();
      return server.stop();
    },
  };
}
