import { type Kysely, sql } from 'kysely';

/**
 * Saved inbox views (issue 11, `GET|PUT /v1/conversations/views`, `GET …/views/counts`):
 * `saved_views (id, org_id, owner_staff_id, team_id, name, filters, position, builtin_key, …)`.
 * - A personal view has `owner_staff_id` (its staff user) and no `team_id`; a team-shared view has
 *   `team_id` and no owner (exactly one of the two, `saved_views_owner_check`).
 * - `builtin_key` (`unread`, `recents`, `starred`, `all`) marks a user's four built-in views (personal
 *   only; at most one of each per user, `saved_views_owner_builtin_key`); their filters are fixed in code
 *   (`api/conversation-view-schemas.ts`), the stored `filters` is informational.
 * - `filters`: the list's query parameters as strings (`{ "status": "open", "unread": "true" }`).
 * - `position`: the order within the owner's (or the team's) list, 0-based.
 * Rows go with their org, owner or team (`on delete cascade`).
 *
 * And for the views' counts (one scan of the org's conversations with the viewer's read markers):
 * `conversations.last_inbound_seq`, the `seq` of the conversation's newest customer (inbound) message
 * (`null`: none), so "unread for me" is `last_inbound_seq > my last_read_seq`, a comparison per row instead
 * of an index probe into `messages` per row (bench/views-counts.ts: 100,000 probes were ~2/3 of the
 * statement). Kept by the trigger `messages_track_last_inbound` (after insert of an inbound message; a
 * message's conversation and direction never change, messages are never deleted one by one), backfilled here.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('saved_views')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('owner_staff_id', 'uuid', (c) => c.references('staff_users.id').onDelete('cascade'))
    .addColumn('team_id', 'uuid', (c) => c.references('teams.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('filters', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('builtin_key', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('saved_views_owner_check', sql`(owner_staff_id is null) <> (team_id is null)`)
    .addCheckConstraint(
      'saved_views_builtin_check',
      sql`builtin_key is null or (builtin_key in ('unread', 'recents', 'starred', 'all') and owner_staff_id is not null)`,
    )
    .execute();
  await sql`create unique index saved_views_owner_builtin_key on saved_views (owner_staff_id, builtin_key) where builtin_key is not null`.execute(
    db,
  );
  await sql`create index saved_views_owner_idx on saved_views (owner_staff_id, position) where owner_staff_id is not null`.execute(db);
  await sql`create index saved_views_team_idx on saved_views (team_id, position) where team_id is not null`.execute(db);

  await sql`alter table conversations add column last_inbound_seq bigint`.execute(db);
  await sql`update conversations c set last_inbound_seq = m.seq
    from (select conversation_id, max(seq) as seq from messages where direction = 'inbound' group by conversation_id) m
    where m.conversation_id = c.id`.execute(db);
  await sql`create function conversations_track_last_inbound() returns trigger language plpgsql as $$
    begin
      update conversations set last_inbound_seq = new.seq
       where id = new.conversation_id and (last_inbound_seq is null or last_inbound_seq < new.seq);
      return null;
    end
  $$`.execute(db);
  await sql`create trigger messages_track_last_inbound after insert on messages
    for each row when (new.direction = 'inbound') execute function conversations_track_last_inbound()`.execute(db);
}

/** Drops `saved_views`, the trigger and `conversations.last_inbound_seq`. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger if exists messages_track_last_inbound on messages`.execute(db);
  await sql`drop function if exists conversations_track_last_inbound()`.execute(db);
  await sql`alter table conversations drop column if exists last_inbound_seq`.execute(db);
  await db.schema.dropTable('saved_views').ifExists().execute();
}
