/**
 * zod schemas for the webhooks Postmark POSTs to us (JSON bodies):
 *  - inbound email: postmarkapp.com/developer/webhooks/inbound-webhook
 *  - delivery:      postmarkapp.com/developer/webhooks/delivery-webhook
 *  - bounce:        postmarkapp.com/developer/webhooks/bounce-webhook
 *  - spam complaint, open, click: …/spam-complaint-webhook, …/open-tracking-webhook, …/click-webhook
 * Samples: test/contracts/samples/postmark-{inbound,inbound-reply,inbound-with-attachment,webhook-delivery,webhook-bounce}.json.
 *
 * All objects are `z.looseObject`: Postmark adds fields over time and unknown ones must pass through.
 * Optional text fields default to `''` (also when Postmark sends `null`) and optional lists to `[]`,
 * so handlers need no null checks. Not in the public OpenAPI document (these are not our API).
 *
 * Bounce `ID` is a 64-bit integer that exceeds 2^53 (Postmark's own docs example is 4323372036854775807):
 * `JSON.parse` silently rounds it. The route must therefore keep the raw body — mount
 * `express.json({ verify: keepRawBody })` — and validate `withExactBounceId(req.body, req.rawBody)`
 * (or call {@link parsePostmarkBounceWebhook}), which re-reads `ID` from the raw text as a string.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

extendZodWithOpenApi(z); // idempotent; `.openapi()` below needs it whatever was imported first

/** Optional text: missing or `null` → `''`; NUL bytes dropped (Postgres cannot store them). */
const text = () =>
  z
    .string()
    .nullish()
    .transform((v) => (v ?? '').replaceAll('\u0000', ''));

/** Optional list: missing or `null` → `[]`. */
const list = <T extends z.ZodType>(item: T) =>
  z
    .array(item)
    .nullish()
    .transform((v): z.output<T>[] => v ?? []);

/** Optional boolean: missing or `null` → `false`. */
const flag = () =>
  z
    .boolean()
    .nullish()
    .transform((v) => v ?? false);

/** Postmark timestamps carry `Z` or an offset and up to 7 fractional digits (`2019-11-05T16:33:54.9070259Z`). */
const Timestamp = z.iso.datetime({ offset: true });

/**
 * `Metadata`: the string key/values we attached when sending (postmarkapp.com/developer/api/email-api
 * "Metadata"). Missing/null → `{}`; numbers/booleans are stringified, `null` values become `''`.
 */
const Metadata = z
  .record(
    z.string(),
    z.union([z.string(), z.number(), z.boolean(), z.null()]).transform((v) => (v === null ? '' : String(v))),
  )
  .nullish()
  .transform((v): Record<string, string> => v ?? {});

// ---- Inbound ---------------------------------------------------------------------------------

/** `FromFull`, `ToFull[]`, `CcFull[]`, `BccFull[]` entry. `MailboxHash` = text after `+` in the local part. */
export const PostmarkInboundAddress = z.looseObject({
  Email: z.string(),
  Name: text(),
  MailboxHash: text(),
});

/** One raw MIME header of the inbound email (`Headers[]`), e.g. `{Name: 'In-Reply-To', Value: '<…>'}`. */
export const PostmarkHeader = z.looseObject({
  Name: z.string(),
  Value: text(),
});

/**
 * One attachment (`Attachments[]`). `Content` is base64 (white space, if any, is removed) and decodes to
 * `ContentLength` bytes; `ContentID` is set for inline parts referenced as `cid:` from `HtmlBody`.
 */
export const PostmarkInboundAttachment = z.looseObject({
  Name: text(),
  Content: z
    .string()
    .transform((s) => s.replace(/\s+/g, ''))
    .pipe(z.base64()),
  ContentType: z
    .string()
    .nullish()
    .transform((v) => (v ? v : 'application/octet-stream')),
  ContentLength: z.number().int().nonnegative().optional(),
  ContentID: text(),
});

/**
 * The inbound webhook body. `MessageID` is Postmark's id of the inbound email (not the RFC Message-ID,
 * which is in `Headers`); `MailboxHash` is the `+token` of our reply address; `StrippedTextReply` is
 * the reply without the quoted history (empty when Postmark could not strip it).
 */
export const PostmarkInboundWebhook = z.looseObject({
  From: text(),
  FromName: text(),
  FromFull: PostmarkInboundAddress,
  To: text(),
  ToFull: list(PostmarkInboundAddress),
  Cc: text(),
  CcFull: list(PostmarkInboundAddress),
  Bcc: text(),
  BccFull: list(PostmarkInboundAddress),
  OriginalRecipient: text(),
  ReplyTo: text(),
  Subject: text(),
  MessageID: z.string().min(1),
  MailboxHash: text(),
  Date: text(),
  TextBody: text(),
  HtmlBody: text(),
  StrippedTextReply: text(),
  Tag: text(),
  MessageStream: text(),
  Headers: list(PostmarkHeader),
  Attachments: list(PostmarkInboundAttachment),
});

// ---- Delivery --------------------------------------------------------------------------------

/** Delivery webhook: the receiving server accepted outbound email `MessageID` (the id `sendEmail` returned). */
export const PostmarkDeliveryWebhook = z.looseObject({
  RecordType: z.literal('Delivery'),
  MessageID: z.string().min(1),
  Recipient: z.string(),
  DeliveredAt: Timestamp,
  Details: text(),
  Tag: text(),
  ServerID: z.number().int().optional(),
  MessageStream: text(),
  Metadata,
});

// ---- Bounce ----------------------------------------------------------------------------------

/**
 * Bounce `ID` as a decimal string. Accepts a digit string (what {@link withExactBounceId} puts there) or
 * a number only if it is a safe integer — a larger number has already been rounded by `JSON.parse`
 * and is rejected rather than stored wrong.
 */
const BounceId = z
  .union([
    z.string().regex(/^\d+$/, 'must be a decimal integer'),
    z
      .number()
      .int()
      .nonnegative()
      .refine(Number.isSafeInteger, 'exceeds 2^53 after JSON.parse: read it from the raw body (withExactBounceId)'),
  ])
  .transform((v) => String(v));

/**
 * Bounce webhook. `Type`/`TypeCode` per postmarkapp.com/developer/api/bounce-api#bounce-types
 * (`HardBounce` = 1, `SoftBounce` = 4096, …); `Inactive` = Postmark deactivated the address (further
 * sends to it fail with ErrorCode 406); `MessageID` = the outbound email's id from `sendEmail`.
 */
export const PostmarkBounceWebhook = z.looseObject({
  RecordType: z.literal('Bounce'),
  ID: BounceId,
  Type: z.string(),
  TypeCode: z.number().int(),
  Name: text(),
  Tag: text(),
  MessageID: text(),
  ServerID: z.number().int().optional(),
  MessageStream: text(),
  Description: text(),
  Details: text(),
  Email: z.string(),
  From: text(),
  BouncedAt: Timestamp,
  DumpAvailable: flag(),
  Inactive: flag(),
  CanActivate: flag(),
  Subject: text(),
  Content: text(),
  Metadata,
});

// ---- Spam complaint, open, click ---------------------------------------------------------------

/**
 * Spam complaint webhook (postmarkapp.com/developer/webhooks/spam-complaint-webhook): the recipient
 * marked outbound email `MessageID` as spam; same fields as a bounce (`Type: 'SpamComplaint'`,
 * `TypeCode: 512`, 64-bit `ID`: validate `withExactBounceId(req.body, req.rawBody)`).
 */
export const PostmarkSpamComplaintWebhook = PostmarkBounceWebhook.extend({
  RecordType: z.literal('SpamComplaint'),
  Type: text(),
  TypeCode: z.number().int().optional(),
  BouncedAt: Timestamp.optional(),
});

/**
 * Open-tracking webhook (postmarkapp.com/developer/webhooks/open-tracking-webhook): outbound email
 * `MessageID` was opened by `Recipient` (`FirstOpen`: the first open of it).
 */
export const PostmarkOpenWebhook = z.looseObject({
  RecordType: z.literal('Open'),
  MessageID: z.string().min(1),
  Recipient: text(),
  ReceivedAt: Timestamp.optional(),
  FirstOpen: flag(),
  MessageStream: text(),
  Metadata,
});

/**
 * Click-tracking webhook (postmarkapp.com/developer/webhooks/click-webhook): `Recipient` clicked
 * `OriginalLink` in outbound email `MessageID`.
 */
export const PostmarkClickWebhook = z.looseObject({
  RecordType: z.literal('Click'),
  MessageID: z.string().min(1),
  Recipient: text(),
  ReceivedAt: Timestamp.optional(),
  OriginalLink: text(),
  MessageStream: text(),
  Metadata,
});

export type PostmarkInboundAddress = z.infer<typeof PostmarkInboundAddress>;
export type PostmarkHeader = z.infer<typeof PostmarkHeader>;
export type PostmarkInboundAttachment = z.infer<typeof PostmarkInboundAttachment>;
export type PostmarkInboundWebhook = z.infer<typeof PostmarkInboundWebhook>;
export type PostmarkDeliveryWebhook = z.infer<typeof PostmarkDeliveryWebhook>;
export type PostmarkBounceWebhook = z.infer<typeof PostmarkBounceWebhook>;

// ---- Raw body / exact bounce ID --------------------------------------------------------------

/**
 * The 200 answer of both Postmark webhooks (`channels/postmark/webhooks.ts`): `conversationId` for an
 * inbound email, `applied` (whether the event changed the message row) or `ignored` (why not) for events.
 */
export const PostmarkWebhookAnswer = z.object({
  ok: z.boolean(),
  conversationId: z.uuid().optional().openapi({ description: 'Inbound: the conversation the email was filed in' }),
  applied: z.boolean().optional().openapi({ description: 'Events: whether the event changed the message (false: already at or past it)' }),
  ignored: z.string().optional().openapi({ description: 'Events: why the event changed nothing (e.g. `soft bounce`)' }),
});

/** A request whose raw JSON text was kept by {@link keepRawBody}. */
export interface RawBodyRequest extends IncomingMessage {
  rawBody?: string;
}

/**
 * `verify` hook for `express.json` that keeps the raw body text on `req.rawBody`:
 * `app.use('/webhooks/postmark', express.json({ limit: '40mb', verify: keepRawBody }))`
 * (inbound emails with attachments can be large: Postmark allows up to 35 MB).
 */
export function keepRawBody(req: RawBodyRequest, _res: ServerResponse, buf: Buffer): void {
  req.rawBody = buf.toString('utf8');
}

/** Reads one JSON string token starting at `raw[start] === '"'`; returns its decoded text and the index after it. */
function readJsonString(raw: string, start: number): { value: string; end: number } | null {
  let i = start + 1;
  while (i < raw.length) {
    const c = raw[i];
    if (c === '\\') i += 2;
    else if (c === '"') {
      try {
        return { value: JSON.parse(raw.slice(start, i + 1)) as string, end: i + 1 };
      } catch {
        return null;
      }
    } else i += 1;
  }
  return null;
}

/**
 * The top-level `"ID"` of a bounce webhook, read from the raw JSON text so all 64 bits survive:
 * `'{"RecordType":"Bounce","ID":4323372036854775807,…}'` → `'4323372036854775807'`. A quoted digit
 * string is accepted too. Only the key at nesting depth 1 counts (a plain regex would also match an
 * `"ID"` inside `Metadata` or escaped in `Content`): the scan skips strings and tracks `{`/`[` depth.
 * @returns the decimal digits, or `null` if there is no top-level integer `ID` or the text is not JSON-like.
 */
export function parseBounceIdFromRaw(raw: string): string | null {
  let depth = 0;
  let i = 0;
  while (i < raw.length) {
    const c = raw[i];
    if (c === '"') {
      const str = readJsonString(raw, i);
      if (str === null) return null;
      i = str.end;
      if (depth === 1 && str.value === 'ID') {
        const m = /^\s*:\s*(?:(\d+)(?![\d.eE])|"(\d+)")/.exec(raw.slice(i, i + 64));
        if (m) return m[1] ?? m[2] ?? null;
      }
    } else {
      if (c === '{' || c === '[') depth += 1;
      else if (c === '}' || c === ']') depth -= 1;
      i += 1;
    }
  }
  return null;
}

/**
 * `body` (as parsed by `express.json`) with its `ID` replaced by the exact digits from `raw`
 * (see {@link parseBounceIdFromRaw}); returned unchanged if it is not an object or `raw` has no `ID`.
 */
export function withExactBounceId(body: unknown, raw: string | undefined): unknown {
  if (raw === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  const id = parseBounceIdFromRaw(raw);
  return id === null ? body : { ...body, ID: id };
}

/** Validates a bounce webhook given its raw JSON text (`JSON.parse` + exact `ID` + schema). */
export function parsePostmarkBounceWebhook(raw: string): z.ZodSafeParseResult<PostmarkBounceWebhook> {
  let body: unknown;
  try {
    body = JSON.parse(raw) as unknown;
  } catch {
    body = undefined;
  }
  return PostmarkBounceWebhook.safeParse(withExactBounceId(body, raw));
}
