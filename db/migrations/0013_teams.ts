import { type Kysely, sql } from 'kysely';

/**
 * Staff and teams (issue 10):
 * - `teams` (name unique per org, case-insensitive) and `team_members` (team × staff user; both
 *   sides cascade on delete);
 * - `conversations.team_id`: the team a conversation is assigned to (nullable; a deleted team
 *   leaves its conversations without a team), indexed with `org_id` for `?teamId=` / `?scope=team`;
 * - `staff_one_time_tokens.purpose` also takes `invite` (the token of `POST /v1/staff`).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('teams')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('teams_org_lower_name_key')
    .on('teams')
    .expression(sql`org_id, lower(name)`)
    .unique()
    .execute();

  await db.schema
    .createTable('team_members')
    .addColumn('team_id', 'uuid', (c) => c.notNull().references('teams.id').onDelete('cascade'))
    .addColumn('staff_id', 'uuid', (c) => c.notNull().references('staff_users.id').onDelete('cascade'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('team_members_pkey', ['team_id', 'staff_id'])
    .execute();
  await db.schema.createIndex('team_members_staff_idx').on('team_members').column('staff_id').execute();

  await db.schema
    .alterTable('conversations')
    .addColumn('team_id', 'uuid', (c) => c.references('teams.id').onDelete('set null'))
    .execute();
  await db.schema.createIndex('conversations_org_team_idx').on('conversations').columns(['org_id', 'team_id']).execute();

  await sql`alter table staff_one_time_tokens drop constraint staff_one_time_tokens_purpose_check`.execute(db);
  await sql`alter table staff_one_time_tokens add constraint staff_one_time_tokens_purpose_check check (purpose in ('set_password', 'reset_password', 'invite'))`.execute(
    db,
  );
}

/** Drops teams, memberships and `conversations.team_id`; invite tokens are deleted. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`delete from staff_one_time_tokens where purpose = 'invite'`.execute(db);
  await sql`alter table staff_one_time_tokens drop constraint staff_one_time_tokens_purpose_check`.execute(db);
  await sql`alter table staff_one_time_tokens add constraint staff_one_time_tokens_purpose_check check (purpose in ('set_password', 'reset_password'))`.execute(
    db,
  );
  await db.schema.dropIndex('conversations_org_team_idx').execute();
  await db.schema.alterTable('conversations').dropColumn('team_id').execute();
  await db.schema.dropTable('team_members').execute();
  await db.schema.dropTable('teams').execute();
}
