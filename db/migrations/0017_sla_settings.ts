import { type Kysely, sql } from 'kysely';

/**
 * SLA settings with business hours (issue 11):
 * - `org_sla_settings`: one row per org that saved settings (`PUT /v1/conversations/sla`): `settings`
 *   (jsonb: targets, business hours, pausing, warning, priority overrides; the shape of
 *   `SlaSettings` in domain/sla.ts, validated by the API), `version` (1, 2, …: a run keeps the highest
 *   it was sent), `updated_by` (staff user, `null` from an API key). Orgs without a row use
 *   `orgs.sla_first_response_minutes` / `sla_next_response_minutes`, 24/7, no warning.
 * - `conversations`: the workflow's SLA copy — `sla_clocks` (jsonb, the run's clocks; `null` for
 *   states written before), `sla_first_response_due_at`, `sla_next_response_due_at`,
 *   `sla_resolution_due_at`, `sla_at_risk` (`?atRisk=true`, partial index per org).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('org_sla_settings')
    .addColumn('org_id', 'uuid', (c) => c.primaryKey().references('orgs.id').onDelete('cascade'))
    .addColumn('version', 'integer', (c) => c.notNull().check(sql`version > 0`))
    .addColumn('settings', 'jsonb', (c) => c.notNull())
    .addColumn('updated_by', 'uuid', (c) => c.references('staff_users.id').onDelete('set null'))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .alterTable('conversations')
    .addColumn('sla_clocks', 'jsonb')
    .addColumn('sla_first_response_due_at', 'timestamptz')
    .addColumn('sla_next_response_due_at', 'timestamptz')
    .addColumn('sla_resolution_due_at', 'timestamptz')
    .addColumn('sla_at_risk', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
  await db.schema
    .createIndex('conversations_org_sla_at_risk_idx')
    .on('conversations')
    .columns(['org_id', 'last_activity_at desc'])
    .where(sql.ref('sla_at_risk'), '=', true)
    .execute();
}

/** Drops the settings (orgs fall back to their `orgs` targets) and the conversations' SLA copy. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('conversations_org_sla_at_risk_idx').execute();
  await db.schema
    .alterTable('conversations')
    .dropColumn('sla_clocks')
    .dropColumn('sla_first_response_due_at')
    .dropColumn('sla_next_response_due_at')
    .dropColumn('sla_resolution_due_at')
    .dropColumn('sla_at_risk')
    .execute();
  await db.schema.dropTable('org_sla_settings').execute();
}
