/** Staff users (`staff_users`) as the API reads them. */
import type { Db } from './client';

/**
 * The staff user `userId` of org `orgId` with their org's name (`org_name`), or `undefined` if
 * no such user exists in that org (e.g. deleted after their token was issued).
 */
export async function findStaffUserWithOrg(db: Db, orgId: string, userId: string) {
  return db
    .selectFrom('staff_users as u')
    .innerJoin('orgs as o', 'o.id', 'u.org_id')
    .select(['u.id', 'u.org_id', 'u.email', 'u.name', 'u.role', 'o.name as org_name'])
    .where('u.id', '=', userId)
    .where('u.org_id', '=', orgId)
    .executeTakeFirst();
}
