/**
 * An org's SLA settings (`org_sla_settings`, migration 0017): read by `GET /v1/conversations/sla`, by
 * the conversation workflow's `loadConversation` and by the settings broadcast; written by
 * `PUT /v1/conversations/sla` (with its audit entry, in one transaction).
 * An org without a row gets its `orgs` targets (`sla_first_response_minutes`,
 * `sla_next_response_minutes`), 24/7 hours, no resolution target, no pausing, no warning, version 0.
 */
import { sql } from 'kysely';
import type { Db } from './client';
import { type AuditActor, recordAudit } from './audit-log';
import { DEFAULT_SLA_POLICY, type SlaSettings } from '../domain/sla';
import type { SlaSettingsDocument } from './schema';
import { conversationFilterSql } from './queries';

/** Settings with every field present, their version (0 = never saved) and when they were saved. */
export interface StoredSlaSettings {
  settings: Required<Omit<SlaSettings, 'version'>>;
  /** 0 = never saved (the `orgs` defaults). */
  version: number;
  /** ISO-8601; `null` = never saved. */
  updatedAt: string | null;
}

/** Fills every optional field of a stored document (24/7, no pausing, no warning, no overrides). */
export function completeSlaSettings(doc: SlaSettingsDocument): StoredSlaSettings['settings'] {
  return {
    firstResponseMinutes: doc.firstResponseMinutes,
    nextResponseMinutes: doc.nextResponseMinutes,
    resolutionMinutes: doc.resolutionMinutes ?? null,
    businessHours: doc.businessHours ?? null,
    pauseWhile: doc.pauseWhile ?? { pending: false, snoozed: false },
    warningMinutes: doc.warningMinutes ?? 0,
    priorityOverrides: doc.priorityOverrides ?? {},
  };
}

/**
 * The org's SLA settings (see the file comment for orgs that never saved any).
 * @throws database errors
 */
export async function loadSlaSettings(db: Db, orgId: string): Promise<StoredSlaSettings> {
  const row = await db.selectFrom('org_sla_settings').selectAll().where('org_id', '=', orgId).executeTakeFirst();
  if (row) return { settings: completeSlaSettings(row.settings), version: row.version, updatedAt: row.updated_at.toISOString() };
  const org = await db
    .selectFrom('orgs')
    .select(['sla_first_response_minutes', 'sla_next_response_minutes'])
    .where('id', '=', orgId)
    .executeTakeFirst();
  const base = org
    ? { firstResponseMinutes: org.sla_first_response_minutes, nextResponseMinutes: org.sla_next_response_minutes }
    : DEFAULT_SLA_POLICY;
  return { settings: completeSlaSettings(base), version: 0, updatedAt: null };
}

/** The settings as a conversation run holds them (with `version`). */
export async function loadSlaSettingsForRun(db: Db, orgId: string): Promise<SlaSettings> {
  const { settings, version } = await loadSlaSettings(db, orgId);
  return { ...settings, version };
}

/**
 * Replaces the org's settings (next version) and records `sla.update` in the audit log, in one
 * transaction (row-locked: concurrent PUTs get consecutive versions).
 * @returns the stored settings
 * @throws database errors (nothing is stored then)
 */
export async function saveSlaSettings(
  db: Db,
  orgId: string,
  actor: AuditActor,
  next: StoredSlaSettings['settings'],
): Promise<StoredSlaSettings> {
  return db.transaction().execute(async (trx) => {
    const before = await loadSlaSettings(trx, orgId);
    const settings = JSON.stringify(next);
    const updatedBy = actor.type === 'staff' ? (actor.id ?? null) : null;
    const row = await trx
      .insertInto('org_sla_settings')
      .values({ org_id: orgId, version: 1, settings, updated_by: updatedBy })
      .onConflict((oc) =>
        oc.column('org_id').doUpdateSet({
          settings,
          updated_by: updatedBy,
          updated_at: sql<Date>`now()`,
          version: sql<number>`org_sla_settings.version + 1`,
        }),
      )
      .returning(['version', 'updated_at'])
      .executeTakeFirstOrThrow();
    const stored: StoredSlaSettings = { settings: next, version: row.version, updatedAt: row.updated_at.toISOString() };
    await recordAudit(trx, {
      orgId,
      actor,
      action: 'sla.update',
      targetType: 'sla_settings',
      targetId: orgId,
      before: { ...before.settings, version: before.version },
      after: { ...stored.settings, version: stored.version },
    });
    return stored;
  });
}

/**
 * How many of the org's conversations that are not closed have a breached SLA target (`overdue`) and
 * how many are past a warning instant but not breached (`atRisk`), in one query. `mineOfStaffId`:
 * only those assigned to that staff user; `teamOfStaffId`: only those of that staff user's teams.
 * @throws database errors
 */
export async function countSlaConversations(
  db: Db,
  orgId: string,
  scope: { mineOfStaffId?: string; teamOfStaffId?: string } = {},
): Promise<{ count: number; atRisk: number }> {
  let q = db
    .selectFrom('conversations as c')
    .select([
      sql<string>`count(*) filter (where c.overdue)`.as('overdue'),
      sql<string>`count(*) filter (where c.sla_at_risk and not c.overdue)`.as('at_risk'),
    ])
    .where('c.org_id', '=', orgId)
    .where('c.status', '!=', 'closed')
    .where((eb) => eb.or([eb('c.overdue', '=', true), eb('c.sla_at_risk', '=', true)]));
  // the scope as the conversation list filters it (db/queries.ts)
  const row = await q
    .where(conversationFilterSql(orgId, { mineOfStaffId: scope.mineOfStaffId, teamOfStaffId: scope.teamOfStaffId }, null))
    .executeTakeFirstOrThrow();
  return { count: Number(row.overdue), atRisk: Number(row.at_risk) };
}
