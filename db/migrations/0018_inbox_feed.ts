import { type Kysely, sql } from 'kysely';

/**
 * The cross-channel feed (`GET /v1/inbox/messages`, issue 11): `messages_org_created_idx` on
 * `messages (org_id, created_at desc, seq desc)`, so the org's newest messages are read in feed order
 * from the index and the scan stops at the page's `limit` (without it the feed sorts every message of
 * the org). `seq` breaks ties between messages of the same instant.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index messages_org_created_idx on messages (org_id, created_at desc, seq desc)`.execute(db);
}

/** Drops the feed's index. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists messages_org_created_idx`.execute(db);
}
