/**
 * Factory for the Twilio REST client used by the messaging activities.
 *
 * In production the SDK talks to `https://api.twilio.com` (and, for other products,
 * `https://<product>.twilio.com`, or `https://<product>.<edge>.<region>.twilio.com` when an
 * edge/region is configured). For tests and local development `apiBaseUrl` points every one of
 * those requests at a local stand-in instead — Prism mocking Twilio's OpenAPI spec
 * (`test/contracts/twilio_api_v2010.json`) or the hand-written stub in
 * `test/support/twilio-stub.ts` — while the real SDK still builds the requests (paths,
 * form encoding, Basic auth), so tests exercise the exact bytes production would send.
 *
 * Mechanism (twilio-node 6.x, `src/base/BaseTwilio.ts` + `src/base/RequestClient.ts`): the client
 * accepts `opts.httpClient`, an instance of `twilio.RequestClient`; every API call goes through
 * `httpClient.request({ method, uri, username, password, headers, params, data, timeout, ... })`
 * where `uri` is the absolute `https://….twilio.com/...` URL. We subclass it and rewrite `uri`.
 * This is the approach documented in twilio-node's `advanced-examples/custom-http-client.md`.
 */
import twilio from 'twilio';
import type RequestClientBase from 'twilio/lib/base/RequestClient';

/** Options for {@link createTwilioClient}. */
export interface TwilioClientOptions {
  /** Account SID, `AC` + 32 hex chars (also the Basic-auth username). Prism requires real hex. */
  accountSid: string;
  /** Auth token (Basic-auth password; also the key that signs Twilio's webhooks to us). */
  authToken: string;
  /**
   * Base URL replacing `https://<anything>.twilio.com`, e.g. `http://127.0.0.1:4010`.
   * May contain a path prefix (`http://host:port/twilio`); a trailing slash is ignored.
   * Unset (or empty) = talk to the real Twilio API.
   */
  apiBaseUrl?: string;
  /**
   * An API key of the account (`SK…`) and its secret: REST calls authenticate with them (Basic
   * `apiKeySid:apiKeySecret`) instead of `accountSid:authToken` (twilio.com/docs/iam/api-keys). Both or neither.
   */
  apiKeySid?: string;
  apiKeySecret?: string;
}

/**
 * Rewrites a Twilio API URL onto `baseUrl`, keeping path and query string.
 *
 * `https://api.twilio.com/2010-04-01/Accounts/AC…/Messages.json?PageSize=20` with base
 * `http://127.0.0.1:4010` → `http://127.0.0.1:4010/2010-04-01/Accounts/AC…/Messages.json?PageSize=20`.
 * URLs that are not `https://twilio.com` or `https://*.twilio.com` are returned unchanged.
 */
export function rewriteTwilioUrl(uri: string, baseUrl: string): string {
  let parsed: URL;
  try {
    parsed = new URL(uri);
  } catch {
    return uri;
  }
  const host = parsed.hostname.toLowerCase();
  if (parsed.protocol !== 'https:' || !(host === 'twilio.com' || host.endsWith('.twilio.com'))) {
    return uri;
  }
  return baseUrl.replace(/\/+$/, '') + parsed.pathname + parsed.search;
}

/**
 * A `twilio.RequestClient` that sends every `https://*.twilio.com` request to `baseUrl` instead.
 * Everything else (auth header, form encoding with repeated keys for arrays such as `MediaUrl`,
 * timeouts, response shape `{ statusCode, body, headers }`) is the stock implementation.
 */
export class BaseUrlRequestClient extends twilio.RequestClient {
  readonly baseUrl: string;

  constructor(baseUrl: string, opts?: RequestClientBase.RequestClientOptions) {
    super(opts);
    this.baseUrl = baseUrl;
  }

  override request<TData>(opts: RequestClientBase.RequestOptions<TData>) {
    return super.request<TData>({ ...opts, uri: rewriteTwilioUrl(opts.uri, this.baseUrl) });
  }
}

/**
 * Creates a Twilio REST client.
 *
 * @example
 *   const client = createTwilioClient({ accountSid, authToken, apiBaseUrl: process.env.TWILIO_API_BASE_URL });
 *   const msg = await client.messages.create({ to: '+15551234567', from: '+15005550006', body: 'hi' });
 *   msg.sid; // 'SM' + 32 hex
 *
 * Errors: non-2xx answers reject with `twilio.RestException` (`status` = HTTP status, `code` = Twilio
 * error code such as 21211, `moreInfo`); network failures reject with the underlying axios error.
 */
export function createTwilioClient(opts: TwilioClientOptions): twilio.Twilio {
  const clientOpts: twilio.ClientOpts = {};
  if (opts.apiBaseUrl) {
    clientOpts.httpClient = new BaseUrlRequestClient(opts.apiBaseUrl);
  }
  if (opts.apiKeySid !== undefined && opts.apiKeySecret !== undefined) {
    return twilio(opts.apiKeySid, opts.apiKeySecret, { ...clientOpts, accountSid: opts.accountSid });
  }
  return twilio(opts.accountSid, opts.authToken, clientOpts);
}
