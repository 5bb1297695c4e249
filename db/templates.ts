/**
 * Message templates (`templates`), as the `/v1/templates` API reads and writes them. Every query is
 * scoped by `org_id`: another org's template is simply not found.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { TemplateState } from '../domain/templates';
import type { Db } from './client';
import type { TemplateRow } from './schema';

/** The org's templates ordered by name, then id; only those of `channel` when given. */
export async function listTemplates(db: Db, orgId: string, channel?: TemplateRow['channel']): Promise<TemplateRow[]> {
  let select = db.selectFrom('templates').selectAll().where('org_id', '=', orgId);
  if (channel !== undefined) select = select.where('channel', '=', channel);
  return select.orderBy('name').orderBy('id').execute();
}

/** The org's template with this id, or `undefined`. */
export async function findTemplate(db: Db, orgId: string, templateId: string): Promise<TemplateRow | undefined> {
  return db.selectFrom('templates').selectAll().where('org_id', '=', orgId).where('id', '=', templateId).executeTakeFirst();
}

/** The org's template with this exact name, or `undefined`. */
export async function findTemplateByName(db: Db, orgId: string, name: string): Promise<TemplateRow | undefined> {
  return db.selectFrom('templates').selectAll().where('org_id', '=', orgId).where('name', '=', name).executeTakeFirst();
}

/** A template's name and checked content (what an insert or update writes). */
export interface TemplateFields extends TemplateState {
  name: string;
}

/**
 * Inserts a template with a fresh id. Returns the stored row, or `undefined` if the org already has
 * a template of that name (nothing is written then).
 */
export async function insertTemplate(db: Db, orgId: string, fields: TemplateFields): Promise<TemplateRow | undefined> {
  return db
    .insertInto('templates')
    .values({
      id: randomUUID(),
      org_id: orgId,
      name: fields.name,
      channel: fields.channel,
      subject: fields.subject,
      body: fields.body,
      variables: fields.variables,
      whatsapp_content_sid: fields.whatsappContentSid,
      approval_status: fields.approvalStatus,
    })
    .onConflict((oc) => oc.constraint('templates_org_name_key').doNothing())
    .returningAll()
    .executeTakeFirst();
}

/** Outcome of {@link updateTemplate}. */
export type TemplateUpdate = { kind: 'updated'; row: TemplateRow } | { kind: 'not_found' } | { kind: 'name_taken'; name: string };

/** Postgres unique violation (SQLSTATE 23505) of the per-org template name. */
function isDuplicateName(err: unknown): boolean {
  const e = err as { code?: unknown; constraint?: unknown } | null;
  return e?.code === '23505' && e.constraint === 'templates_org_name_key';
}

/**
 * Updates the org's template in one transaction: locks the row (`FOR UPDATE`, so concurrent changes
 * do not mix), asks `change` for the new fields (it may throw to abort: nothing is written and the
 * error propagates), writes them with `updated_at` = now. Returns the updated row, `not_found`, or
 * `name_taken` when another template of the org has the new name.
 */
export async function updateTemplate(
  db: Db,
  orgId: string,
  templateId: string,
  change: (current: TemplateRow) => TemplateFields,
): Promise<TemplateUpdate> {
  let name: string | undefined;
  try {
    return await db.transaction().execute(async (trx): Promise<TemplateUpdate> => {
      const row = await trx
        .selectFrom('templates')
        .selectAll()
        .where('org_id', '=', orgId)
        .where('id', '=', templateId)
        .forUpdate()
        .executeTakeFirst();
      if (!row) return { kind: 'not_found' };
      const next = change(row);
      name = next.name;
      const updated = await trx
        .updateTable('templates')
        .set({
          name: next.name,
          channel: next.channel,
          subject: next.subject,
          body: next.body,
          variables: next.variables,
          whatsapp_content_sid: next.whatsappContentSid,
          approval_status: next.approvalStatus,
          updated_at: sql<Date>`now()`,
        })
        .where('org_id', '=', orgId)
        .where('id', '=', templateId)
        .returningAll()
        .executeTakeFirstOrThrow();
      return { kind: 'updated', row: updated };
    });
  } catch (err) {
    // the transaction is rolled back before we get here
    if (name !== undefined && isDuplicateName(err)) return { kind: 'name_taken', name };
    throw err;
  }
}

/** Deletes the org's template; `false` if there was none with this id. */
export async function deleteTemplate(db: Db, orgId: string, templateId: string): Promise<boolean> {
  const result = await db.deleteFrom('templates').where('org_id', '=', orgId).where('id', '=', templateId).executeTakeFirst();
  return result.numDeletedRows !== 0n;
}
