/**
 * Staff and teams (issue 10) through the real path: Express → Postgres for `/v1/staff` and
 * `/v1/teams`, and Express → Temporal update (`assign`, shared dev server, a worker on this file's
 * task queue) → Postgres → read for conversations. Covers: invite → set-password → login as the new
 * agent; re-invites; 403 for agents on every write; another org's ids → 404; deactivation through the
 * API revoking the user's access and refresh tokens at once and marking their conversations
 * `assigneeInactive`; the last-admin guard; teams CRUD and members; assigning to a team and a member;
 * `scope=mine|team` and `teamId` filters; audit entries (read from `audit_log` directly).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import { signStaffToken } from '../../api/auth';
import { bearerRequests } from '../support/bearer-requests';
import { createHarness, createTestOrg, type Harness, JWT_SECRET, PUBLIC_BASE_URL, randomPhone, type TestOrg } from '../support/harness';
import { type ConversationBody, expectError, expectValidationError, inboundAndWait, listAll } from './rest-helpers';

const PASSWORD = 'correct horse battery staple';

let h: Harness;
let other: TestOrg;
let otherAdmin: string;

beforeAll(async () => {
  h = await createHarness();
  other = await createTestOrg(h.db);
  otherAdmin = signStaffToken(JWT_SECRET, { userId: other.adminId, orgId: other.orgId, role: 'admin' });
});
afterAll(async () => {
  await h?.close();
});

/** Requests as `token` (default: the harness admin). */
const as = (token: string = h.tokens.admin) => bearerRequests(h.app, token);

interface StaffBody {
  id: string;
  email: string;
  name: string;
  role: 'admin' | 'agent';
  active: boolean;
  deactivatedAt: string | null;
  invitationPending: boolean;
  teams: { id: string; name: string }[];
  createdAt: string;
}
interface TeamBody {
  id: string;
  name: string;
  members: { id: string; name: string; email: string; role: string; active: boolean }[];
}
type ConversationView = ConversationBody & { teamId: string | null; assigneeInactive: boolean };

const uniqueEmail = (label: string) => `${label}-${randomBytes(4).toString('hex')}@Staff.Example.test`;

/** Invites `email` as the harness admin and returns the 201 body. */
async function invite(email: string, role: 'admin' | 'agent' = 'agent', name = 'Grace Agent') {
  const res = await as().post('/v1/staff', { email, name, role });
  expect(res.status).toBe(201);
  return res.body as { staff: StaffBody; created: boolean; invite: { token: string; url: string; expiresAt: string } };
}

/** Invites, sets the password and logs in: the user and their token pair. */
async function signedUpUser(role: 'admin' | 'agent' = 'agent') {
  const email = uniqueEmail('user');
  const invited = await invite(email, role);
  expect((await request(h.app).post('/v1/auth/set-password').send({ token: invited.invite.token, password: PASSWORD })).status).toBe(204);
  const login = await request(h.app).post('/v1/auth/login').send({ email, password: PASSWORD });
  expect(login.status).toBe(200);
  return { staff: invited.staff, accessToken: login.body.accessToken as string, refreshToken: login.body.refreshToken as string };
}

/** The org's audit entries for `targetId`, oldest first. */
const auditOf = (orgId: string, targetId: string) =>
  h.db
    .selectFrom('audit_log')
    .select(['action', 'actor_type', 'actor_id', 'target_type', 'before', 'after'])
    .where('org_id', '=', orgId)
    .where('target_id', '=', targetId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();

const conversation = async (id: string, token?: string): Promise<ConversationView> => {
  const res = await as(token).get(`/v1/conversations/${id}`);
  expect(res.status).toBe(200);
  return res.body as ConversationView;
};

describe('staff', () => {
  test('invite → re-invite → set-password → login as the new agent; the invite of a signed-up user is a 409; audited', async () => {
    const email = uniqueEmail('grace');
    const first = await invite(email);
    expect(first.created).toBe(true);
    expect(first.staff).toMatchObject({
      email: email.toLowerCase(),
      name: 'Grace Agent',
      role: 'agent',
      active: true,
      deactivatedAt: null,
      invitationPending: true,
      teams: [],
    });
    expect(first.invite.url).toBe(`${PUBLIC_BASE_URL}/set-password?token=${first.invite.token}`);
    expect(Date.parse(first.invite.expiresAt) - Date.now()).toBeGreaterThan(6 * 24 * 3600_000);

    // again, before a password is set: the same user, a fresh token; the first one stops working
    const again = await invite(email.toUpperCase(), 'admin', 'Someone Else');
    expect(again.created).toBe(false);
    expect(again.staff).toMatchObject({ id: first.staff.id, role: 'agent', name: 'Grace Agent' });
    expect(again.invite.token).not.toBe(first.invite.token);
    expectError(
      await request(h.app).post('/v1/auth/set-password').send({ token: first.invite.token, password: PASSWORD }),
      400,
      'invalid_token',
    );
    expect((await request(h.app).post('/v1/auth/set-password').send({ token: again.invite.token, password: PASSWORD })).status).toBe(204);

    const login = await request(h.app).post('/v1/auth/login').send({ email, password: PASSWORD });
    expect(login.status).toBe(200);
    const me = await as(login.body.accessToken).get('/v1/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: first.staff.id, email: email.toLowerCase(), role: 'agent', orgId: h.org.orgId, teams: [] });

    const exists = expectError(await as().post('/v1/staff', { email, name: 'Grace', role: 'agent' }), 409, 'staff_exists');
    expect(exists.error.details).toMatchObject({ staffId: first.staff.id, active: true });

    const listed = await as(login.body.accessToken).get('/v1/staff');
    expect(listed.status).toBe(200);
    const row = (listed.body.data as StaffBody[]).find((s) => s.id === first.staff.id);
    expect(row).toMatchObject({ invitationPending: false, active: true });
    expect((listed.body.data as StaffBody[]).map((s) => s.id)).toEqual(expect.arrayContaining([h.org.adminId, h.org.agentId]));
    expect((listed.body.data as StaffBody[]).map((s) => s.id)).not.toContain(other.adminId);

    const audit = await auditOf(h.org.orgId, first.staff.id);
    expect(audit.map((a) => a.action)).toEqual(['staff.invite', 'staff.invite']);
    expect(audit[0]).toMatchObject({ actor_type: 'staff', actor_id: h.org.adminId, target_type: 'staff', before: null });
    expect(audit[0]!.after).toMatchObject({ email: email.toLowerCase(), role: 'agent', active: true, passwordSet: false });
    expect(JSON.stringify(audit)).not.toContain(first.invite.token);
  });

  test('validation: 400 naming the field', async () => {
    expectValidationError(await as().post('/v1/staff', { email: 'not-an-email', name: 'X', role: 'agent' }), 'email');
    expectValidationError(await as().post('/v1/staff', { email: uniqueEmail('v'), name: 'X', role: 'owner' }), 'role');
    expectValidationError(await as().post('/v1/staff', { email: uniqueEmail('v'), name: ' ', role: 'agent' }), 'name');
    expectValidationError(await as().patch(`/v1/staff/${h.org.agentId}`, { active: 'no' }), 'active');
    expectError(await as().patch(`/v1/staff/${h.org.agentId}`, {}), 400, 'validation_failed');
    expectValidationError(await as().patch('/v1/staff/123', { name: 'X' }), 'id');
    expectValidationError(await as().get('/v1/staff?includeDeactivated=yes'), 'includeDeactivated');
  });

  test('agents get 403 on every write; reads work', async () => {
    const agent = as(h.tokens.agent);
    const team = (await as().post('/v1/teams', { name: `Agents-403-${randomBytes(3).toString('hex')}` })).body as TeamBody;
    expectError(await agent.post('/v1/staff', { email: uniqueEmail('x'), name: 'X', role: 'agent' }), 403, 'forbidden');
    expectError(await agent.patch(`/v1/staff/${h.org.agentId}`, { name: 'Me' }), 403, 'forbidden');
    expectError(await agent.patch(`/v1/staff/${h.org.adminId}`, { active: false }), 403, 'forbidden');
    expectError(await agent.post('/v1/teams', { name: 'Nope' }), 403, 'forbidden');
    expectError(await agent.patch(`/v1/teams/${team.id}`, { name: 'Nope' }), 403, 'forbidden');
    expectError(await agent.put(`/v1/teams/${team.id}/members`, { staffIds: [h.org.agentId] }), 403, 'forbidden');
    expectError(await agent.delete(`/v1/teams/${team.id}`), 403, 'forbidden');
    expect((await agent.get('/v1/staff')).status).toBe(200);
    expect((await agent.get(`/v1/staff/${h.org.adminId}`)).status).toBe(200);
    expect((await agent.get('/v1/teams')).status).toBe(200);
    expect((await agent.get(`/v1/teams/${team.id}`)).status).toBe(200);
    // nothing changed
    expect((await as().get(`/v1/teams/${team.id}`)).body).toMatchObject({ name: team.name, members: [] });
    expect((await as().get(`/v1/staff/${h.org.adminId}`)).body).toMatchObject({ active: true, role: 'admin' });
  });

  test("another org's staff and teams are 404; its ids are not members here", async () => {
    const theirs = as(otherAdmin);
    const team = (await as().post('/v1/teams', { name: `Ours-${randomBytes(3).toString('hex')}` })).body as TeamBody;
    expectError(await theirs.get(`/v1/staff/${h.org.agentId}`), 404, 'not_found');
    expectError(await theirs.patch(`/v1/staff/${h.org.agentId}`, { active: false }), 404, 'not_found');
    expectError(await theirs.get(`/v1/teams/${team.id}`), 404, 'not_found');
    expectError(await theirs.patch(`/v1/teams/${team.id}`, { name: 'Mine now' }), 404, 'not_found');
    expectError(await theirs.put(`/v1/teams/${team.id}/members`, { staffIds: [] }), 404, 'not_found');
    expectError(await theirs.delete(`/v1/teams/${team.id}`), 404, 'not_found');
    expect(((await theirs.get('/v1/teams')).body.data as TeamBody[]).map((t) => t.id)).not.toContain(team.id);
    expect(((await theirs.get('/v1/staff')).body.data as StaffBody[]).map((s) => s.id)).toEqual(
      expect.not.arrayContaining([h.org.adminId, h.org.agentId]),
    );
    const unknown = expectError(
      await as().put(`/v1/teams/${team.id}/members`, { staffIds: [h.org.agentId, other.agentId] }),
      422,
      'staff_not_found',
    );
    expect(unknown.error.details).toEqual({ staffIds: [other.agentId] });
    expect((await as().get(`/v1/staff/${h.org.agentId}`)).body).toMatchObject({ active: true });
    // the same email may be invited in two orgs: each its own user
    const email = uniqueEmail('twice');
    const ours = await invite(email);
    const theirsInvite = await theirs.post('/v1/staff', { email, name: 'Twice', role: 'agent' });
    expect(theirsInvite.status).toBe(201);
    expect(theirsInvite.body.staff.id).not.toBe(ours.staff.id);
  });

  test('deactivation through the API revokes the user at once, keeps their conversations assigned (assigneeInactive); reactivation', async () => {
    const user = await signedUpUser();
    const c = await inboundAndWait(h, randomPhone(), { body: 'for the soon-deactivated agent' });
    const assigned = await as().post(`/v1/conversations/${c.id}/assign`, { assigneeId: user.staff.id });
    expect(assigned.status).toBe(200);
    expect(assigned.body).toMatchObject({ assigneeId: user.staff.id, assigneeInactive: false });
    expect((await as(user.accessToken).get('/v1/me')).status).toBe(200);

    const deactivated = await as().patch(`/v1/staff/${user.staff.id}`, { active: false });
    expect(deactivated.status).toBe(200);
    expect(deactivated.body).toMatchObject({ id: user.staff.id, active: false, deactivatedAt: expect.any(String) });
    // their access token stops working at once, their refresh token too, and they cannot sign in
    expectError(await as(user.accessToken).get('/v1/me'), 401, 'token_revoked');
    expectError(await request(h.app).post('/v1/auth/refresh').send({ refreshToken: user.refreshToken }), 401, 'invalid_refresh_token');
    expectError(
      await request(h.app).post('/v1/auth/login').send({ email: user.staff.email, password: PASSWORD }),
      401,
      'invalid_credentials',
    );

    expect(await conversation(c.id)).toMatchObject({ assigneeId: user.staff.id, assigneeInactive: true });
    const mine = (await listAll(h, `assignee=${user.staff.id}`)) as ConversationView[];
    expect(mine.map((x) => [x.id, x.assigneeInactive])).toEqual([[c.id, true]]);

    // deactivated users are listed only when asked for
    expect(((await as().get('/v1/staff')).body.data as StaffBody[]).map((s) => s.id)).not.toContain(user.staff.id);
    const all = (await as().get('/v1/staff?includeDeactivated=true')).body.data as StaffBody[];
    expect(all.find((s) => s.id === user.staff.id)).toMatchObject({ active: false });
    // a deactivated user cannot be re-invited: reactivate them
    expectError(await as().post('/v1/staff', { email: user.staff.email, name: 'X', role: 'agent' }), 409, 'staff_exists');

    const reactivated = await as().patch(`/v1/staff/${user.staff.id}`, { active: true });
    expect(reactivated.body).toMatchObject({ active: true, deactivatedAt: null });
    expect(await conversation(c.id)).toMatchObject({ assigneeId: user.staff.id, assigneeInactive: false });
    // old tokens stay revoked; signing in again works
    expectError(await as(user.accessToken).get('/v1/me'), 401, 'token_revoked');
    expect((await request(h.app).post('/v1/auth/login').send({ email: user.staff.email, password: PASSWORD })).status).toBe(200);

    const audit = await auditOf(h.org.orgId, user.staff.id);
    expect(audit.map((a) => a.action)).toEqual(['staff.invite', 'staff.deactivate', 'staff.reactivate']);
    expect(audit[1]).toMatchObject({ actor_id: h.org.adminId, before: { active: true }, after: { active: false } });
  });

  test('the last active admin cannot demote or deactivate themselves; a role change revokes old tokens', async () => {
    const org = await createTestOrg(h.db);
    const admin = as(signStaffToken(JWT_SECRET, { userId: org.adminId, orgId: org.orgId, role: 'admin' }));
    expectError(await admin.patch(`/v1/staff/${org.adminId}`, { role: 'agent' }), 409, 'last_admin');
    expectError(await admin.patch(`/v1/staff/${org.adminId}`, { active: false }), 409, 'last_admin');
    expect((await admin.patch(`/v1/staff/${org.adminId}`, { name: 'Still Admin' })).body).toMatchObject({
      name: 'Still Admin',
      role: 'admin',
    });

    const versionOf = async (id: string) =>
      (await h.db.selectFrom('staff_users').select('token_version').where('id', '=', id).executeTakeFirstOrThrow()).token_version;
    const before = await versionOf(org.agentId);
    expect((await admin.patch(`/v1/staff/${org.agentId}`, { role: 'admin' })).body).toMatchObject({ role: 'admin' });
    expect(await versionOf(org.agentId)).toBe(before + 1);
    // two admins now: one may step down, after which the other is the last one
    expect((await admin.patch(`/v1/staff/${org.adminId}`, { role: 'agent' })).body).toMatchObject({ role: 'agent' });
    const second = as(signStaffToken(JWT_SECRET, { userId: org.agentId, orgId: org.orgId, role: 'admin' }));
    expectError(await second.patch(`/v1/staff/${org.agentId}`, { active: false }), 409, 'last_admin');
    expect((await second.patch(`/v1/staff/${org.adminId}`, { active: false })).body).toMatchObject({ active: false });
    expect((await as(otherAdmin).get(`/v1/staff/${org.agentId}`)).status).toBe(404);
    expect((await auditOf(org.orgId, org.adminId)).map((a) => a.action)).toEqual(['staff.update', 'staff.update', 'staff.deactivate']);
  });
});

describe('teams', () => {
  test('create, list, rename, members (replace), /v1/me and /v1/staff show teams, delete; audited', async () => {
    const suffix = randomBytes(3).toString('hex');
    const created = await as().post('/v1/teams', { name: `Billing ${suffix}` });
    expect(created.status).toBe(201);
    const team = created.body as TeamBody;
    expect(team).toMatchObject({ name: `Billing ${suffix}`, members: [] });
    expectError(await as().post('/v1/teams', { name: `BILLING ${suffix}` }), 409, 'team_exists');
    expectValidationError(await as().post('/v1/teams', { name: '' }), 'name');

    const support = (await as().post('/v1/teams', { name: `Support ${suffix}` })).body as TeamBody;
    expectError(await as().patch(`/v1/teams/${support.id}`, { name: `billing ${suffix}` }), 409, 'team_exists');
    const renamed = await as().patch(`/v1/teams/${team.id}`, { name: `Accounts ${suffix}` });
    expect(renamed.body).toMatchObject({ id: team.id, name: `Accounts ${suffix}` });

    const set = await as().put(`/v1/teams/${team.id}/members`, { staffIds: [h.org.agentId, h.org.adminId, h.org.agentId] });
    expect(set.status).toBe(200);
    expect((set.body as TeamBody).members).toEqual([
      { id: h.org.adminId, name: 'Ada Admin', email: expect.any(String), role: 'admin', active: true },
      { id: h.org.agentId, name: 'Alan Agent', email: expect.any(String), role: 'agent', active: true },
    ]);
    await as().put(`/v1/teams/${support.id}/members`, { staffIds: [h.org.agentId] });
    const me = await as(h.tokens.agent).get('/v1/me');
    expect(me.body.teams).toEqual(
      expect.arrayContaining([
        { id: team.id, name: `Accounts ${suffix}` },
        { id: support.id, name: `Support ${suffix}` },
      ]),
    );
    const agentRow = ((await as().get('/v1/staff')).body.data as StaffBody[]).find((s) => s.id === h.org.agentId)!;
    expect(agentRow.teams).toEqual(expect.arrayContaining([{ id: team.id, name: `Accounts ${suffix}` }]));
    const listed = (await as(h.tokens.agent).get('/v1/teams')).body.data as TeamBody[];
    expect(
      listed
        .find((t) => t.id === team.id)
        ?.members.map((m) => m.id)
        .sort(),
    ).toEqual([h.org.adminId, h.org.agentId].sort());

    // replace: only the admin stays; [] empties
    expect(
      ((await as().put(`/v1/teams/${team.id}/members`, { staffIds: [h.org.adminId] })).body as TeamBody).members.map((m) => m.id),
    ).toEqual([h.org.adminId]);
    expect((await as().put(`/v1/teams/${team.id}/members`, { staffIds: [] })).body).toMatchObject({ members: [] });
    expectValidationError(await as().put(`/v1/teams/${team.id}/members`, { staffIds: ['alan'] }), 'staffIds.0');
    expectError(await as().put(`/v1/teams/${randomUUID()}/members`, { staffIds: [] }), 404, 'not_found');

    expect((await as().delete(`/v1/teams/${team.id}`)).status).toBe(204);
    expectError(await as().get(`/v1/teams/${team.id}`), 404, 'not_found');
    expectError(await as().delete(`/v1/teams/${team.id}`), 404, 'not_found');
    expect((await as(h.tokens.agent).get('/v1/me')).body.teams).not.toContainEqual(expect.objectContaining({ id: team.id }));

    const audit = await auditOf(h.org.orgId, team.id);
    expect(audit.map((a) => a.action)).toEqual([
      'team.create',
      'team.update',
      'team.members',
      'team.members',
      'team.members',
      'team.delete',
    ]);
    expect(audit[1]).toMatchObject({ before: { name: `Billing ${suffix}` }, after: { name: `Accounts ${suffix}` } });
    expect(audit[5]).toMatchObject({ actor_type: 'staff', actor_id: h.org.adminId, after: null, before: { memberIds: [] } });
  });
});

describe('conversations with teams', () => {
  test('assign to a team, a member or both; scope=mine|team and teamId filters; a deleted team leaves its conversations', async () => {
    const team = (await as().post('/v1/teams', { name: `Inbox ${randomBytes(3).toString('hex')}` })).body as TeamBody;
    await as().put(`/v1/teams/${team.id}/members`, { staffIds: [h.org.agentId] });
    const [c1, c2, c3, c4] = await Promise.all(
      ['team only', 'agent and team', 'agent only', 'nobody'].map((body) => inboundAndWait(h, randomPhone(), { body })),
    );
    const ours = new Set([c1!.id, c2!.id, c3!.id, c4!.id]);

    const t1 = await as().post(`/v1/conversations/${c1!.id}/assign`, { teamId: team.id });
    expect(t1.status).toBe(200);
    expect(t1.body).toMatchObject({ teamId: team.id, assigneeId: null, assigneeInactive: false });
    expect((await as().post(`/v1/conversations/${c2!.id}/assign`, { assigneeId: h.org.agentId, teamId: team.id })).body).toMatchObject({
      teamId: team.id,
      assigneeId: h.org.agentId,
    });
    expect((await as().post(`/v1/conversations/${c3!.id}/assign`, { assigneeId: h.org.agentId })).body).toMatchObject({
      teamId: null,
      assigneeId: h.org.agentId,
    });

    const ids = async (query: string, token?: string) =>
      (await listAll(h, query, token))
        .map((c) => c.id)
        .filter((id) => ours.has(id))
        .sort();
    expect(await ids('scope=mine', h.tokens.agent)).toEqual([c2!.id, c3!.id].sort());
    expect(await ids('scope=team', h.tokens.agent)).toEqual([c1!.id, c2!.id].sort());
    expect(await ids(`teamId=${team.id}`)).toEqual([c1!.id, c2!.id].sort());
    expect(await ids('scope=all')).toEqual([...ours].sort());
    expect(await ids('scope=mine')).toEqual([]); // the admin has none of them
    expect(await ids('scope=team')).toEqual([]); // and is in no team
    expect(await ids(`scope=mine&assignee=${h.org.adminId}`, h.tokens.agent)).toEqual([]);
    expect(await ids(`scope=team&teamId=${team.id}&assignee=me`, h.tokens.agent)).toEqual([c2!.id]);
    expectValidationError(await as().get('/v1/conversations?scope=everyone'), 'scope');
    expectValidationError(await as().get('/v1/conversations?teamId=billing'), 'teamId');

    // an absent field is unchanged; null removes it
    expect((await as().post(`/v1/conversations/${c1!.id}/assign`, { assigneeId: h.org.adminId })).body).toMatchObject({
      teamId: team.id,
      assigneeId: h.org.adminId,
    });
    expect((await as().post(`/v1/conversations/${c1!.id}/assign`, { teamId: null })).body).toMatchObject({
      teamId: null,
      assigneeId: h.org.adminId,
    });
    expectValidationError(await as().post(`/v1/conversations/${c1!.id}/assign`, {}), 'assigneeId');
    expectValidationError(await as().post(`/v1/conversations/${c1!.id}/assign`, { teamId: 'billing' }), 'teamId');

    // another org's team, or an unknown one: 422 team_not_found, nothing changes
    const theirTeam = (await as(otherAdmin).post('/v1/teams', { name: 'Theirs' })).body as TeamBody;
    const refused = expectError(await as().post(`/v1/conversations/${c4!.id}/assign`, { teamId: theirTeam.id }), 422, 'team_not_found');
    expect(refused.error.details).toEqual({ teamId: theirTeam.id });
    expectError(
      await as().post(`/v1/conversations/${c4!.id}/assign`, { assigneeId: h.org.agentId, teamId: randomUUID() }),
      422,
      'team_not_found',
    );
    expect(await conversation(c4!.id)).toMatchObject({ teamId: null, assigneeId: null });

    // deleting the team clears it from its conversations; the workflow's stale team id never breaks a later write
    expect((await as().delete(`/v1/teams/${team.id}`)).status).toBe(204);
    expect(await conversation(c2!.id)).toMatchObject({ teamId: null, assigneeId: h.org.agentId });
    expect((await as().post(`/v1/conversations/${c2!.id}/assign`, { assigneeId: h.org.adminId })).body).toMatchObject({
      teamId: null,
      assigneeId: h.org.adminId,
    });
    const stored = await h.db
      .selectFrom('conversations')
      .select(['team_id', 'assignee_id'])
      .where('id', '=', c2!.id)
      .executeTakeFirstOrThrow();
    expect(stored).toEqual({ team_id: null, assignee_id: h.org.adminId });
  });
});
