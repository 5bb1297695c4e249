/**
 * Read queries used by the API. Every query is scoped by `org_id`: another org's rows are
 * simply not found.
 */
import { type Expression, expressionBuilder, type RawBuilder, type SelectQueryBuilder, type SqlBool, sql } from 'kysely';
import type { ChannelKind } from '../channels/kinds';
import type { Db } from './client';
import { contactAddressColumns } from './contacts';
import type { DeliveryStatus } from '../domain/delivery';
import type { Database, MessageRow } from './schema';
import { splitPage } from './keyset';
import { hasUnreadSql, myUnreadCountSql, searchHitsSql, sessionStatusSql, starredSql } from './personal-state';
import type { SessionStatus } from '../domain/session-status';

/**
 * The conversation view's select. `viewerId`: the staff user whose per-person state (unread count,
 * star) the row carries; `null` = nobody's (every customer message unread, not starred).
 */
function conversationSelect(db: Db, viewerId: string | null) {
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
      // ---- per-person state, archive, session status (issue 11, db/personal-state.ts) ----
      myUnreadCountSql(viewerId).as('my_unread_count'),
      starredSql(viewerId).as('starred'),
      'c.archived_at',
      sessionStatusSql().as('session_status'),
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
  // ---- per-person state, archive, contact, search, session status (issue 11) ----
  /** Has (true) / has no (false) customer message unread for the viewer (`listConversations`' `viewerId`, required). */
  unread?: boolean;
  /** Starred (true) / not starred (false) by the viewer (`listConversations`' `viewerId`, required). */
  starred?: boolean;
  /** Archived (true) or not (false); `undefined` = both. The API defaults to `false`. */
  archived?: boolean;
  /** Only this contact's conversations (seed 003: a contact's sessions). */
  contactId?: string;
  /**
   * Full-text search (`websearch_to_tsquery('simple', q)`) over message text, subject and contact name;
   * with it the order is rank first (see {@link listConversations}).
   */
  q?: string;
  /** Only conversations in this session status (`domain/session-status.ts`). */
  sessionStatus?: SessionStatus;
  /** Only conversations with activity (`last_activity_at`) in the last this many days (the Recents view). */
  activeWithinDays?: number;
}

/** The tables a conversation filter refers to: the conversation as `c` (and subqueries of its own). */
type FilterScope = Database & { c: Database['conversations'] };

/** How {@link conversationFilterSql} reads the viewer's per-person state (defaults: the correlated subqueries). */
export interface PerPersonSql {
  /** Whether `c` has a customer message the viewer has not read (default {@link hasUnreadSql}). */
  hasUnread?: RawBuilder<boolean>;
  /** Whether the viewer starred `c` (default {@link starredSql}). */
  starred?: RawBuilder<boolean>;
}

/**
 * The WHERE condition of `filters` over the conversation `c` (AND of every given filter; `true` when none):
 * THE filter builder, shared by the list ({@link listConversations}) and the saved views' counts
 * (`db/saved-views.ts`), so a view counts exactly what the list returns for it. It does not scope by org
 * (callers add `c.org_id = orgId`); `orgId` scopes the subqueries (delivery status, search). `filters.q`
 * becomes `c.id in (the search hits)` (the list ranks the hits itself and passes `q: undefined`).
 * `perPerson` lets a caller that already computed the viewer's unread / star state per row reuse it.
 * @throws Error for the `unread` / `starred` filters without a `viewerId` (a programming error)
 */
export function conversationFilterSql(
  orgId: string,
  filters: ConversationFilters,
  viewerId: string | null,
  perPerson: PerPersonSql = {},
): Expression<SqlBool> {
  const eb = expressionBuilder<FilterScope, 'c'>();
  const and: Expression<SqlBool>[] = [];
  if (filters.status === 'active') and.push(eb('c.status', 'in', ['open', 'pending']));
  else if (filters.status) and.push(eb('c.status', '=', filters.status));
  if (filters.channel) and.push(eb('c.channel_kind', '=', filters.channel));
  if (filters.inboxId) and.push(eb('c.channel_id', '=', filters.inboxId));
  if (filters.assigneeId === null) and.push(eb('c.assignee_id', 'is', null));
  else if (filters.assigneeId !== undefined) and.push(eb('c.assignee_id', '=', filters.assigneeId));
  if (filters.mineOfStaffId !== undefined) and.push(eb('c.assignee_id', '=', filters.mineOfStaffId));
  if (filters.teamId !== undefined) and.push(eb('c.team_id', '=', filters.teamId));
  if (filters.teamOfStaffId !== undefined) {
    const staffId = filters.teamOfStaffId;
    // `= any(array(…))`: the staff user's teams are read once per statement (an init plan), not probed per row
    and.push(sql<boolean>`c.team_id = any(array(select tm.team_id from team_members tm where tm.staff_id = ${staffId}))`);
  }
  if (filters.tag) and.push(sql<boolean>`c.tags @> array[${filters.tag.trim().toLowerCase()}]::text[]`);
  if (filters.priority) and.push(eb('c.priority', '=', filters.priority));
  if (filters.overdue !== undefined) and.push(eb('c.overdue', '=', filters.overdue));
  if (filters.atRisk !== undefined) and.push(eb('c.sla_at_risk', '=', filters.atRisk));
  if (filters.needsHuman !== undefined) and.push(eb('c.needs_human', '=', filters.needsHuman));
  if (filters.deliveryStatus) {
    const status = filters.deliveryStatus;
    and.push(
      eb.exists(
        eb
          .selectFrom('messages as dm')
          .select('dm.id')
          .whereRef('dm.conversation_id', '=', 'c.id')
          .where('dm.org_id', '=', orgId)
          .where('dm.delivery_status', '=', status),
      ),
    );
  }
  // ---- per-person state, archive, contact, search, session status (issue 11) ----
  if (filters.unread !== undefined) {
    if (viewerId === null) throw new Error('the unread filter needs a viewer');
    const hasUnread = perPerson.hasUnread ?? hasUnreadSql(viewerId);
    and.push(filters.unread ? hasUnread : sql<boolean>`not ${hasUnread}`);
  }
  if (filters.starred !== undefined) {
    if (viewerId === null) throw new Error('the starred filter needs a viewer');
    const starred = perPerson.starred ?? starredSql(viewerId);
    and.push(filters.starred ? starred : sql<boolean>`not ${starred}`);
  }
  if (filters.archived !== undefined) and.push(eb('c.archived_at', filters.archived ? 'is not' : 'is', null));
  if (filters.contactId !== undefined) and.push(eb('c.contact_id', '=', filters.contactId));
  if (filters.sessionStatus !== undefined) and.push(sql<boolean>`${sessionStatusSql()} = ${filters.sessionStatus}`);
  if (filters.activeWithinDays !== undefined) {
    and.push(sql<boolean>`c.last_activity_at > now() - make_interval(days => ${filters.activeWithinDays})`);
  }
  if (filters.q !== undefined) {
    and.push(sql<boolean>`c.id in (select hits.conversation_id from ${searchHitsSql(orgId, filters.q)} hits)`);
  }
  return and.length === 0 ? sql<boolean>`true` : eb.and(and);
}

/** Keyset position in the newest-activity-first order (with `q`: rank first). */
export interface ConversationCursor {
  /** `last_activity_at` of the last row seen, ISO-8601 UTC. */
  lastActivityAt: string;
  /** Conversation id (UUID) of the last row seen: the tie-breaker. */
  id: string;
  /** With `q` only: the search rank (`real`) of the last row seen. */
  rank?: number;
}

/**
 * One page of an org's conversations, newest activity first, keyset-paginated on
 * `(last_activity_at, id)` so pages stay stable when new conversations arrive. With `filters.q`: best
 * search rank first, then newest activity, keyset-paginated on `(rank, last_activity_at, id)`.
 * `viewerId`: whose unread count, star and `unread` / `starred` filters apply (the caller).
 * @returns up to `limit` rows and the cursor of the last row when more may follow
 * @throws Error for the `unread` / `starred` filters without a `viewerId` (a programming error)
 */
export async function listConversations(
  db: Db,
  orgId: string,
  filters: ConversationFilters,
  page: { limit: number; cursor?: ConversationCursor },
  viewerId: string | null = null,
): Promise<{ rows: ConversationListRow[]; next: ConversationCursor | null }> {
  let q = conversationSelect(db, viewerId)
    .where('c.org_id', '=', orgId)
    .where(conversationFilterSql(orgId, { ...filters, q: undefined }, viewerId));
  if (filters.q !== undefined) {
    // Rank order needs every match sorted: first the page's ids alone (the view's per-row subqueries
    // would otherwise run for every match before the sort), then the view of just those rows.
    let ranked = q
      .innerJoin(searchHitsSql(orgId, filters.q).as('hits'), 'hits.conversation_id', 'c.id')
      .clearSelect()
      .select(['c.id', 'c.last_activity_at', 'hits.rank as search_rank']);
    if (page.cursor) {
      const cursor = page.cursor;
      ranked = ranked.where(
        sql<boolean>`(hits.rank, c.last_activity_at, c.id) < (${cursor.rank ?? 0}::real, ${cursor.lastActivityAt}::timestamptz, ${cursor.id}::uuid)`,
      );
    }
    const hits = await ranked
      .orderBy('hits.rank', 'desc')
      .orderBy('c.last_activity_at', 'desc')
      .orderBy('c.id', 'desc')
      .limit(page.limit + 1)
      .execute();
    const { page: pageHits, last } = splitPage(hits, page.limit);
    const views =
      pageHits.length === 0
        ? []
        : await conversationSelect(db, viewerId)
            .where('c.org_id', '=', orgId)
            .where(
              'c.id',
              'in',
              pageHits.map((hit) => hit.id),
            )
            .execute();
    const byId = new Map(views.map((row) => [row.id, row]));
    return {
      rows: pageHits.flatMap((hit) => byId.get(hit.id) ?? []),
      next: last ? { rank: last.search_rank, lastActivityAt: last.last_activity_at.toISOString(), id: last.id } : null,
    };
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

/**
 * One conversation of the org, or `undefined` (also for another org's id: callers answer 404).
 * `viewerId`: whose unread count and star the row carries (`null` = nobody's).
 */
export async function getConversation(
  db: Db,
  orgId: string,
  id: string,
  viewerId: string | null = null,
): Promise<ConversationListRow | undefined> {
  return conversationSelect(db, viewerId).where('c.org_id', '=', orgId).where('c.id', '=', id).executeTakeFirst();
}

/** Whether conversation `id` belongs to `orgId` (a primary-key probe: callers answer 404 when not). */
export async function conversationExists(db: Db, orgId: string, id: string): Promise<boolean> {
  const row = await db.selectFrom('conversations').select('id').where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  return row !== undefined;
}

/**
 * The conversations "between" contact `contactId` and staff user `staffId`: the contact's conversations
 * the staff user is assigned to or wrote a reply or note in, most recently active first, at most
 * `limit`, in one query, each as `viewerId` sees it.
 */
export async function listConversationsBetween(
  db: Db,
  orgId: string,
  contactId: string,
  staffId: string,
  viewerId: string,
  limit: number,
): Promise<ConversationListRow[]> {
  return conversationSelect(db, viewerId)
    .where('c.org_id', '=', orgId)
    .where('c.contact_id', '=', contactId)
    .where((eb) =>
      eb.or([
        eb('c.assignee_id', '=', staffId),
        eb.exists(
          eb
            .selectFrom('messages as m')
            .select(sql`1`.as('one'))
            .whereRef('m.conversation_id', '=', 'c.id')
            .where('m.author_type', '=', 'staff')
            .where('m.author_id', '=', staffId),
        ),
      ]),
    )
    .orderBy('c.last_activity_at', 'desc')
    .orderBy('c.id', 'desc')
    .limit(limit)
    .execute();
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
