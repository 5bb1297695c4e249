/** `GET /healthz` (no auth): whether Postgres and Temporal answer. */
import type { Router } from 'express';
import { pingDb } from '../../db/client';
import type { ApiDeps } from '../deps';
import { defineRoute, type RouteDefinition, routerFor } from '../http/define-route';
import { Health } from '../schemas';

/** `GET /healthz` → 200 `{ status: 'ok', database: true, temporal: true }`, else 503 `degraded` with which one failed. */
export const healthRoutes: RouteDefinition<Pick<ApiDeps, 'db' | 'conversations'>>[] = [
  defineRoute(
    {
      method: 'get',
      path: '/healthz',
      auth: 'none',
      operationId: 'getHealth',
      tags: ['health'],
      summary: 'Database and Temporal reachability (no auth)',
      response: { status: 200, schema: Health, description: 'Healthy' },
      otherResponses: { 503: { description: 'Degraded', content: { 'application/json': { schema: Health } } } },
      errors: [],
    },
    ({ db, conversations }) =>
      async (_req, res) => {
        const [database, temporal] = await Promise.all([pingDb(db), conversations.ping()]);
        res.status(database && temporal ? 200 : 503).json({ status: database && temporal ? 'ok' : 'degraded', database, temporal });
      },
  ),
];

/** Builds the health router (mounted at `/healthz`, before the content-encoding check). */
export function healthRouter(deps: Pick<ApiDeps, 'db' | 'conversations'>): Router {
  return routerFor(healthRoutes, deps, { prefix: '/healthz', auth: 'none' });
}
