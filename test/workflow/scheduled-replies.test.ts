/**
 * Send later through the real workflow on the time-skipping test server: a scheduled reply goes out
 * at its instant (not a second early), staff cancel it before then, `cancelIfCustomerReplies`, the
 * WhatsApp window checked at send time, and the SLA counting the reply only once it is sent.
 */
import request from 'supertest';
import { conversationWorkflowId } from '../../workflows/conversation/contract';
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

const conversationRow = (id: string) => h.db.selectFrom('conversations').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const messageRow = (id: string) => h.db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const api = () => ({
  post: (path: string, body: object) => request(h.app).post(path).set('Authorization', h.auth).send(body),
  delete: (path: string) => request(h.app).delete(path).set('Authorization', h.auth),
});
/** Twilio send requests whose body is `text`. */
const sentWith = (text: string) =>
  h.twilioStub!.requests.filter((r) => r.method === 'POST' && /\/Messages\.json$/.test(r.path) && r.form.Body === text);

/** Posts an inbound message and waits until the workflow has recorded it. */
const receive = (from: string, body: string, opts: { whatsapp?: boolean } = {}) => receiveAndWait(h, from, body, opts);

/** Advances the test server's clock until `targetMs` (epoch ms, test-server time). */
async function sleepUntil(targetMs: number): Promise<void> {
  const now = await h.env!.currentTimeMs();
  if (targetMs > now) await h.env!.sleep(targetMs - now);
}
/** Real-time pause: lets the worker finish any workflow task a just-fired timer caused. */
const settle = () => new Promise((r) => setTimeout(r, 400));

/** Epoch ms (test-server time) of every TimerFired event of the conversation's run. */
async function timersFiredAt(id: string): Promise<number[]> {
  const history = await h.client.workflow.getHandle(conversationWorkflowId(id)).fetchHistory();
  return (history.events ?? [])
    .filter((e) => e.timerFiredEventAttributes)
    .map((e) => Number(e.eventTime!.seconds) * 1000 + Math.floor((e.eventTime!.nanos ?? 0) / 1e6));
}

/** A whole second `aheadMs` after the test server's now, as epoch ms. */
async function instant(aheadMs: number): Promise<number> {
  return Math.ceil(((await h.env!.currentTimeMs()) + aheadMs) / 1000) * 1000;
}

test('a scheduled reply is stored `scheduled`, not sent a second early, and sent at its instant; the SLA counts it then', async () => {
  const id = await receive(randomPhone(), 'Please call me tomorrow morning');
  const sendAtMs = await instant(20 * MINUTE);
  const text = `Good morning ${sendAtMs}`;
  const res = await api().post(`/v1/conversations/${id}/messages`, { text, sendAt: new Date(sendAtMs).toISOString() });
  expect(res.status).toBe(201);
  expect(res.body).toMatchObject({ deliveryStatus: 'scheduled', sendAt: new Date(sendAtMs).toISOString(), cancelIfCustomerReplies: false });
  // not a reply yet: the customer is still waiting, the SLA clock runs
  const before = await conversationRow(id);
  expect(before).toMatchObject({ status: 'open', has_staff_replied: false });
  expect(before.sla_due_at).not.toBeNull();

  await sleepUntil(sendAtMs - 1000);
  await settle();
  expect((await messageRow(res.body.id)).delivery_status).toBe('scheduled');
  expect(sentWith(text)).toHaveLength(0);

  await sleepUntil(sendAtMs);
  await h.waitFor(async () => (await messageRow(res.body.id)).provider_message_id, 'sent');
  expect(sentWith(text)).toHaveLength(1);
  const after = await conversationRow(id);
  expect(after).toMatchObject({ status: 'pending', has_staff_replied: true, sla_due_at: null, overdue: false });
  // the reply counts from the instant it was released (workflow time), not from when it was scheduled
  expect(after.last_activity_at.getTime()).toBeGreaterThanOrEqual(sendAtMs);
  expect(after.last_activity_at.getTime() - sendAtMs).toBeLessThan(1000);
  const near = (await timersFiredAt(id)).filter((t) => Math.abs(t - sendAtMs) < 5000);
  expect(near).toHaveLength(1);
  expect(near[0]).toBeGreaterThanOrEqual(sendAtMs);
});

test('staff cancel a scheduled reply before its instant: `canceled`, never sent; cancelling again is 409', async () => {
  const id = await receive(randomPhone(), 'Any update?');
  const sendAtMs = await instant(HOUR);
  const text = `cancel me ${sendAtMs}`;
  const res = await api().post(`/v1/conversations/${id}/messages`, { text, sendAt: new Date(sendAtMs).toISOString() });
  expect(res.status).toBe(201);
  const canceled = await api().delete(`/v1/conversations/${id}/messages/${res.body.id}`);
  expect(canceled.status).toBe(200);
  expect(canceled.body).toMatchObject({ id: res.body.id, deliveryStatus: 'canceled', errorCode: 'canceled_by_staff' });
  await sleepUntil(sendAtMs + MINUTE);
  await settle();
  expect((await messageRow(res.body.id)).delivery_status).toBe('canceled');
  expect(sentWith(text)).toHaveLength(0);
  const again = await api().delete(`/v1/conversations/${id}/messages/${res.body.id}`);
  expect(again.status).toBe(409);
  expect(again.body.error.code).toBe('message_not_scheduled');
});

test('cancelIfCustomerReplies: a customer message before the instant cancels it; without the option it still goes out', async () => {
  const from = randomPhone();
  const id = await receive(from, 'Thinking about it');
  const sendAtMs = await instant(2 * HOUR);
  const guarded = `follow-up (guarded) ${sendAtMs}`;
  const plain = `follow-up (plain) ${sendAtMs}`;
  const a = await api().post(`/v1/conversations/${id}/messages`, {
    text: guarded,
    sendAt: new Date(sendAtMs).toISOString(),
    cancelIfCustomerReplies: true,
  });
  const b = await api().post(`/v1/conversations/${id}/messages`, { text: plain, sendAt: new Date(sendAtMs).toISOString() });
  expect([a.status, b.status]).toEqual([201, 201]);
  await sleepUntil(sendAtMs - HOUR);
  await receive(from, 'Decided: yes please');
  await h.waitFor(async () => (await messageRow(a.body.id)).delivery_status === 'canceled', 'canceled by the customer reply');
  expect((await messageRow(a.body.id)).error_code).toBe('customer_replied');
  await sleepUntil(sendAtMs);
  await h.waitFor(async () => (await messageRow(b.body.id)).provider_message_id, 'plain one sent');
  expect(sentWith(plain)).toHaveLength(1);
  expect(sentWith(guarded)).toHaveLength(0);
});

test('WhatsApp: the window is checked at send time — a free-form reply scheduled past the window fails `whatsapp_session_expired`', async () => {
  const id = await receive(randomPhone(), 'Hola', { whatsapp: true });
  const expiresMs = (await conversationRow(id)).session_expires_at!.getTime();
  const inside = `inside ${expiresMs}`;
  const outside = `outside ${expiresMs}`;
  // scheduling outside the window is accepted (the customer may write again before then)…
  const ok = await api().post(`/v1/conversations/${id}/messages`, { text: inside, sendAt: new Date(expiresMs - HOUR).toISOString() });
  const late = await api().post(`/v1/conversations/${id}/messages`, { text: outside, sendAt: new Date(expiresMs + HOUR).toISOString() });
  expect([ok.status, late.status]).toEqual([201, 201]);
  await sleepUntil(expiresMs - HOUR);
  await h.waitFor(async () => (await messageRow(ok.body.id)).provider_message_id, 'inside the window: sent');
  // …but at its instant the window has lapsed: failed with the usual reason, never sent
  await sleepUntil(expiresMs + HOUR);
  await h.waitFor(async () => (await messageRow(late.body.id)).delivery_status === 'failed', 'failed at send time');
  expect(await messageRow(late.body.id)).toMatchObject({ error_code: 'whatsapp_session_expired', provider_message_id: null });
  expect(h.twilioStub!.requests.filter((r) => r.form.Body === outside)).toHaveLength(0);
});

test('422 for a sendAt in the past, more than a year ahead, on an internal note; 400 for a malformed one', async () => {
  const id = await receive(randomPhone(), 'hello');
  const now = await h.env!.currentTimeMs();
  // the API checks against the wall clock, the workflow against its own: both must refuse these
  const past = await api().post(`/v1/conversations/${id}/messages`, { text: 'x', sendAt: new Date(Date.now() - MINUTE).toISOString() });
  expect(past.status).toBe(422);
  expect(past.body.error.code).toBe('invalid_send_at');
  const far = Math.max(now, Date.now()) + 400 * 24 * HOUR;
  const tooFar = await api().post(`/v1/conversations/${id}/messages`, { text: 'x', sendAt: new Date(far).toISOString() });
  expect(tooFar.status).toBe(422);
  const note = await api().post(`/v1/conversations/${id}/messages`, {
    text: 'x',
    isInternalNote: true,
    sendAt: new Date(Math.max(now, Date.now()) + HOUR).toISOString(),
  });
  expect(note.status).toBe(422);
  const malformed = await api().post(`/v1/conversations/${id}/messages`, { text: 'x', sendAt: 'tomorrow' });
  expect(malformed.status).toBe(400);
});
