import { type Kysely, sql } from 'kysely';

/**
 * The contact list and its search (`GET /v1/contacts?q=`, issue 11):
 * - `contacts_org_created_idx` on `contacts (org_id, created_at desc, id desc)`: the org's contacts in
 *   list order (newest first, keyset on `(created_at, id)`), read from the index, the scan stopping at
 *   the page's `limit`;
 * - the `pg_trgm` extension (a trusted extension since Postgres 13: a database owner may create it) and
 *   two trigram GIN indexes, `contacts_name_trgm_idx` on `contacts.name` and
 *   `contact_identities_address_trgm_idx` on `contact_identities.address`, so the search's
 *   case-insensitive substring matches (`ILIKE '%q%'`, 3+ characters) are index scans, not a scan of
 *   every contact. Exact identity matches use the existing `(org_id, kind, address)` unique index.
 *
 * `down` drops the three indexes but leaves the extension installed: another migration may have created
 * (or may rely on) `pg_trgm`, and an unused extension is harmless.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create extension if not exists pg_trgm`.execute(db);
  await sql`create index contacts_org_created_idx on contacts (org_id, created_at desc, id desc)`.execute(db);
  await sql`create index contacts_name_trgm_idx on contacts using gin (name gin_trgm_ops)`.execute(db);
  await sql`create index contact_identities_address_trgm_idx on contact_identities using gin (address gin_trgm_ops)`.execute(db);
}

/** Drops the list and search indexes (the `pg_trgm` extension stays). */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists contact_identities_address_trgm_idx`.execute(db);
  await sql`drop index if exists contacts_name_trgm_idx`.execute(db);
  await sql`drop index if exists contacts_org_created_idx`.execute(db);
}
