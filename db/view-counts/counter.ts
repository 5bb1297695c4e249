/**
 * `ViewCounter`: the saved views' counts (`GET /v1/conversations/views/counts`, issue 11) from a
 * per-process projection of the org's conversations (`projection.ts`), kept current by ONE statement
 * per request that brings what changed since the last one:
 * - the org's conversations written since the last read (`changed_xid >= watermark`, migration 0023;
 *   everything the first time), and the viewer's read markers likewise;
 * - the viewer's stars and teams (read whole: a viewer has few);
 * - `now() - make_interval(days => d)` for the views' activity windows, so windows agree with SQL;
 * - the counts of the views the projection cannot answer (`q`, `deliveryStatus`, `contactId`), from the
 *   SQL counting statement (`countSavedViewsSql`), as a subquery of the same statement.
 * Then each projectable view is the AND of its atoms' bitsets (`atoms.ts`), counted in memory.
 *
 * Why: counting 20 views by scanning 100,000 conversations in Postgres took ~125 ms (bench/views-counts.ts);
 * the statement here reads only the changed rows. Consistency: the counts are those of the statement's
 * snapshot, as with the scan (refreshes of one org run one at a time, in order, so an older snapshot
 * never overwrites a newer one).
 * Loading: an org's first count, and a refresh that finds more changed rows than one chunk, read the
 * changed rows in chunks of `loadChunkRows` (by id, each a statement of its own; the watermark is the
 * first chunk's snapshot xmin, so whatever changed during the load comes again), then count as usual:
 * no single value ever holds a whole large org.
 * Memory: each API process keeps its own projections within `maxBytes` (estimated, `OrgProjection.bytes`):
 * an org's least recently counted viewers are dropped first, then the least recently counted orgs; an
 * org that does not fit alone (found while loading it, chunk by chunk) is counted in SQL from then on.
 */
import { sql } from 'kysely';
import type { Db } from '../client';
import type { ConversationFilters } from '../queries';
import { countSavedViewsSql, type ViewCounts, type ViewToCount } from '../saved-views';
import { type Atom, type AtomContext, type Bitset, atomsOf, fillUnread, newBitset, popcount, setAllSlots } from './atoms';
import { type ConversationTuple, OrgProjection } from './projection';

/** Options of {@link ViewCounter}. */
export interface ViewCounterOptions {
  /**
   * Most bytes (estimated) of projections kept over all orgs (default 256 MiB; `0` = always count in
   * SQL). 100,000 conversations take ~17 MB, plus ~1 MB per viewer.
   */
  maxBytes?: number;
  /** Most viewers whose read markers are kept per org (default 200; least recently counted dropped first). */
  maxViewersPerOrg?: number;
  /** Conversations read per statement while loading (default 50,000, ~12 MB of JSON). */
  loadChunkRows?: number;
}

/** The low 32 bits of a packed count (see `countSavedViewsSql`). */
const LOW_32_BITS = 0xffffffffn;

/** What the refreshing statement returns (one row). */
interface RefreshRow {
  xmin: string;
  conversations: ConversationTuple[];
  reads: [conversationId: string, lastReadSeq: number][];
  stars: string[];
  teams: string[];
  windows: number[] | null;
  sql_counts: Record<string, string | null> | null;
}

/** Saved views' counts from per-process projections (see the module doc). One per API process (per app). */
export class ViewCounter {
  private readonly orgs = new Map<string, OrgProjection>();
  /** Orgs whose projection does not fit `maxBytes` on its own: counted in SQL. */
  private readonly tooLarge = new Set<string>();
  /** The refresh chain of each org (refreshes of one org run one at a time). */
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly maxBytes: number;
  private readonly maxViewersPerOrg: number;
  private readonly loadChunkRows: number;

  constructor(
    private readonly db: Db,
    options: ViewCounterOptions = {},
  ) {
    this.maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
    this.maxViewersPerOrg = options.maxViewersPerOrg ?? 200;
    this.loadChunkRows = options.loadChunkRows ?? 50_000;
  }

  /**
   * `{ viewId, total, unread }` of each view in `views` (in that order) for `viewerId` of `orgId`: what
   * `GET /v1/conversations?<the view's filters>` lists, and how many of those have a customer message the
   * viewer has not read. One statement (one round trip to Postgres).
   */
  async count(orgId: string, viewerId: string, views: readonly ViewToCount[]): Promise<ViewCounts[]> {
    if (views.length === 0) return [];
    if (this.maxBytes === 0 || this.tooLarge.has(orgId)) return countInSql(this.db, orgId, viewerId, views);
    const previous = this.queues.get(orgId) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => this.refreshAndCount(orgId, viewerId, views));
    this.queues.set(orgId, run);
    try {
      return await run;
    } finally {
      if (this.queues.get(orgId) === run) this.queues.delete(orgId);
    }
  }

  /** Conversations held over all orgs (for tests and the bench). */
  get rowsHeld(): number {
    let n = 0;
    for (const p of this.orgs.values()) n += p.size;
    return n;
  }

  /** Bytes held over all orgs, estimated (`OrgProjection.bytes`). */
  get bytesHeld(): number {
    let n = 0;
    for (const p of this.orgs.values()) n += p.bytes;
    return n;
  }

  private async refreshAndCount(orgId: string, viewerId: string, views: readonly ViewToCount[]): Promise<ViewCounts[]> {
    const projection = this.touch(orgId);
    if (projection.watermark === '0' && !(await this.load(orgId, projection))) return countInSql(this.db, orgId, viewerId, views);
    const reads = projection.viewer(viewerId);
    const compiled = views.map((v) => ({ view: v, atoms: atomsOf(v.filters, viewerId) }));
    const inSql = compiled.filter((c) => c.atoms === null).map((c) => c.view);
    const days = [...new Set(compiled.flatMap((c) => (c.atoms === null ? [] : windowDaysOf(c.view.filters))))];
    const refresh = async () =>
      (await refreshStatement(orgId, viewerId, projection.watermark, reads.watermark, days, inSql, this.loadChunkRows).execute(this.db))
        .rows[0]!;
    let result = await refresh();
    if (result.conversations.length > this.loadChunkRows) {
      // more changed than one statement should carry (a bulk change): catch up in chunks, then again
      if (!(await this.load(orgId, projection))) return countInSql(this.db, orgId, viewerId, views);
      result = await refresh();
    }
    for (const tuple of result.conversations) projection.apply(tuple);
    projection.watermark = result.xmin;
    for (const [conversationId, seq] of result.reads) projection.applyRead(reads, conversationId, Number(seq));
    reads.watermark = result.xmin;
    if (!this.evict(orgId, projection)) return countInSql(this.db, orgId, viewerId, views);

    const starred = new Set<number>();
    for (const id of result.stars) {
      const slot = projection.slots.get(id);
      if (slot !== undefined) starred.add(slot);
    }
    const ctx: AtomContext = {
      projection,
      viewerId,
      reads,
      starred,
      teamIds: result.teams,
      windowStartUs: new Map(days.map((d, i) => [d, result.windows![i]!])),
    };
    const fromSql = unpack(inSql, result.sql_counts);
    const memo = new Map<string, Bitset>();
    const unread = unreadBits(ctx);
    const scratch = newBitset(projection.size);
    return compiled.map(({ view, atoms }) => {
      if (atoms === null) return fromSql.get(view.id)!;
      return { viewId: view.id, ...countOf(atoms, ctx, memo, unread, scratch) };
    });
  }

  /** The org's projection (created empty when missing), marked most recently used. */
  private touch(orgId: string): OrgProjection {
    let projection = this.orgs.get(orgId);
    if (projection) this.orgs.delete(orgId);
    else projection = new OrgProjection();
    this.orgs.set(orgId, projection);
    return projection;
  }

  /**
   * Reads the org's conversations changed since its watermark (all of them the first time) in chunks of
   * `loadChunkRows` (by id), then sets the watermark to the first chunk's snapshot xmin (rows changed
   * during the load come again with the next refresh). Stops as soon as the projection does not fit
   * `maxBytes` on its own: the org is counted in SQL from then on.
   * @returns `false` when the org does not fit (its projection is dropped)
   */
  private async load(orgId: string, projection: OrgProjection): Promise<boolean> {
    let after = '00000000-0000-0000-0000-000000000000';
    let first: string | undefined;
    for (;;) {
      const chunk = (await loadStatement(orgId, projection.watermark, after, this.loadChunkRows).execute(this.db)).rows[0]!;
      first ??= chunk.xmin;
      for (const tuple of chunk.conversations) projection.apply(tuple);
      if (projection.bytes > this.maxBytes) {
        this.orgs.delete(orgId);
        this.tooLarge.add(orgId);
        return false;
      }
      if (chunk.conversations.length < this.loadChunkRows) break;
      after = chunk.conversations.at(-1)![0];
    }
    projection.watermark = first;
    return true;
  }

  /**
   * Keeps the budgets: at most `maxViewersPerOrg` viewers per org, then within `maxBytes` the least
   * recently counted viewers of this org (never the current one) and the least recently counted other
   * orgs are dropped.
   * @returns `false` when this org does not fit alone (it is dropped and counted in SQL from then on)
   */
  private evict(orgId: string, projection: OrgProjection): boolean {
    const dropOldestViewer = () => projection.viewers.delete(projection.viewers.keys().next().value!);
    while (projection.viewers.size > this.maxViewersPerOrg) dropOldestViewer();
    while (projection.bytes > this.maxBytes && projection.viewers.size > 1) dropOldestViewer();
    if (projection.bytes > this.maxBytes) {
      this.orgs.delete(orgId);
      this.tooLarge.add(orgId);
      return false;
    }
    let held = this.bytesHeld;
    for (const [id, p] of this.orgs) {
      if (held <= this.maxBytes) break;
      if (id === orgId) continue;
      this.orgs.delete(id);
      held -= p.bytes;
    }
    return true;
  }
}

/** The `activeWithinDays` of a view's filters (at most one). */
function windowDaysOf(filters: ConversationFilters): number[] {
  return filters.activeWithinDays === undefined ? [] : [filters.activeWithinDays];
}

/** Slots with a customer message the viewer has not read. */
function unreadBits(ctx: AtomContext): Bitset {
  const bits = newBitset(ctx.projection.size);
  fillUnread(bits, ctx);
  return bits;
}

/**
 * The bitset of `atom`: a row atom's from the projection's cache, brought up to date with the slots
 * changed since it was computed (whole when it is missing or older than the change log); a request
 * atom's computed once per count (`memo`).
 */
function atomBits(atom: Atom, ctx: AtomContext, memo: Map<string, Bitset>): Bitset {
  const p = ctx.projection;
  if (atom.scope === 'request') {
    let bits = memo.get(atom.key);
    if (!bits) {
      bits = newBitset(p.size);
      atom.fill(bits, ctx);
      memo.set(atom.key, bits);
    }
    return bits;
  }
  const cached = p.rowBits.get(atom.key);
  if (!cached || cached.version < p.changeBase) {
    const bits = newBitset(p.size);
    atom.fill(bits, p);
    p.rowBits.set(atom.key, { bits, version: p.version });
    return bits;
  }
  if (cached.version < p.version) {
    if (cached.bits.length < (p.size + 31) >>> 5) {
      const wider = newBitset(p.size * 2);
      wider.set(cached.bits);
      cached.bits = wider;
    }
    const bits = cached.bits;
    for (const i of p.changedSince(cached.version)) {
      if (atom.test(p, i)) bits[i >>> 5]! |= 1 << (i & 31);
      else bits[i >>> 5]! &= ~(1 << (i & 31));
    }
    cached.version = p.version;
  }
  return cached.bits;
}

/** `total` and `unread` of the view that is the AND of `atoms` (`view`: a scratch bitset of the projection's size). */
function countOf(
  atoms: readonly Atom[],
  ctx: AtomContext,
  memo: Map<string, Bitset>,
  unread: Bitset,
  view: Bitset,
): { total: number; unread: number } {
  // every slot in use, then AND each atom (no atom = every conversation)
  setAllSlots(view, ctx.projection.size);
  for (const atom of atoms) {
    const bits = atomBits(atom, ctx, memo);
    for (let w = 0; w < view.length; w++) view[w]! &= bits[w]!;
  }
  const total = popcount(view);
  for (let w = 0; w < view.length; w++) view[w]! &= unread[w]!;
  return { total, unread: popcount(view) };
}

/** The counts of the SQL-counted views by id, unpacked from the counting statement's row. */
function unpack(views: readonly ViewToCount[], row: Record<string, string | null> | null): Map<string, ViewCounts> {
  return new Map(
    views.map((v, i) => {
      const packed = BigInt(row?.[`v${i}`] ?? 0);
      return [v.id, { viewId: v.id, total: Number(packed & LOW_32_BITS), unread: Number(packed >> 32n) }];
    }),
  );
}

/** Every view counted by the SQL scan (`countSavedViewsSql`): orgs too large to project. */
async function countInSql(db: Db, orgId: string, viewerId: string, views: readonly ViewToCount[]): Promise<ViewCounts[]> {
  const result = await countSavedViewsSql(orgId, viewerId, views).execute(db);
  const counts = unpack(views, result.rows[0] ?? null);
  return views.map((v) => counts.get(v.id)!);
}

/** The columns of a {@link ConversationTuple}, as a JSON array of `c`. */
const TUPLE = sql`json_build_array(
  c.id, c.status, c.closed_reason, c.channel_kind, c.channel_id, c.assignee_id, c.team_id, c.tags, c.priority,
  c.overdue, c.sla_at_risk, c.needs_human, c.unread_count > 0, c.has_staff_replied, c.archived_at is not null,
  (extract(epoch from c.last_activity_at) * 1000000)::float8, c.last_inbound_seq)`;

/** One chunk of a load (see `ViewCounter.load`): up to `limit` conversations changed since `watermark` with an id above `after`, by id. */
function loadStatement(orgId: string, watermark: string, after: string, limit: number) {
  return sql<{ xmin: string; conversations: ConversationTuple[] }>`
    select
      pg_snapshot_xmin(pg_current_snapshot())::text as xmin,
      (select coalesce(json_agg(${TUPLE} order by c.id), '[]'::json) from (
         select * from conversations c where c.org_id = ${orgId} and c.changed_xid >= ${watermark}::xid8 and c.id > ${after}::uuid
         order by c.id limit ${limit}) c) as conversations`;
}

/**
 * The refreshing statement (see the module doc); `inSql` views are counted by `countSavedViewsSql` in
 * it. It brings at most `limit + 1` changed conversations: more means "load in chunks first".
 */
function refreshStatement(
  orgId: string,
  viewerId: string,
  orgWatermark: string,
  viewerWatermark: string,
  days: readonly number[],
  inSql: readonly ViewToCount[],
  limit: number,
) {
  const windows =
    days.length === 0
      ? sql`null::float8[]`
      : sql`array[${sql.join(days.map((d) => sql`(extract(epoch from now() - make_interval(days => ${d})) * 1000000)::float8`))}]`;
  const sqlCounts =
    inSql.length === 0
      ? sql`null::json`
      : sql`(select row_to_json(counted) from (${countSavedViewsSql(orgId, viewerId, inSql, true)}) counted)`;
  return sql<RefreshRow>`
    select
      pg_snapshot_xmin(pg_current_snapshot())::text as xmin,
      (select coalesce(json_agg(${TUPLE}), '[]'::json) from (
         select * from conversations c where c.org_id = ${orgId} and c.changed_xid >= ${orgWatermark}::xid8 limit ${limit + 1}) c) as conversations,
      (select coalesce(json_agg(json_build_array(r.conversation_id, r.last_read_seq)), '[]'::json)
        from conversation_reads r where r.staff_id = ${viewerId} and r.changed_xid >= ${viewerWatermark}::xid8) as reads,
      (select coalesce(json_agg(s.conversation_id), '[]'::json) from conversation_stars s where s.staff_id = ${viewerId}) as stars,
      (select coalesce(json_agg(tm.team_id), '[]'::json) from team_members tm where tm.staff_id = ${viewerId}) as teams,
      ${windows} as windows,
      ${sqlCounts} as sql_counts`;
}
