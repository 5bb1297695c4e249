/**
 * Pure email rules: Message-ID handling, threading headers, reply subjects and reply addresses.
 * No I/O and no Node built-ins (this module is safe to import from workflow code).
 *
 * Sources:
 *  - RFC 5322 §3.6.4 (Message-ID, In-Reply-To, References: `msg-id = "<" id-left "@" id-right ">"`;
 *    the reply's References = the parent's References + the parent's Message-ID);
 *  - RFC 5322 §3.2.2 (folding white space may appear between the ids of a list);
 *  - Postmark inbound webhook fields (postmarkapp.com/developer/webhooks/inbound-webhook):
 *    `Headers: [{Name, Value}]`, `FromFull`/`ToFull`/`CcFull: [{Email, Name, MailboxHash}]`,
 *    `MailboxHash` = the part after `+` in the recipient's local part.
 */
import type { EmailAddress } from './message';

/** One raw header as Postmark delivers it in `Headers`. */
export interface EmailHeader {
  Name: string;
  Value: string;
}

/** An address as the email provider delivers it (Postmark's `FromFull`, `ToFull`, `CcFull`, `BccFull`). */
export interface RawEmailAddress {
  Email: string;
  Name: string;
}

/**
 * Normalises one Message-ID to its bare form: surrounding white space and ONE pair of angle brackets
 * are removed, as is any white space inside (folded headers). The id is otherwise kept EXACTLY,
 * case included: RFC 5322 gives msg-ids no case-folding rule, and mail clients (Gmail, Outlook,
 * Thunderbird) match References byte-for-byte, so lower-casing the domain part could break threading.
 *
 * `' <CAF3x9q2@Mail.Example.net> '` → `'CAF3x9q2@Mail.Example.net'`; `''` / `'<>'` → `''`.
 */
export function normalizeMessageId(value: string): string {
  let id = value.replace(/\s+/g, '');
  if (id.startsWith('<')) id = id.slice(1);
  if (id.endsWith('>')) id = id.slice(0, -1);
  return id;
}

/**
 * Parses a `References` or `In-Reply-To` header into bare Message-IDs, in header order.
 * Every `<…>` token is taken (text between tokens, such as comments or commas, is ignored). Headers
 * written by non-conforming software without brackets fall back to a split on white space/commas.
 * Empty ids are dropped; duplicates are kept (use {@link threadReferences} to de-duplicate).
 *
 * `'<a@x> <b@x>'` → `['a@x', 'b@x']`; `'a@x b@x'` → `['a@x', 'b@x']`; `undefined` → `[]`.
 */
export function parseMessageIdList(header: string | undefined): string[] {
  if (header === undefined) return [];
  const bracketed = [...header.matchAll(/<([^<>]*)>/g)].map((m) => normalizeMessageId(m[1] ?? ''));
  const ids = bracketed.length > 0 ? bracketed : header.split(/[\s,]+/).map(normalizeMessageId);
  return ids.filter((id) => id !== '');
}

/**
 * The value of the first header called `name` (case-insensitive, as RFC 5322 §1.2.2 says header
 * field names are), or `undefined` if there is none.
 */
export function headerValue(headers: readonly EmailHeader[], name: string): string | undefined {
  const wanted = name.trim().toLowerCase();
  return headers.find((h) => h.Name.trim().toLowerCase() === wanted)?.Value;
}

/** `Re:` in any case, optionally with a counter as some clients write it (`Re[2]:`, `RE(3):`). */
const REPLY_PREFIX = /^re\s*(?:\[\d+\]|\(\d+\))?\s*:/i;

/**
 * Subject for a reply: `Re: ` prefixed once. A subject that already starts with `Re:` (any case,
 * `Re[2]:` too) is returned unchanged (only trimmed), so threads do not grow `Re: Re: Re:`. A forward
 * (`Fwd: x`) gets a `Re: ` in front, as mail clients do. An empty subject gives `Re:`.
 */
export function replySubject(subject: string): string {
  const s = subject.trim();
  if (REPLY_PREFIX.test(s)) return s;
  return s === '' ? 'Re:' : `Re: ${s}`;
}

/** Splits `local@domain` (takes the part in `<…>` if a display name is present). */
function splitAddress(address: string): { local: string; domain: string } {
  const angle = /<([^<>]+)>/.exec(address);
  const bare = (angle?.[1] ?? address).trim();
  const at = bare.lastIndexOf('@');
  if (at <= 0 || at === bare.length - 1) throw new Error(`not an email address: ${JSON.stringify(address)}`);
  return { local: bare.slice(0, at), domain: bare.slice(at + 1) };
}

/**
 * The `Reply-To` address that routes a reply back to one conversation: `<local>+<token>@<domain>`,
 * where `local` is the channel address's local part WITHOUT any existing `+tag` (Postmark puts
 * everything after the first `+` into `MailboxHash`, so a second tag would corrupt the token),
 * and `domain` is `inboundDomain` (a leading `@` is ignored) or, when null/empty, the channel's domain.
 *
 * `replyToAddress('reply@help.example.test', 't_9QzK2mW7', null)` → `'reply+t_9QzK2mW7@help.example.test'`.
 * @throws Error if `channelAddress` is not `local@domain` or `token` is empty or contains
 *   `@`, `+`, `<`, `>` or white space (it must survive as a MailboxHash).
 */
export function replyToAddress(channelAddress: string, token: string, inboundDomain: string | null): string {
  if (token === '' || /[@+<>\s]/.test(token)) throw new Error(`invalid reply token: ${JSON.stringify(token)}`);
  const { local, domain } = splitAddress(channelAddress);
  const base = local.split('+')[0] ?? local;
  if (base === '') throw new Error(`not an email address: ${JSON.stringify(channelAddress)}`);
  const inbound = inboundDomain?.trim().replace(/^@/, '') ?? '';
  return `${base}+${token}@${inbound === '' ? domain : inbound}`;
}

/**
 * The `References` list for a message replying into a thread: `messageIds` (oldest first, brackets
 * optional) normalised, empty ids dropped, de-duplicated (first occurrence wins), and — when longer
 * than `max` — cut to the first id plus the last `max - 1`, the trimming RFC 5322 §3.6.4 allows and
 * Thunderbird/Gmail apply, so the thread root is kept and headers stay short. `max < 1` gives `[]`.
 */
export function threadReferences(messageIds: readonly string[], max = 20): string[] {
  if (max < 1) return [];
  const unique: string[] = [];
  const seen = new Set<string>();
  for (const raw of messageIds) {
    const id = normalizeMessageId(raw);
    if (id === '' || seen.has(id)) continue;
    seen.add(id);
    unique.push(id);
  }
  if (unique.length <= max) return unique;
  const first = unique[0];
  return first === undefined ? [] : [first, ...unique.slice(unique.length - (max - 1))];
}

/** A Message-ID as header text: `a@x` (or `<a@x>`) → `<a@x>`. */
export function formatMessageIdHeader(id: string): string {
  return `<${normalizeMessageId(id)}>`;
}

/**
 * Our own Message-ID for an outbound email, bare (no brackets): `${messageId}@${domain}` — e.g. the
 * message row's UUID at the channel's domain. We set it as the `Message-ID` header ourselves (Postmark
 * otherwise generates one we only learn from its API), so a customer's `In-Reply-To`/`References`
 * can be matched back to the message and conversation. A leading `@` on `domain` is ignored.
 * @throws Error if either part is empty or contains white space, `<`, `>` (or `@` in `messageId`).
 */
export function outboundMessageId(messageId: string, domain: string): string {
  const d = domain.trim().replace(/^@/, '');
  const m = messageId.trim();
  if (m === '' || /[@<>\s]/.test(m)) throw new Error(`invalid message id: ${JSON.stringify(messageId)}`);
  if (d === '' || /[@<>\s]/.test(d)) throw new Error(`invalid domain: ${JSON.stringify(domain)}`);
  return `${m}@${d}`;
}

/** One Postmark `…Full` address → {@link EmailAddress} (trimmed; empty name → `null`). */
export function parseEmailAddress(full: RawEmailAddress): EmailAddress {
  const name = full.Name.trim();
  return { email: full.Email.trim(), name: name === '' ? null : name };
}

/**
 * Postmark's `ToFull`/`CcFull` arrays → {@link EmailAddress} list, in order; entries with an empty
 * `Email` are dropped. Addresses are kept as sent (trimmed, case preserved: the local part is
 * case-sensitive per RFC 5321 §2.4; compare case-insensitively where matching contacts).
 */
export function parseEmailAddressList(full: readonly RawEmailAddress[]): EmailAddress[] {
  return full.map(parseEmailAddress).filter((a) => a.email !== '');
}

/** `Precedence` values that mark automatic or bulk mail (RFC 3834 §3.1.8 and common practice). */
const AUTOMATIC_PRECEDENCE = new Set(['auto_reply', 'bulk', 'junk']);

/**
 * Whether an email was sent automatically (out-of-office, vacation, autoresponders, bulk mail), per
 * RFC 3834 and the headers mail software writes in practice:
 * - `Auto-Submitted` with any value other than `no` (`auto-replied`, `auto-generated`, …; a
 *   trailing `; parameter` is ignored; RFC 3834 §5);
 * - `X-Autoreply` or `X-Autorespond` present (any value except `no`/`false`/`0`);
 * - `Precedence: auto_reply`, `bulk` or `junk`.
 * Header names and values are compared case-insensitively. No such header → `false`.
 */
export function isAutoReply(headers: readonly EmailHeader[]): boolean {
  const autoSubmitted = headerValue(headers, 'Auto-Submitted');
  if (autoSubmitted !== undefined) {
    const token = (autoSubmitted.split(';')[0] ?? '').trim().toLowerCase();
    if (token !== '' && token !== 'no') return true;
  }
  for (const name of ['X-Autoreply', 'X-Autorespond']) {
    const value = headerValue(headers, name);
    if (value !== undefined && !['no', 'false', '0'].includes(value.trim().toLowerCase())) return true;
  }
  const precedence = headerValue(headers, 'Precedence')?.trim().toLowerCase();
  return precedence !== undefined && AUTOMATIC_PRECEDENCE.has(precedence);
}

/** `local@domain` lower-cased with any `+tag` removed from the local part. */
function baseAddress(address: string): string {
  const lower = address.trim().toLowerCase();
  const at = lower.lastIndexOf('@');
  if (at <= 0) return lower;
  return `${lower.slice(0, at).split('+')[0] ?? ''}${lower.slice(at)}`;
}

/**
 * The Cc list of a reply-all: the other people on the customer's latest email (its `To` and `Cc`),
 * then `extra` (the Cc staff added), minus our own addresses and the reply's `To` address, each
 * address once (compared case-insensitively; first occurrence and its display name win).
 * Our own = the channel address or any `+tag` variant of it, and any address at `inboundDomain`
 * (where reply tokens live); `null` / empty `inboundDomain` = only the channel address.
 *
 * `replyAllCc({ thread: [{email:'support@acme.test'}, {email:'boss@client.test'}], to: 'amara@client.test',
 *   channelAddress: 'support@acme.test', inboundDomain: null })` → `[{ email: 'boss@client.test', … }]`.
 */
export function replyAllCc(input: {
  thread: readonly EmailAddress[];
  extra?: readonly EmailAddress[];
  to: string;
  channelAddress: string;
  inboundDomain: string | null;
}): EmailAddress[] {
  const channel = baseAddress(input.channelAddress);
  const inbound = input.inboundDomain?.trim().replace(/^@/, '').toLowerCase() ?? '';
  const seen = new Set<string>([baseAddress(input.to)]);
  const result: EmailAddress[] = [];
  for (const address of [...input.thread, ...(input.extra ?? [])]) {
    const base = baseAddress(address.email);
    if (base === '' || !base.includes('@') || seen.has(base) || base === channel) continue;
    if (inbound !== '' && base.endsWith(`@${inbound}`)) continue;
    seen.add(base);
    result.push({ email: address.email.trim(), name: address.name });
  }
  return result;
}
