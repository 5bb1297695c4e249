import { type Kysely, sql } from 'kysely';

/**
 * Sends: exactly once, or flagged.
 * - `messages.send_started_at`: when the current send attempt began (set as the row turns `sending`);
 *   a retried send reconciles with the carrier's message list from that instant on.
 * - a partial index for the `unknown` delivery status (`send_unconfirmed`: the send could not be
 *   confirmed with the carrier), which the API filters on.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('messages').addColumn('send_started_at', 'timestamptz').execute();
  await sql`create index messages_unknown_delivery_idx on messages (org_id, conversation_id) where delivery_status = 'unknown'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists messages_unknown_delivery_idx`.execute(db);
  await db.schema.alterTable('messages').dropColumn('send_started_at').execute();
}
