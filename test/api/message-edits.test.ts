/**
 * Edits and deletes of staff's own messages through the real path (API → workflow update →
 * Postgres): own note edited with its history in `message_edits`, another member's note 403, a
 * customer message refused (409), a scheduled reply edited before it is sent (and sent with the new
 * text), a sent reply refused, own note deleted with its text kept in the audit.
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
const edits = (messageId: string) =>
  h.db.selectFrom('message_edits').selectAll().where('message_id', '=', messageId).orderBy('id').execute();
const messageRow = (id: string) => h.db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirst();

test('own note: edited twice (history kept), another member 403, then deleted (audit kept)', async () => {
  const c = await inboundAndWait(h, randomPhone());
  const note = await api(h).post(`/v1/conversations/${c.id}/messages`, { text: 'VIP, handle with care', isInternalNote: true });
  expect(note.status).toBe(201);
  const path = `/v1/conversations/${c.id}/messages/${note.body.id}`;

  const first = await api(h).patch(path, { text: 'VIP since 2020' });
  expect(first.status).toBe(200);
  expect(first.body).toMatchObject({ id: note.body.id, text: 'VIP since 2020', isInternalNote: true });
  expect(first.body.editedAt).toEqual(expect.any(String));
  expect((await api(h).patch(path, { text: 'VIP since 2019' })).status).toBe(200);
  const history = await edits(note.body.id);
  expect(history.map((e) => [e.action, e.previous_text, e.edited_by])).toEqual([
    ['edit', 'VIP, handle with care', h.org.adminId],
    ['edit', 'VIP since 2020', h.org.adminId],
  ]);

  expectError(await api(h, h.tokens.agent).patch(path, { text: 'not mine' }), 403, 'not_your_message');
  expectError(await del(path, h.tokens.agent), 403, 'not_your_message');
  expectError(await api(h).patch(path, { text: '   ' }), 400, 'validation_failed');
  expect((await messageRow(note.body.id))?.text).toBe('VIP since 2019');

  const deleted = await del(path);
  expect(deleted.status).toBe(200);
  expect(deleted.body).toMatchObject({ id: note.body.id, text: 'VIP since 2019' });
  expect(await messageRow(note.body.id)).toBeUndefined();
  expect((await edits(note.body.id)).map((e) => [e.action, e.previous_text])).toEqual([
    ['edit', 'VIP, handle with care'],
    ['edit', 'VIP since 2020'],
    ['delete', 'VIP since 2019'],
  ]);
  expectError(await del(path), 404, 'not_found');
});

test('customer messages are never edited or deleted (409 message_not_editable); a sent reply is not editable (409)', async () => {
  const c = await inboundAndWait(h, randomPhone(), { body: 'My words' });
  const inbound = ((await api(h).get(`/v1/conversations/${c.id}/messages`)).body.data as MessageBody[])[0]!;
  expectError(await api(h).patch(`/v1/conversations/${c.id}/messages/${inbound.id}`, { text: 'changed' }), 409, 'message_not_editable');
  expectError(await del(`/v1/conversations/${c.id}/messages/${inbound.id}`), 409, 'message_not_editable');
  expect((await messageRow(inbound.id))?.text).toBe('My words');

  const reply = await api(h).post(`/v1/conversations/${c.id}/messages`, { text: 'Sent right away' });
  expect(reply.status).toBe(201);
  expectError(
    await api(h).patch(`/v1/conversations/${c.id}/messages/${reply.body.id}`, { text: 'too late' }),
    409,
    'message_not_scheduled',
  );
  expect(await edits(reply.body.id)).toEqual([]);
});

test('a scheduled reply edited before it is sent goes out with the new text; another member cannot edit it', async () => {
  const c = await inboundAndWait(h, randomPhone());
  const res = await api(h).post(`/v1/conversations/${c.id}/messages`, {
    text: 'Draft wording',
    sendAt: new Date(Date.now() + 4_000).toISOString(),
  });
  expect(res.status).toBe(201);
  const path = `/v1/conversations/${c.id}/messages/${res.body.id}`;
  expectError(await api(h, h.tokens.agent).patch(path, { text: 'hijack' }), 403, 'not_your_message');
  const edited = await api(h).patch(path, { text: `Final wording ${res.body.id}` });
  expect(edited.status).toBe(200);
  expect(edited.body).toMatchObject({ deliveryStatus: 'scheduled', text: `Final wording ${res.body.id}` });
  expect((await edits(res.body.id)).map((e) => e.previous_text)).toEqual(['Draft wording']);
  await h.waitFor(async () => (await messageRow(res.body.id))?.provider_message_id, 'sent', 20_000);
  const sent = h.twilioStub!.requests.filter((r) => r.method === 'POST' && /\/Messages\.json$/.test(r.path) && r.form.To !== undefined);
  expect(sent.filter((r) => r.form.Body === `Final wording ${res.body.id}`)).toHaveLength(1);
  expect(sent.filter((r) => r.form.Body === 'Draft wording')).toHaveLength(0);
  expectError(await api(h).patch(path, { text: 'after the send' }), 409, 'message_not_scheduled');
});
