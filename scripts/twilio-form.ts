/**
 * Helpers to build, sign and send Twilio-style inbound webhooks (form-encoded POSTs with an
 * `X-Twilio-Signature` header). Used by `scripts/simulate.ts` and, via `test/support/twilio-webhooks.ts`,
 * by the tests. No test framework imports here: this file must stay usable from plain scripts.
 *
 * Signature (Twilio "Webhooks security" docs; twilio-node `src/webhooks/webhooks.ts`):
 *   base64(HMAC-SHA1(authToken, url + concat over params sorted by name of name + value))
 * where `url` is the full URL Twilio was configured with (incl. query string). twilio-node takes the
 * params as an object; a repeated key must be given as an ARRAY of its values (it then signs
 * `name + value` for each distinct value, values sorted). `Object.fromEntries(new URLSearchParams(b))`
 * would silently keep only the last value of a repeated key, so we build arrays ourselves — the same
 * shape `express.urlencoded()` (both `extended: false` and `true`) hands to `twilio.validateRequest`.
 *
 * Sample forms live in `test/contracts/samples/*.form` (read by the tests through test/support/contracts.ts).
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import twilio from 'twilio';

/** Parsed form parameters: a key sent once maps to a string, a repeated key to all its values in order. */
export type TwilioParams = Record<string, string | string[]>;

/**
 * Parses a form body the way express.urlencoded()/twilio-node expect it: single keys → string,
 * repeated keys (`MediaUrl=a&MediaUrl=b`) → `string[]`.
 */
export function formToParams(formBody: string): TwilioParams {
  const out: TwilioParams = {};
  for (const [key, value] of new URLSearchParams(formBody)) {
    const prev = out[key];
    if (prev === undefined) out[key] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else out[key] = [prev, value];
  }
  return out;
}

/**
 * Computes the `X-Twilio-Signature` Twilio would send when POSTing `formBody` to `url`.
 * Verifiable with `twilio.validateRequest(authToken, signature, url, formToParams(formBody))`.
 */
export function signTwilioRequest(authToken: string, url: string, formBody: string): string {
  return twilio.getExpectedTwilioSignature(authToken, url, formToParams(formBody));
}

/**
 * Returns `formBody` with fields overridden, keeping the original field order.
 * - a string replaces every existing value of that field (or appends the field if absent);
 * - a string array sets the field to those repeated values;
 * - `null` removes the field.
 * Example: `withFields(readSampleForm('twilio-inbound-sms.form'), { From: '+15551234567', Body: 'Hi' })`.
 * The result is re-serialized with URLSearchParams (spaces as `+`), which Twilio-compatible parsers accept.
 */
export function withFields(formBody: string, fields: Record<string, string | readonly string[] | null>): string {
  const params = new URLSearchParams(formBody);
  for (const [key, value] of Object.entries(fields)) {
    if (value === null) {
      params.delete(key);
    } else if (typeof value === 'string') {
      params.set(key, value);
    } else {
      params.delete(key);
      for (const v of value) params.append(key, v);
    }
  }
  return params.toString();
}

/** A fresh Twilio-style SID: 2-letter prefix (`SM`, `MM`, `AC`, `MG`, `ME`…) + 32 lowercase hex chars. */
export function newTwilioSid(prefix: string): string {
  if (!/^[A-Z]{2}$/.test(prefix)) throw new Error(`Twilio SID prefix must be two capital letters, got ${prefix}`);
  return prefix + randomBytes(16).toString('hex');
}

/** Demo numbers: Twilio's magic test "from" number and the WhatsApp sandbox sender. */
export const DEFAULT_SMS_NUMBER = '+15005550006';
export const DEFAULT_WHATSAPP_NUMBER = 'whatsapp:+14155238886';

/** Options for {@link buildInboundMessageForm}. */
export interface InboundMessageOptions {
  /** Sender, E.164 (`+15551234567`); a `whatsapp:` prefix is accepted and normalized. */
  from: string;
  /** Message text; may be empty for media-only messages. */
  body: string;
  /** WhatsApp instead of SMS/MMS: `whatsapp:`-prefixed From/To, `WaId`, `ProfileName`, `MessageType`. */
  whatsapp?: boolean;
  /** Our number; defaults to {@link DEFAULT_SMS_NUMBER} / {@link DEFAULT_WHATSAPP_NUMBER}. */
  to?: string;
  /** MessageSid (= SmsSid = SmsMessageSid). Default: fresh, `MM…` when media is attached, else `SM…`. */
  sid?: string;
  /** Public media URLs → `NumMedia`, `MediaUrlN`, `MediaContentTypeN` (type guessed from the extension). */
  media?: readonly string[];
  /** `AccountSid` field; default: the sample's. */
  accountSid?: string;
  /** WhatsApp `ProfileName`; default: the sample's. */
  profileName?: string;
}

/** Guesses a media content type from a URL's file extension (default `image/jpeg`). */
export function guessMediaContentType(url: string): string {
  let pathname = url;
  try {
    pathname = new URL(url).pathname;
  } catch {
    /* not absolute: use as is */
  }
  const ext = path.extname(pathname).toLowerCase();
  const types: Record<string, string> = {
    '.jpg': 'image/jpeg',
    '.jpeg': 'image/jpeg',
    '.png': 'image/png',
    '.gif': 'image/gif',
    '.webp': 'image/webp',
    '.pdf': 'application/pdf',
    '.mp4': 'video/mp4',
    '.3gp': 'video/3gpp',
    '.ogg': 'audio/ogg',
    '.opus': 'audio/ogg',
    '.mp3': 'audio/mpeg',
    '.amr': 'audio/amr',
    '.vcf': 'text/vcard',
    '.txt': 'text/plain',
  };
  return types[ext] ?? 'image/jpeg';
}

function stripWhatsApp(address: string): string {
  return address.replace(/^whatsapp:/i, '');
}

/** WhatsApp `MessageType` for a content type: image | video | audio | document. */
function whatsAppMessageType(contentType: string): string {
  const top = contentType.split('/')[0];
  return top === 'image' || top === 'video' || top === 'audio' ? top : 'document';
}

/**
 * The fields Twilio sends with every inbound message besides From/To/Body/SIDs/media
 * (twilio.com/docs/messaging/guides/webhook-request); values are dev placeholders.
 */
const INBOUND_BASE_FIELDS = {
  ToCountry: 'US',
  SmsStatus: 'received',
  NumSegments: '1',
  AccountSid: 'AC00000000000000000000000000000000',
  ApiVersion: '2010-04-01',
} as const;

/**
 * Builds a realistic inbound-message webhook body (what Twilio POSTs for an SMS, MMS or WhatsApp
 * message), overriding From/To/Body/SIDs/media. Needs no files, so the simulator works anywhere.
 */
export function buildInboundMessageForm(opts: InboundMessageOptions): string {
  const media = opts.media ?? [];
  const whatsapp = opts.whatsapp ?? false;
  const base = new URLSearchParams({
    ...INBOUND_BASE_FIELDS,
    ...(whatsapp ? { ProfileName: 'Dev Customer', MessageType: 'text' } : {}),
  }).toString();
  const sid = opts.sid ?? newTwilioSid(media.length > 0 ? 'MM' : 'SM');
  const fromE164 = stripWhatsApp(opts.from);
  const fields: Record<string, string | null> = {
    MessageSid: sid,
    SmsSid: sid,
    SmsMessageSid: sid,
    Body: opts.body,
    NumMedia: String(media.length),
  };
  if (whatsapp) {
    fields.From = `whatsapp:${fromE164}`;
    fields.To = `whatsapp:${stripWhatsApp(opts.to ?? DEFAULT_WHATSAPP_NUMBER)}`;
    fields.WaId = fromE164.replace(/^\+/, '');
    if (opts.profileName !== undefined) fields.ProfileName = opts.profileName;
  } else {
    fields.From = fromE164;
    fields.To = stripWhatsApp(opts.to ?? DEFAULT_SMS_NUMBER);
  }
  if (opts.accountSid !== undefined) fields.AccountSid = opts.accountSid;
  // Drop the sample's own media fields, then add ours.
  for (const key of new URLSearchParams(base).keys()) {
    if (/^Media(Url|ContentType)\d+$/.test(key)) fields[key] = null;
  }
  media.forEach((url, i) => {
    const contentType = guessMediaContentType(url);
    fields[`MediaUrl${i}`] = url;
    fields[`MediaContentType${i}`] = contentType;
    if (whatsapp && i === 0) fields.MessageType = whatsAppMessageType(contentType);
  });
  return withFields(base, fields);
}

/** Options for {@link postTwilioWebhook}. */
export interface PostTwilioWebhookOptions {
  /** Where to POST. */
  url: string;
  /** Raw form body. */
  formBody: string;
  /** Auth token to sign with. */
  authToken: string;
  /** URL to sign, if different from `url` (e.g. the public URL behind a proxy). Default: `url`. */
  signatureUrl?: string;
  /** Extra headers (e.g. `I-Twilio-Idempotency-Token`). */
  headers?: Record<string, string>;
}

/**
 * POSTs a signed webhook like Twilio does (`Content-Type: application/x-www-form-urlencoded`,
 * `X-Twilio-Signature`, `User-Agent: TwilioProxy/1.1`). Returns the fetch Response.
 */
export async function postTwilioWebhook(opts: PostTwilioWebhookOptions): Promise<Response> {
  const signature = signTwilioRequest(opts.authToken, opts.signatureUrl ?? opts.url, opts.formBody);
  return fetch(opts.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': signature,
      'user-agent': 'TwilioProxy/1.1',
      ...opts.headers,
    },
    body: opts.formBody,
  });
}
