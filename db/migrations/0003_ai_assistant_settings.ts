import { type Kysely, sql } from 'kysely';

/**
 * AI assistant settings: one row per org (`ai_assistant_settings`), the org's `AiAssistantConfig`
 * as JSON (domain field names, e.g. `autoSendDelaySeconds`), who last changed it and when. An org
 * without a row uses `DEFAULT_AI_ASSISTANT_CONFIG`; a stored config is read merged over the defaults.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('ai_assistant_settings')
    .addColumn('org_id', 'uuid', (c) => c.primaryKey().references('orgs.id').onDelete('cascade'))
    .addColumn('config', 'jsonb', (c) => c.notNull())
    .addColumn('updated_by', 'uuid')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

/** Reverts 0003. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('ai_assistant_settings').ifExists().execute();
}
