import { type Kysely, sql } from 'kysely';

/**
 * AI assistant hardening:
 * - `ai_suggestions` may record a failure: `decision` and `status` `failed` (the reason in `reasons`,
 *   one of refusal / invalid_output / unavailable) and `error_message` for staff;
 * - `ai_assistant_settings.version`: bumped by every `PUT /v1/ai-assistant`, so a running conversation
 *   keeps the newest settings it was sent, whatever order the broadcasts arrive in.
 * The check constraints replaced are the ones 0004 created (Postgres names them `<table>_<column>_check`).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table ai_suggestions drop constraint if exists ai_suggestions_decision_check`.execute(db);
  await sql`alter table ai_suggestions drop constraint if exists ai_suggestions_status_check`.execute(db);
  await sql`alter table ai_suggestions add constraint ai_suggestions_decision_check
    check (decision in ('auto_send', 'suggest', 'hand_off', 'failed'))`.execute(db);
  await sql`alter table ai_suggestions add constraint ai_suggestions_status_check
    check (status in ('pending', 'scheduled', 'sent', 'auto_sent', 'answered', 'dismissed', 'superseded', 'cancelled', 'handed_off', 'failed'))`.execute(
    db,
  );
  await db.schema.alterTable('ai_suggestions').addColumn('error_message', 'text').execute();
  await db.schema
    .alterTable('ai_assistant_settings')
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

/** Reverts 0007 (failed suggestions are deleted: the old constraints do not allow them). */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('ai_assistant_settings').dropColumn('version').execute();
  await db.schema.alterTable('ai_suggestions').dropColumn('error_message').execute();
  await sql`delete from ai_suggestions where decision = 'failed' or status = 'failed'`.execute(db);
  await sql`alter table ai_suggestions drop constraint if exists ai_suggestions_decision_check`.execute(db);
  await sql`alter table ai_suggestions drop constraint if exists ai_suggestions_status_check`.execute(db);
  await sql`alter table ai_suggestions add constraint ai_suggestions_decision_check
    check (decision in ('auto_send', 'suggest', 'hand_off'))`.execute(db);
  await sql`alter table ai_suggestions add constraint ai_suggestions_status_check
    check (status in ('pending', 'scheduled', 'sent', 'auto_sent', 'answered', 'dismissed', 'superseded', 'cancelled', 'handed_off'))`.execute(
    db,
  );
}
