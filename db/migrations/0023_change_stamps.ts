import { type Kysely, sql } from 'kysely';

/**
 * Change stamps for the saved views' counts (issue 11, `db/view-counts/`): the API keeps a per-process
 * projection of each org's conversations and each viewer's read markers and refreshes it with only the
 * rows written since its last read.
 * - `conversations.changed_xid`, `conversation_reads.changed_xid` (`xid8`): the id of the transaction that
 *   last wrote the row, stamped by the triggers `conversations_stamp_changed_xid` /
 *   `conversation_reads_stamp_changed_xid` (before insert or update, every writer included: the
 *   workflows' saves, the API, the `messages_track_last_inbound` trigger).
 * - A reader that saw snapshot S (`pg_snapshot_xmin(pg_current_snapshot())` = the oldest transaction
 *   still running then) asks next for `changed_xid >= xmin(S)`: every row written by a transaction S did
 *   not see has an id at or above that (rows S did see may come again, which is harmless: a row is
 *   replaced whole). Indexes `(org_id, changed_xid)` and `(staff_id, changed_xid)` serve those reads.
 * - Rows written before this migration carry `'1'` (they come with a reader's first, full read).
 * Conversations are never deleted by the application (an org's deletion removes its projection's
 * source altogether); stars are read whole each time (a viewer has few), so neither needs tombstones.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const table of ['conversations', 'conversation_reads']) {
    await sql`alter table ${sql.table(table)} add column changed_xid xid8 not null default '1'::xid8`.execute(db);
    await sql`alter table ${sql.table(table)} alter column changed_xid set default pg_current_xact_id()`.execute(db);
  }
  await sql`create function stamp_changed_xid() returns trigger language plpgsql as $$
    begin
      new.changed_xid := pg_current_xact_id();
      return new;
    end
  $$`.execute(db);
  await sql`create trigger conversations_stamp_changed_xid before insert or update on conversations
    for each row execute function stamp_changed_xid()`.execute(db);
  await sql`create trigger conversation_reads_stamp_changed_xid before insert or update on conversation_reads
    for each row execute function stamp_changed_xid()`.execute(db);
  await sql`create index conversations_org_changed_xid_idx on conversations (org_id, changed_xid)`.execute(db);
  await sql`create index conversation_reads_staff_changed_xid_idx on conversation_reads (staff_id, changed_xid)`.execute(db);
}

/** Drops the triggers, the function, the indexes and the columns. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger if exists conversations_stamp_changed_xid on conversations`.execute(db);
  await sql`drop trigger if exists conversation_reads_stamp_changed_xid on conversation_reads`.execute(db);
  await sql`drop function if exists stamp_changed_xid()`.execute(db);
  await sql`alter table conversations drop column if exists changed_xid`.execute(db);
  await sql`alter table conversation_reads drop column if exists changed_xid`.execute(db);
}
