import { type Kysely, sql } from 'kysely';

/**
 * Workspaces (issue 10), the shared foundation:
 * - `channels.credentials_ciphertext` / `credentials_key_id`: the channel's own carrier credentials,
 *   AES-256-GCM sealed (`config/keyring.ts`; AAD = the channel id), `null` = the environment's
 *   credentials (dev seed, single-tenant deployments); `archived_at` (a deleted channel that still has
 *   conversations); `updated_at`.
 * - `channels_kind_address_key` becomes a unique index over live channels only, so an archived
 *   channel's number or address can be connected again.
 * - `audit_log`: admin actions (who, what, when, before/after without secrets), newest first per org.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('channels')
    .addColumn('credentials_ciphertext', 'text')
    .addColumn('credentials_key_id', 'text')
    .addColumn('archived_at', 'timestamptz')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`alter table channels add constraint channels_credentials_pair check ((credentials_ciphertext is null) = (credentials_key_id is null))`.execute(
    db,
  );
  await db.schema.alterTable('channels').dropConstraint('channels_kind_address_key').execute();
  await db.schema
    .createIndex('channels_kind_address_live_key')
    .on('channels')
    .columns(['kind', 'address'])
    .unique()
    .where(sql.ref('archived_at'), 'is', null)
    .execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('actor_type', 'text', (c) => c.notNull().check(sql`actor_type in ('staff', 'api_key', 'system')`))
    .addColumn('actor_id', 'uuid')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target_type', 'text', (c) => c.notNull())
    .addColumn('target_id', 'text')
    .addColumn('before', 'jsonb')
    .addColumn('after', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('audit_log_org_created_idx')
    .on('audit_log')
    .columns(['org_id', 'created_at desc', 'id desc'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('audit_log').execute();
  await db.schema.dropIndex('channels_kind_address_live_key').execute();
  // archived channels may share a live channel's address; the old constraint cannot hold them
  await sql`delete from channels c where c.archived_at is not null and not exists (select 1 from conversations v where v.channel_id = c.id)`.execute(db);
  await db.schema.alterTable('channels').addUniqueConstraint('channels_kind_address_key', ['kind', 'address']).execute();
  await sql`alter table channels drop constraint channels_credentials_pair`.execute(db);
  await db.schema
    .alterTable('channels')
    .dropColumn('credentials_ciphertext')
    .dropColumn('credentials_key_id')
    .dropColumn('archived_at')
    .dropColumn('updated_at')
    .execute();
}
