/**
 * `/v1/teams`: teams of the org's staff users, which conversations can be assigned to
 * (`POST /v1/conversations/{id}/assign { teamId }`). Everyone in the org reads them; only admins
 * create, rename, delete them and set their members (403 `forbidden` for agents). Another org's
 * team is 404, like an unknown one. Members are replaced as a whole with
 * `PUT /v1/teams/{id}/members { staffIds }`. Every change is audited in its transaction
 * (`team.create`, `team.update`, `team.delete`, `team.members`).
 */
import type { Router } from 'express';
import { auditActorOf } from '../../db/audit-log';
import { createTeam, deleteTeam, findTeam, isTeamNameTaken, listTeams, renameTeam, setTeamMembers, type TeamRow } from '../../db/teams';
import { principalOf } from '../auth';
import type { ApiDeps } from '../deps';
import { HttpError, notFound } from '../errors';
import { defineRoute, type RouteDefinition, routerFor } from '../http/define-route';
import { IdParams } from '../schemas';
import { SetTeamMembersBody, Team, TeamBody, TeamList, type TeamView } from '../staff-schemas';

/** A team row as the `Team` schema. */
export function toTeamView(row: TeamRow): TeamView {
  return {
    id: row.id,
    name: row.name,
    members: row.members.map(({ id, name, email, role, active }) => ({ id, name, email, role, active })),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

const teamExists = (name: string): HttpError => new HttpError(409, 'team_exists', `A team named "${name}" already exists`, { name });

/** The routes under `/v1/teams` (behind auth and `express.json()`). */
export const teamRoutes: RouteDefinition<Pick<ApiDeps, 'db'>>[] = [
  defineRoute(
    {
      method: 'get',
      path: '/v1/teams',
      auth: 'staff',
      operationId: 'listTeams',
      tags: ['teams'],
      summary: "The org's teams with their members, by name",
      response: { status: 200, schema: TeamList, description: 'The teams' },
      errors: [],
    },
    ({ db }) =>
      async (_req, res) => {
        const me = principalOf(res);
        res.json({ data: (await listTeams(db, me.orgId)).map(toTeamView) });
      },
  ),
  defineRoute(
    {
      method: 'post',
      path: '/v1/teams',
      auth: 'staff',
      role: 'admin',
      operationId: 'createTeam',
      tags: ['teams'],
      summary: 'Create a team, without members (admins only)',
      request: { body: TeamBody },
      response: { status: 201, schema: Team, description: 'The team' },
      errors: [400, { status: 409, description: '`team_exists`: the org has a team of that name (case-insensitive)' }],
    },
    ({ db }) =>
      async (req, res) => {
        const me = principalOf(res);
        const body = TeamBody.parse(req.body);
        const team = await createTeam(db, me.orgId, body.name, auditActorOf(me));
        if (!team) throw teamExists(body.name);
        res.status(201).json(toTeamView(team));
      },
  ),
  defineRoute(
    {
      method: 'get',
      path: '/v1/teams/:id',
      auth: 'staff',
      operationId: 'getTeam',
      tags: ['teams'],
      summary: 'One team with its members',
      request: { params: IdParams },
      response: { status: 200, schema: Team, description: 'The team' },
      errors: [400, 404],
    },
    ({ db }) =>
      async (req, res) => {
        const me = principalOf(res);
        const { id } = IdParams.parse(req.params);
        const team = await findTeam(db, me.orgId, id);
        if (!team) throw notFound('Team');
        res.json(toTeamView(team));
      },
  ),
  defineRoute(
    {
      method: 'patch',
      path: '/v1/teams/:id',
      auth: 'staff',
      role: 'admin',
      operationId: 'updateTeam',
      tags: ['teams'],
      summary: 'Rename a team (admins only)',
      request: { params: IdParams, body: TeamBody },
      response: { status: 200, schema: Team, description: 'The team' },
      errors: [400, 404, { status: 409, description: '`team_exists`: another team of the org has that name' }],
    },
    ({ db }) =>
      async (req, res) => {
        const me = principalOf(res);
        const { id } = IdParams.parse(req.params);
        const body = TeamBody.parse(req.body);
        let team: TeamRow | undefined;
        try {
          team = await renameTeam(db, me.orgId, id, body.name, auditActorOf(me));
        } catch (err) {
          if (isTeamNameTaken(err)) throw teamExists(body.name);
          throw err;
        }
        if (!team) throw notFound('Team');
        res.json(toTeamView(team));
      },
  ),
  defineRoute(
    {
      method: 'delete',
      path: '/v1/teams/:id',
      auth: 'staff',
      role: 'admin',
      operationId: 'deleteTeam',
      tags: ['teams'],
      summary: 'Delete a team (admins only): its conversations keep their assignee and lose the team',
      request: { params: IdParams },
      response: { status: 204, description: 'Deleted' },
      errors: [400, 404],
    },
    ({ db }) =>
      async (req, res) => {
        const me = principalOf(res);
        const { id } = IdParams.parse(req.params);
        if (!(await deleteTeam(db, me.orgId, id, auditActorOf(me)))) throw notFound('Team');
        res.status(204).end();
      },
  ),
  defineRoute(
    {
      method: 'put',
      path: '/v1/teams/:id/members',
      auth: 'staff',
      role: 'admin',
      operationId: 'setTeamMembers',
      tags: ['teams'],
      summary: "Replace a team's members with `staffIds` (admins only; `[]` empties it)",
      request: { params: IdParams, body: SetTeamMembersBody },
      response: { status: 200, schema: Team, description: 'The team with its new members' },
      errors: [400, 404, { status: 422, description: '`staff_not_found`: some ids are not staff users of the org (`details.staffIds`)' }],
    },
    ({ db }) =>
      async (req, res) => {
        const me = principalOf(res);
        const { id } = IdParams.parse(req.params);
        const body = SetTeamMembersBody.parse(req.body);
        const outcome = await setTeamMembers(db, me.orgId, id, body.staffIds, auditActorOf(me));
        if (outcome.kind === 'not_found') throw notFound('Team');
        if (outcome.kind === 'unknown_staff') {
          throw new HttpError(422, 'staff_not_found', 'Some ids are not staff users of this organisation', { staffIds: outcome.staffIds });
        }
        res.json(toTeamView(outcome.team));
      },
  ),
];

/** Builds the `/v1/teams` router (mounted under `/v1/teams`, behind auth). */
export function teamsRouter(deps: Pick<ApiDeps, 'db'>): Router {
  return routerFor(teamRoutes, deps, { prefix: '/v1/teams', auth: 'staff' });
}
