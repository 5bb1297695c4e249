import { type Kysely, sql } from 'kysely';

/**
 * `idempotency_keys`: the first answer to a command sent with an `Idempotency-Key`
 * header, kept per org for 24 h so a retried request replays it instead of acting twice.
 * - `(org_id, key)` is the primary key; `fingerprint` is a SHA-256 of the caller, method, path and
 *   canonical JSON body (the same key with another request → 422);
 * - `state` `in_progress` (claimed by a running request until `locked_until`) or `completed`
 *   (`response_status` + `response_body`, the JSON text as sent — text, not jsonb, so it is replayed
 *   byte for byte and may hold any escaped character — are replayed);
 * - `expires_at` (created + 24 h): expired rows count as absent and are purged in batches by the API.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('idempotency_keys')
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('claim_id', 'uuid', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('in_progress', 'completed')`))
    .addColumn('locked_until', 'timestamptz', (c) => c.notNull())
    .addColumn('response_status', 'integer')
    .addColumn('response_body', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_keys_pkey', ['org_id', 'key'])
    .execute();
  await sql`create index idempotency_keys_expires_idx on idempotency_keys (expires_at)`.execute(db);
}

/** Reverts 0006. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('idempotency_keys').ifExists().execute();
}
