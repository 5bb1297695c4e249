/**
 * Bad input gets a 4xx and never a 500; an unavailable Temporal gets a 503 on commands too.
 */
import { Client, Connection } from '@temporalio/client';
import request from 'supertest';
import { createApp } from '../../api/app';
import { ConversationClient } from '../../api/conversation-client';
import { createHarness, type Harness, randomPhone, testApiDeps } from '../support/harness';

let h: Harness;
let conversationId: string;
beforeAll(async () => {
  h = await createHarness();
  const from = randomPhone();
  expect((await h.inbound({ from, body: 'hello' })).status).toBe(200);
  conversationId = h.conversationIdOf(from);
  await h.waitFor(
    async () => (await request(h.app).get(`/v1/conversations/${conversationId}`).set('Authorization', h.auth)).body.unreadCount === 1,
  );
});
afterAll(async () => {
  await h?.close();
});

test.each([
  ['reply text', 'post', '/messages', { text: 'bad \u0000 byte' }, 'text'],
  ['tag', 'patch', '', { tags: ['ok', 'b\u0000d'] }, 'tags.1'],
  ['subject', 'patch', '', { subject: 'sub\u0000ject' }, 'subject'],
] as const)('a NUL byte in the %s → 400 naming the field, nothing stored', async (_what, method, suffix, body, field) => {
  const res = await request(h.app)[method](`/v1/conversations/${conversationId}${suffix}`).set('Authorization', h.auth).send(body);
  expect(res.status).toBe(400);
  expect(res.body.error.details.fields.map((f: { path: string }) => f.path)).toContain(field);
});

test('an inbound message with a NUL byte is stored without it (carriers may send anything)', async () => {
  const from = randomPhone();
  expect((await h.inbound({ from, body: 'before\u0000after' })).status).toBe(200);
  const id = h.conversationIdOf(from);
  const message = await h.waitFor(async () =>
    h.db.selectFrom('messages').select('text').where('conversation_id', '=', id).executeTakeFirst(),
  );
  expect(message.text).toBe('beforeafter');
});

test.each([
  ['not base64 JSON', 'garbage'],
  ['a loose date', Buffer.from(JSON.stringify(['foo 1', '00000000-0000-4000-8000-000000000001'])).toString('base64url')],
  ['a non-uuid id', Buffer.from(JSON.stringify([new Date().toISOString(), '-'.repeat(36)])).toString('base64url')],
  ['the wrong shape', Buffer.from(JSON.stringify({ a: 1 })).toString('base64url')],
])('a crafted list cursor (%s) → 400 invalid_cursor', async (_what, cursor) => {
  const res = await request(h.app)
    .get(`/v1/conversations?cursor=${encodeURIComponent(cursor)}`)
    .set('Authorization', h.auth);
  expect(res.status).toBe(400);
  expect(res.body.error.code).toBe('invalid_cursor');
});

test('commands answer 503 when Temporal is unreachable, and nothing changes', async () => {
  const connection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: '1s' });
  const client = new Client({ connection, namespace: 'default' });
  const app = createApp(testApiDeps({ db: h.db, conversations: new ConversationClient(client, h.taskQueue) }));
  const res = await request(app).post(`/v1/conversations/${conversationId}/status`).set('Authorization', h.auth).send({ status: 'closed' });
  expect(res.status).toBe(503);
  expect(res.body.error.code).toBe('temporarily_unavailable');
  const row = await h.db.selectFrom('conversations').select('status').where('id', '=', conversationId).executeTakeFirstOrThrow();
  expect(row.status).toBe('open');
  const health = await request(app).get('/healthz');
  expect(health.status).toBe(503);
  expect(health.body).toMatchObject({ status: 'degraded', database: true, temporal: false });
  await connection.close();
}, 30_000);
