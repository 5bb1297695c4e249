import { type Kysely, sql } from 'kysely';

/**
 * API keys (issue 10) and an index for the sign-in token cleanup:
 * - `api_keys`: an org's integration keys (`sb_…`, shown once). Only the SHA-256 hex of the whole
 *   key is stored (`key_hash`, unique: the lookup of every request authenticated by a key), with the
 *   first characters (`prefix`) to tell keys apart in lists; `scopes` ⊆ {read, write, admin};
 *   `created_by` the staff user who created it (`null` from the admin CLI); `last_used_at` (written
 *   at most once a minute per key); `revoked_at` (`null` = live).
 * - `staff_refresh_tokens_expires_idx`: `deleteExpiredAuthTokens` (`db/staff-auth.ts`) deletes
 *   expired refresh tokens in bounded batches without a sequential scan.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('scopes', sql`text[]`, (c) =>
      c.notNull().check(sql`cardinality(scopes) > 0 and scopes <@ array['read', 'write', 'admin']::text[]`),
    )
    .addColumn('created_by', 'uuid', (c) => c.references('staff_users.id').onDelete('set null'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_used_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('api_keys_org_created_idx').on('api_keys').columns(['org_id', 'created_at desc', 'id desc']).execute();
  await db.schema.createIndex('staff_refresh_tokens_expires_idx').on('staff_refresh_tokens').column('expires_at').execute();
}

/** Drops the API keys (every integration must get a new key after a re-run of `up`) and the cleanup index. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('staff_refresh_tokens_expires_idx').execute();
  await db.schema.dropTable('api_keys').execute();
}
