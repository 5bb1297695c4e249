/**
 * Bad input gets a 4xx and never a 500; an unavailable Temporal or Postgres gets a 503 with Retry-After;
 * commands with an `Idempotency-Key` act once.
 */
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { Client, Connection, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import type { Express } from 'express';
import request from 'supertest';
import { createApp } from '../../api/app';
import { ConversationClient } from '../../workflows/conversation/client';
import { createDb } from '../../db/client';
import { purgeExpiredIdempotencyKeys } from '../../db/idempotency';
import type { NewConversation } from '../../domain/conversation';
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

describe('malformed URLs, encodings and query values are 4xx, never 500', () => {
  test.each([
    ['get', '/v1/conversations/%FF%FE'],
    ['get', '/v1/conversations/%FF%FE/messages'],
    ['post', '/v1/conversations/%E0%A4%A/status'],
    ['get', '/v1/contacts/%C0%AF'],
    ['get', '/v1/templates/%FF'],
    ['patch', '/v1/todos/%FF'],
    ['get', '/v1/attachments/%FF'],
    ['get', '/media/%FF'],
  ] as const)('%s %s (invalid UTF-8 in the path) → 400 invalid_path', async (method, path) => {
    const res = await request(h.app)[method](path).set('Authorization', h.auth).send({});
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_path');
  });

  test('Content-Encoding: gzip on a body that is not gzip → 400 invalid_body', async () => {
    const res = await request(h.app)
      .post(`/v1/conversations/${conversationId}/messages`)
      .set('Authorization', h.auth)
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'gzip')
      .send('{"text":"not gzipped"}');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_body');
  });

  test('a gzipped JSON body is accepted', async () => {
    const res = await request(h.app)
      .patch(`/v1/conversations/${conversationId}`)
      .set('Authorization', h.auth)
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'gzip')
      .serialize(rawBytes)
      .send(gzipSync(JSON.stringify({ tags: ['gz'] })));
    expect(res.status).toBe(200);
    expect(res.body.tags).toContain('gz');
  });

  test.each(['compress', 'x-custom', 'gzip, br'])('Content-Encoding: %s → 415 unsupported_content_encoding', async (encoding) => {
    const res = await request(h.app)
      .post(`/v1/conversations/${conversationId}/messages`)
      .set('Authorization', h.auth)
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', encoding)
      .send('{"text":"x"}');
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe('unsupported_content_encoding');
  });

  test.each([
    ['tag=%00', 'tag'],
    ['tag=a%00b', 'tag'],
    ['cursor=%00', 'cursor'],
  ])('GET /v1/conversations?%s → 400 naming the field', async (query, field) => {
    const res = await request(h.app).get(`/v1/conversations?${query}`).set('Authorization', h.auth);
    expect(res.status).toBe(400);
    expect(res.body.error.details.fields.map((f: { path: string }) => f.path)).toContain(field);
  });

  test('a Postgres data exception our schemas let through is a 400, not a 500', async () => {
    const res = await request(h.app).get('/v1/todos?cursor=%00').set('Authorization', h.auth);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });
});

describe('transient dependency states are 503 with Retry-After', () => {
  test('Postgres unreachable → 503 temporarily_unavailable with Retry-After', async () => {
    const down = createDb('postgres://postgres@127.0.0.1:1/none', { max: 1 });
    const app = createApp(testApiDeps({ db: down, conversations: h.conversations }));
    const res = await request(app).get('/v1/conversations').set('Authorization', h.auth);
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('temporarily_unavailable');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    await down.destroy();
  });

  test('an update whose answer is lost (RPC timeout) → 503 with Retry-After', async () => {
    const app = createApp(testApiDeps({ db: h.db, conversations: new LosingAnswers(h.client, h.taskQueue) }));
    const res = await request(app).post(`/v1/conversations/${conversationId}/messages`).set('Authorization', h.auth).send({ text: 'lost' });
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('temporarily_unavailable');
    expect(res.headers['retry-after']).toBeDefined();
  });
});

/** superagent serializer that sends a Buffer body as is (its typing says string). */
const rawBytes = (body: unknown): string => body as string;

/** A conversation client whose updates reach the workflow but whose first answer is lost (as on an RPC timeout). */
class LosingAnswers extends ConversationClient {
  lost = 0;
  override async update<Ret, Arg>(
    conversation: NewConversation,
    definition: UpdateDefinition<Ret, [Arg]>,
    arg: Arg,
    opts: { updateId?: string } = {},
  ): Promise<Ret> {
    const result = await super.update(conversation, definition, arg, opts);
    if (this.lost++ === 0)
      throw new WorkflowUpdateRPCTimeoutOrCancelledError('Workflow update call timeout or cancelled', { cause: new Error('lost') });
    return result;
  }
}

describe('Idempotency-Key', () => {
  const countMessages = async (text: string) =>
    Number(
      (
        await h.db
          .selectFrom('messages')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('conversation_id', '=', conversationId)
          .where('text', '=', text)
          .executeTakeFirstOrThrow()
      ).n,
    );
  const reply = (app: Express, key: string, body: object) =>
    request(app).post(`/v1/conversations/${conversationId}/messages`).set('Authorization', h.auth).set('Idempotency-Key', key).send(body);

  test('the same key replays the first answer and sends once', async () => {
    const key = `k-${randomUUID()}`;
    const first = await reply(h.app, key, { text: 'once please', isInternalNote: true });
    expect(first.status).toBe(201);
    const second = await reply(h.app, key, { isInternalNote: true, text: 'once please' });
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(await countMessages('once please')).toBe(1);
  });

  test('the same key with a different body → 422 idempotency_key_reused, nothing sent', async () => {
    const key = `k-${randomUUID()}`;
    expect((await reply(h.app, key, { text: 'first body', isInternalNote: true })).status).toBe(201);
    const res = await reply(h.app, key, { text: 'second body', isInternalNote: true });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('idempotency_key_reused');
    expect(await countMessages('second body')).toBe(0);
  });

  test('the same key on another route → 422 idempotency_key_reused', async () => {
    const key = `k-${randomUUID()}`;
    expect((await reply(h.app, key, { text: 'route one', isInternalNote: true })).status).toBe(201);
    const res = await request(h.app)
      .post(`/v1/conversations/${conversationId}/assign`)
      .set('Authorization', h.auth)
      .set('Idempotency-Key', key)
      .send({ assigneeId: null });
    expect(res.status).toBe(422);
  });

  test('a key still in progress → 409 idempotency_key_in_progress with Retry-After', async () => {
    const key = `k-${randomUUID()}`;
    const body = { text: 'in flight', isInternalNote: true };
    // a first request claims the key and is still running: hold its claim by answering only after the check
    let releaseFirst: () => void = () => {};
    const gate = new Promise<void>((resolve) => (releaseFirst = resolve));
    const slow = new (class extends ConversationClient {
      override async update<Ret, Arg>(c: NewConversation, d: UpdateDefinition<Ret, [Arg]>, a: Arg, o: { updateId?: string } = {}) {
        await gate;
        return super.update(c, d, a, o);
      }
    })(h.client, h.taskQueue);
    const slowApp = createApp(testApiDeps({ db: h.db, conversations: slow }));
    const first = reply(slowApp, key, body).then((r) => r);
    await h.waitFor(async () =>
      h.db
        .withTables<{ idempotency_keys: { org_id: string; key: string } }>()
        .selectFrom('idempotency_keys')
        .select('key')
        .where('key', '=', key)
        .executeTakeFirst(),
    );
    const concurrent = await reply(h.app, key, body);
    expect(concurrent.status).toBe(409);
    expect(concurrent.body.error.code).toBe('idempotency_key_in_progress');
    expect(concurrent.headers['retry-after']).toBeDefined();
    releaseFirst();
    expect((await first).status).toBe(201);
    expect(await countMessages('in flight')).toBe(1);
  });

  test('a claim left behind past its lock (a crashed API process) is taken over, and the message is still sent once', async () => {
    const key = `k-${randomUUID()}`;
    const body = { text: 'abandoned claim', isInternalNote: true };
    let releaseFirst: () => void = () => {};
    const gate = new Promise<void>((resolve) => (releaseFirst = resolve));
    const stuck = new (class extends ConversationClient {
      override async update<Ret, Arg>(c: NewConversation, d: UpdateDefinition<Ret, [Arg]>, a: Arg, o: { updateId?: string } = {}) {
        await gate;
        return super.update(c, d, a, o);
      }
    })(h.client, h.taskQueue);
    const first = reply(createApp(testApiDeps({ db: h.db, conversations: stuck })), key, body).then((r) => r);
    const keys = h.db.withTables<{ idempotency_keys: { key: string; locked_until: Date } }>();
    await h.waitFor(async () => keys.selectFrom('idempotency_keys').select('key').where('key', '=', key).executeTakeFirst());
    await keys
      .updateTable('idempotency_keys')
      .set({ locked_until: new Date(Date.now() - 1000) })
      .where('key', '=', key)
      .execute();
    const takeover = await reply(h.app, key, body);
    expect(takeover.status).toBe(201);
    releaseFirst(); // the first request's update carries the same update id: Temporal answers it with the first result
    const late = await first;
    expect(late.status).toBe(201);
    expect(late.body.id).toBe(takeover.body.id);
    expect(await countMessages('abandoned claim')).toBe(1);
    const replay = await reply(h.app, key, body);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body.id).toBe(takeover.body.id);
  });

  test('a retry after a 503 whose update reached the workflow does not send twice (update id from the key)', async () => {
    const key = `k-${randomUUID()}`;
    const body = { text: 'reached the workflow', isInternalNote: true };
    const losing = createApp(testApiDeps({ db: h.db, conversations: new LosingAnswers(h.client, h.taskQueue) }));
    expect((await reply(losing, key, body)).status).toBe(503);
    const retry = await reply(h.app, key, body);
    expect(retry.status).toBe(201);
    expect(await countMessages('reached the workflow')).toBe(1);
    const stored = await h.db.selectFrom('messages').select('id').where('text', '=', body.text).executeTakeFirstOrThrow();
    expect(retry.body.id).toBe(stored.id);
  });

  test('status, assign and send-template accept a key and replay', async () => {
    const key = `k-${randomUUID()}`;
    const status = () =>
      request(h.app)
        .post(`/v1/conversations/${conversationId}/status`)
        .set('Authorization', h.auth)
        .set('Idempotency-Key', key)
        .send({ status: 'pending' });
    const first = await status();
    expect(first.status).toBe(200);
    const again = await status();
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    const assignKey = `k-${randomUUID()}`;
    const assign = () =>
      request(h.app)
        .post(`/v1/conversations/${conversationId}/assign`)
        .set('Authorization', h.auth)
        .set('Idempotency-Key', assignKey)
        .send({ assigneeId: h.org.agentId });
    expect((await assign()).status).toBe(200);
    expect((await assign()).headers['idempotent-replayed']).toBe('true');
    const templateKey = `k-${randomUUID()}`;
    const contactId = randomUUID();
    const sendTemplate = () =>
      request(h.app)
        .post('/v1/send-template')
        .set('Authorization', h.auth)
        .set('Idempotency-Key', templateKey)
        .send({ templateName: 'no-such-template', contactId, channel: 'sms' });
    const missing = await sendTemplate();
    expect(missing.status).toBe(404);
    const replayed = await sendTemplate();
    expect(replayed.status).toBe(404);
    expect(replayed.headers['idempotent-replayed']).toBe('true');
  });

  test('a 400 whose message echoes a NUL from the body is stored and replayed', async () => {
    const key = `k-${randomUUID()}`;
    const body = { text: 'x', isInternalNote: true, 'bad\u0000key': 1 };
    const first = await reply(h.app, key, body);
    expect(first.status).toBe(400);
    const second = await reply(h.app, key, body);
    expect(second.status).toBe(400);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.body).toEqual(first.body);
  });

  test.each(['', ' spaced key ', 'ü-key', 'x'.repeat(256)])('a malformed key %p → 400 invalid_idempotency_key', async (key) => {
    const res = await request(h.app)
      .post(`/v1/conversations/${conversationId}/messages`)
      .set('Authorization', h.auth)
      .set('Idempotency-Key', key)
      .send({ text: 'x', isInternalNote: true });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_idempotency_key');
  });

  test('an expired key is free again and expired keys are purged', async () => {
    const key = `k-${randomUUID()}`;
    expect((await reply(h.app, key, { text: 'before expiry', isInternalNote: true })).status).toBe(201);
    const keys = h.db.withTables<{ idempotency_keys: { org_id: string; key: string; expires_at: Date } }>();
    await keys
      .updateTable('idempotency_keys')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('key', '=', key)
      .execute();
    const reused = await reply(h.app, key, { text: 'after expiry', isInternalNote: true });
    expect(reused.status).toBe(201);
    expect(await countMessages('after expiry')).toBe(1);
    await keys
      .updateTable('idempotency_keys')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('key', '=', key)
      .execute();
    expect(await purgeExpiredIdempotencyKeys(h.db)).toBeGreaterThanOrEqual(1);
    expect(await keys.selectFrom('idempotency_keys').select('key').where('key', '=', key).executeTakeFirst()).toBeUndefined();
  });
});
