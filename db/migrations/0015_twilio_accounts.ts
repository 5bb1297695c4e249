import { type Kysely, sql } from 'kysely';

/**
 * Twilio onboarding (issue 10): `twilio_accounts`, the Twilio (sub-)account an org connected
 * (`POST /v1/communications/twilio/setup`), at most one per org. The account SID and auth token are
 * stored sealed (`config/keyring.ts`, AES-256-GCM, AAD = the row id) with the id of the key that
 * sealed them; `account_sid` is kept in clear as well (not a secret: it names the account in lists
 * and logs). `status` is Twilio's account status at the last check (`active`, `suspended`, `closed`).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('twilio_accounts')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', (c) => c.notNull().unique().references('orgs.id').onDelete('cascade'))
    .addColumn('account_sid', 'text', (c) => c.notNull())
    .addColumn('credentials_ciphertext', 'text', (c) => c.notNull())
    .addColumn('credentials_key_id', 'text', (c) => c.notNull())
    .addColumn('friendly_name', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('twilio_accounts').execute();
}
