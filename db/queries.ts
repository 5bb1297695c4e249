/**
 * Read queries used by the API. Every query is scoped by `org_id`: another org's rows are
 * simply not found.
 */
import { type SelectQueryBuilder, sql } from 'kysely';
import type { ChannelKind } from '../channels/kinds';
import type { Db } from './client';
import { contactAddressColumns } from './contacts';
import type { DeliveryStatus } from '../domain/delivery';
import type { Database, MessageRow } from './schema';
import { splitPage } from './keyset';

function conversationSelect(db: Db) {
  return db
    .selectFrom('conversations as c')
    .innerJoin('channels as ch', 'ch.id', 'c.channel_id')
    .innerJoin('contacts as ct', 'ct.id', 'c.contact_id')
    .leftJoin('staff_users as asg', 'asg.id', 'c.assignee_id')
    .select([
      'c.id',
      'c.org_id',
      'c.subject',
      'c.status',
      'c.snoozed_until',
      'c.priority',
      'c.assignee_id',
      // the assignee's row comes with the same statement (a left join, no lookup per row)
      sql<boolean>`coalesce(asg.deactivated_at is not null, false)`.as('assignee_inactive'),
      'c.team_id',
      'c.tags',
      'c.unread_count',
      'c.last_message_preview',
      'c.last_activity_at',
      'c.last_customer_message_at',
      'c.session_expires_at',
      'c.session_expired',
      'c.sla_due_at',
      'c.overdue',
      // ---- SLA (migration 0017) ----
      'c.sla_first_response_due_at',
      'c.sla_next_response_due_at',
      'c.sla_resolution_due_at',
      'c.sla_at_risk',
      'c.has_staff_replied',
      sql<boolean>`c.sla_clocks is not null`.as('sla_has_clocks'),
      // ---- end SLA ----
      'c.closed_reason',
      'c.created_at',
      'c.updated_at',
      'ch.id as channel_id',
      'ch.kind as channel_kind',
      'ch.address as channel_address',
      'ch.name as channel_name',
      'ct.id as contact_id',
      'ct.name as contact_name',
      ...contactAddressColumns('ct.id', 'contact_'),
      'ct.vip as contact_vip',
      'ct.email_bounced_at as contact_email_bounced_at',
      'ct.email_bounce_reason as contact_email_bounce_reason',
      'c.ai_assist',
      'c.needs_human',
      // the org's AI settings (for the effective aiAssist) and the pending suggestion, if any
      sql<Record<string, unknown> | null>`(select s.config from ai_assistant_settings s where s.org_id = c.org_id)`.as('ai_config'),
      sql<unknown>`(select to_jsonb(s) from ai_suggestions s where s.conversation_id = c.id and s.status in ('pending', 'scheduled') order by s.created_at desc limit 1)`.as(
        'pending_suggestion',
      ),
    ]);
}

/** A conversation joined with its channel and contact (what the API renders). */
export type ConversationListRow = Awaited<ReturnType<ReturnType<typeof conversationSelect>['executeTakeFirstOrThrow']>>;

/** Filters of the conversation list (all optional, combined with AND). */
export interface ConversationFilters {
  /** A status, or `active` = open or pending. */
  status?: 'open' | 'pending' | 'snoozed' | 'closed' | 'active';
  /** The channel kind (`sms`, `telegram`, …). */
  channel?: ChannelKind;
  /** One inbox: the channel (instance) id. */
  inboxId?: string;
  /** A staff user id, or `null` for unassigned. */
  assigneeId?: string | null;
  /** Only conversations assigned to this team. */
  teamId?: string;
  /** Only conversations assigned to this staff user (`?scope=mine`; combined with `assigneeId` by AND). */
  mineOfStaffId?: string;
  /** Only conversations whose team is one of this staff user's teams (`?scope=team`). */
  teamOfStaffId?: string;
  /** Matched case-insensitively (tags are stored lower-cased). */
  tag?: string;
  priority?: 'low' | 'normal' | 'high' | 'urgent';
  overdue?: boolean;
  /** SLA: a clock passed its warning instant and is not breached yet (`sla_at_risk`). */
  atRisk?: boolean;
  /** Handed off by the AI assistant and not yet taken by a human. */
  needsHuman?: boolean;
  /** Has at least one message in this delivery status (e.g. `unknown`: a send to check). */
  deliveryStatus?: DeliveryStatus;
}

/** Keyset position in the newest-activity-first order. */
export interface ConversationCursor {
  /** `last_activity_at` of the last row seen, ISO-8601 UTC. */
  lastActivityAt: string;
  /** Conversation id (UUID) of the last row seen: the tie-breaker. */
  id: string;
}

/**
 * One page of an org's conversations, newest activity first, keyset-paginated on
 * `(last_activity_at, id)` so pages stay stable when new conversations arrive.
 * @returns up to `limit` rows and the cursor of the last row when more may follow
 */
export async function listConversations(
  db: Db,
  orgId: string,
  filters: ConversationFilters,
  page: { limit: number; cursor?: ConversationCursor },
): Promise<{ rows: ConversationListRow[]; next: ConversationCursor | null }> {
  let q = conversationSelect(db).where('c.org_id', '=', orgId);
  if (filters.status === 'active') q = q.where('c.status', 'in', ['open', 'pending']);
  else if (filters.status) q = q.where('c.status', '=', filters.status);
  if (filters.channel) q = q.where('c.channel_kind', '=', filters.channel);
  if (filters.inboxId) q = q.where('c.channel_id', '=', filters.inboxId);
  if (filters.assigneeId === null) q = q.where('c.assignee_id', 'is', null);
  else if (filters.assigneeId !== undefined) q = q.where('c.assignee_id', '=', filters.assigneeId);
  if (filters.mineOfStaffId !== undefined) q = q.where('c.assignee_id', '=', filters.mineOfStaffId);
  if (filters.teamId !== undefined) q = q.where('c.team_id', '=', filters.teamId);
  if (filters.teamOfStaffId !== undefined) {
    const staffId = filters.teamOfStaffId;
    q = q.where('c.team_id', 'in', (eb) => eb.selectFrom('team_members as tm').select('tm.team_id').where('tm.staff_id', '=', staffId));
  }
  if (filters.tag) q = q.where(sql<boolean>`c.tags @> array[${filters.tag.trim().toLowerCase()}]::text[]`);
  if (filters.priority) q = q.where('c.priority', '=', filters.priority);
  if (filters.overdue !== undefined) q = q.where('c.overdue', '=', filters.overdue);
  if (filters.atRisk !== undefined) q = q.where('c.sla_at_risk', '=', filters.atRisk);
  if (filters.needsHuman !== undefined) q = q.where('c.needs_human', '=', filters.needsHuman);
  if (filters.deliveryStatus) {
    const status = filters.deliveryStatus;
    q = q.where(({ exists, selectFrom }) =>
      exists(
        selectFrom('messages as dm')
          .select('dm.id')
          .whereRef('dm.conversation_id', '=', 'c.id')
          .where('dm.org_id', '=', orgId)
          .where('dm.delivery_status', '=', status),
      ),
    );
  }
  if (page.cursor) {
    q = q.where(sql<boolean>`(c.last_activity_at, c.id) < (${page.cursor.lastActivityAt}::timestamptz, ${page.cursor.id}::uuid)`);
  }
  const rows = await q
    .orderBy('c.last_activity_at', 'desc')
    .orderBy('c.id', 'desc')
    .limit(page.limit + 1)
    .execute();
  const { page: pageRows, last } = splitPage(rows, page.limit);
  return {
    rows: pageRows,
    next: last ? { lastActivityAt: last.last_activity_at.toISOString(), id: last.id } : null,
  };
}

/** One conversation of the org, or `undefined` (also for another org's id: callers answer 404). */
export async function getConversation(db: Db, orgId: string, id: string): Promise<ConversationListRow | undefined> {
  return conversationSelect(db).where('c.org_id', '=', orgId).where('c.id', '=', id).executeTakeFirst();
}

/**
 * A page of a conversation's messages in chronological order. Without a cursor: the newest
 * `limit` messages; `before`: the `limit` messages just older than that message; `after`: the
 * `limit` messages just newer. `next` is the message id to continue with (same direction).
 * `deliveryStatus` keeps only messages in that status.
 * @returns `undefined` when the cursor message is not in this conversation
 */
export async function listMessages(
  db: Db,
  orgId: string,
  conversationId: string,
  page: { limit: number; before?: string; after?: string; deliveryStatus?: DeliveryStatus },
): Promise<{ rows: MessageRow[]; next: string | null } | undefined> {
  const cursorId = page.before ?? page.after;
  let cursorSeq: string | undefined;
  if (cursorId) {
    const cursor = await db
      .selectFrom('messages')
      .select('seq')
      .where('id', '=', cursorId)
      .where('conversation_id', '=', conversationId)
      .where('org_id', '=', orgId)
      .executeTakeFirst();
    if (!cursor) return undefined;
    cursorSeq = cursor.seq;
  }
  let q: SelectQueryBuilder<Database, 'messages', MessageRow> = db
    .selectFrom('messages')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('conversation_id', '=', conversationId);
  const forward = page.after !== undefined;
  if (cursorSeq !== undefined) q = q.where('seq', forward ? '>' : '<', cursorSeq);
  if (page.deliveryStatus) q = q.where('delivery_status', '=', page.deliveryStatus);
  const rows = await q
    .orderBy('seq', forward ? 'asc' : 'desc')
    .limit(page.limit + 1)
    .execute();
  const more = rows.length > page.limit;
  const pageRows = more ? rows.slice(0, page.limit) : rows;
  const chronological = forward ? pageRows : [...pageRows].reverse();
  const edge = forward ? chronological.at(-1) : chronological[0];
  return { rows: chronological, next: more && edge ? edge.id : null };
}

/** Whether the org's conversation `conversationId` has a message with id `messageId`. */
export async function messageExists(db: Db, orgId: string, conversationId: string, messageId: string): Promise<boolean> {
  const row = await db
    .selectFrom('messages')
    .select('id')
    .where('id', '=', messageId)
    .where('conversation_id', '=', conversationId)
    .where('org_id', '=', orgId)
    .executeTakeFirst();
  return row !== undefined;
}

/** The id of the contact's most recently active conversation (`last_activity_at`) on the org's channel, or `undefined`. */
export async function latestContactConversationId(
  db: Db,
  orgId: string,
  channelId: string,
  contactId: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom('conversations')
    .select('id')
    .where('org_id', '=', orgId)
    .where('channel_id', '=', channelId)
    .where('contact_id', '=', contactId)
    .orderBy('last_activity_at', 'desc')
    .executeTakeFirst();
  return row?.id;
}
