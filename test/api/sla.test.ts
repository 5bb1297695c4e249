/**
 * `GET` / `PUT /v1/conversations/sla` and `GET /v1/conversations/overdue/count` through the whole app
 * (auth, routing before `/:id`, Postgres, the broadcast workflow on the dev server): defaults from the
 * org's columns, admin-only writes (403 for agents), shape errors (400) and calendar / warning rules
 * (422 `invalid_sla_settings` with `details.issues`), versions, the audit row, another org's isolation,
 * and the view's `sla` object of a real conversation.
 */
import request from 'supertest';
import { signStaffToken } from '../../api/auth';
import { slaSettingsBroadcastWorkflowId } from '../../workflows/sla-settings-broadcast';
import { createHarness, createTestOrg, type Harness, JWT_SECRET, randomPhone } from '../support/harness';
import { expectError, expectValidationError, inboundAndWait } from './rest-helpers';

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ sla: { firstResponseMinutes: 45, nextResponseMinutes: 180 } });
});
afterAll(async () => {
  await h?.close();
});

const as = (token: string) => ({
  get: (path: string) => request(h.app).get(path).set('Authorization', `Bearer ${token}`),
  put: (path: string, body: object) => request(h.app).put(path).set('Authorization', `Bearer ${token}`).send(body),
});
const admin = () => as(h.tokens.admin);
const agent = () => as(h.tokens.agent);

const LONDON = {
  timeZone: 'Europe/London',
  periods: [
    { day: 'mon', start: '09:00', end: '12:00' },
    { day: 'mon', start: '13:00', end: '17:30' },
    { day: 'tue', start: '09:00', end: '17:30' },
  ],
  holidays: ['2026-12-25'],
};
const VALID = {
  firstResponseMinutes: 30,
  nextResponseMinutes: 120,
  resolutionMinutes: 2880,
  businessHours: LONDON,
  pauseWhile: { pending: true, snoozed: false },
  warningMinutes: 10,
  priorityOverrides: { urgent: { firstResponseMinutes: 15, resolutionMinutes: null } },
};

describe('GET /v1/conversations/sla', () => {
  test('an org that never saved settings gets its orgs targets, 24/7, no warning; agents can read', async () => {
    for (const client of [admin(), agent()]) {
      const res = await client.get('/v1/conversations/sla');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        firstResponseMinutes: 45,
        nextResponseMinutes: 180,
        resolutionMinutes: null,
        businessHours: null,
        pauseWhile: { pending: false, snoozed: false },
        warningMinutes: 0,
        priorityOverrides: {},
        version: 0,
        updatedAt: null,
      });
    }
  });

  test('401 without a token', async () => {
    expect((await request(h.app).get('/v1/conversations/sla')).status).toBe(401);
  });
});

describe('PUT /v1/conversations/sla', () => {
  test('an agent gets 403 forbidden and nothing is stored', async () => {
    expectError(await agent().put('/v1/conversations/sla', VALID), 403, 'forbidden');
    expect(await h.db.selectFrom('org_sla_settings').selectAll().where('org_id', '=', h.org.orgId).executeTakeFirst()).toBeUndefined();
  });

  test('a bad shape is 400 naming the field', async () => {
    expectValidationError(await admin().put('/v1/conversations/sla', { ...VALID, firstResponseMinutes: 0 }), 'firstResponseMinutes');
    expectValidationError(
      await admin().put('/v1/conversations/sla', {
        ...VALID,
        businessHours: { ...LONDON, periods: [{ day: 'monday', start: '09:00', end: '17:00' }] },
      }),
      'businessHours.periods.0.day',
    );
    expectValidationError(
      await admin().put('/v1/conversations/sla', { ...VALID, priorityOverrides: { critical: {} } }),
      'priorityOverrides.critical',
    );
  });

  test('a bad calendar or warning is 422 invalid_sla_settings with every issue', async () => {
    const res = await admin().put('/v1/conversations/sla', {
      ...VALID,
      businessHours: {
        timeZone: 'Europe/Atlantis',
        periods: [
          { day: 'fri', start: '22:00', end: '06:00' },
          { day: 'mon', start: '09:00', end: '12:00' },
          { day: 'mon', start: '11:00', end: '14:00' },
        ],
        holidays: ['2026-02-30'],
      },
    });
    const body = expectError(res, 422, 'invalid_sla_settings');
    const issues = (body.error.details as unknown as { issues: { path: string }[] }).issues.map((i) => i.path);
    expect(issues).toEqual(['businessHours.timeZone', 'businessHours.periods.0', 'businessHours.periods.2', 'businessHours.holidays.0']);

    const empty = await admin().put('/v1/conversations/sla', { ...VALID, businessHours: { timeZone: 'UTC', periods: [], holidays: [] } });
    expect((expectError(empty, 422, 'invalid_sla_settings').error.details as unknown as { issues: { path: string }[] }).issues).toEqual([
      expect.objectContaining({ path: 'businessHours.periods' }),
    ]);
    // the urgent override's 15 min is not longer than a 15 min warning
    const warning = await admin().put('/v1/conversations/sla', { ...VALID, warningMinutes: 15 });
    expect((expectError(warning, 422, 'invalid_sla_settings').error.details as unknown as { issues: { path: string }[] }).issues).toEqual([
      expect.objectContaining({ path: 'warningMinutes' }),
    ]);
    expect(await h.db.selectFrom('org_sla_settings').selectAll().where('org_id', '=', h.org.orgId).executeTakeFirst()).toBeUndefined();
  });

  test('an admin replaces the settings: versioned, audited in the same transaction, broadcast, readable by agents', async () => {
    const first = await admin().put('/v1/conversations/sla', VALID);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ ...VALID, version: 1 });
    expect(typeof first.body.updatedAt).toBe('string');
    expect((await agent().get('/v1/conversations/sla')).body).toEqual(first.body);

    const second = await admin().put('/v1/conversations/sla', { firstResponseMinutes: 20, nextResponseMinutes: 60, businessHours: null });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({
      firstResponseMinutes: 20,
      resolutionMinutes: null,
      businessHours: null,
      pauseWhile: { pending: false, snoozed: false },
      warningMinutes: 0,
      priorityOverrides: {},
      version: 2,
    });

    const audit = await h.db
      .selectFrom('audit_log')
      .selectAll()
      .where('org_id', '=', h.org.orgId)
      .where('action', '=', 'sla.update')
      .orderBy('created_at')
      .execute();
    expect(audit).toHaveLength(2);
    expect(audit[0]).toMatchObject({ actor_type: 'staff', actor_id: h.org.adminId, target_type: 'sla_settings', target_id: h.org.orgId });
    expect(audit[0]!.before).toMatchObject({ firstResponseMinutes: 45, version: 0 });
    expect(audit[0]!.after).toMatchObject({ firstResponseMinutes: 30, warningMinutes: 10, version: 1 });
    expect(audit[1]!.after).toMatchObject({ firstResponseMinutes: 20, version: 2 });

    const broadcast = await h.client.workflow.getHandle(slaSettingsBroadcastWorkflowId(h.org.orgId, 2)).result();
    expect(broadcast).toMatchObject({ version: 2 });
  });

  test("another org's settings are its own", async () => {
    const other = await createTestOrg(h.db);
    const token = signStaffToken(JWT_SECRET, { userId: other.agentId, orgId: other.orgId, role: 'agent' });
    expect((await as(token).get('/v1/conversations/sla')).body).toMatchObject({ version: 0, firstResponseMinutes: 60 });
  });
});

describe('the conversation view and the counts', () => {
  test("a new conversation shows its first-response due in the view's sla object; it counts neither overdue nor at risk", async () => {
    const saved = await admin().put('/v1/conversations/sla', {
      firstResponseMinutes: 20,
      nextResponseMinutes: 60,
      businessHours: null,
      warningMinutes: 5,
    });
    await h.client.workflow.getHandle(slaSettingsBroadcastWorkflowId(h.org.orgId, saved.body.version)).result();
    const before = (await admin().get('/v1/conversations/overdue/count')).body;
    const conversation = await inboundAndWait(h, randomPhone(), { body: 'Hello?' });
    const res = await admin().get(`/v1/conversations/${conversation.id}`);
    const received = Date.parse(res.body.lastCustomerMessageAt);
    expect(res.body.sla).toEqual({
      firstResponseDueAt: new Date(received + 20 * 60_000).toISOString(),
      nextResponseDueAt: null,
      resolutionDueAt: null,
      atRisk: false,
      overdue: false,
    });
    expect(res.body.slaDueAt).toBe(res.body.sla.firstResponseDueAt);
    const list = await admin().get('/v1/conversations?atRisk=false');
    expect(list.body.data.map((c: { id: string }) => c.id)).toContain(conversation.id);
    expect((await admin().get('/v1/conversations?atRisk=true')).body.data.map((c: { id: string }) => c.id)).not.toContain(conversation.id);
    expect((await admin().get('/v1/conversations/overdue/count')).body).toEqual(before);
    expectValidationError(await admin().get('/v1/conversations?atRisk=maybe'), 'atRisk');
  });

  test('overdue/count counts only open overdue conversations of the org, by scope', async () => {
    const other = await createTestOrg(h.db);
    const id = (await inboundAndWait(h, randomPhone(), { body: 'Late' })).id;
    // an overdue row written as a workflow would (the timers themselves are tested in test/workflow/sla-business-hours.test.ts)
    await h.db.updateTable('conversations').set({ overdue: true, assignee_id: h.org.agentId }).where('id', '=', id).execute();
    const all = await admin().get('/v1/conversations/overdue/count');
    expect(all.status).toBe(200);
    expect(all.body.count).toBeGreaterThanOrEqual(1);
    expect((await agent().get('/v1/conversations/overdue/count?scope=mine')).body).toEqual({ count: 1, atRisk: 0 });
    expect((await admin().get('/v1/conversations/overdue/count?scope=mine')).body).toEqual({ count: 0, atRisk: 0 });
    const otherToken = signStaffToken(JWT_SECRET, { userId: other.adminId, orgId: other.orgId, role: 'admin' });
    expect((await as(otherToken).get('/v1/conversations/overdue/count')).body).toEqual({ count: 0, atRisk: 0 });
    expectValidationError(await admin().get('/v1/conversations/overdue/count?scope=everyone'), 'scope');
    await h.db.updateTable('conversations').set({ status: 'closed' }).where('id', '=', id).execute();
    expect((await agent().get('/v1/conversations/overdue/count?scope=mine')).body).toEqual({ count: 0, atRisk: 0 });
  });
});
