/**
 * `/v1/staff`: the org's staff users. Everyone in the org lists them; only admins invite and change
 * them (403 `forbidden` for agents). Another org's user is 404, like an unknown one. Every change is
 * written to the audit log in the same transaction (`staff.invite`, `staff.update`,
 * `staff.deactivate`, `staff.reactivate`).
 *
 * Invites: `POST /v1/staff` creates the user without a password and answers the one-time invite
 * token (7 days, single use) and its link `${PUBLIC_BASE_URL}/set-password?token=…`; the user sets a
 * password with `POST /v1/auth/set-password { token, password }` and then signs in.
 */
import type { Router } from 'express';
import { auditActorOf } from '../../db/audit-log';
import { setPasswordUrl } from '../../db/staff-auth';
import { findStaffMember, inviteStaff, listStaffMembers, type StaffMemberRow, updateStaff } from '../../db/staff-users';
import { principalOf } from '../auth';
import type { ApiDeps } from '../deps';
import { HttpError, notFound } from '../errors';
import { defineRoute, type RouteDefinition, routerFor } from '../http/define-route';
import { IdParams } from '../schemas';
import {
  InviteStaffBody,
  ListStaffQuery,
  PatchStaffBody,
  StaffInvite,
  StaffList,
  StaffMember,
  type StaffMemberView,
} from '../staff-schemas';

/** What the staff routes need. */
export type StaffRoutesDeps = Pick<ApiDeps, 'db'> & { config: Pick<ApiDeps['config'], 'publicBaseUrl'> };

/** A staff row as the `StaffMember` schema. */
export function toStaffView(row: StaffMemberRow): StaffMemberView {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    active: row.deactivated_at === null,
    deactivatedAt: row.deactivated_at?.toISOString() ?? null,
    invitationPending: !row.password_set,
    teams: row.teams,
    createdAt: row.created_at.toISOString(),
  };
}

/** The routes under `/v1/staff` (behind auth and `express.json()`). */
export const staffRoutes: RouteDefinition<StaffRoutesDeps>[] = [
  defineRoute(
    {
      method: 'get',
      path: '/v1/staff',
      auth: 'staff',
      operationId: 'listStaff',
      tags: ['staff'],
      summary: "The org's staff users with their teams, oldest first (active only unless `includeDeactivated=true`)",
      request: { query: ListStaffQuery },
      response: { status: 200, schema: StaffList, description: 'The staff users' },
      errors: [400],
    },
    ({ db }) =>
      async (req, res) => {
        const me = principalOf(res);
        const q = ListStaffQuery.parse(req.query);
        const rows = await listStaffMembers(db, me.orgId, { includeDeactivated: q.includeDeactivated === true });
        res.json({ data: rows.map(toStaffView) });
      },
  ),
  defineRoute(
    {
      method: 'post',
      path: '/v1/staff',
      auth: 'staff',
      role: 'admin',
      operationId: 'inviteStaff',
      tags: ['staff'],
      summary:
        'Invite a staff user by email (admins only): a one-time set-password link; again for a user without a password = a fresh link',
      request: { body: InviteStaffBody },
      response: { status: 201, schema: StaffInvite, description: 'The user and the invite (shown once)' },
      errors: [
        400,
        {
          status: 409,
          description: '`staff_exists`: a user with this email already set a password, or is deactivated (reactivate with `PATCH`)',
        },
      ],
    },
    ({ db, config }) =>
      async (req, res) => {
        const me = principalOf(res);
        const body = InviteStaffBody.parse(req.body);
        const outcome = await inviteStaff(db, me.orgId, body, auditActorOf(me));
        if (outcome.kind === 'exists') {
          const active = outcome.staff.deactivated_at === null;
          throw new HttpError(
            409,
            'staff_exists',
            active
              ? `${outcome.staff.email} is already a staff user of this organisation`
              : `${outcome.staff.email} is a deactivated staff user: reactivate them with PATCH /v1/staff/${outcome.staff.id}`,
            { staffId: outcome.staff.id, active },
          );
        }
        res.status(201).json({
          staff: toStaffView(outcome.staff),
          created: outcome.created,
          invite: {
            token: outcome.token,
            url: setPasswordUrl(config.publicBaseUrl, outcome.token),
            expiresAt: outcome.expiresAt.toISOString(),
          },
        });
      },
  ),
  defineRoute(
    {
      method: 'get',
      path: '/v1/staff/:id',
      auth: 'staff',
      operationId: 'getStaff',
      tags: ['staff'],
      summary: 'One staff user of the org (also a deactivated one)',
      request: { params: IdParams },
      response: { status: 200, schema: StaffMember, description: 'The staff user' },
      errors: [400, 404],
    },
    ({ db }) =>
      async (req, res) => {
        const me = principalOf(res);
        const { id } = IdParams.parse(req.params);
        const row = await findStaffMember(db, me.orgId, id);
        if (!row) throw notFound('Staff user');
        res.json(toStaffView(row));
      },
  ),
  defineRoute(
    {
      method: 'patch',
      path: '/v1/staff/:id',
      auth: 'staff',
      role: 'admin',
      operationId: 'updateStaff',
      tags: ['staff'],
      summary:
        'Change name or role, deactivate (`active: false`: their tokens stop working at once; their conversations stay assigned) or reactivate (admins only)',
      request: { params: IdParams, body: PatchStaffBody },
      response: { status: 200, schema: StaffMember, description: 'The updated staff user' },
      errors: [400, 404, { status: 409, description: '`last_admin`: the change would leave the org without an active admin' }],
    },
    ({ db }) =>
      async (req, res) => {
        const me = principalOf(res);
        const { id } = IdParams.parse(req.params);
        const body = PatchStaffBody.parse(req.body);
        const outcome = await updateStaff(db, me.orgId, id, body, auditActorOf(me));
        if (outcome.kind === 'not_found') throw notFound('Staff user');
        if (outcome.kind === 'last_admin') {
          throw new HttpError(409, 'last_admin', 'The organisation needs at least one active admin: promote another admin first', {
            staffId: id,
          });
        }
        res.json(toStaffView(outcome.staff));
      },
  ),
];

/** Builds the `/v1/staff` router (mounted under `/v1/staff`, behind auth). */
export function staffRouter(deps: StaffRoutesDeps): Router {
  return routerFor(staffRoutes, deps, { prefix: '/v1/staff', auth: 'staff' });
}
