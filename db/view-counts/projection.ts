/**
 * The in-process projection the saved views' counts are computed from (issue 11, `db/view-counts/`):
 * one org's conversations reduced to the columns a view can filter on, stored column-wise in typed
 * arrays (one slot per conversation; the coded columns are all `Int32Array`s so the counting loops stay
 * monomorphic), and each viewer's read markers by slot. Rows are replaced whole
 * as they come from Postgres (`counter.ts` reads only the rows written since the last read, by their
 * `changed_xid`, migration 0023). About 170 bytes per conversation (typed arrays ~50 per slot of
 * capacity, which doubles as the org grows from 64; the id map and dictionary the rest) and 8 per slot
 * per viewer: see {@link OrgProjection.bytes}.
 */
import { SESSION_STATUSES, sessionStatusOf } from '../../domain/session-status';

/** Conversation statuses by code (index). */
export const STATUS_CODES = ['open', 'pending', 'snoozed', 'closed'] as const;
/** Priorities by code (index). */
export const PRIORITY_CODES = ['low', 'normal', 'high', 'urgent'] as const;
/** Session statuses by code (index; `domain/session-status.ts`). */
export const SESSION_CODES = SESSION_STATUSES;

/** Bits of {@link OrgProjection.flags}. */
export const FLAG = { overdue: 1, atRisk: 2, needsHuman: 4, archived: 8 } as const;

/**
 * One conversation as the counting statement returns it (a JSON array, in this order): id, status,
 * closed_reason, channel_kind, channel_id, assignee_id, team_id, tags, priority, overdue, sla_at_risk,
 * needs_human, unread_count > 0, has_staff_replied, archived, last_activity_at (µs since the epoch),
 * last_inbound_seq (`null` = no customer message).
 */
export type ConversationTuple = [
  id: string,
  status: (typeof STATUS_CODES)[number],
  closedReason: 'closed_by_staff' | 'session_expired' | null,
  channelKind: string,
  channelId: string,
  assigneeId: string | null,
  teamId: string | null,
  tags: string[],
  priority: (typeof PRIORITY_CODES)[number],
  overdue: boolean,
  atRisk: boolean,
  needsHuman: boolean,
  unanswered: boolean,
  hasStaffReplied: boolean,
  archived: boolean,
  lastActivityUs: number,
  lastInboundSeq: number | null,
];

/** Interns ids and kinds as small integers (`0` = `null`), so columns are `Int32Array`s. */
class Dictionary {
  private readonly codes = new Map<string, number>();
  /** The code of `value` (`0` for `null`), assigning the next one to a new value. */
  intern(value: string | null): number {
    if (value === null) return 0;
    let code = this.codes.get(value);
    if (code === undefined) {
      code = this.codes.size + 1;
      this.codes.set(value, code);
    }
    return code;
  }
  /** The code of `value`, or `-1` when no row ever had it (then nothing matches it). */
  codeOf(value: string | null): number {
    return value === null ? 0 : (this.codes.get(value) ?? -1);
  }
}

/** One viewer's read markers by slot (`0` = nothing read), and where their next read starts. */
export class ViewerReads {
  /** `last_read_seq` per slot. */
  seq: Float64Array;
  /** `pg_snapshot_xmin` of the last read (`xid8` as text); `'0'` = never read. */
  watermark = '0';
  constructor(capacity: number) {
    this.seq = new Float64Array(capacity);
  }
}

/** One org's conversations, column-wise, and its viewers' read markers. */
export class OrgProjection {
  /** Conversation id → slot. */
  readonly slots = new Map<string, number>();
  readonly dictionary = new Dictionary();
  /** Viewers' read markers (staff id → reads), most recently used last. */
  readonly viewers = new Map<string, ViewerReads>();
  /** `pg_snapshot_xmin` of the last read of conversations (`xid8` as text); `'0'` = never read. */
  watermark = '0';
  /** Count of row changes applied so far (see {@link changedSince}). */
  version = 0;
  /** The slots of the changes since version {@link changeBase}, in order (a slot may appear more than once). */
  private changes: number[] = [];
  /** Version of `changes[0]`; cached bitsets older than this are recomputed whole. */
  changeBase = 0;
  /** Bitsets of row atoms (`atoms.ts`) by key, with the version they are current to. */
  readonly rowBits = new Map<string, { bits: Uint32Array; version: number }>();
  status: Int32Array;
  priority: Int32Array;
  session: Int32Array;
  flags: Uint8Array;
  kind: Int32Array;
  channel: Int32Array;
  assignee: Int32Array;
  team: Int32Array;
  /** The tag set of each slot, as a code of {@link tagSets} (conversations share a handful of tag sets). */
  tagSet: Int32Array;
  /** Distinct tag sets by code. */
  readonly tagSets: (readonly string[])[] = [];
  private tagSetCodes = new Map<string, number>();
  /** When {@link tagSets} grows past this, unused tag sets are dropped (see {@link compactTagSets}). */
  private compactTagSetsAt = 1024;
  /** `last_activity_at` in µs since the epoch. */
  lastActivityUs: Float64Array;
  /** `last_inbound_seq` (`0` = none). */
  lastInbound: Float64Array;
  private capacity: number;

  constructor(capacity = 64) {
    this.capacity = capacity;
    this.status = new Int32Array(capacity);
    this.priority = new Int32Array(capacity);
    this.session = new Int32Array(capacity);
    this.flags = new Uint8Array(capacity);
    this.kind = new Int32Array(capacity);
    this.channel = new Int32Array(capacity);
    this.assignee = new Int32Array(capacity);
    this.team = new Int32Array(capacity);
    this.tagSet = new Int32Array(capacity);
    this.lastActivityUs = new Float64Array(capacity);
    this.lastInbound = new Float64Array(capacity);
  }

  /** Number of conversations (slots in use). */
  get size(): number {
    return this.slots.size;
  }

  /** Replaces (or adds) one conversation. */
  apply(row: ConversationTuple): void {
    const [id, status, closedReason, kind, channelId, assigneeId, teamId, tags, priority] = row;
    const [, , , , , , , , , overdue, atRisk, needsHuman, unanswered, hasStaffReplied, archived, lastActivityUs, lastInbound] = row;
    let slot = this.slots.get(id);
    if (slot === undefined) {
      slot = this.slots.size;
      if (slot === this.capacity) this.grow();
      this.slots.set(id, slot);
    }
    this.changes.push(slot);
    this.version++;
    if (this.changes.length > Math.max(4096, this.slots.size >>> 2)) {
      // past this many changes a full recount is as cheap: forget the log and the cached bitsets
      this.changes = [];
      this.changeBase = this.version;
      this.rowBits.clear();
    }
    this.status[slot] = STATUS_CODES.indexOf(status);
    this.priority[slot] = PRIORITY_CODES.indexOf(priority);
    this.session[slot] = SESSION_CODES.indexOf(
      sessionStatusOf({ status, closedReason, needsHuman, unansweredCount: unanswered ? 1 : 0, hasStaffReplied }),
    );
    this.flags[slot] =
      (overdue ? FLAG.overdue : 0) | (atRisk ? FLAG.atRisk : 0) | (needsHuman ? FLAG.needsHuman : 0) | (archived ? FLAG.archived : 0);
    this.kind[slot] = this.dictionary.intern(kind);
    this.channel[slot] = this.dictionary.intern(channelId);
    this.assignee[slot] = this.dictionary.intern(assigneeId);
    this.team[slot] = this.dictionary.intern(teamId);
    this.tagSet[slot] = this.tagSetCode(tags);
    this.lastActivityUs[slot] = lastActivityUs;
    this.lastInbound[slot] = lastInbound ?? 0;
  }

  /** The slots changed since version `version` (≥ {@link changeBase}), oldest first, possibly repeated. */
  changedSince(version: number): readonly number[] {
    return this.changes.slice(version - this.changeBase);
  }

  /** The code of the tag set `tags` (assigned on first sight; the same tags in another order get another code, which is harmless). */
  private tagSetCode(tags: readonly string[]): number {
    const key = JSON.stringify(tags);
    let code = this.tagSetCodes.get(key);
    if (code === undefined) {
      if (this.tagSets.length >= this.compactTagSetsAt) this.compactTagSets();
      code = this.tagSets.length;
      this.tagSets.push(tags);
      this.tagSetCodes.set(key, code);
    }
    return code;
  }

  /**
   * Drops the tag sets no conversation uses any more (conversations re-tagged over time leave them
   * behind) and renumbers the rest; cached bitsets are dropped (tag atoms read the codes). The next
   * compaction waits until the table doubles again, so the cost stays proportional to the changes.
   */
  private compactTagSets(): void {
    const renumbered = new Map<number, number>();
    const tagSets: (readonly string[])[] = [];
    const codes = new Map<string, number>();
    for (let i = 0; i < this.slots.size; i++) {
      const old = this.tagSet[i]!;
      let code = renumbered.get(old);
      if (code === undefined) {
        code = tagSets.length;
        tagSets.push(this.tagSets[old]!);
        codes.set(JSON.stringify(this.tagSets[old]), code);
        renumbered.set(old, code);
      }
      this.tagSet[i] = code;
    }
    this.tagSets.length = 0;
    this.tagSets.push(...tagSets);
    this.tagSetCodes = codes;
    this.compactTagSetsAt = Math.max(1024, 2 * tagSets.length);
    this.rowBits.clear();
    this.changeBase = this.version;
    this.changes = [];
  }

  /** The read markers of `staffId` (created empty, sized to the slots, when missing); marks them most recently used. */
  viewer(staffId: string): ViewerReads {
    let reads = this.viewers.get(staffId);
    if (reads) this.viewers.delete(staffId);
    else reads = new ViewerReads(this.capacity);
    this.viewers.set(staffId, reads);
    return reads;
  }

  /**
   * Bytes held, estimated: the typed arrays (~49 bytes per slot of capacity), the id map and dictionary
   * (~120 bytes per conversation) and the viewers' read markers (8 bytes per slot each).
   */
  get bytes(): number {
    return this.capacity * (49 + 8 * this.viewers.size) + this.slots.size * 120;
  }

  /** Sets `staffId`'s read marker of conversation `conversationId` (ignored for a conversation not projected). */
  applyRead(reads: ViewerReads, conversationId: string, lastReadSeq: number): void {
    const slot = this.slots.get(conversationId);
    if (slot !== undefined) reads.seq[slot] = lastReadSeq;
  }

  private grow(): void {
    const capacity = this.capacity * 2;
    const widen = <T extends Uint8Array | Int32Array | Float64Array>(old: T, make: (n: number) => T): T => {
      const next = make(capacity);
      next.set(old);
      return next;
    };
    this.status = widen(this.status, (n) => new Int32Array(n));
    this.priority = widen(this.priority, (n) => new Int32Array(n));
    this.session = widen(this.session, (n) => new Int32Array(n));
    this.flags = widen(this.flags, (n) => new Uint8Array(n));
    this.kind = widen(this.kind, (n) => new Int32Array(n));
    this.channel = widen(this.channel, (n) => new Int32Array(n));
    this.assignee = widen(this.assignee, (n) => new Int32Array(n));
    this.team = widen(this.team, (n) => new Int32Array(n));
    this.tagSet = widen(this.tagSet, (n) => new Int32Array(n));
    this.lastActivityUs = widen(this.lastActivityUs, (n) => new Float64Array(n));
    this.lastInbound = widen(this.lastInbound, (n) => new Float64Array(n));
    for (const reads of this.viewers.values()) reads.seq = widen(reads.seq, (n) => new Float64Array(n));
    this.capacity = capacity;
  }
}
