import { Router } from 'express';
import { findStaffUserWithOrg } from '../../db/staff-users';
import { principalOf } from '../auth';
import type { ApiDeps } from '../deps';
import { HttpError } from '../errors';

/** `GET /v1/me`: the signed-in staff user and their org (401 if the user no longer exists). */
export function meRouter({ db }: ApiDeps): Router {
  const router = Router();
  router.get('/', async (_req, res) => {
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
    });
  });
  return router;
}
