import { type Kysely, sql } from 'kysely';

/**
 * Replies (issue 11): send later, and edits of staff's own notes / scheduled messages.
 * - `messages.send_at` (timestamptz, null): when a `scheduled` reply goes out (delivery statuses
 *   `scheduled` and `canceled` are new values of the free-text `delivery_status` column; there is no
 *   check constraint on it);
 * - `messages.cancel_if_customer_replies` (boolean, default false): a customer message arriving
 *   before `send_at` cancels the scheduled reply;
 * - a partial index over the scheduled rows (a run reloading its state finds them without a scan);
 * - `message_edits`: the audit of staff edits and note deletions (the text before each, who and when,
 *   `action` `edit` | `delete`). No foreign key to `messages`: the rows of a deleted note stay (they
 *   are its audit); `org_id` / `conversation_id` scope them (cascading with the conversation).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('messages').addColumn('send_at', 'timestamptz').execute();
  await db.schema
    .alterTable('messages')
    .addColumn('cancel_if_customer_replies', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
  await sql`create index messages_scheduled_idx on messages (conversation_id, send_at) where delivery_status = 'scheduled'`.execute(db);
  await db.schema
    .createTable('message_edits')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('conversation_id', 'uuid', (c) => c.notNull().references('conversations.id').onDelete('cascade'))
    .addColumn('message_id', 'uuid', (c) => c.notNull())
    .addColumn('action', 'text', (c) =>
      c
        .notNull()
        .defaultTo('edit')
        .check(sql`action in ('edit', 'delete')`),
    )
    .addColumn('previous_text', 'text', (c) => c.notNull())
    .addColumn('edited_by', 'text', (c) => c.notNull())
    .addColumn('edited_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await sql`create index message_edits_message_idx on message_edits (message_id, edited_at)`.execute(db);
}

/** Reverts {@link up}: drops the audit table, the index and both columns. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('message_edits').ifExists().execute();
  await sql`drop index if exists messages_scheduled_idx`.execute(db);
  await db.schema.alterTable('messages').dropColumn('cancel_if_customer_replies').execute();
  await db.schema.alterTable('messages').dropColumn('send_at').execute();
}
