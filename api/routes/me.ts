/** `GET /v1/me`: the signed-in staff user, their org and their teams. */
import type { Router } from 'express';
import { findStaffUserWithOrg, teamsOfStaff } from '../../db/staff-users';
import { principalOf } from '../auth';
import type { ApiDeps } from '../deps';
import { HttpError } from '../errors';
import { defineRoute, type RouteDefinition, routerFor } from '../http/define-route';
import { Me } from '../schemas';

/** `GET /v1/me` → 200 `Me` (401 `unauthorized` if the token's user no longer exists in its org). */
export const meRoutes: RouteDefinition<Pick<ApiDeps, 'db'>>[] = [
  defineRoute(
    {
      method: 'get',
      path: '/v1/me',
      auth: 'staff',
      operationId: 'getMe',
      tags: ['me'],
      summary: 'The signed-in staff user, their org and their teams',
      response: { status: 200, schema: Me, description: 'The user' },
      errors: [],
    },
    ({ db }) =>
      async (_req, res) => {
        const me = principalOf(res);
        const row = await findStaffUserWithOrg(db, me.orgId, me.userId);
        if (!row) throw new HttpError(401, 'unauthorized', 'The token user no longer exists');
        res.json({
          id: row.id,
          orgId: row.org_id,
          email: row.email,
          name: row.name,
          role: row.role,
          org: { id: row.org_id, name: row.org_name },
          teams: await teamsOfStaff(db, me.orgId, me.userId),
        });
      },
  ),
];

/** Builds the `/v1/me` router (mounted under `/v1/me`, behind auth). */
export function meRouter(deps: Pick<ApiDeps, 'db'>): Router {
  return routerFor(meRoutes, deps, { prefix: '/v1/me', auth: 'staff' });
}
