/**
 * SLA clocks in business time through the real path (API → workflow on the time-skipping test server →
 * Postgres → API): `atRisk` and `overdue` fire at the exact instants across a weekend in a New York
 * 9–17 calendar (which also proves `Intl` time zones work inside the workflow sandbox), pausing while
 * pending, the resolution target, a priority override, new settings reaching a running conversation
 * through the broadcast, `?atRisk=true`, `GET /v1/conversations/overdue/count` and the view's `sla`.
 */
import request from 'supertest';
import { addBusinessMs, type BusinessCalendar } from '../../domain/business-time';
import { conversationWorkflowId } from '../../workflows/conversation/contract';
import { slaSettingsBroadcastWorkflowId } from '../../workflows/sla-settings-broadcast';
import { receiveAndWait } from '../support/receive';
import { createHarness, type Harness, randomPhone } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ timeSkipping: true });
});
afterAll(async () => {
  await h?.close();
});

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const NY_WEEKDAYS_9_17: BusinessCalendar = {
  timeZone: 'America/New_York',
  periods: (['mon', 'tue', 'wed', 'thu', 'fri'] as const).map((day) => ({ day, start: '09:00', end: '17:00' })),
  holidays: [],
};

const api = () => ({
  get: (path: string) => request(h.app).get(path).set('Authorization', h.auth),
  post: (path: string, body: object) => request(h.app).post(path).set('Authorization', h.auth).send(body),
  patch: (path: string, body: object) => request(h.app).patch(path).set('Authorization', h.auth).send(body),
  put: (path: string, body: object) => request(h.app).put(path).set('Authorization', h.auth).send(body),
});

const conversationRow = (id: string) => h.db.selectFrom('conversations').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

/** Saves the org's SLA settings and waits for their broadcast to finish (running conversations have them). */
async function putSettings(body: object): Promise<void> {
  const res = await api().put('/v1/conversations/sla', body);
  expect(res.status).toBe(200);
  await h.client.workflow.getHandle(slaSettingsBroadcastWorkflowId(h.org.orgId, res.body.version)).result();
}

/** Posts an inbound SMS and waits until it is recorded; returns the conversation id. */
const receive = (from: string, body: string) => receiveAndWait(h, from, body);

async function sleepUntil(targetMs: number): Promise<void> {
  const now = await h.env!.currentTimeMs();
  if (targetMs > now) await h.env!.sleep(targetMs - now);
}

/** Epoch ms of every TimerFired event of the conversation's current run. */
async function timersFiredAt(id: string): Promise<number[]> {
  const history = await h.client.workflow.getHandle(conversationWorkflowId(id)).fetchHistory();
  return (history.events ?? [])
    .filter((e) => e.timerFiredEventAttributes)
    .map((e) => Number(e.eventTime!.seconds) * 1000 + Math.floor((e.eventTime!.nanos ?? 0) / 1e6));
}

/** Exactly one timer fired within 5 s of `atMs`, not before it and less than a second after. */
async function expectTimerAt(id: string, atMs: number): Promise<void> {
  const near = (await timersFiredAt(id)).filter((t) => Math.abs(t - atMs) < 5000);
  expect(near).toHaveLength(1);
  expect(near[0]).toBeGreaterThanOrEqual(atMs);
  expect(near[0]! - atMs).toBeLessThan(1000);
}

const settle = () => new Promise((r) => setTimeout(r, 400));
const ms = (d: Date | null): number => d!.getTime();

test('Friday 16:50 + 60 min with a 10 min warning in a New York 9–17 calendar: atRisk Monday 09:40, overdue Monday 09:50', async () => {
  await putSettings({ firstResponseMinutes: 60, nextResponseMinutes: 240, businessHours: NY_WEEKDAYS_9_17, warningMinutes: 10 });
  // the next Friday 16:50 in New York (test-server time)
  const friday1650: BusinessCalendar = {
    timeZone: 'America/New_York',
    periods: [{ day: 'fri', start: '16:50', end: '16:51' }],
    holidays: [],
  };
  const fridayMs = addBusinessMs(friday1650, (await h.env!.currentTimeMs()) + MINUTE, 1) - 1;
  await sleepUntil(fridayMs);
  const id = await receive(randomPhone(), 'Are you still open?');

  const row = await conversationRow(id);
  const receivedMs = ms(row.last_customer_message_at);
  const drift = receivedMs - fridayMs; // the message arrived a moment after 16:50:00
  expect(drift).toBeGreaterThanOrEqual(0);
  expect(drift).toBeLessThan(5 * MINUTE);
  // due Monday 09:50 New York time (plus the drift), the warning 10 business minutes before: Monday 09:40
  const dueMs = ms(row.sla_first_response_due_at);
  const newYork = new Intl.DateTimeFormat('en-US', {
    timeZone: 'America/New_York',
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  });
  expect(newYork.format(new Date(fridayMs))).toBe('Fri 16:50:00');
  expect(newYork.format(new Date(dueMs - drift))).toBe('Mon 09:50:00');
  expect(dueMs - fridayMs).toBeLessThan(4 * 24 * HOUR);
  const atRiskMs = dueMs - 10 * MINUTE;
  expect(newYork.format(new Date(atRiskMs - drift))).toBe('Mon 09:40:00');
  expect(row.sla_at_risk).toBe(false);
  const view = await api().get(`/v1/conversations/${id}`);
  expect(view.body.sla).toEqual({
    firstResponseDueAt: new Date(dueMs).toISOString(),
    nextResponseDueAt: null,
    resolutionDueAt: null,
    atRisk: false,
    overdue: false,
  });

  // nothing over the weekend: still quiet one second before the warning
  await sleepUntil(atRiskMs - 1000);
  await settle();
  expect(await conversationRow(id)).toMatchObject({ sla_at_risk: false, overdue: false });

  await sleepUntil(atRiskMs);
  await h.waitFor(async () => (await conversationRow(id)).sla_at_risk, 'at risk');
  await expectTimerAt(id, atRiskMs);
  expect((await conversationRow(id)).overdue).toBe(false);
  const atRiskIds = (await api().get('/v1/conversations?atRisk=true')).body.data.map((c: { id: string }) => c.id);
  expect(atRiskIds).toContain(id);
  expect((await api().get(`/v1/conversations/${id}`)).body.sla).toMatchObject({ atRisk: true, overdue: false });
  const counts = await api().get('/v1/conversations/overdue/count');
  expect(counts.status).toBe(200);
  expect(counts.body.atRisk).toBeGreaterThanOrEqual(1);

  await sleepUntil(dueMs - 1000);
  await settle();
  expect((await conversationRow(id)).overdue).toBe(false);
  const overdueBefore = (await api().get('/v1/conversations/overdue/count')).body.count as number;
  await sleepUntil(dueMs);
  await h.waitFor(async () => (await conversationRow(id)).overdue, 'overdue');
  await expectTimerAt(id, dueMs);
  expect((await api().get(`/v1/conversations/${id}`)).body.sla).toMatchObject({ atRisk: false, overdue: true });
  expect((await api().get('/v1/conversations/overdue/count')).body.count).toBe(overdueBefore + 1);
  expect((await api().get('/v1/conversations?atRisk=true')).body.data.map((c: { id: string }) => c.id)).not.toContain(id);

  // a staff reply stops the response clock
  expect((await api().post(`/v1/conversations/${id}/messages`, { text: 'Yes, how can we help?' })).status).toBe(201);
  expect(await conversationRow(id)).toMatchObject({ overdue: false, sla_at_risk: false, sla_first_response_due_at: null });
});

test('resolution target paused while pending: the clock stops on a reply and resumes on the customer’s answer', async () => {
  await putSettings({
    firstResponseMinutes: 60,
    nextResponseMinutes: 240,
    resolutionMinutes: 120,
    businessHours: null,
    pauseWhile: { pending: true, snoozed: false },
  });
  const from = randomPhone();
  const id = await receive(from, 'My parcel is lost');
  const first = await conversationRow(id);
  const t0 = ms(first.last_customer_message_at);
  expect(ms(first.sla_resolution_due_at)).toBe(t0 + 120 * MINUTE);

  await sleepUntil(t0 + 30 * MINUTE);
  const reply = await api().post(`/v1/conversations/${id}/messages`, { text: 'Checking with the carrier' });
  expect(reply.status).toBe(201);
  const paused = await conversationRow(id);
  expect(paused).toMatchObject({ status: 'pending', sla_resolution_due_at: null, sla_first_response_due_at: null });
  const pausedAt = Date.parse(reply.body.createdAt);

  // three hours of waiting on the customer do not count (less than SMS's 4 h session, which would close it)
  await h.env!.sleep(3 * HOUR);
  await settle();
  expect((await conversationRow(id)).overdue).toBe(false);

  await receive(from, 'Any news?');
  const resumed = await conversationRow(id);
  const t1 = ms(resumed.last_customer_message_at);
  const remaining = 120 * MINUTE - (pausedAt - t0);
  expect(ms(resumed.sla_resolution_due_at)).toBe(t1 + remaining);
  expect(ms(resumed.sla_next_response_due_at)).toBe(t1 + 240 * MINUTE);
  const view = (await api().get(`/v1/conversations/${id}`)).body.sla;
  expect(view).toEqual({
    firstResponseDueAt: null,
    nextResponseDueAt: new Date(t1 + 240 * MINUTE).toISOString(),
    resolutionDueAt: new Date(t1 + remaining).toISOString(),
    atRisk: false,
    overdue: false,
  });

  await sleepUntil(t1 + remaining);
  await h.waitFor(async () => (await conversationRow(id)).overdue, 'resolution overdue');
  await expectTimerAt(id, t1 + remaining);
  // closing stops every clock
  expect((await api().post(`/v1/conversations/${id}/status`, { status: 'closed' })).status).toBe(200);
  expect(await conversationRow(id)).toMatchObject({ overdue: false, sla_resolution_due_at: null, sla_next_response_due_at: null });
});

test('an urgent override tightens the target; new settings reach the running conversation', async () => {
  await putSettings({
    firstResponseMinutes: 60,
    nextResponseMinutes: 240,
    businessHours: null,
    priorityOverrides: { urgent: { firstResponseMinutes: 15 } },
  });
  const id = await receive(randomPhone(), 'Everything is down!');
  const row = await conversationRow(id);
  const t0 = ms(row.last_customer_message_at);
  expect(ms(row.sla_first_response_due_at)).toBe(t0 + 60 * MINUTE);

  expect((await api().patch(`/v1/conversations/${id}`, { priority: 'urgent' })).status).toBe(200);
  expect(ms((await conversationRow(id)).sla_first_response_due_at)).toBe(t0 + 15 * MINUTE);

  // the org tightens urgent further: the broadcast moves the running conversation's deadline
  await putSettings({
    firstResponseMinutes: 60,
    nextResponseMinutes: 240,
    businessHours: null,
    priorityOverrides: { urgent: { firstResponseMinutes: 10 } },
  });
  await h.waitFor(async () => ms((await conversationRow(id)).sla_first_response_due_at) === t0 + 10 * MINUTE, 'retargeted');

  await sleepUntil(t0 + 10 * MINUTE);
  await h.waitFor(async () => (await conversationRow(id)).overdue, 'overdue');
  await expectTimerAt(id, t0 + 10 * MINUTE);
});

test('paused while snoozed: the snooze wake-up resumes the clock with the time left', async () => {
  await putSettings({
    firstResponseMinutes: 60,
    nextResponseMinutes: 240,
    businessHours: null,
    pauseWhile: { pending: false, snoozed: true },
  });
  const id = await receive(randomPhone(), 'Call me tomorrow');
  const t0 = ms((await conversationRow(id)).last_customer_message_at);
  await sleepUntil(t0 + 20 * MINUTE);
  const snoozeAt = await h.env!.currentTimeMs();
  const untilMs = Math.ceil((snoozeAt + 2 * HOUR) / 1000) * 1000;
  const snoozed = await api().post(`/v1/conversations/${id}/status`, { status: 'snoozed', until: new Date(untilMs).toISOString() });
  expect(snoozed.status).toBe(200);
  expect(snoozed.body.sla).toMatchObject({ firstResponseDueAt: null, overdue: false });
  const elapsed = (await conversationRow(id)).sla_clocks!.response!.elapsedMs;
  expect(elapsed).toBeGreaterThanOrEqual(20 * MINUTE);
  expect(elapsed).toBeLessThan(21 * MINUTE);

  await sleepUntil(untilMs);
  await h.waitFor(async () => (await conversationRow(id)).status === 'open', 'woke up');
  const resumed = await conversationRow(id);
  expect(ms(resumed.sla_first_response_due_at)).toBe(untilMs + 60 * MINUTE - elapsed);
  await sleepUntil(untilMs + 60 * MINUTE - elapsed);
  await h.waitFor(async () => (await conversationRow(id)).overdue, 'overdue');
  await expectTimerAt(id, untilMs + 60 * MINUTE - elapsed);
});
