/**
 * Teams (`teams`, `team_members`, migration 0013): groups of an org's staff users that conversations
 * can be assigned to (`conversations.team_id`). Every query is scoped by `org_id`: another org's team
 * is simply not found. Writes record their audit entry (`team.create`, `team.update`, `team.delete`,
 * `team.members`) in the same transaction.
 */
import { sql } from 'kysely';
import { type AuditActor, recordAudit } from './audit-log';
import type { Db } from './client';

/** A member as embedded in a team: the staff user's id, name, email, role and whether they are active. */
export interface TeamMemberRef {
  id: string;
  name: string;
  email: string;
  role: 'admin' | 'agent';
  active: boolean;
}

/** A team with its members (by name, then id). */
export interface TeamRow {
  id: string;
  org_id: string;
  name: string;
  created_at: Date;
  updated_at: Date;
  members: TeamMemberRef[];
}

/** The members of team `t.id`, in the same statement (no N+1). */
const membersOfTeam = sql<TeamMemberRef[]>`coalesce((
  select json_agg(
    json_build_object('id', u.id, 'name', u.name, 'email', u.email, 'role', u.role, 'active', u.deactivated_at is null)
    order by lower(u.name), u.id
  )
  from team_members m join staff_users u on u.id = m.staff_id
  where m.team_id = t.id
), '[]'::json)`;

function teamSelect(db: Db, orgId: string) {
  return db
    .selectFrom('teams as t')
    .select(['t.id', 't.org_id', 't.name', 't.created_at', 't.updated_at', membersOfTeam.as('members')])
    .where('t.org_id', '=', orgId);
}

/** A team as the audit log records it. */
function auditView(team: TeamRow): Record<string, unknown> {
  return { id: team.id, name: team.name, memberIds: team.members.map((m) => m.id) };
}

/** Whether `err` is the unique violation of a team name within its org. */
export function isTeamNameTaken(err: unknown): boolean {
  const e = err as { code?: unknown; constraint?: unknown } | null;
  return e?.code === '23505' && e.constraint === 'teams_org_lower_name_key';
}

/** Every team of the org, by name (case-insensitive), then id. */
export async function listTeams(db: Db, orgId: string): Promise<TeamRow[]> {
  return teamSelect(db, orgId)
    .orderBy(sql`lower(t.name)`)
    .orderBy('t.id')
    .execute();
}

/** Team `id` of org `orgId`, or `undefined` (also for another org's team). */
export async function findTeam(db: Db, orgId: string, id: string): Promise<TeamRow | undefined> {
  return teamSelect(db, orgId).where('t.id', '=', id).executeTakeFirst();
}

/** Team `id` of org `orgId`, locked (`FOR UPDATE`) until `trx` ends, or `undefined`. */
function lockTeam(trx: Db, orgId: string, id: string): Promise<TeamRow | undefined> {
  return teamSelect(trx, orgId).where('t.id', '=', id).forUpdate('t').executeTakeFirst();
}

/**
 * In `trx`: sets `change` and `updated_at` = now on the locked team `before`, reads it again and records
 * `action` from `before` to the result in the audit log. Returns the team as it is now.
 */
async function touchTeam(
  trx: Db,
  orgId: string,
  before: TeamRow,
  change: { name?: string },
  actor: AuditActor,
  action: 'team.update' | 'team.members',
): Promise<TeamRow> {
  await trx
    .updateTable('teams')
    .set({ ...change, updated_at: sql`now()` })
    .where('id', '=', before.id)
    .execute();
  const after = (await findTeam(trx, orgId, before.id))!;
  await recordAudit(trx, {
    orgId,
    actor,
    action,
    targetType: 'team',
    targetId: before.id,
    before: auditView(before),
    after: auditView(after),
  });
  return after;
}

/**
 * Creates team `name` in org `orgId` (audit `team.create`).
 * @returns the team, or `undefined` when the org has a team of that name (case-insensitive)
 */
export async function createTeam(db: Db, orgId: string, name: string, actor: AuditActor): Promise<TeamRow | undefined> {
  return db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('teams')
      .values({ org_id: orgId, name })
      .onConflict((oc) => oc.doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) return undefined;
    const team = (await findTeam(trx, orgId, inserted.id))!;
    await recordAudit(trx, { orgId, actor, action: 'team.create', targetType: 'team', targetId: team.id, after: auditView(team) });
    return team;
  });
}

/**
 * Renames team `id` of org `orgId` (audit `team.update`).
 * @returns the team, or `undefined` when there is no such team
 * @throws the unique violation when another team has that name ({@link isTeamNameTaken})
 */
export async function renameTeam(db: Db, orgId: string, id: string, name: string, actor: AuditActor): Promise<TeamRow | undefined> {
  return db.transaction().execute(async (trx) => {
    const before = await lockTeam(trx, orgId, id);
    if (!before) return undefined;
    return touchTeam(trx, orgId, before, { name }, actor, 'team.update');
  });
}

/**
 * Deletes team `id` of org `orgId` (audit `team.delete`): its memberships go with it and its
 * conversations keep their assignee but lose the team (`team_id` set null by the foreign key).
 * @returns false when there is no such team
 */
export async function deleteTeam(db: Db, orgId: string, id: string, actor: AuditActor): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const before = await lockTeam(trx, orgId, id);
    if (!before) return false;
    await trx.deleteFrom('teams').where('id', '=', id).where('org_id', '=', orgId).execute();
    await recordAudit(trx, { orgId, actor, action: 'team.delete', targetType: 'team', targetId: id, before: auditView(before) });
    return true;
  });
}

/** What {@link setTeamMembers} did. */
export type SetMembersOutcome =
  | { kind: 'updated'; team: TeamRow }
  | { kind: 'not_found' }
  /** Some ids are not staff users of the org: nothing changed. */
  | { kind: 'unknown_staff'; staffIds: string[] };

/**
 * Replaces the members of team `id` of org `orgId` with `staffIds` (duplicates ignored; deactivated
 * users may stay members) in one transaction with its audit entry (`team.members`).
 */
export async function setTeamMembers(
  db: Db,
  orgId: string,
  id: string,
  staffIds: readonly string[],
  actor: AuditActor,
): Promise<SetMembersOutcome> {
  const wanted = [...new Set(staffIds)];
  return db.transaction().execute(async (trx): Promise<SetMembersOutcome> => {
    const before = await lockTeam(trx, orgId, id);
    if (!before) return { kind: 'not_found' };
    if (wanted.length > 0) {
      const found = await trx.selectFrom('staff_users').select('id').where('org_id', '=', orgId).where('id', 'in', wanted).execute();
      const known = new Set(found.map((r) => r.id));
      const unknown = wanted.filter((s) => !known.has(s));
      if (unknown.length > 0) return { kind: 'unknown_staff', staffIds: unknown };
    }
    let remove = trx.deleteFrom('team_members').where('team_id', '=', id);
    if (wanted.length > 0) remove = remove.where('staff_id', 'not in', wanted);
    await remove.execute();
    if (wanted.length > 0) {
      await trx
        .insertInto('team_members')
        .values(wanted.map((staffId) => ({ team_id: id, staff_id: staffId })))
        .onConflict((oc) => oc.doNothing())
        .execute();
    }
    return { kind: 'updated', team: await touchTeam(trx, orgId, before, {}, actor, 'team.members') };
  });
}
