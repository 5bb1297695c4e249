/**
 * Per-person inbox state (read markers, stars), the org's archive flag, full-text search and the
 * session status in SQL (issue 11). The SQL fragments here are used by `db/queries.ts`
 * (`conversationSelect`, `listConversations`); they refer to the conversation as `c` and its contact
 * as `ct`. Every write is scoped by org: callers load the conversation of the caller's org first
 * (404 otherwise), and these functions check the org again in their statements.
 */
import { type RawBuilder, sql } from 'kysely';
import type { Db } from './client';
import type { SessionStatus } from '../domain/session-status';

/**
 * The text-search configuration of every vector and query: `simple` (lower-cased words, no stemming,
 * no stop words). Customers write in any language; `english` would stem and drop words of other
 * languages wrongly. The price: no stemming (`shipped` does not find `shipping`).
 */
export const SEARCH_CONFIG = 'simple';

/** The vector of a message's text: the stored column `messages.search_vector` (GIN `messages_search_idx`, migration 0016). */
const messageVector = (alias: string): RawBuilder<unknown> => sql`${sql.ref(`${alias}.search_vector`)}`;
/** The vector of a conversation's subject, as indexed by `conversations_subject_search_idx`. */
const subjectVector = (alias: string): RawBuilder<unknown> => sql`to_tsvector('simple', coalesce(${sql.ref(`${alias}.subject`)}, ''))`;
/** The vector of a contact's name, as indexed by `contacts_name_search_idx`. */
const nameVector = (alias: string): RawBuilder<unknown> => sql`to_tsvector('simple', coalesce(${sql.ref(`${alias}.name`)}, ''))`;

/**
 * The query of `?q=`: `websearch_to_tsquery('simple', q)`, which never fails on user input (words are
 * ANDed; `"quoted phrase"`; `or`; `-word` excludes). Input with no word at all (`!!!`) is an empty query
 * that matches nothing.
 */
const tsQuery = (q: string): RawBuilder<unknown> => sql`websearch_to_tsquery('simple', ${q})`;

/** A row of {@link searchHitsSql}: a matching conversation and its rank. */
export interface SearchHit {
  conversation_id: string;
  /** `real`: the best `ts_rank` among the conversation's matching documents. */
  rank: number;
}

/**
 * The org's conversations whose message text, subject or contact name matches `q`, each with its rank
 * (join it as `hits` on `hits.conversation_id = c.id`). Each message, the subject and the contact name
 * is one document, found through its GIN index; a conversation's rank is the best `ts_rank` of its
 * matching documents, the subject and contact name weighted A (a hit there counts 10× a message hit,
 * default weight D). One pass: each matching document is ranked once, no per-conversation subquery.
 * Stable for unchanged rows, so the rank can be part of a keyset cursor.
 */
export function searchHitsSql(orgId: string, q: string): RawBuilder<SearchHit> {
  const query = tsQuery(q);
  return sql<SearchHit>`(
    select d.conversation_id, max(d.rank)::real as rank from (
      select sm.conversation_id, ts_rank(${messageVector('sm')}, ${query}) as rank
        from messages sm where sm.org_id = ${orgId} and ${messageVector('sm')} @@ ${query}
      union all
      select sc.id, ts_rank(setweight(${subjectVector('sc')}, 'A'), ${query})
        from conversations sc where sc.org_id = ${orgId} and ${subjectVector('sc')} @@ ${query}
      union all
      select sc2.id, ts_rank(setweight(${nameVector('sct')}, 'A'), ${query})
        from contacts sct join conversations sc2 on sc2.contact_id = sct.id
       where sct.org_id = ${orgId} and sc2.org_id = ${orgId} and ${nameVector('sct')} @@ ${query}
    ) d group by d.conversation_id
  )`;
}

/** The viewer's read marker of conversation `c` (`0` = nothing read). */
const lastReadSeq = (viewerId: string): RawBuilder<string> =>
  sql<string>`coalesce((select r.last_read_seq from conversation_reads r where r.conversation_id = c.id and r.staff_id = ${viewerId}), 0)`;

/**
 * How many customer (inbound) messages of conversation `c` the viewer has not read: those after their
 * read marker (`conversation_reads.last_read_seq`). Counted on the partial index
 * `messages_conversation_inbound_seq_idx`. Without a viewer (`null`): every inbound message.
 */
export function myUnreadCountSql(viewerId: string | null): RawBuilder<number> {
  const after = viewerId === null ? sql`0` : lastReadSeq(viewerId);
  return sql<number>`(select count(*)::int from messages um where um.conversation_id = c.id and um.direction = 'inbound' and um.seq > ${after})`;
}

/**
 * Whether conversation `c` has a customer message the viewer has not read: its newest customer message
 * (`c.last_inbound_seq`, kept by a trigger, migration 0021) is after the viewer's read marker. The same
 * rule as the saved views' counts (`db/saved-views.ts`, `db/view-counts/`); one primary-key probe into
 * `conversation_reads`, none into `messages`.
 */
export function hasUnreadSql(viewerId: string): RawBuilder<boolean> {
  return sql<boolean>`(coalesce(c.last_inbound_seq, 0) > ${lastReadSeq(viewerId)})`;
}

/** Whether the viewer starred conversation `c` (`false` without a viewer). */
export function starredSql(viewerId: string | null): RawBuilder<boolean> {
  if (viewerId === null) return sql<boolean>`false`;
  return sql<boolean>`exists (select 1 from conversation_stars s where s.conversation_id = c.id and s.staff_id = ${viewerId})`;
}

/**
 * `domain/session-status.ts` `sessionStatusOf` in SQL over the columns of `c` (`status`, `closed_reason`,
 * `needs_human`, `unread_count`, `has_staff_replied`), rule for rule and in the same order. Keep the two
 * in sync: `test/api/personal-state.test.ts` evaluates both over every combination.
 */
export function sessionStatusSql(): RawBuilder<SessionStatus> {
  return sql<SessionStatus>`(case
    when c.status = 'closed' and c.closed_reason = 'session_expired' then 'expired'
    when c.status = 'closed' then 'completed'
    when c.needs_human then 'needs_human'
    when c.status = 'pending' then 'waiting_reply'
    when c.unread_count > 0 then 'active'
    when c.has_staff_replied then 'waiting_reply'
    else 'active'
  end)`;
}

/**
 * Marks everything in the conversation read for `staffId`: the marker moves to its newest message
 * (`0` when it has none). Replaces the marker (also backwards after a mark-unread).
 */
export async function markRead(db: Db, orgId: string, conversationId: string, staffId: string): Promise<void> {
  await setMarker(
    db,
    orgId,
    conversationId,
    staffId,
    sql`coalesce((select max(seq) from messages where conversation_id = ${conversationId} and org_id = ${orgId}), 0)`,
    'replace',
  );
}

/**
 * Marks the conversation unread for `staffId`: the marker moves to just before its newest customer
 * message (that one and any later are unread). A conversation without customer messages has nothing
 * to be unread (the marker moves to `0`, and the count stays 0).
 */
export async function markUnread(db: Db, orgId: string, conversationId: string, staffId: string): Promise<void> {
  await setMarker(
    db,
    orgId,
    conversationId,
    staffId,
    sql`coalesce((select max(seq) from messages where conversation_id = ${conversationId} and org_id = ${orgId} and direction = 'inbound'), 1) - 1`,
    'replace',
  );
}

/**
 * After `staffId` replied or closed: everything up to the message `throughMessageId` (their reply), or
 * up to the newest message when `null`, is read for them. Never moves the marker backwards.
 */
export async function markReadThrough(
  db: Db,
  orgId: string,
  conversationId: string,
  staffId: string,
  throughMessageId: string | null,
): Promise<void> {
  const seq =
    throughMessageId === null
      ? sql`coalesce((select max(seq) from messages where conversation_id = ${conversationId} and org_id = ${orgId}), 0)`
      : sql`coalesce((select seq from messages where id = ${throughMessageId} and conversation_id = ${conversationId} and org_id = ${orgId}), 0)`;
  await setMarker(db, orgId, conversationId, staffId, seq, 'forward');
}

/** Upserts the read marker; `forward` keeps the greater of the old and new marker. */
async function setMarker(
  db: Db,
  orgId: string,
  conversationId: string,
  staffId: string,
  seq: RawBuilder<unknown>,
  mode: 'replace' | 'forward',
): Promise<void> {
  const onConflict =
    mode === 'replace'
      ? sql`last_read_seq = excluded.last_read_seq`
      : sql`last_read_seq = greatest(conversation_reads.last_read_seq, excluded.last_read_seq)`;
  // the select yields no row for another org's conversation or staff user: nothing is written
  await sql`
    insert into conversation_reads (conversation_id, staff_id, last_read_seq, updated_at)
    select c.id, s.id, ${seq}, now() from conversations c, staff_users s
     where c.id = ${conversationId} and c.org_id = ${orgId} and s.id = ${staffId} and s.org_id = ${orgId}
    on conflict (conversation_id, staff_id) do update set ${onConflict}, updated_at = now()`.execute(db);
}

/** Stars (`true`) or unstars the conversation for `staffId` (idempotent either way). */
export async function setStarred(db: Db, orgId: string, conversationId: string, staffId: string, starred: boolean): Promise<void> {
  if (!starred) {
    await db.deleteFrom('conversation_stars').where('conversation_id', '=', conversationId).where('staff_id', '=', staffId).execute();
    return;
  }
  await sql`
    insert into conversation_stars (conversation_id, staff_id)
    select c.id, s.id from conversations c, staff_users s
     where c.id = ${conversationId} and c.org_id = ${orgId} and s.id = ${staffId} and s.org_id = ${orgId}
    on conflict do nothing`.execute(db);
}

/**
 * Archives (`true`: `archived_at` set, kept when already archived) or unarchives (`null`) the org's
 * conversation. Only this column: the workflow's state is untouched, and its saves never write it.
 */
export async function setArchived(db: Db, orgId: string, conversationId: string, archived: boolean): Promise<void> {
  await db
    .updateTable('conversations')
    .set({ archived_at: archived ? sql<Date>`coalesce(archived_at, now())` : null })
    .where('id', '=', conversationId)
    .where('org_id', '=', orgId)
    .execute();
}
