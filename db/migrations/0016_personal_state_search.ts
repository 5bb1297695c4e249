import { type Kysely, sql } from 'kysely';

/**
 * Per-person inbox state, archive and full-text search (issue 11):
 * - `conversation_reads (conversation_id, staff_id)`: how far a staff user has read a conversation
 *   (`last_read_seq`, a `messages.seq`; every inbound message with a greater `seq` is unread for them);
 * - `conversation_stars (conversation_id, staff_id)`: a staff user's stars;
 * - `conversations.archived_at`: archived for the whole org (`null` = not archived). Written by the API
 *   only (never by the workflow's state upserts, `db/mappers.ts` `conversationColumns` leaves it out)
 *   and cleared by the activity that records a new customer message;
 * - `messages.search_vector`: `to_tsvector('simple', left(text, 100000))`, a stored generated column with
 *   a GIN index (the `simple` configuration: no stemming, no stop words, any language). Stored rather than
 *   an expression index because ranking reads the vector of every matching message: parsing the text
 *   again costs several times more on a broad query (bench/conversation-search.ts). Adding it
 *   rewrites `messages` once, under an exclusive lock (inbound writes wait, their activities retry);
 * - a partial index of inbound messages by `(conversation_id, seq)` for the per-person unread counts;
 * - GIN expression indexes on `conversations.subject` and `contacts.name` (the same `simple` vectors
 *   the list's `?q=` matches).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('conversation_reads')
    .addColumn('conversation_id', 'uuid', (c) => c.notNull().references('conversations.id').onDelete('cascade'))
    .addColumn('staff_id', 'uuid', (c) => c.notNull().references('staff_users.id').onDelete('cascade'))
    .addColumn('last_read_seq', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('conversation_reads_pkey', ['conversation_id', 'staff_id'])
    .execute();
  await db.schema
    .createTable('conversation_stars')
    .addColumn('conversation_id', 'uuid', (c) => c.notNull().references('conversations.id').onDelete('cascade'))
    .addColumn('staff_id', 'uuid', (c) => c.notNull().references('staff_users.id').onDelete('cascade'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('conversation_stars_pkey', ['conversation_id', 'staff_id'])
    .execute();
  // `?starred=true` lists one user's stars: by staff first
  await sql`create index conversation_stars_staff_idx on conversation_stars (staff_id, conversation_id)`.execute(db);

  await db.schema.alterTable('conversations').addColumn('archived_at', 'timestamptz').execute();
  await sql`create index conversations_org_archived_activity_idx on conversations (org_id, last_activity_at desc, id desc) where archived_at is not null`.execute(
    db,
  );
  await sql`create index conversations_subject_search_idx on conversations using gin (to_tsvector('simple', coalesce(subject, '')))`.execute(
    db,
  );
  await sql`create index contacts_name_search_idx on contacts using gin (to_tsvector('simple', coalesce(name, '')))`.execute(db);

  await sql`alter table messages add column search_vector tsvector generated always as (to_tsvector('simple', left(text, 100000))) stored`.execute(
    db,
  );
  await sql`create index messages_search_idx on messages using gin (search_vector)`.execute(db);
  await sql`create index messages_conversation_inbound_seq_idx on messages (conversation_id, seq) where direction = 'inbound'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists messages_conversation_inbound_seq_idx`.execute(db);
  await sql`drop index if exists messages_search_idx`.execute(db);
  await sql`alter table messages drop column if exists search_vector`.execute(db);
  await sql`drop index if exists contacts_name_search_idx`.execute(db);
  await sql`drop index if exists conversations_subject_search_idx`.execute(db);
  await sql`drop index if exists conversations_org_archived_activity_idx`.execute(db);
  await db.schema.alterTable('conversations').dropColumn('archived_at').execute();
  await db.schema.dropTable('conversation_stars').execute();
  await db.schema.dropTable('conversation_reads').execute();
}
