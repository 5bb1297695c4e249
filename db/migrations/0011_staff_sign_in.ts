import { type Kysely, sql } from 'kysely';

/**
 * Staff sign-in (issue 10, bootstrap and sign-in):
 * - `staff_users.password_hash` (argon2id PHC string, `null` = no password set yet),
 *   `deactivated_at` (`null` = active) and `token_version` (bumped to revoke every access token
 *   carrying an older `tv` claim); an index on `lower(email)` for login across orgs;
 * - `staff_refresh_tokens`: rotating refresh tokens, one family per login, stored as the SHA-256 hex
 *   of the token;
 * - `staff_one_time_tokens`: single-use set-password / reset-password tokens (SHA-256 hex);
 * - `login_rate_limits`: the table of rate-limiter-flexible's `RateLimiterPostgres` (failed logins per
 *   email), created here so the API never runs DDL.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('staff_users')
    .addColumn('password_hash', 'text')
    .addColumn('deactivated_at', 'timestamptz')
    .addColumn('token_version', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createIndex('staff_users_lower_email_idx')
    .on('staff_users')
    .expression(sql`lower(email)`)
    .execute();

  await db.schema
    .createTable('staff_refresh_tokens')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('staff_id', 'uuid', (c) => c.notNull().references('staff_users.id').onDelete('cascade'))
    .addColumn('family_id', 'uuid', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('used_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('staff_refresh_tokens_family_idx').on('staff_refresh_tokens').column('family_id').execute();
  await db.schema.createIndex('staff_refresh_tokens_staff_idx').on('staff_refresh_tokens').column('staff_id').execute();

  await db.schema
    .createTable('staff_one_time_tokens')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('staff_id', 'uuid', (c) => c.notNull().references('staff_users.id').onDelete('cascade'))
    .addColumn('purpose', 'text', (c) => c.notNull().check(sql`purpose in ('set_password', 'reset_password')`))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('staff_one_time_tokens_staff_idx').on('staff_one_time_tokens').column('staff_id').execute();

  // the shape RateLimiterPostgres creates itself (key, points, expire in ms since the epoch)
  await db.schema
    .createTable('login_rate_limits')
    .addColumn('key', 'varchar(255)', (c) => c.primaryKey())
    .addColumn('points', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('expire', 'bigint')
    .execute();
}

/** Drops the sign-in tables and columns (passwords and sessions are lost). */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('login_rate_limits').execute();
  await db.schema.dropTable('staff_one_time_tokens').execute();
  await db.schema.dropTable('staff_refresh_tokens').execute();
  await db.schema.dropIndex('staff_users_lower_email_idx').execute();
  await db.schema.alterTable('staff_users').dropColumn('token_version').dropColumn('deactivated_at').dropColumn('password_hash').execute();
}
