/**
 * The lookups that route Postmark webhooks: an inbound email to its conversation (reply token,
 * thread Message-IDs, addressed channel) and a delivery event to our outbound message.
 */
import { sql } from 'kysely';
import type { Db } from '../../db/client';

/** An email conversation an inbound email belongs to. */
export interface EmailConversationTarget {
  id: string;
  org_id: string;
  channel_id: string;
  contact_id: string;
  subject: string | null;
}

/**
 * The email conversation whose `reply_token` is one of `tokens` (any org: tokens are 96 random
 * bits), or `undefined`; also `undefined` without a query when `tokens` is empty.
 * @param channelId only a conversation of this channel (a per-channel webhook URL)
 */
export async function findEmailConversationByReplyToken(
  db: Db,
  tokens: string[],
  channelId?: string,
): Promise<EmailConversationTarget | undefined> {
  if (tokens.length === 0) return undefined;
  let query = db
    .selectFrom('conversations')
    .select(['id', 'org_id', 'channel_id', 'contact_id', 'subject'])
    .where('reply_token', 'in', tokens)
    .where('channel_kind', '=', 'email');
  if (channelId !== undefined) query = query.where('channel_id', '=', channelId);
  return query.executeTakeFirst();
}

/** `local@domain` lower-cased, with a `+tag` of the local part dropped; `''` when not an address. */
function baseEmail(address: string): string {
  const lower = address.trim().toLowerCase();
  const at = lower.lastIndexOf('@');
  if (at <= 0) return '';
  return `${lower.slice(0, at).split('+')[0] ?? ''}${lower.slice(at)}`;
}

/**
 * Whether one of `recipients` is the channel's own: its address (or a `+tag` variant), or the address
 * its reply tokens live at, `<local>+<token>@<inboundDomain>` (domain/email.ts `replyToAddress`),
 * compared case-insensitively. `inboundDomain` null/empty = the channel's own domain.
 */
export function recipientsIncludeChannel(recipients: readonly string[], channelAddress: string, inboundDomain: string | null | undefined): boolean {
  const own = baseEmail(channelAddress);
  if (own === '') return false;
  const local = own.slice(0, own.lastIndexOf('@'));
  const inbound = inboundDomain?.trim().replace(/^@/, '').toLowerCase() ?? '';
  const replyBase = inbound === '' ? own : `${local}@${inbound}`;
  return recipients.some((r) => {
    const base = baseEmail(r);
    return base !== '' && (base === own || base === replyBase);
  });
}

/**
 * The email channel (id and org) one of the recipient addresses belongs to, compared
 * case-insensitively with a `+hash` suffix ignored; `undefined` if none (or no recipient is an address).
 */
export async function findEmailChannel(db: Db, recipients: string[]): Promise<{ id: string; org_id: string } | undefined> {
  const bases = [
    ...new Set(
      recipients
        .map((r) =>
          r
            .trim()
            .toLowerCase()
            .replace(/\+[^@]*@/, '@'),
        )
        .filter((r) => r.includes('@')),
    ),
  ];
  if (bases.length === 0) return undefined;
  return db
    .selectFrom('channels')
    .select(['id', 'org_id'])
    .where('kind', '=', 'email')
    .where('archived_at', 'is', null)
    .where(sql<string>`lower(address)`, 'in', bases)
    .executeTakeFirst();
}

/**
 * The org's email conversation holding the newest message (highest `seq`) whose Message-ID is one of
 * `threadIds` (normalised Message-IDs) or, for mail we sent through Postmark under its own
 * Message-ID `<postmark MessageID@…>`, whose Postmark message id is one of their local parts.
 * `undefined` if none matches.
 * @param channelId only a conversation of this channel (a per-channel webhook URL)
 */
export async function findEmailConversationByThread(
  db: Db,
  orgId: string,
  threadIds: string[],
  channelId?: string,
): Promise<EmailConversationTarget | undefined> {
  const localParts = threadIds.map((id) => id.split('@')[0] ?? id);
  let query = db
    .selectFrom('messages as m')
    .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
    .select(['c.id', 'c.org_id', 'c.channel_id', 'c.contact_id', 'c.subject'])
    .where('c.channel_kind', '=', 'email')
    .where('m.org_id', '=', orgId)
    .where((eb) =>
      eb.or([
        eb('m.email_message_id', 'in', threadIds),
        eb.and([eb('m.provider', '=', 'postmark'), eb('m.provider_message_id', 'in', localParts)]),
      ]),
    );
  if (channelId !== undefined) query = query.where('c.channel_id', '=', channelId);
  return query.orderBy('m.seq', 'desc').executeTakeFirst();
}

/**
 * Our outbound Postmark message a delivery event is about (its id, the conversation's contact and channel):
 * by Postmark's `MessageID`; or, if the send crashed before recording it, by our own message id
 * (`ourMessageId`, from the event's Metadata) among messages with no provider id yet. `undefined` if none.
 */
export async function findOutboundPostmarkMessage(
  db: Db,
  postmarkMessageId: string,
  ourMessageId: string | undefined,
): Promise<{ message_id: string; contact_id: string; channel_id: string } | undefined> {
  return db
    .selectFrom('messages as m')
    .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
    .select(['m.id as message_id', 'c.contact_id', 'c.channel_id'])
    .where('m.provider', '=', 'postmark')
    .where('m.direction', '=', 'outbound')
    .where((eb) => {
      const byProviderId = eb('m.provider_message_id', '=', postmarkMessageId);
      return ourMessageId
        ? eb.or([byProviderId, eb.and([eb('m.id', '=', ourMessageId), eb('m.provider_message_id', 'is', null)])])
        : byProviderId;
    })
    .executeTakeFirst();
}
