/**
 * `/v1/templates`: an organisation's message templates (`{{variable}}` merge tags, WhatsApp Content
 * SIDs and approval status). Everyone in the org reads them; only admins create, change and delete
 * them (403 `forbidden` for agents). Another org's template is 404, like an unknown one.
 */
import type { Router } from 'express';
import type { TemplateRow } from '../../db/schema';
import { deleteTemplate, findTemplate, insertTemplate, listTemplates, updateTemplate } from '../../db/templates';
import { type TemplateState, templateMergeTags, templateProblems } from '../../domain/templates';
import { principalOf } from '../auth';
import type { ApiDeps } from '../deps';
import { HttpError, notFound } from '../errors';
import { IdParams } from '../schemas';
import { defineRoute, type RouteDefinition, routerFor } from '../http/define-route';
import { CreateTemplateBody, ListTemplatesQuery, PatchTemplateBody, Template, TemplateList, type TemplateView } from '../template-schemas';

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


const templateExists = (name: string): HttpError =>
  new HttpError(409, 'template_exists', `A template named "${name}" already exists`, { name });

/** The routes under `/v1/templates` (behind auth and `express.json()`). */
export const templateRoutes: RouteDefinition<Pick<ApiDeps, 'db'>>[] = [
  /** Every template of the org, by name (then id); `?channel=` keeps one channel. */
  defineRoute(
    {
      method: 'get',
      path: '/v1/templates',
      auth: 'staff',
      operationId: 'listTemplates',
      tags: ['templates'],
      summary: 'List message templates by name (optionally of one channel)',
      request: { query: ListTemplatesQuery },
      response: { status: 200, schema: TemplateList, description: 'The templates' },
      errors: [400],
    },
    ({ db }) =>
      async (req, res) => {
        const me = principalOf(res);
        const query = ListTemplatesQuery.parse(req.query);
        const rows = await listTemplates(db, me.orgId, query.channel);
        res.json({ data: rows.map(toTemplateView) });
      },
  ),
  defineRoute(
    {
      method: 'post',
      path: '/v1/templates',
      auth: 'staff',
      role: 'admin',
      operationId: 'createTemplate',
      tags: ['templates'],
      summary: 'Create a message template (admins only)',
      request: { body: CreateTemplateBody },
      response: { status: 201, schema: Template, description: 'The template' },
      errors: [400, 409],
    },
    ({ db }) =>
      async (req, res) => {
        const me = principalOf(res);
        const body = CreateTemplateBody.parse(req.body);
        const subject = body.subject ?? null;
        const inserted = await insertTemplate(db, me.orgId, {
          name: body.name,
          channel: body.channel,
          subject,
          body: body.body,
          variables: body.variables ?? templateMergeTags(subject, body.body),
          whatsappContentSid: body.whatsappContentSid ?? null,
          approvalStatus: body.approvalStatus,
        });
        if (!inserted) throw templateExists(body.name);
        res.status(201).json(toTemplateView(inserted));
      },
  ),
  defineRoute(
    {
      method: 'get',
      path: '/v1/templates/:id',
      auth: 'staff',
      operationId: 'getTemplate',
      tags: ['templates'],
      summary: 'Get a message template',
      request: { params: IdParams },
      response: { status: 200, schema: Template, description: 'The template' },
      errors: [400, 404],
    },
    ({ db }) =>
      async (req, res) => {
        const me = principalOf(res);
        const { id } = IdParams.parse(req.params);
        const row = await findTemplate(db, me.orgId, id);
        if (!row) throw notFound('Template');
        res.json(toTemplateView(row));
      },
  ),
  /**
   * Applies the given fields to the stored template (row-locked, so concurrent changes do not mix)
   * and re-checks the whole: 422 `template_invalid` with `details.fields` when the result breaks a
   * rule (email without subject, approved WhatsApp without Content SID, undeclared merge tags, …).
   */
  defineRoute(
    {
      method: 'patch',
      path: '/v1/templates/:id',
      auth: 'staff',
      role: 'admin',
      operationId: 'updateTemplate',
      tags: ['templates'],
      summary: 'Change a message template (admins only; 422 when the result breaks a template rule)',
      request: { params: IdParams, body: PatchTemplateBody },
      response: { status: 200, schema: Template, description: 'The updated template' },
      errors: [400, 404, 409, 422],
    },
    ({ db }) =>
      async (req, res) => {
        const me = principalOf(res);
        const { id } = IdParams.parse(req.params);
        const patch = PatchTemplateBody.parse(req.body);
        const result = await updateTemplate(db, me.orgId, id, (row) => {
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
          return { ...next, name: patch.name ?? row.name };
        });
        if (result.kind === 'not_found') throw notFound('Template');
        if (result.kind === 'name_taken') throw templateExists(result.name);
        const updated = result.row;
        res.json(toTemplateView(updated));
      },
  ),
  defineRoute(
    {
      method: 'delete',
      path: '/v1/templates/:id',
      auth: 'staff',
      role: 'admin',
      operationId: 'deleteTemplate',
      tags: ['templates'],
      summary: 'Delete a message template (admins only)',
      request: { params: IdParams },
      response: { status: 204, description: 'Deleted' },
      errors: [400, 404],
    },
    ({ db }) =>
      async (req, res) => {
        const me = principalOf(res);
        const { id } = IdParams.parse(req.params);
        if (!(await deleteTemplate(db, me.orgId, id))) throw notFound('Template');
        res.status(204).end();
      },
  ),
];

/** Builds the templates router (mounted under `/v1/templates`, behind auth and `express.json()`). */
export function templatesRouter(deps: Pick<ApiDeps, 'db'>): Router {
  return routerFor(templateRoutes, deps, { prefix: '/v1/templates', auth: 'staff' });
}
