/**
 * Operator actions of the admin CLI (`scripts/admin.ts`): create an org with its first admin, list
 * orgs, find staff by email. Passwords are never handled here: the CLI prints one-time tokens
 * (`db/staff-auth.ts`) and the user sets their password through `POST /v1/auth/set-password`.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from './client';

/** An org as `list-orgs` prints it. */
export interface OrgSummary {
  id: string;
  name: string;
  createdAt: Date;
  /** Active (not deactivated) staff users. */
  activeStaff: number;
}

/** What {@link createOrgWithAdmin} did. */
export interface CreatedOrg {
  orgId: string;
  orgName: string;
  adminId: string;
  adminEmail: string;
  /** false = an admin with that email existed already: that org is returned, nothing was created. */
  created: boolean;
}

/**
 * Creates org `name` and its first admin `adminEmail` (lower-cased) in one transaction. Idempotent by
 * admin email: when an admin with that email (case-insensitive) exists, returns their org (the
 * oldest, should there be several) and creates nothing.
 */
export async function createOrgWithAdmin(db: Db, input: { name: string; adminEmail: string; adminName?: string }): Promise<CreatedOrg> {
  const email = input.adminEmail.trim().toLowerCase();
  return db.transaction().execute(async (trx) => {
    // serialise concurrent runs for the same email
    await sql`select pg_advisory_xact_lock(hashtext(${`create-org:${email}`}))`.execute(trx);
    const existing = await trx
      .selectFrom('staff_users as u')
      .innerJoin('orgs as o', 'o.id', 'u.org_id')
      .select(['u.id', 'u.email', 'o.id as org_id', 'o.name as org_name'])
      .where(sql<string>`lower(u.email)`, '=', email)
      .where('u.role', '=', 'admin')
      .orderBy('o.created_at')
      .executeTakeFirst();
    if (existing)
      return { orgId: existing.org_id, orgName: existing.org_name, adminId: existing.id, adminEmail: existing.email, created: false };
    const orgId = randomUUID();
    const adminId = randomUUID();
    await trx.insertInto('orgs').values({ id: orgId, name: input.name }).execute();
    await trx
      .insertInto('staff_users')
      .values({ id: adminId, org_id: orgId, email, name: input.adminName ?? email.split('@')[0]!, role: 'admin' })
      .execute();
    return { orgId, orgName: input.name, adminId, adminEmail: email, created: true };
  });
}

/** Every org, oldest first, with its number of active staff users. */
export async function listOrgs(db: Db): Promise<OrgSummary[]> {
  const rows = await db
    .selectFrom('orgs as o')
    .leftJoin('staff_users as u', (j) => j.onRef('u.org_id', '=', 'o.id').on('u.deactivated_at', 'is', null))
    .select(['o.id', 'o.name', 'o.created_at', (eb) => eb.fn.count<string>('u.id').as('active_staff')])
    .groupBy(['o.id', 'o.name', 'o.created_at'])
    .orderBy('o.created_at')
    .execute();
  return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at, activeStaff: Number(r.active_staff) }));
}
