/**
 * The cross-channel feed (issue 11, `GET /v1/inbox/*`): one org's customer, staff and AI messages of
 * every carrier channel (`sms`, `whatsapp`, `email`, `telegram`) merged newest first, the rooms
 * (conversations) they belong to, and which sources have any. Internal notes, system messages and
 * web chat (`chat` kind) are never in the feed.
 *
 * Reads only; every query is scoped by `org_id`. The feed reads `messages_org_created_idx`
 * (`org_id, created_at desc, seq desc`, migration 0018) in order and stops at its limit; the rooms read
 * `conversations_org_activity_idx` (bounded to {@link MAX_INBOX_CHATS} rooms) and each room's messages
 * through `messages_conversation_seq_idx`.
 */
import { type RawBuilder, sql } from 'kysely';
import { CHANNEL_KINDS, type ChannelKind } from '../channels/kinds';
import type { Db } from './client';
import { wasSaid } from './message-filters';

/** A feed source: a channel kind other than web chat. */
export type InboxSource = Exclude<ChannelKind, 'chat'>;

/** Every feed source, in display order (`sms`, `whatsapp`, `email`, `telegram`). */
export const INBOX_SOURCES = CHANNEL_KINDS.filter((k): k is InboxSource => k !== 'chat') as unknown as readonly [
  InboxSource,
  ...InboxSource[],
];

/** Whether `value` names a feed source. */
export function isInboxSource(value: string): value is InboxSource {
  return (INBOX_SOURCES as readonly string[]).includes(value);
}

/** Most rooms {@link listInboxChats} answers: the newest by last activity. */
export const MAX_INBOX_CHATS = 500;

/** Longest `lastMessageText` of a room, in characters (Unicode code points, the ellipsis included). */
export const LAST_MESSAGE_TEXT_MAX = 140;

/** `from` of an AI assistant's message. */
export const AI_SENDER_NAME = 'AI assistant';

/** Author types of feed messages (`system` messages are not in the feed). */
const FEED_AUTHORS = ['customer', 'staff', 'ai'] as const;

/**
 * Whether the `messages` row aliased `alias` belongs in the feed: said by the customer, staff or the AI
 * (not a system message), not an internal note, not a reply held for later or canceled.
 */
function isFeedMessage(alias: string): RawBuilder<boolean> {
  const authors = sql.join(FEED_AUTHORS.map((a) => sql.lit(a)));
  return sql<boolean>`(not ${sql.ref(`${alias}.is_internal_note`)} and ${sql.ref(`${alias}.author_type`)} in (${authors}) and ${wasSaid(`${alias}.delivery_status`)})`;
}

/** One message of the feed (see the `InboxMessage` API schema). */
export interface InboxMessage {
  /** The message id. */
  id: string;
  /** `user` = the customer (inbound); `assistant` = staff or the AI (outbound). */
  role: 'user' | 'assistant';
  text: string;
  /** When the message was created, epoch milliseconds. */
  timestamp: number;
  source: InboxSource;
  /** The conversation id. */
  roomId: string;
  /** Display name: the contact's name, the staff user's name, or {@link AI_SENDER_NAME}; absent when unknown. */
  from?: string;
  /** The customer's handle: Telegram `@username`, the email address, or the E.164 number; absent otherwise. */
  fromUserName?: string;
}

/** One room of {@link listInboxChats} (see the `InboxChat` API schema). */
export interface InboxChat {
  /** The conversation id. */
  id: string;
  source: InboxSource;
  /** The conversation's subject, else the contact's name, else `"<source> chat"`. */
  title: string;
  /** The newest feed message's text, at most {@link LAST_MESSAGE_TEXT_MAX} characters. */
  lastMessageText: string;
  /** When the newest feed message was created, epoch milliseconds. */
  lastMessageAt: number;
  /** Feed messages (no notes, no system messages) in the room when read. */
  messageCount: number;
}

/** A trailing ` (@username)` Telegram profile names carry (`channels/telegram/updates.ts`). */
const TELEGRAM_HANDLE = /^(.*?)\s*\(@([A-Za-z0-9_]{1,64})\)$/;

/**
 * A contact's display name and handle as the feed shows them: a Telegram name `"Ada L (@ada)"` is
 * split into `Ada L` and `@ada`; an email contact's handle is its address, an SMS or WhatsApp
 * contact's its E.164 number (a Telegram chat id is not a handle). Blank parts are `undefined`.
 */
export function contactDisplay(
  source: InboxSource,
  name: string | null,
  address: string | null,
): { name: string | undefined; handle: string | undefined } {
  let display = name?.trim() || undefined;
  let handle: string | undefined;
  if (source === 'telegram') {
    const m = display ? TELEGRAM_HANDLE.exec(display) : null;
    if (m) {
      display = m[1]!.trim() || undefined;
      handle = `@${m[2]!}`;
    }
  } else {
    handle = address?.trim() || undefined;
  }
  return { name: display, handle };
}

/** `text` cut to {@link LAST_MESSAGE_TEXT_MAX} code points, the last one `…` when cut. */
export function truncatePreview(text: string): string {
  const chars = Array.from(text);
  if (chars.length <= LAST_MESSAGE_TEXT_MAX) return text;
  return `${chars.slice(0, LAST_MESSAGE_TEXT_MAX - 1).join('')}…`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The org's newest feed messages: customer, staff and AI messages (no internal notes, no system
 * messages) of conversations whose kind is in `sources`, newest first (`created_at desc`, then
 * insertion order), at most `limit`; only conversation `roomId`'s when given (a room of another org or
 * of web chat yields nothing).
 * @param sources non-empty subset of {@link INBOX_SOURCES}
 * @param limit 1–500 (the route checks it)
 */
export async function listInboxMessages(
  db: Db,
  orgId: string,
  opts: { limit: number; sources: readonly InboxSource[]; roomId?: string },
): Promise<InboxMessage[]> {
  let query = db
    .selectFrom('messages as m')
    .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
    .innerJoin('contacts as ct', 'ct.id', 'c.contact_id')
    .select([
      'm.id',
      'm.author_type',
      'm.author_id',
      'm.text',
      'm.created_at',
      'm.conversation_id',
      'c.channel_kind',
      'ct.name as contact_name',
      sql<string | null>`m.email -> 'from' ->> 'email'`.as('email_from'),
      sql<
        string | null
      >`(select ci.address from contact_identities ci where ci.contact_id = c.contact_id and ci.kind = c.channel_kind order by ci.created_at, ci.address limit 1)`.as(
        'contact_address',
      ),
    ])
    .where('m.org_id', '=', orgId)
    .where('c.org_id', '=', orgId)
    .where('c.channel_kind', 'in', [...opts.sources])
    .where(isFeedMessage('m'));
  if (opts.roomId !== undefined) query = query.where('m.conversation_id', '=', opts.roomId);
  const rows = await query.orderBy('m.created_at', 'desc').orderBy('m.seq', 'desc').limit(opts.limit).execute();

  // staff names in one more query (author_id is text: an id that is not a uuid names no staff user)
  const staffIds = [
    ...new Set(rows.filter((r) => r.author_type === 'staff' && r.author_id && UUID.test(r.author_id)).map((r) => r.author_id!)),
  ];
  const staffNames = new Map<string, string>();
  if (staffIds.length > 0) {
    const staff = await db
      .selectFrom('staff_users')
      .select(['id', 'name'])
      .where('org_id', '=', orgId)
      .where('id', 'in', staffIds)
      .execute();
    for (const s of staff) staffNames.set(s.id, s.name);
  }

  return rows.map((r) => {
    const source = r.channel_kind as InboxSource;
    const base = {
      id: r.id,
      text: r.text,
      timestamp: r.created_at.getTime(),
      source,
      roomId: r.conversation_id,
    };
    if (r.author_type === 'customer') {
      const { name, handle } = contactDisplay(
        source,
        r.contact_name,
        source === 'email' ? (r.email_from ?? r.contact_address) : r.contact_address,
      );
      const from = name ?? handle;
      return { ...base, role: 'user', ...(from !== undefined ? { from } : {}), ...(handle !== undefined ? { fromUserName: handle } : {}) };
    }
    const from = r.author_type === 'ai' ? AI_SENDER_NAME : r.author_id ? staffNames.get(r.author_id) : undefined;
    return { ...base, role: 'assistant', ...(from !== undefined ? { from } : {}) };
  });
}

/**
 * One row per room (conversation) of the org whose kind is in `sources` and that has a feed message:
 * of the {@link MAX_INBOX_CHATS} conversations with the latest `last_activity_at`, ordered by their
 * newest feed message (newest first, then id). Title: the subject, else the contact's name (Telegram
 * handle stripped), else `"<source> chat"`.
 */
export async function listInboxChats(db: Db, orgId: string, sources: readonly InboxSource[]): Promise<InboxChat[]> {
  const rows = await db
    .with('rooms', (q) =>
      q
        .selectFrom('conversations as c')
        .select(['c.id', 'c.channel_kind', 'c.subject', 'c.contact_id'])
        .where('c.org_id', '=', orgId)
        .where('c.channel_kind', 'in', [...sources])
        .orderBy('c.last_activity_at', 'desc')
        .orderBy('c.id', 'desc')
        .limit(MAX_INBOX_CHATS),
    )
    .selectFrom('rooms as r')
    .innerJoinLateral(
      (eb) =>
        eb
          .selectFrom('messages as m')
          .select(['m.text', 'm.created_at'])
          .whereRef('m.conversation_id', '=', 'r.id')
          .where('m.org_id', '=', orgId)
          .where(isFeedMessage('m'))
          .orderBy('m.created_at', 'desc')
          .orderBy('m.seq', 'desc')
          .limit(1)
          .as('lm'),
      (join) => join.onTrue(),
    )
    .select([
      'r.id',
      'r.channel_kind',
      'r.subject',
      // a scalar lookup (primary key per room), never a join that could scan every org's contacts
      (eb) => eb.selectFrom('contacts as ct').select('ct.name').whereRef('ct.id', '=', 'r.contact_id').as('contact_name'),
      'lm.text as last_text',
      'lm.created_at as last_at',
      (eb) =>
        eb
          .selectFrom('messages as m')
          .select(sql<string>`count(*)`.as('n'))
          .whereRef('m.conversation_id', '=', 'r.id')
          .where('m.org_id', '=', orgId)
          .where(isFeedMessage('m'))
          .as('message_count'),
    ])
    .orderBy('lm.created_at', 'desc')
    .orderBy('r.id', 'desc')
    .execute();

  return rows.map((r) => {
    const source = r.channel_kind as InboxSource;
    const title = r.subject?.trim() || contactDisplay(source, r.contact_name, null).name || `${source} chat`;
    return {
      id: r.id,
      source,
      title,
      lastMessageText: truncatePreview(r.last_text),
      lastMessageAt: r.last_at.getTime(),
      messageCount: Number(r.message_count ?? 0),
    };
  });
}

/**
 * The feed sources the org has at least one feed message in, in {@link INBOX_SOURCES} order. One
 * existence probe per source (index `conversations_org_channel_activity_idx`, then the conversation's
 * messages), so it does not read every message of the org.
 */
export async function listInboxSources(db: Db, orgId: string): Promise<InboxSource[]> {
  const result = await sql<{ kind: string }>`
    select k.kind from unnest(${sql.val([...INBOX_SOURCES])}::text[]) with ordinality as k(kind, ord)
    where exists (
      select 1 from conversations c
      where c.org_id = ${orgId} and c.channel_kind = k.kind
        and exists (
          select 1 from messages m
          where m.conversation_id = c.id and m.org_id = ${orgId} and ${isFeedMessage('m')}
        )
    )
    order by k.ord`.execute(db);
  return result.rows.map((r) => r.kind).filter(isInboxSource);
}
