import { Router } from 'express';
import { principalOf } from '../auth';
import type { ApiDeps } from '../deps';
import { HttpError } from '../errors';

/** `GET /v1/me`: the signed-in staff user and their org (401 if the user no longer exists). */
export function meRouter({ db }: ApiDeps): Router {
  const router = Router();
  router.get('/', async (_req, res) => {
    const me = principalOf(res);
    const row = await db
      .selectFrom('staff_users as u')
      .innerJoin('orgs as o', 'o.id', 'u.org_id')
      .select(['u.id', 'u.org_id', 'u.email', 'u.name', 'u.role', 'o.name as org_name'])
      .where('u.id', '=', me.userId)
      .where('u.org_id', '=', me.orgId)
      .executeTakeFirst();
    if (!row) throw new HttpError(401, 'unauthorized', 'The token user no longer exists');
    res.json({
      id: row.id,
      orgId: row.org_id,
      email: row.email,
      name: row.name,
      role: row.role,
      org: { id: row.org_id, name: row.org_name },
    });
  });
  return router;
}
