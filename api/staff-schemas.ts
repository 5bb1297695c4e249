/**
 * Request and response schemas (zod, with OpenAPI metadata) of `/v1/staff` and `/v1/teams`.
 * Timestamps are ISO-8601 UTC.
 */
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { STAFF_ROLES } from './auth';
import { IsoDateTime, TeamRef, text } from './schemas';

extendZodWithOpenApi(z);

const Uuid = z.uuid();
const Role = z.enum(STAFF_ROLES);

// ---- Staff ----------------------------------------------------------------------------------

/** A staff user of the org: 200 items of `GET /v1/staff`, 200 of `PATCH /v1/staff/{id}`. */
export const StaffMember = z
  .object({
    id: Uuid,
    email: z.string(),
    name: z.string(),
    role: Role,
    active: z.boolean().openapi({ description: '`false` = deactivated: cannot sign in, their tokens are revoked' }),
    deactivatedAt: IsoDateTime.nullable(),
    invitationPending: z.boolean().openapi({ description: 'Invited but no password set yet (`POST /v1/staff` again issues a fresh link)' }),
    teams: z.array(TeamRef).openapi({ description: 'The teams the user belongs to, by name' }),
    createdAt: IsoDateTime,
  })
  .openapi('StaffMember');
/** JSON shape of {@link StaffMember}. */
export type StaffMemberView = z.infer<typeof StaffMember>;

/** 200 body of `GET /v1/staff`: the org's staff users, oldest first. */
export const StaffList = z.object({ data: z.array(StaffMember) }).openapi('StaffList');

/** Query of `GET /v1/staff`: `includeDeactivated=true` also lists deactivated users (default: active only). */
export const ListStaffQuery = z
  .object({
    includeDeactivated: z
      .enum(['true', 'false'])
      .transform((v) => v === 'true')
      .optional()
      .openapi({ description: 'Also list deactivated users (default false)' }),
  })
  .strict();

/** Body of `POST /v1/staff`: invite `email` (case-insensitive, stored lower-cased) as `role` with display `name`. */
export const InviteStaffBody = z
  .object({
    email: z.email().max(320).openapi({ example: 'agent@acme.test' }),
    name: text(200).openapi({ example: 'Grace Agent' }),
    role: Role,
  })
  .strict()
  .openapi('InviteStaff');

/**
 * 201 body of `POST /v1/staff`: the user and their one-time invite (shown once): `token` for
 * `POST /v1/auth/set-password`, and `url` = `${PUBLIC_BASE_URL}/set-password?token=…` to send them.
 */
export const StaffInvite = z
  .object({
    staff: StaffMember,
    created: z.boolean().openapi({ description: '`false` = the user had been invited before and had not set a password: a fresh invite' }),
    invite: z.object({
      token: z.string().openapi({ description: 'One-time token (single use; earlier invites of the user stop working)' }),
      url: z.string().openapi({ description: '`${PUBLIC_BASE_URL}/set-password?token=…`: the link to send the user' }),
      expiresAt: IsoDateTime.openapi({ description: 'The token works until then (7 days)' }),
    }),
  })
  .openapi('StaffInvite');

/**
 * Body of `PATCH /v1/staff/{id}`: at least one of `name`, `role`, `active` (`false` deactivates at
 * once, `true` reactivates).
 */
export const PatchStaffBody = z
  .object({
    name: text(200).optional(),
    role: Role.optional(),
    active: z.boolean().optional().openapi({ description: '`false` deactivates (sessions revoked at once), `true` reactivates' }),
  })
  .strict()
  .refine((b) => b.name !== undefined || b.role !== undefined || b.active !== undefined, {
    message: 'give at least one of name, role, active',
  })
  .openapi('PatchStaff');

// ---- Teams ----------------------------------------------------------------------------------

/** A member as embedded in a {@link Team}. */
export const TeamMember = z
  .object({ id: Uuid, name: z.string(), email: z.string(), role: Role, active: z.boolean() })
  .openapi('TeamMember');

/** A team with its members (by name): 200 of `GET /v1/teams/{id}`, `PATCH`, `PUT …/members`; 201 of `POST /v1/teams`. */
export const Team = z
  .object({
    id: Uuid,
    name: z.string(),
    members: z.array(TeamMember),
    createdAt: IsoDateTime,
    updatedAt: IsoDateTime,
  })
  .openapi('Team');
/** JSON shape of {@link Team}. */
export type TeamView = z.infer<typeof Team>;

/** 200 body of `GET /v1/teams`: the org's teams by name. */
export const TeamList = z.object({ data: z.array(Team) }).openapi('TeamList');

/** Body of `POST /v1/teams` and `PATCH /v1/teams/{id}`: the name (1–100 characters, unique per org, case-insensitive). */
export const TeamBody = z
  .object({ name: text(100).openapi({ example: 'Billing' }) })
  .strict()
  .openapi('TeamInput');

/** Body of `PUT /v1/teams/{id}/members`: the complete member list (replaces it; `[]` empties the team). */
export const SetTeamMembersBody = z
  .object({ staffIds: z.array(Uuid).max(1_000).openapi({ description: 'Staff user ids of the org (duplicates ignored)' }) })
  .strict()
  .openapi('SetTeamMembers');
