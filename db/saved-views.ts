/**
 * Saved inbox views (`saved_views`, migration 0021; issue 11): a staff user's ordered personal list
 * (with the four built-ins, created on first use) and the views shared with their teams, and the
 * per-view counts in one SQL statement. Every query is scoped by `org_id`: another org's views are
 * never read or written.
 */
import { type RawBuilder, sql } from 'kysely';
import type { Db } from './client';
import { type ConversationFilters, conversationFilterSql } from './queries';
import type { BuiltinViewKey } from './schema';

/** A `saved_views` row (`team_name` set for a shared view). */
export interface SavedViewRow {
  id: string;
  org_id: string;
  owner_staff_id: string | null;
  team_id: string | null;
  team_name: string | null;
  name: string;
  filters: Record<string, string>;
  position: number;
  builtin_key: BuiltinViewKey | null;
  created_at: Date;
  updated_at: Date;
}

/** A built-in view to create: key, name, filters (query form), position. */
export interface BuiltinSeed {
  key: BuiltinViewKey;
  name: string;
  filters: Record<string, string>;
}

/**
 * Every view `staffId` sees, in one statement: personal ones first (by position), then those shared with
 * the teams they are a member of (by team name, team id, then position).
 */
async function visibleViews(db: Db, orgId: string, staffId: string): Promise<SavedViewRow[]> {
  return db
    .selectFrom('saved_views as v')
    .leftJoin('teams as t', 't.id', 'v.team_id')
    .selectAll('v')
    .select('t.name as team_name')
    .where('v.org_id', '=', orgId)
    .where((eb) =>
      eb.or([
        eb('v.owner_staff_id', '=', staffId),
        eb('v.team_id', 'in', eb.selectFrom('team_members as m').select('m.team_id').where('m.staff_id', '=', staffId)),
      ]),
    )
    .orderBy(sql`v.team_id is not null`)
    .orderBy(sql`lower(t.name)`)
    .orderBy('t.id')
    .orderBy('v.position')
    .orderBy('v.created_at')
    .execute();
}

/**
 * Every view `staffId` sees, in order: their personal views (their order; the built-ins are created at
 * the end of the list the first time, in `builtins` order, when missing), then the views shared with
 * the teams they are a member of (by team name, team id, then the team's order). One statement once
 * the built-ins exist.
 */
export async function listSavedViews(db: Db, orgId: string, staffId: string, builtins: readonly BuiltinSeed[]): Promise<SavedViewRow[]> {
  const views = await visibleViews(db, orgId, staffId);
  const mine = views.filter((v) => v.owner_staff_id === staffId);
  const missing = builtins.filter((b) => !mine.some((v) => v.builtin_key === b.key));
  if (missing.length === 0) return views;
  const next = mine.reduce((max, v) => Math.max(max, v.position + 1), 0);
  await db
    .insertInto('saved_views')
    .values(
      missing.map((b, i) => ({
        org_id: orgId,
        owner_staff_id: staffId,
        name: b.name,
        filters: JSON.stringify(b.filters),
        position: next + i,
        builtin_key: b.key,
      })),
    )
    .onConflict((oc) => oc.columns(['owner_staff_id', 'builtin_key']).where('builtin_key', 'is not', null).doNothing())
    .execute();
  return visibleViews(db, orgId, staffId);
}

/** The views shared with team `teamId` of the org, in order. */
export async function teamViews(db: Db, orgId: string, teamId: string): Promise<SavedViewRow[]> {
  return db
    .selectFrom('saved_views as v')
    .innerJoin('teams as t', 't.id', 'v.team_id')
    .selectAll('v')
    .select('t.name as team_name')
    .where('v.org_id', '=', orgId)
    .where('v.team_id', '=', teamId)
    .orderBy('v.position')
    .orderBy('v.created_at')
    .execute();
}

/** One view of a replacement list: an existing `id` to keep (updated in place) or none (created). */
export interface ViewWrite {
  id?: string;
  name: string;
  filters: Record<string, string>;
  builtinKey: BuiltinViewKey | null;
}

/** Whose list a replacement is: a staff user's personal one or a team's shared one. */
export type ViewListOwner = { staffId: string } | { teamId: string };

/**
 * Replaces lists of views in one transaction: for each owner, views of that list not in `views` are
 * deleted, the others updated (name, filters, position = index) or created. Callers have checked that
 * every `id` belongs to that list.
 */
export async function replaceViewLists(db: Db, orgId: string, lists: { owner: ViewListOwner; views: ViewWrite[] }[]): Promise<void> {
  await db.transaction().execute(async (tx) => {
    for (const { owner, views } of lists) {
      const kept = views.flatMap((v) => (v.id ? [v.id] : []));
      let del = tx.deleteFrom('saved_views').where('org_id', '=', orgId);
      del = 'staffId' in owner ? del.where('owner_staff_id', '=', owner.staffId) : del.where('team_id', '=', owner.teamId);
      if (kept.length > 0) del = del.where('id', 'not in', kept);
      await del.execute();
      for (const [position, v] of views.entries()) {
        const columns = { name: v.name, filters: JSON.stringify(v.filters), position };
        if (v.id) {
          await tx
            .updateTable('saved_views')
            .set({ ...columns, updated_at: sql`now()` })
            .where('id', '=', v.id)
            .where('org_id', '=', orgId)
            .execute();
        } else {
          await tx
            .insertInto('saved_views')
            .values({
              ...columns,
              org_id: orgId,
              owner_staff_id: 'staffId' in owner ? owner.staffId : null,
              team_id: 'teamId' in owner ? owner.teamId : null,
              builtin_key: v.builtinKey,
            })
            .execute();
        }
      }
    }
  });
}

/** One view to count: its id and its list filters (as the viewer sees them). */
export interface ViewToCount {
  id: string;
  filters: ConversationFilters;
}

/** The counts of one view: conversations in it (`total`) and those with a customer message the viewer has not read (`unread`). */
export interface ViewCounts {
  viewId: string;
  unread: number;
  total: number;
}

/** The low 32 bits of a packed count (the total; the bits above count the unread ones). */
const LOW_32_BITS = 0xffffffffn;

/**
 * Counts every view in ONE statement (one round trip): one scan of the org's conversations joined with
 * the viewer's read markers and stars (hash joins), and one aggregate per view (see
 * {@link countSavedViewsSql}) whose conditions come from the list's own filter builder (`conversationFilterSql`), so a view's `total` is
 * what `GET /v1/conversations?<its filters>` pages through and `unread` what it returns with
 * `unread=true` added. "Unread for me" is `conversations.last_inbound_seq > my read marker` (migration
 * 0021), the same set as the list's `hasUnreadSql` (an inbound message after my marker). A `q` view adds
 * its search (a hashed subplan over the search hits, run once per statement: as costly as the list's
 * search for that `q`).
 */
export async function countSavedViews(db: Db, orgId: string, viewerId: string, views: readonly ViewToCount[]): Promise<ViewCounts[]> {
  if (views.length === 0) return [];
  const result = await countSavedViewsSql(orgId, viewerId, views).execute(db);
  const row = result.rows[0] ?? {};
  return views.map((v, i) => {
    const packed = BigInt(row[`v${i}`] ?? 0);
    return { viewId: v.id, total: Number(packed & LOW_32_BITS), unread: Number(packed >> 32n) };
  });
}

/**
 * The statement of {@link countSavedViews}: one row, `v<i>` = the packed counts of `views[i]` (numeric
 * as a string; `null` = none). Each view is ONE aggregate, `sum(case when <its filter> then 1 + 2^32 ×
 * unread end)`: the filter is evaluated once per row, not twice (`count(*) filter (where …)` for the
 * total and again for the unread count measured ~25 % slower, bench/views-counts.ts); `sum(bigint)`
 * accumulates exactly (128-bit), the low 32 bits are the total and the high ones the unread count.
 * Exported for `bench/views-counts.ts` (`EXPLAIN`) and `db/view-counts/counter.ts` (the views its
 * projection cannot count). `narrow`: also keep only rows some view matches (`and (<view 1> or …)`),
 * which lets a few selective views (a search) start from their matches instead of every conversation;
 * the counts are the same. `views` must not be empty.
 */
export function countSavedViewsSql(
  orgId: string,
  viewerId: string,
  views: readonly ViewToCount[],
  narrow = false,
): RawBuilder<Record<string, string | null>> {
  const unread = sql<boolean>`(coalesce(c.last_inbound_seq, 0) > coalesce(r.last_read_seq, 0))`;
  const perPerson = { hasUnread: unread, starred: sql<boolean>`(s.conversation_id is not null)` };
  const conditions = views.map((v) => conversationFilterSql(orgId, v.filters, viewerId, perPerson));
  const columns = conditions.map(
    (where, i) =>
      sql`sum(case when ${where} then case when ${unread} then 4294967297::bigint else 1::bigint end end)::text as ${sql.ref(`v${i}`)}`,
  );
  const any = narrow ? sql`and (${sql.join(conditions, sql` or `)})` : sql``;
  return sql<Record<string, string | null>>`
    select ${sql.join(columns, sql`, `)}
    from conversations c
    left join conversation_reads r on r.conversation_id = c.id and r.staff_id = ${viewerId}
    left join conversation_stars s on s.conversation_id = c.id and s.staff_id = ${viewerId}
    where c.org_id = ${orgId} ${any}`;
}
