/**
 * `GET /v1/audit-log` (admins only; agents and keys without the `admin` scope → 403 `forbidden`): the
 * org's audited admin actions (`db/audit-log.ts`), newest first, keyset-paginated.
 */
import type { Router } from 'express';
import { listAuditLog } from '../../db/audit-log';
import { AuditLogPage, AuditLogQuery, decodeAuditLogCursor, encodeAuditLogCursor } from '../audit-log-schemas';
import { principalOf } from '../auth';
import type { ApiDeps } from '../deps';
import { defineRoute, type RouteDefinition, routerFor } from '../http/define-route';

/** `GET /v1/audit-log` → 200 `AuditLogPage` (400 `validation_failed` / `invalid_cursor`, 403 for non-admins). */
export const auditLogRoutes: RouteDefinition<Pick<ApiDeps, 'db'>>[] = [
  defineRoute(
    {
      method: 'get',
      path: '/v1/audit-log',
      auth: 'staff',
      role: 'admin',
      operationId: 'listAuditLog',
      tags: ['audit-log'],
      summary:
        'List the org’s audit log of admin actions, newest first (admins only; cursor pagination; filter by action, target or actor)',
      request: { query: AuditLogQuery },
      response: { status: 200, schema: AuditLogPage, description: 'A page' },
      errors: [400],
    },
    ({ db }) =>
      async (req, res) => {
        const me = principalOf(res);
        const q = AuditLogQuery.parse(req.query);
        const page = await listAuditLog(
          db,
          me.orgId,
          { action: q.action, targetType: q.targetType, targetId: q.targetId, actorId: q.actorId },
          { limit: q.limit, cursor: q.cursor !== undefined ? decodeAuditLogCursor(q.cursor) : undefined },
        );
        const body: AuditLogPage = { data: page.entries, nextCursor: page.next ? encodeAuditLogCursor(page.next) : null };
        res.json(body);
      },
  ),
];

/** Builds the audit log router (mounted under `/v1/audit-log`, behind auth). */
export function auditLogRouter(deps: Pick<ApiDeps, 'db'>): Router {
  return routerFor(auditLogRoutes, deps, { prefix: '/v1/audit-log', auth: 'staff' });
}
