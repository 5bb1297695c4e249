/**
 * Send later and the collision guard through the real path (API → Temporal dev server → workflow →
 * Postgres → Twilio stand-in): a reply scheduled a few seconds ahead reaches the carrier, a cancel
 * before then keeps it from ever going out, 409 once sent, 403 for another member's, the 422s, and
 * `ifNoNewActivitySince`.
 */
import request from 'supertest';
import { createHarness, type Harness, randomPhone } from '../support/harness';
import { api, expectError, inboundAndWait, type MessageBody } from './rest-helpers';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.close();
});

const del = (path: string, token = h.tokens.admin) => request(h.app).delete(path).set('Authorization', `Bearer ${token}`);
const sentWith = (text: string) =>
  h.twilioStub!.requests.filter((r) => r.method === 'POST' && /\/Messages\.json$/.test(r.path) && r.form.Body === text);
const messageRow = (id: string) => h.db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const messagesOf = async (conversationId: string): Promise<MessageBody[]> =>
  (await api(h).get(`/v1/conversations/${conversationId}/messages?limit=100`)).body.data as MessageBody[];

test('a reply scheduled a few seconds ahead reaches the carrier then; listed as `scheduled` until; cancelling it afterwards is 409', async () => {
  const c = await inboundAndWait(h, randomPhone());
  const text = `scheduled ${Date.now()}`;
  const res = await api(h).post(`/v1/conversations/${c.id}/messages`, { text, sendAt: new Date(Date.now() + 3_000).toISOString() });
  expect(res.status).toBe(201);
  expect(res.body).toMatchObject({ deliveryStatus: 'scheduled', providerMessageId: null });
  expect((await messagesOf(c.id)).find((m) => m.id === res.body.id)?.deliveryStatus).toBe('scheduled');
  await h.waitFor(async () => (await messageRow(res.body.id)).provider_message_id, 'sent at its instant', 20_000);
  expect(sentWith(text)).toHaveLength(1);
  expectError(await del(`/v1/conversations/${c.id}/messages/${res.body.id}`), 409, 'message_not_scheduled');
});

test('cancel before the instant: 200 `canceled`, never sent; another member cannot cancel it (403); unknown message 404', async () => {
  const c = await inboundAndWait(h, randomPhone());
  const text = `never sent ${Date.now()}`;
  const res = await api(h).post(`/v1/conversations/${c.id}/messages`, { text, sendAt: new Date(Date.now() + 4_000).toISOString() });
  expect(res.status).toBe(201);
  expectError(await del(`/v1/conversations/${c.id}/messages/${res.body.id}`, h.tokens.agent), 403, 'not_your_message');
  const canceled = await del(`/v1/conversations/${c.id}/messages/${res.body.id}`);
  expect(canceled.status).toBe(200);
  expect(canceled.body).toMatchObject({ id: res.body.id, deliveryStatus: 'canceled' });
  await new Promise((r) => setTimeout(r, 5_000)); // past its instant
  expect((await messageRow(res.body.id)).delivery_status).toBe('canceled');
  expect(sentWith(text)).toHaveLength(0);
  expectError(await del(`/v1/conversations/${c.id}/messages/00000000-0000-4000-8000-000000000000`), 404, 'not_found');
});

test('422 invalid_send_at for the past, beyond a year, an internal note; 400 for a non-ISO sendAt or cancelIfCustomerReplies alone', async () => {
  const c = await inboundAndWait(h, randomPhone());
  const post = (body: object) => api(h).post(`/v1/conversations/${c.id}/messages`, body);
  expectError(await post({ text: 'x', sendAt: new Date(Date.now() - 1_000).toISOString() }), 422, 'invalid_send_at');
  expectError(await post({ text: 'x', sendAt: new Date(Date.now() + 366 * 86_400_000).toISOString() }), 422, 'invalid_send_at');
  expectError(await post({ text: 'x', isInternalNote: true, sendAt: new Date(Date.now() + 60_000).toISOString() }), 422, 'invalid_send_at');
  expectError(await post({ text: 'x', sendAt: 'next tuesday' }), 400, 'validation_failed');
  expectError(await post({ text: 'x', cancelIfCustomerReplies: true }), 400, 'validation_failed');
  expect((await messagesOf(c.id)).filter((m) => m.direction === 'outbound')).toHaveLength(0);
});

test('collision guard: 409 conversation_changed with the new messages’ ids; accepted when nothing new arrived', async () => {
  const from = randomPhone();
  const c = await inboundAndWait(h, from, { body: 'first question' });
  const first = (await messagesOf(c.id))[0]!;
  // the agent's reply arrives after `first`
  const other = await api(h, h.tokens.agent).post(`/v1/conversations/${c.id}/messages`, { text: 'agent answered' });
  expect(other.status).toBe(201);
  await inboundAndWait(h, from, { body: 'second question', minUnread: 1 });
  await h.waitFor(async () => (await messagesOf(c.id)).length === 3, 'three messages');
  const second = (await messagesOf(c.id)).find((m) => m.text === 'second question')!;

  const stale = await api(h).post(`/v1/conversations/${c.id}/messages`, { text: 'stale reply', ifNoNewActivitySince: first.id });
  const body = expectError(stale, 409, 'conversation_changed');
  expect(body.error.details).toEqual({ messageIds: [other.body.id, second.id] });
  expect((await messagesOf(c.id)).some((m) => m.text === 'stale reply')).toBe(false);

  // my own notes do not count, and the newest customer message is what I saw: accepted
  expect((await api(h).post(`/v1/conversations/${c.id}/messages`, { text: 'note', isInternalNote: true })).status).toBe(201);
  const fresh = await api(h).post(`/v1/conversations/${c.id}/messages`, { text: 'fresh reply', ifNoNewActivitySince: second.id });
  expect(fresh.status).toBe(201);
  // a scheduled reply is guarded the same way
  const scheduled = await api(h).post(`/v1/conversations/${c.id}/messages`, {
    text: 'later',
    sendAt: new Date(Date.now() + 3_600_000).toISOString(),
    ifNoNewActivitySince: first.id,
  });
  expectError(scheduled, 409, 'conversation_changed');
  // a message of another conversation is not a valid anchor
  const elsewhere = await inboundAndWait(h, randomPhone());
  const foreign = (await messagesOf(elsewhere.id))[0]!;
  expectError(
    await api(h).post(`/v1/conversations/${c.id}/messages`, { text: 'x', ifNoNewActivitySince: foreign.id }),
    404,
    'message_not_found',
  );
});
