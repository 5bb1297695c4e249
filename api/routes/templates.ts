/**
 * `/v1/templates`: an organisation's message templates (`{{variable}}` merge tags, WhatsApp Content
 * SIDs and approval status). Everyone in the org reads them; only admins create, change and delete
 * them (403 `forbidden` for agents). Another org's template is 404, like an unknown one.
 */
import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { sql } from 'kysely';
import type { TemplateRow } from '../../db/schema';
import { type TemplateState, templateMergeTags, templateProblems } from '../../domain/templates';
import { type Principal, principalOf } from '../auth';
import type { ApiDeps } from '../deps';
import { HttpError, notFound } from '../errors';
import { IdParams } from '../schemas';
import { CreateTemplateBody, ListTemplatesQuery, PatchTemplateBody, type TemplateView } from '../template-schemas';

/** A `templates` row as the `Template` schema (timestamps ISO-8601 UTC). */
export function toTemplateView(row: TemplateRow): TemplateView {
  return {
    id: row.id,
    name: row.name,
    channel: row.channel,
    subject: row.subject,
    body: row.body,
    variables: row.variables,
    whatsappContentSid: row.whatsapp_content_sid,
    approvalStatus: row.approval_status,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

function assertAdmin(me: Principal): void {
  if (me.role !== 'admin') throw new HttpError(403, 'forbidden', 'Only admins can create, change or delete templates');
}

const templateExists = (name: string): HttpError =>
  new HttpError(409, 'template_exists', `A template named "${name}" already exists`, { name });

/** Postgres unique violation (SQLSTATE 23505) of the per-org template name. */
function isDuplicateName(err: unknown): boolean {
  const e = err as { code?: unknown; constraint?: unknown } | null;
  return e?.code === '23505' && e.constraint === 'templates_org_name_key';
}

/** Builds the templates router (mounted under `/v1/templates`, behind auth and `express.json()`). */
export function templatesRouter({ db }: Pick<ApiDeps, 'db'>): Router {
  const router = Router();

  /** Every template of the org, by name (then id); `?channel=` keeps one channel. */
  router.get('/', async (req, res) => {
    const me = principalOf(res);
    const query = ListTemplatesQuery.parse(req.query);
    let select = db.selectFrom('templates').selectAll().where('org_id', '=', me.orgId);
    if (query.channel !== undefined) select = select.where('channel', '=', query.channel);
    const rows = await select.orderBy('name').orderBy('id').execute();
    res.json({ data: rows.map(toTemplateView) });
  });

  router.post('/', async (req, res) => {
    const me = principalOf(res);
    assertAdmin(me);
    const body = CreateTemplateBody.parse(req.body);
    const subject = body.subject ?? null;
    const inserted = await db
      .insertInto('templates')
      .values({
        id: randomUUID(),
        org_id: me.orgId,
        name: body.name,
        channel: body.channel,
        subject,
        body: body.body,
        variables: body.variables ?? templateMergeTags(subject, body.body),
        whatsapp_content_sid: body.whatsappContentSid ?? null,
        approval_status: body.approvalStatus,
      })
      .onConflict((oc) => oc.constraint('templates_org_name_key').doNothing())
      .returningAll()
      .executeTakeFirst();
    if (!inserted) throw templateExists(body.name);
    res.status(201).json(toTemplateView(inserted));
  });

  router.get('/:id', async (req, res) => {
    const me = principalOf(res);
    const { id } = IdParams.parse(req.params);
    const row = await db.selectFrom('templates').selectAll().where('org_id', '=', me.orgId).where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('Template');
    res.json(toTemplateView(row));
  });

  /**
   * Applies the given fields to the stored template (row-locked, so concurrent changes do not mix)
   * and re-checks the whole: 422 `template_invalid` with `details.fields` when the result breaks a
   * rule (email without subject, approved WhatsApp without Content SID, undeclared merge tags, …).
   */
  router.patch('/:id', async (req, res) => {
    const me = principalOf(res);
    assertAdmin(me);
    const { id } = IdParams.parse(req.params);
    const patch = PatchTemplateBody.parse(req.body);
    const updated = await db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('templates')
        .selectAll()
        .where('org_id', '=', me.orgId)
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
      if (!row) throw notFound('Template');
      const subject = patch.subject !== undefined ? patch.subject : row.subject;
      const body = patch.body ?? row.body;
      const textChanged = subject !== row.subject || body !== row.body;
      const next: TemplateState = {
        channel: patch.channel ?? row.channel,
        subject,
        body,
        variables: patch.variables ?? (textChanged ? templateMergeTags(subject, body) : row.variables),
        whatsappContentSid: patch.whatsappContentSid !== undefined ? patch.whatsappContentSid : row.whatsapp_content_sid,
        approvalStatus: patch.approvalStatus ?? row.approval_status,
      };
      const problems = templateProblems(next);
      if (problems.length > 0) {
        throw new HttpError(
          422,
          'template_invalid',
          `The template would break a rule: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`,
          {
            fields: problems.map((p) => ({ path: p.path, message: p.message, code: 'template_rule' })),
          },
        );
      }
      const name = patch.name ?? row.name;
      try {
        return await trx
          .updateTable('templates')
          .set({
            name,
            channel: next.channel,
            subject: next.subject,
            body: next.body,
            variables: next.variables,
            whatsapp_content_sid: next.whatsappContentSid,
            approval_status: next.approvalStatus,
            updated_at: sql<Date>`now()`,
          })
          .where('org_id', '=', me.orgId)
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirstOrThrow();
      } catch (err) {
        throw isDuplicateName(err) ? templateExists(name) : err;
      }
    });
    res.json(toTemplateView(updated));
  });

  router.delete('/:id', async (req, res) => {
    const me = principalOf(res);
    assertAdmin(me);
    const { id } = IdParams.parse(req.params);
    const result = await db.deleteFrom('templates').where('org_id', '=', me.orgId).where('id', '=', id).executeTakeFirst();
    if (result.numDeletedRows === 0n) throw notFound('Template');
    res.status(204).end();
  });

  return router;
}
