/** Staff users (`staff_users`) as the API reads and changes them (invite, update, deactivate). */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { type AuditActor, recordAudit } from './audit-log';
import type { Db } from './client';
import { deactivateStaff, INVITE_TOKEN_TTL_MS, issueOneTimeToken } from './staff-auth';

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

/** A team as embedded in a staff user or `GET /v1/me`: `{ id, name }`. */
export interface TeamRef {
  id: string;
  name: string;
}

/** A staff user as `GET /v1/staff` lists them, with their teams (by name). */
export interface StaffMemberRow {
  id: string;
  org_id: string;
  email: string;
  name: string;
  role: 'admin' | 'agent';
  deactivated_at: Date | null;
  /** Whether a password was set (false = invited, not signed up yet). */
  password_set: boolean;
  created_at: Date;
  teams: TeamRef[];
}

/** The teams of staff user `u.id`, by name (one subquery per row of the same statement: no N+1). */
const teamsOfUser = sql<TeamRef[]>`coalesce((
  select json_agg(json_build_object('id', t.id, 'name', t.name) order by lower(t.name), t.id)
  from team_members m join teams t on t.id = m.team_id
  where m.staff_id = u.id
), '[]'::json)`;

function staffMemberSelect(db: Db, orgId: string) {
  return db
    .selectFrom('staff_users as u')
    .select([
      'u.id',
      'u.org_id',
      'u.email',
      'u.name',
      'u.role',
      'u.deactivated_at',
      'u.created_at',
      sql<boolean>`u.password_hash is not null`.as('password_set'),
      teamsOfUser.as('teams'),
    ])
    .where('u.org_id', '=', orgId);
}

/**
 * The org's staff users, oldest first (then by id); deactivated users only with `includeDeactivated`.
 */
export async function listStaffMembers(db: Db, orgId: string, opts: { includeDeactivated?: boolean } = {}): Promise<StaffMemberRow[]> {
  let q = staffMemberSelect(db, orgId);
  if (!opts.includeDeactivated) q = q.where('u.deactivated_at', 'is', null);
  return q.orderBy('u.created_at').orderBy('u.id').execute();
}

/** Staff user `id` of org `orgId` with their teams, or `undefined` (also for another org's user). */
export async function findStaffMember(db: Db, orgId: string, id: string): Promise<StaffMemberRow | undefined> {
  return staffMemberSelect(db, orgId).where('u.id', '=', id).executeTakeFirst();
}

/** The teams of staff user `staffId` in org `orgId`, by name. */
export async function teamsOfStaff(db: Db, orgId: string, staffId: string): Promise<TeamRef[]> {
  return db
    .selectFrom('team_members as m')
    .innerJoin('teams as t', 't.id', 'm.team_id')
    .select(['t.id', 't.name'])
    .where('m.staff_id', '=', staffId)
    .where('t.org_id', '=', orgId)
    .orderBy(sql`lower(t.name)`)
    .orderBy('t.id')
    .execute();
}

/** What {@link inviteStaff} did. */
export type InviteOutcome =
  /** A new user, or a user who never set a password: a fresh invite token (earlier ones stop working). */
  | { kind: 'invited'; created: boolean; staff: StaffMemberRow; token: string; expiresAt: Date }
  /** The email belongs to a user who set a password, or to a deactivated user: nothing changed. */
  | { kind: 'exists'; staff: StaffMemberRow };

/** A staff user as the audit log records them (no secrets; `passwordSet` is a flag). */
export function staffAuditView(row: StaffMemberRow): Record<string, unknown> {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    active: row.deactivated_at === null,
    passwordSet: row.password_set,
    teams: row.teams.map((t) => t.id),
  };
}

/**
 * Invites `email` (lower-cased) to org `orgId` with `name` and `role`, idempotent by email
 * (case-insensitive, serialised per org and email): a new user is created; a user who has not set a
 * password yet gets a fresh `invite` token (name and role unchanged); a user with a password or a
 * deactivated user → `exists`. The token ({@link INVITE_TOKEN_TTL_MS}) and the audit entry
 * (`staff.invite`) commit with the change.
 */
export async function inviteStaff(
  db: Db,
  orgId: string,
  input: { email: string; name: string; role: 'admin' | 'agent' },
  actor: AuditActor,
): Promise<InviteOutcome> {
  const email = input.email.trim().toLowerCase();
  return db.transaction().execute(async (trx): Promise<InviteOutcome> => {
    await sql`select pg_advisory_xact_lock(hashtext(${`staff-invite:${orgId}:${email}`}))`.execute(trx);
    const existing = await staffMemberSelect(trx, orgId)
      .where(sql<string>`lower(u.email)`, '=', email)
      .orderBy('u.created_at')
      .executeTakeFirst();
    if (existing && (existing.password_set || existing.deactivated_at !== null)) return { kind: 'exists', staff: existing };
    let staffId = existing?.id;
    if (!staffId) {
      staffId = randomUUID();
      await trx.insertInto('staff_users').values({ id: staffId, org_id: orgId, email, name: input.name, role: input.role }).execute();
    }
    const { token, expiresAt } = await issueOneTimeToken(trx, staffId, 'invite', new Date(), INVITE_TOKEN_TTL_MS);
    const staff = (await staffMemberSelect(trx, orgId).where('u.id', '=', staffId).executeTakeFirst())!;
    await recordAudit(trx, {
      orgId,
      actor,
      action: 'staff.invite',
      targetType: 'staff',
      targetId: staffId,
      before: existing ? staffAuditView(existing) : null,
      after: { ...staffAuditView(staff), inviteExpiresAt: expiresAt.toISOString() },
    });
    return { kind: 'invited', created: !existing, staff, token, expiresAt };
  });
}

/** A change to a staff user (each optional; `undefined` = unchanged). */
export interface StaffChange {
  name?: string;
  role?: 'admin' | 'agent';
  /** `false` deactivates (sessions revoked at once), `true` reactivates. */
  active?: boolean;
}

/** What {@link updateStaff} did. */
export type StaffUpdateOutcome =
  | { kind: 'updated'; staff: StaffMemberRow }
  | { kind: 'not_found' }
  /** The change would leave the org without an active admin: nothing changed. */
  | { kind: 'last_admin' };

/**
 * Applies `change` to staff user `id` of org `orgId` in one transaction with its audit entry
 * (`staff.deactivate`, `staff.reactivate` or `staff.update`, with before / after). Deactivation is
 * {@link deactivateStaff} (token version bumped, refresh tokens revoked); a role change also bumps
 * `token_version`, so access tokens carrying the old role stop working (a refresh issues the new
 * one). The org's active admins are locked first, so concurrent demotions cannot leave it without
 * one (`last_admin`).
 */
export async function updateStaff(db: Db, orgId: string, id: string, change: StaffChange, actor: AuditActor): Promise<StaffUpdateOutcome> {
  return db.transaction().execute(async (trx): Promise<StaffUpdateOutcome> => {
    const admins = await trx
      .selectFrom('staff_users')
      .select('id')
      .where('org_id', '=', orgId)
      .where('role', '=', 'admin')
      .where('deactivated_at', 'is', null)
      .orderBy('id')
      .forUpdate()
      .execute();
    await trx.selectFrom('staff_users').select('id').where('org_id', '=', orgId).where('id', '=', id).forUpdate().execute();
    const before = await staffMemberSelect(trx, orgId).where('u.id', '=', id).executeTakeFirst();
    if (!before) return { kind: 'not_found' };
    const isActiveAdmin = before.role === 'admin' && before.deactivated_at === null;
    const losesAdmin = isActiveAdmin && (change.role === 'agent' || change.active === false);
    if (losesAdmin && admins.every((a) => a.id === id)) return { kind: 'last_admin' };

    const roleChanged = change.role !== undefined && change.role !== before.role;
    if (change.name !== undefined || roleChanged) {
      await trx
        .updateTable('staff_users')
        .set({
          ...(change.name !== undefined ? { name: change.name } : {}),
          ...(roleChanged ? { role: change.role, token_version: sql`token_version + 1` } : {}),
        })
        .where('id', '=', id)
        .execute();
    }
    const deactivating = change.active === false && before.deactivated_at === null;
    const reactivating = change.active === true && before.deactivated_at !== null;
    if (deactivating) await deactivateStaff(trx, id);
    if (reactivating) await trx.updateTable('staff_users').set({ deactivated_at: null }).where('id', '=', id).execute();
    const after = (await staffMemberSelect(trx, orgId).where('u.id', '=', id).executeTakeFirst())!;
    await recordAudit(trx, {
      orgId,
      actor,
      action: deactivating ? 'staff.deactivate' : reactivating ? 'staff.reactivate' : 'staff.update',
      targetType: 'staff',
      targetId: id,
      before: staffAuditView(before),
      after: staffAuditView(after),
    });
    return { kind: 'updated', staff: after };
  });
}
