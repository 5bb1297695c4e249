/**
 * The email threading decision: which conversation an inbound Postmark email belongs to.
 *
 * The rules, in order (the first that applies wins):
 *  1. **Reply token.** Our outbound mail carries `Reply-To: <local>+<token>@<domain>`; Postmark hands
 *     the part after `+` back as `MailboxHash` (on the webhook and on each `ToFull` / `CcFull` entry).
 *     Every non-empty hash is looked up as given AND lower-cased (some mail software lower-cases
 *     addresses). Tokens are 96 random bits, so the lookup is global: a token wins whatever org the
 *     addressed channel belongs to, and the channel is then not looked up at all.
 *  2. **Thread Message-IDs.** Otherwise the addressed email channel is found from the recipients
 *     (`OriginalRecipient`, `ToFull`, `CcFull`, the raw `To` header). If there is one and the email
 *     has `In-Reply-To` / `References`, the conversation of that channel's org holding one of those
 *     Message-IDs is taken (never another org's thread). Ids are passed nearest-first:
 *     `In-Reply-To`, then `References` from last to first.
 *  3. **New conversation.** Otherwise, on the addressed channel, a conversation whose id derives from
 *     the thread's root Message-ID (`References[0]`, else `In-Reply-To[0]`, else the email's own
 *     Message-ID), so a follow-up that overtakes the first email of its thread still lands in the same
 *     conversation. No addressed channel → `unknown_channel`.
 *
 * The database lookups are injected ({@link EmailThreadLookups}); everything else is computed here
 * with no I/O, so the rules are unit-tested with fakes (test/unit/email-threading.test.ts).
 * Creating the contact of a new conversation stays with the caller (it writes).
 */
import type { EmailConversationTarget } from './email-routing';
import { type EmailHeader, headerValue, normalizeMessageId, parseMessageIdList } from '../../domain/email';
import { conversationIdFor } from '../../domain/routing';

/** One `ToFull` / `CcFull` entry of the inbound webhook, as far as threading needs it. */
export interface InboundEmailRecipient {
  Email: string;
  /** The text after `+` in the local part; `''` when none. */
  MailboxHash: string;
}

/** The fields of Postmark's inbound webhook (parsed by `PostmarkInboundWebhook`) that threading reads. */
export interface InboundEmailThreadingFields {
  /** Postmark's id of the inbound email (not the RFC Message-ID). */
  MessageID: string;
  /** The `+token` of the address the email was delivered to; `''` when none. */
  MailboxHash: string;
  ToFull: readonly InboundEmailRecipient[];
  CcFull: readonly InboundEmailRecipient[];
  OriginalRecipient: string;
  /** The raw `To` header. */
  To: string;
  Headers: readonly EmailHeader[];
}

/** The email's own Message-ID and its threading headers, bare (see `normalizeMessageId`). */
export interface EmailThreadHeaders {
  /** The `Message-ID` header; without one (or an empty one), `<Postmark MessageID>@inbound.postmarkapp.com`. */
  messageId: string;
  /** `In-Reply-To` ids, in header order. */
  inReplyTo: string[];
  /** `References` ids, in header order (oldest first). */
  references: string[];
}

/** An email channel: its id and org. */
export interface EmailChannelRef {
  id: string;
  org_id: string;
}

/** The database lookups the decision needs (bound to `db/email-routing.ts` by the webhook route). */
export interface EmailThreadLookups {
  /** The email conversation whose reply token is one of `tokens`, any org. Called only with tokens. */
  conversationByReplyToken(tokens: string[]): Promise<EmailConversationTarget | undefined>;
  /** The email channel one of `recipients` (raw addresses, maybe `+tagged`) belongs to. */
  emailChannel(recipients: string[]): Promise<EmailChannelRef | undefined>;
  /** Org `orgId`'s email conversation holding one of `threadIds`. Called only with ids. */
  conversationByThread(orgId: string, threadIds: string[]): Promise<EmailConversationTarget | undefined>;
}

/** Where an inbound email goes. */
export type EmailThreadDecision =
  /** An existing conversation, by the reply token (possibly of an org other than the addressed channel's). */
  | { kind: 'token'; conversation: EmailConversationTarget }
  /** An existing conversation of the addressed channel's org, by a thread Message-ID. */
  | { kind: 'thread'; conversation: EmailConversationTarget; channel: EmailChannelRef }
  /** A conversation to start (or one already started for this thread root) on the addressed channel. */
  | { kind: 'new'; conversationId: string; channel: EmailChannelRef; rootMessageId: string }
  /** No token or thread matched and no recipient is one of our email channels. */
  | { kind: 'unknown_channel' };

/** The Message-ID, `In-Reply-To` and `References` of an inbound email (header names case-insensitive). */
export function emailThreadHeaders(mail: Pick<InboundEmailThreadingFields, 'Headers' | 'MessageID'>): EmailThreadHeaders {
  return {
    // an absent or empty Message-ID (`<>`) falls back to Postmark's id, unique per email: an empty
    // one would key one shared conversation and dedupe every later such email away
    messageId: normalizeMessageId(headerValue(mail.Headers, 'Message-ID') ?? '') || `${mail.MessageID}@inbound.postmarkapp.com`,
    inReplyTo: parseMessageIdList(headerValue(mail.Headers, 'In-Reply-To')),
    references: parseMessageIdList(headerValue(mail.Headers, 'References')),
  };
}

/**
 * The reply tokens to look up: every non-empty `MailboxHash` (webhook, then `ToFull`, then `CcFull`),
 * each as given followed by its lower-cased form (duplicates kept).
 */
export function replyTokenCandidates(mail: Pick<InboundEmailThreadingFields, 'MailboxHash' | 'ToFull' | 'CcFull'>): string[] {
  return [mail.MailboxHash, ...mail.ToFull.map((a) => a.MailboxHash), ...mail.CcFull.map((a) => a.MailboxHash)]
    .filter((t) => t !== '')
    .flatMap((t) => [t, t.toLowerCase()]);
}

/** The addresses the email was sent to, for finding our channel: `OriginalRecipient`, `ToFull`, `CcFull`, `To`. */
export function recipientAddresses(mail: Pick<InboundEmailThreadingFields, 'OriginalRecipient' | 'ToFull' | 'CcFull' | 'To'>): string[] {
  return [mail.OriginalRecipient, ...mail.ToFull.map((a) => a.Email), ...mail.CcFull.map((a) => a.Email), mail.To];
}

/**
 * The Message-IDs that can tie an email to an existing thread, nearest first: `In-Reply-To`, then
 * `References` from last (the parent) to first (the root). Duplicates are kept.
 */
export function threadMessageIds(headers: Pick<EmailThreadHeaders, 'inReplyTo' | 'references'>): string[] {
  return [...headers.inReplyTo, ...[...headers.references].reverse()];
}

/**
 * The thread's root Message-ID, which keys a new conversation: `References[0]`, else `In-Reply-To[0]`,
 * else the email's own Message-ID.
 */
export function threadRootMessageId(headers: EmailThreadHeaders): string {
  return headers.references[0] ?? headers.inReplyTo[0] ?? headers.messageId;
}

/**
 * Decides which conversation an inbound email belongs to (rules in this module's comment). Lookups
 * run in order and only as needed: the token lookup only when there are tokens; the channel lookup
 * only when no token matched; the thread lookup only with a channel and at least one thread id.
 */
export async function decideEmailThread(mail: InboundEmailThreadingFields, lookups: EmailThreadLookups): Promise<EmailThreadDecision> {
  const tokens = replyTokenCandidates(mail);
  if (tokens.length > 0) {
    const byToken = await lookups.conversationByReplyToken(tokens);
    if (byToken) return { kind: 'token', conversation: byToken };
  }
  const channel = await lookups.emailChannel(recipientAddresses(mail));
  if (!channel) return { kind: 'unknown_channel' };
  const headers = emailThreadHeaders(mail);
  const threadIds = threadMessageIds(headers);
  if (threadIds.length > 0) {
    // Postmark may send our mail with its own Message-ID `<postmark MessageID@…>`: the lookup matches that too
    const byThread = await lookups.conversationByThread(channel.org_id, threadIds);
    if (byThread) return { kind: 'thread', conversation: byThread, channel };
  }
  const rootMessageId = threadRootMessageId(headers);
  return {
    kind: 'new',
    conversationId: conversationIdFor(channel.org_id, channel.id, `message-id:${rootMessageId}`),
    channel,
    rootMessageId,
  };
}
