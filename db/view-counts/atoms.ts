/**
 * A saved view's filters over the projection (`projection.ts`): each filter becomes an atom, a bitset of
 * the slots it matches, and a view is the AND of its atoms. This is `db/queries.ts`
 * `conversationFilterSql` rule for rule over the projected columns; `test/api/view-counts.test.ts`
 * checks both give the same counts over random conversations and every filter. Filters the projection
 * does not hold (`deliveryStatus`, `contactId`, `q`, and `scope=team` of someone other than the viewer)
 * make a view unprojectable: the counter counts it in SQL.
 */
import type { ConversationFilters } from '../queries';
import { FLAG, type OrgProjection, PRIORITY_CODES, SESSION_CODES, STATUS_CODES, type ViewerReads } from './projection';

/** One bit per slot (bit `i % 32` of word `i >> 5`). */
export type Bitset = Uint32Array;

/** What an atom reads besides the projection: the viewer, their reads, stars and teams, and the window starts. */
export interface AtomContext {
  projection: OrgProjection;
  viewerId: string;
  reads: ViewerReads;
  /** Slots the viewer starred. */
  starred: ReadonlySet<number>;
  /** Ids of the viewer's teams. */
  teamIds: readonly string[];
  /** `now() - make_interval(days => d)` in µs since the epoch, by `d` (from the counting statement). */
  windowStartUs: ReadonlyMap<number, number>;
}

/**
 * A filter over the projection; `key` names it (equal keys = equal bitsets).
 * - A row atom depends only on each conversation's own columns: its bitset is cached in the projection and
 *   brought up to date by `test` on the slots changed since (`counter.ts`); `fill` computes it whole.
 * - A request atom depends on the viewer or the time (unread, starred, my teams, an activity window):
 *   computed for each count.
 */
export type Atom =
  | { scope: 'row'; key: string; test(p: OrgProjection, i: number): boolean; fill(bits: Bitset, p: OrgProjection): void }
  | { scope: 'request'; key: string; fill(bits: Bitset, ctx: AtomContext): void };

/** An empty bitset for `slots` slots. */
export function newBitset(slots: number): Bitset {
  return new Uint32Array((slots + 31) >>> 5);
}

/**
 * The loops below are written out per kind of atom (no per-slot callback): one tight loop over a typed
 * array each, which V8 keeps monomorphic (a callback per slot measured ~6x slower, bench/views-counts.ts).
 */

/** Sets the bit of every slot `i < size` whose `column[i]` is `wanted`. */
function fillEqual(bits: Bitset, column: Int32Array, size: number, wanted: number): void {
  for (let i = 0; i < size; i++) if (column[i] === wanted) bits[i >>> 5]! |= 1 << (i & 31);
}

/** Slots whose `column` (chosen from the projection) holds the code of `value` (`code`). */
function columnIs(
  name: 'status' | 'priority' | 'session' | 'kind' | 'channel' | 'assignee' | 'team',
  value: string | null,
  code: (p: OrgProjection) => number,
): Atom {
  return {
    scope: 'row',
    key: `${name}=${value ?? 'null'}`,
    test: (p, i) => p[name][i] === code(p),
    fill: (bits, p) => fillEqual(bits, p[name], p.size, code(p)),
  };
}

/** Slots whose flag `flag` is `value`. */
function flagIs(flag: number, value: boolean): Atom {
  const want = value ? flag : 0;
  return {
    scope: 'row',
    key: `flag${flag}=${value}`,
    test: (p, i) => (p.flags[i]! & flag) === want,
    fill(bits, p) {
      const flags = p.flags;
      for (let i = 0; i < p.size; i++) if ((flags[i]! & flag) === want) bits[i >>> 5]! |= 1 << (i & 31);
    },
  };
}

/** Sets the bit of every slot with a customer message the viewer has not read (`last_inbound_seq > last_read_seq`). */
export function fillUnread(bits: Bitset, ctx: AtomContext): void {
  const inbound = ctx.projection.lastInbound;
  const read = ctx.reads.seq;
  for (let i = 0; i < ctx.projection.size; i++) if (inbound[i]! > read[i]!) bits[i >>> 5]! |= 1 << (i & 31);
}

/** Flips every bit of slots `0 … size - 1` (the bits past `size` stay clear). */
function invert(bits: Bitset, size: number): void {
  for (let w = 0; w < bits.length; w++) bits[w] = ~bits[w]!;
  if (size % 32 !== 0) bits[bits.length - 1]! &= (1 << (size % 32)) - 1;
}

/** Sets the bits of every slot `0 … size - 1` of `bits` (a bitset of exactly that size). */
export function setAllSlots(bits: Bitset, size: number): void {
  bits.fill(0);
  invert(bits, size);
}

/**
 * The atoms of `filters` as the viewer `viewerId` sees them, or `null` when one filter is not projected
 * (the view is counted in SQL).
 */
export function atomsOf(filters: ConversationFilters, viewerId: string): Atom[] | null {
  if (filters.deliveryStatus !== undefined || filters.contactId !== undefined || filters.q !== undefined) return null;
  if (filters.teamOfStaffId !== undefined && filters.teamOfStaffId.toLowerCase() !== viewerId.toLowerCase()) return null;
  const atoms: Atom[] = [];
  // ids compare as uuids in SQL (any case); the projection holds them as Postgres prints them (lower case)
  const dict = (name: 'kind' | 'channel' | 'assignee' | 'team', value: string | null) => {
    const lower = value === null ? null : value.toLowerCase();
    return columnIs(name, lower, (p) => p.dictionary.codeOf(lower));
  };
  if (filters.status === 'active') {
    const open = STATUS_CODES.indexOf('open');
    const pending = STATUS_CODES.indexOf('pending');
    atoms.push({
      scope: 'row',
      key: 'status=active',
      test: (p, i) => p.status[i] === open || p.status[i] === pending,
      fill(bits, p) {
        fillEqual(bits, p.status, p.size, open);
        fillEqual(bits, p.status, p.size, pending);
      },
    });
  } else if (filters.status) {
    const code = STATUS_CODES.indexOf(filters.status);
    atoms.push(columnIs('status', filters.status, () => code));
  }
  if (filters.channel) atoms.push(dict('kind', filters.channel));
  if (filters.inboxId) atoms.push(dict('channel', filters.inboxId));
  // `assignee_id = x` never matches a null assignee; `is null` only matches one (code 0)
  if (filters.assigneeId !== undefined) atoms.push(dict('assignee', filters.assigneeId));
  if (filters.mineOfStaffId !== undefined) atoms.push(dict('assignee', filters.mineOfStaffId));
  if (filters.teamId !== undefined) atoms.push(dict('team', filters.teamId));
  if (filters.teamOfStaffId !== undefined) {
    atoms.push({
      scope: 'request',
      key: 'team=mine',
      fill(bits, { projection: p, teamIds }) {
        for (const id of new Set(teamIds)) {
          const code = p.dictionary.codeOf(id);
          if (code > 0) fillEqual(bits, p.team, p.size, code);
        }
      },
    });
  }
  if (filters.tag) {
    const tag = filters.tag.trim().toLowerCase();
    atoms.push({
      scope: 'row',
      key: `tag=${tag}`,
      test: (p, i) => p.tagSets[p.tagSet[i]!]!.includes(tag),
      fill(bits, p) {
        // which tag sets hold the tag (a few), then one pass over the slots' tag-set codes
        const holds = new Uint8Array(p.tagSets.length);
        p.tagSets.forEach((tags, code) => (holds[code] = tags.includes(tag) ? 1 : 0));
        const tagSet = p.tagSet;
        for (let i = 0; i < p.size; i++) if (holds[tagSet[i]!] === 1) bits[i >>> 5]! |= 1 << (i & 31);
      },
    });
  }
  if (filters.priority) {
    const code = PRIORITY_CODES.indexOf(filters.priority);
    atoms.push(columnIs('priority', filters.priority, () => code));
  }
  if (filters.overdue !== undefined) atoms.push(flagIs(FLAG.overdue, filters.overdue));
  if (filters.atRisk !== undefined) atoms.push(flagIs(FLAG.atRisk, filters.atRisk));
  if (filters.needsHuman !== undefined) atoms.push(flagIs(FLAG.needsHuman, filters.needsHuman));
  if (filters.unread !== undefined) {
    const unread = filters.unread;
    atoms.push({
      scope: 'request',
      key: `unread=${unread}`,
      fill(bits, ctx) {
        fillUnread(bits, ctx);
        if (!unread) invert(bits, ctx.projection.size);
      },
    });
  }
  if (filters.starred !== undefined) {
    const starred = filters.starred;
    atoms.push({
      scope: 'request',
      key: `starred=${starred}`,
      fill(bits, ctx) {
        for (const i of ctx.starred) bits[i >>> 5]! |= 1 << (i & 31);
        if (!starred) invert(bits, ctx.projection.size);
      },
    });
  }
  if (filters.archived !== undefined) atoms.push(flagIs(FLAG.archived, filters.archived));
  if (filters.sessionStatus !== undefined) {
    const code = SESSION_CODES.indexOf(filters.sessionStatus);
    atoms.push(columnIs('session', filters.sessionStatus, () => code));
  }
  if (filters.activeWithinDays !== undefined) {
    const days = filters.activeWithinDays;
    atoms.push({
      scope: 'request',
      key: `activeWithinDays=${days}`,
      fill(bits, { projection: p, windowStartUs }) {
        const since = windowStartUs.get(days);
        if (since === undefined) throw new Error(`no window start for ${days} days`);
        const at = p.lastActivityUs;
        for (let i = 0; i < p.size; i++) if (at[i]! > since) bits[i >>> 5]! |= 1 << (i & 31);
      },
    });
  }
  return atoms;
}

/** Number of set bits. */
export function popcount(bits: Bitset): number {
  let n = 0;
  for (let w = 0; w < bits.length; w++) {
    let v = bits[w]!;
    v -= (v >>> 1) & 0x55555555;
    v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
    n += (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
  }
  return n;
}
