/**
 * Timer rules through the real workflow on the time-skipping test server: snooze wake-up at the
 * exact time, WhatsApp 24 h and SMS 4 h session windows, SLA overdue, and a closed conversation's
 * run ending and being restarted (state reloaded from Postgres) by the next message.
 */
import request from 'supertest';
import { conversationWorkflowId, getStateQuery } from '../../workflows/conversation/contract';
import { receiveAndWait } from '../support/receive';
import { createHarness, type Harness, randomPhone } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ timeSkipping: true, sla: { firstResponseMinutes: 30, nextResponseMinutes: 120 } });
});
afterAll(async () => {
  await h?.close();
});

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

async function conversationRow(id: string) {
  return h.db.selectFrom('conversations').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Posts an inbound message and waits until the workflow has recorded it and saved the conversation row. */
async function receive(from: string, body: string, opts: { whatsapp?: boolean } = {}): Promise<string> {
  const id = h.conversationIdOf(from, opts.whatsapp ? 'whatsapp' : 'sms');
  const before = (await conversationRow(id))?.last_customer_message_at?.getTime() ?? 0;
  await receiveAndWait(h, from, body, opts);
  await h.waitFor(async () => ((await conversationRow(id))?.last_customer_message_at?.getTime() ?? 0) >= before, 'conversation row saved');
  return id;
}

const api = () => ({
  get: (path: string) => request(h.app).get(path).set('Authorization', h.auth),
  post: (path: string, body: object) => request(h.app).post(path).set('Authorization', h.auth).send(body),
});

/** Advances the test server's clock until `targetMs` (epoch ms, test-server time). */
async function sleepUntil(targetMs: number): Promise<void> {
  const now = await h.env!.currentTimeMs();
  if (targetMs > now) await h.env!.sleep(targetMs - now);
}

/**
 * Epoch ms (test-server time) of every TimerFired event in the conversation's current run. A timer
 * firing early would show here even if the state check raced with the workflow task.
 */
async function timersFiredAt(id: string): Promise<number[]> {
  const history = await h.client.workflow.getHandle(conversationWorkflowId(id)).fetchHistory();
  return (history.events ?? [])
    .filter((e) => e.timerFiredEventAttributes)
    .map((e) => Number(e.eventTime!.seconds) * 1000 + Math.floor((e.eventTime!.nanos ?? 0) / 1e6));
}

/** Real-time pause: lets the worker finish any workflow task a just-fired timer caused. */
const settle = () => new Promise((r) => setTimeout(r, 400));

async function liveState(id: string) {
  return h.client.workflow.getHandle(conversationWorkflowId(id)).query(getStateQuery);
}

test('a snoozed conversation reopens at the exact snooze time, not a second early', async () => {
  const id = await receive(randomPhone(), 'Call me back tomorrow');
  const untilMs = Math.ceil(((await h.env!.currentTimeMs()) + 2 * HOUR) / 1000) * 1000;
  const until = new Date(untilMs).toISOString();
  const snoozed = await api().post(`/v1/conversations/${id}/status`, { status: 'snoozed', until });
  expect(snoozed.status).toBe(200);
  expect(snoozed.body).toMatchObject({ status: 'snoozed', snoozedUntil: until });

  await sleepUntil(untilMs - 1000);
  await settle();
  expect((await liveState(id)).status).toBe('snoozed');
  expect((await conversationRow(id))?.status).toBe('snoozed');

  await sleepUntil(untilMs);
  await h.waitFor(async () => (await conversationRow(id))?.status === 'open', 'reopened');
  const state = await liveState(id);
  expect(state).toMatchObject({ status: 'open', snoozedUntil: null });
  const nearWake = (await timersFiredAt(id)).filter((t) => Math.abs(t - untilMs) < 5000);
  expect(nearWake).toHaveLength(1);
  expect(nearWake[0]).toBeGreaterThanOrEqual(untilMs);
  expect(nearWake[0]! - untilMs).toBeLessThan(1000);
});

test('snoozed without a time stays snoozed until the customer writes again', async () => {
  const from = randomPhone();
  const id = await receive(from, 'Thanks, I will check');
  expect((await api().post(`/v1/conversations/${id}/status`, { status: 'snoozed' })).body.status).toBe('snoozed');
  await h.env!.sleep(3 * 24 * HOUR);
  expect((await liveState(id)).status).toBe('snoozed');
  await receive(from, 'Checked: still broken');
  expect((await conversationRow(id))?.status).toBe('open');
});

test('WhatsApp: free-form reply allowed inside 24 h, 422 after; a pending conversation closes when the window lapses', async () => {
  const from = randomPhone();
  const id = await receive(from, 'Hola', { whatsapp: true });
  const row = await conversationRow(id);
  const expiresMs = row!.session_expires_at!.getTime();
  expect(expiresMs - row!.last_customer_message_at!.getTime()).toBe(24 * HOUR);

  await sleepUntil(expiresMs - 5000);
  const inside = await api().post(`/v1/conversations/${id}/messages`, { text: 'Reply just inside the window' });
  expect(inside.status).toBe(201);
  expect((await conversationRow(id))?.status).toBe('pending');

  await sleepUntil(expiresMs + 1000);
  await h.waitFor(async () => (await conversationRow(id))?.session_expired === true, 'session expired');
  const expired = await conversationRow(id);
  expect(expired).toMatchObject({ status: 'closed', closed_reason: 'session_expired' });

  const outside = await api().post(`/v1/conversations/${id}/messages`, { text: 'Too late' });
  expect(outside.status).toBe(422);
  expect(outside.body.error.code).toBe('whatsapp_session_expired');
  expect(outside.body.error.message).toMatch(/template/i);
  // an internal note is still fine outside the window
  expect((await api().post(`/v1/conversations/${id}/messages`, { text: 'note', isInternalNote: true })).status).toBe(201);

  // the customer writing again reopens the conversation and a new window
  await receive(from, 'Are you there?', { whatsapp: true });
  expect(await conversationRow(id)).toMatchObject({ status: 'open', session_expired: false, closed_reason: null });
  expect((await api().post(`/v1/conversations/${id}/messages`, { text: 'Yes!' })).status).toBe(201);
});

test('SMS: the 4 h session lapses; an open conversation stays open, a pending one closes', async () => {
  const openId = await receive(randomPhone(), 'No reply yet');
  const pendingId = await receive(randomPhone(), 'Please answer');
  expect((await api().post(`/v1/conversations/${pendingId}/messages`, { text: 'Answered' })).status).toBe(201);
  const expiresMs = Math.max(
    (await conversationRow(openId))!.session_expires_at!.getTime(),
    (await conversationRow(pendingId))!.session_expires_at!.getTime(),
  );
  expect(
    (await conversationRow(openId))!.session_expires_at!.getTime() - (await conversationRow(openId))!.last_customer_message_at!.getTime(),
  ).toBe(4 * HOUR);

  await sleepUntil(expiresMs - 60_000);
  expect((await conversationRow(pendingId))?.status).toBe('pending');
  await sleepUntil(expiresMs + 1000);
  await h.waitFor(async () => (await conversationRow(pendingId))?.status === 'closed', 'pending closed');
  await h.waitFor(async () => (await conversationRow(openId))?.session_expired === true, 'open expired');
  expect(await conversationRow(openId)).toMatchObject({ status: 'open', session_expired: true });
  expect(await conversationRow(pendingId)).toMatchObject({ closed_reason: 'session_expired' });
});

test('SLA: an unanswered customer message becomes overdue exactly at the target; a staff reply clears it', async () => {
  const from = randomPhone();
  const id = await receive(from, 'Need help');
  const row = await conversationRow(id);
  const dueMs = row!.sla_due_at!.getTime();
  expect(dueMs - row!.last_customer_message_at!.getTime()).toBe(30 * MINUTE); // org's first-response target

  await sleepUntil(dueMs - 1000);
  await settle();
  expect((await liveState(id)).overdue).toBe(false);
  await sleepUntil(dueMs);
  await h.waitFor(async () => (await conversationRow(id))?.overdue === true, 'overdue');
  const nearDue = (await timersFiredAt(id)).filter((t) => Math.abs(t - dueMs) < 5000);
  expect(nearDue).toHaveLength(1);
  expect(nearDue[0]).toBeGreaterThanOrEqual(dueMs);
  const overdueList = await api().get('/v1/conversations?overdue=true');
  expect(overdueList.body.data.map((c: { id: string }) => c.id)).toContain(id);

  expect((await api().post(`/v1/conversations/${id}/messages`, { text: 'On it' })).status).toBe(201);
  expect(await conversationRow(id)).toMatchObject({ overdue: false, sla_due_at: null });

  // the next customer message runs on the next-response target
  await receive(from, 'Any news?');
  const next = await conversationRow(id);
  expect(next!.sla_due_at!.getTime() - next!.last_customer_message_at!.getTime()).toBe(120 * MINUTE);
});

test('a closed conversation run ends; the next message starts a new run that reloads state from Postgres', async () => {
  const from = randomPhone();
  const id = await receive(from, 'First contact');
  expect(
    (
      await request(h.app)
        .patch(`/v1/conversations/${id}`)
        .set('Authorization', h.auth)
        .send({ tags: ['Billing', 'vip'], priority: 'high' })
    ).status,
  ).toBe(200);
  expect((await api().post(`/v1/conversations/${id}/status`, { status: 'closed' })).body.status).toBe('closed');
  const handle = h.client.workflow.getHandle(conversationWorkflowId(id));
  const firstRun = (await handle.describe()).runId;

  await h.env!.sleep(11 * MINUTE); // past the closed-run grace period
  await h.waitFor(async () => (await handle.describe()).status.name === 'COMPLETED', 'run completed');
  const result = await h.client.workflow.getHandle(conversationWorkflowId(id), firstRun).result();
  expect(result).toMatchObject({ endedBecause: 'closed' });

  await receive(from, 'Back again');
  const secondRun = (await h.client.workflow.getHandle(conversationWorkflowId(id)).describe()).runId;
  expect(secondRun).not.toBe(firstRun);
  const state = await liveState(id);
  expect(state).toMatchObject({ status: 'open', tags: ['billing', 'vip'], priority: 'high', unreadCount: 1 });

  // commands work on a conversation whose run had ended too (the API starts a run first)
  expect((await api().post(`/v1/conversations/${id}/status`, { status: 'closed' })).status).toBe(200);
  await h.env!.sleep(11 * MINUTE);
  await h.waitFor(
    async () => (await h.client.workflow.getHandle(conversationWorkflowId(id)).describe()).status.name === 'COMPLETED',
    'second run completed',
  );
  const reopened = await api().post(`/v1/conversations/${id}/status`, { status: 'open' });
  expect(reopened.status).toBe(200);
  expect(reopened.body).toMatchObject({ status: 'open', tags: ['billing', 'vip'] });
});
