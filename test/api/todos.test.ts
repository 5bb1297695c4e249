/**
 * `/v1/todos` through the real app over the test database: create (defaults, trimming, validation 400,
 * a source outside the org 422), list order (due date, undated last, then creation), filters, keyset
 * pagination (also across ties of one transaction's `now()` with microseconds), PATCH (completedAt on
 * done, cleared on reopen, dueAt cleared with null, 400 for empty bodies) and organisation scoping (404).
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { signStaffToken } from '../../api/auth';
import type { TodoView } from '../../api/todo-schemas';
import { insertTodo } from '../../db/todos';
import { createHarness, createTestOrg, type Harness, JWT_SECRET, type TestOrg } from '../support/harness';
import { insertConversation } from './db-fixtures';
import { expectError, expectValidationError, type Page } from './rest-helpers';

let h: Harness;
let other: TestOrg;
let otherAdmin: string;
let otherConversation: string;

beforeAll(async () => {
  h = await createHarness();
  other = await createTestOrg(h.db);
  otherAdmin = signStaffToken(JWT_SECRET, { userId: other.adminId, orgId: other.orgId, role: 'admin' });
  otherConversation = await insertConversation(h.db, other);
});
afterAll(async () => {
  await h?.close();
});

/** Authorised requests as `token` (default: the harness admin). */
function api(token: string = h.tokens.admin) {
  const auth = `Bearer ${token}`;
  return {
    get: (path: string) => request(h.app).get(path).set('Authorization', auth),
    post: (path: string, body: object) => request(h.app).post(path).set('Authorization', auth).send(body),
    patch: (path: string, body: object) => request(h.app).patch(path).set('Authorization', auth).send(body),
  };
}

/** Creates a todo about `sourceId` (201 expected) and returns it. */
async function create(sourceId: string, body: { title?: string; dueAt?: string | null } = {}, token?: string): Promise<TodoView> {
  const res = await api(token).post('/v1/todos', { title: 'Follow up', sourceType: 'inbox', sourceId, ...body });
  expect(res.status).toBe(201);
  return res.body as TodoView;
}

/** Every todo of a query (`limit` per page), walking `nextCursor` to the end. */
async function listAll(query: string, limit: number, token?: string): Promise<TodoView[]> {
  const out: TodoView[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 100; i++) {
    const res = await api(token).get(`/v1/todos?${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(res.status).toBe(200);
    const page = res.body as Page<TodoView>;
    expect(page.data.length).toBeLessThanOrEqual(limit);
    out.push(...page.data);
    cursor = page.nextCursor;
    if (!cursor) return out;
  }
  throw new Error('too many pages');
}

describe('POST /v1/todos', () => {
  test('creates an open staff todo about a conversation of the org (title trimmed, dueAt normalised to UTC)', async () => {
    const conversationId = await insertConversation(h.db, h.org);
    const before = Date.now();
    const todo = await create(conversationId, { title: '  Call back about the refund  ', dueAt: '2026-03-01T10:00:00+02:00' });
    expect(todo).toEqual({
      id: expect.any(String),
      title: 'Call back about the refund',
      dueAt: '2026-03-01T08:00:00.000Z',
      sourceType: 'inbox',
      sourceId: conversationId,
      status: 'open',
      createdByType: 'staff',
      createdBy: h.org.adminId,
      completedAt: null,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(Date.parse(todo.createdAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(todo.updatedAt).toBe(todo.createdAt);
    const row = await h.db.selectFrom('todos').selectAll().where('id', '=', todo.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ org_id: h.org.orgId, status: 'open', created_by_type: 'staff', created_by: h.org.adminId });
  });

  test('dueAt is optional (null) and agents may create todos too', async () => {
    const conversationId = await insertConversation(h.db, h.org, { channel: 'email' });
    const todo = await create(conversationId, {}, h.tokens.agent);
    expect(todo).toMatchObject({ dueAt: null, createdBy: h.org.agentId, createdByType: 'staff' });
    expect((await create(conversationId, { dueAt: null })).dueAt).toBeNull();
  });

  test('a title of exactly 500 characters is accepted, 501 is not', async () => {
    const conversationId = await insertConversation(h.db, h.org);
    expect((await create(conversationId, { title: 'x'.repeat(500) })).title).toHaveLength(500);
    const res = await api().post('/v1/todos', { title: 'x'.repeat(501), sourceType: 'inbox', sourceId: conversationId });
    expectValidationError(res, 'title');
  });

  test.each([
    ['missing title', { sourceType: 'inbox' }, 'title'],
    ['blank title', { title: '   ', sourceType: 'inbox' }, 'title'],
    ['NUL in title', { title: 'a\u0000b', sourceType: 'inbox' }, 'title'],
    ['dueAt without zone', { title: 'T', sourceType: 'inbox', dueAt: '2026-03-01T10:00:00' }, 'dueAt'],
    ['dueAt not a date', { title: 'T', sourceType: 'inbox', dueAt: 'tomorrow' }, 'dueAt'],
    ['unknown sourceType', { title: 'T', sourceType: 'email' }, 'sourceType'],
    ['missing sourceType', { title: 'T' }, 'sourceType'],
    ['unknown key', { title: 'T', sourceType: 'inbox', status: 'done' }, 'status'],
  ])('%s → 400 validation_failed naming the field', async (_name, body, path) => {
    const conversationId = await insertConversation(h.db, h.org);
    expectValidationError(await api().post('/v1/todos', { sourceId: conversationId, ...body }), path);
  });

  test('sourceId must be a UUID (400)', async () => {
    expectValidationError(await api().post('/v1/todos', { title: 'T', sourceType: 'inbox', sourceId: 'abc' }), 'sourceId');
  });

  test('an unknown conversation or one of another org → 422 unknown_source, nothing stored', async () => {
    for (const sourceId of [randomUUID(), otherConversation]) {
      const res = await api().post('/v1/todos', { title: 'Nope', sourceType: 'inbox', sourceId });
      const body = expectError(res, 422, 'unknown_source');
      expect(body.error.details).toEqual({ sourceType: 'inbox', sourceId });
    }
    const stored = await h.db.selectFrom('todos').select('id').where('source_id', '=', otherConversation).execute();
    expect(stored).toEqual([]);
  });

  test('without a token → 401', async () => {
    const res = await request(h.app).post('/v1/todos').send({ title: 'T', sourceType: 'inbox', sourceId: randomUUID() });
    expectError(res, 401, 'unauthorized');
  });
});

describe('GET /v1/todos', () => {
  /** A fresh org of its own (so org-wide lists are exact) with an admin token and one conversation. */
  async function freshOrg() {
    const org = await createTestOrg(h.db);
    return {
      org,
      token: signStaffToken(JWT_SECRET, { userId: org.adminId, orgId: org.orgId, role: 'admin' }),
      conversationId: await insertConversation(h.db, org),
    };
  }

  test('orders by due date (undated last), then creation, then id; pages of any size give the same order', async () => {
    const { token, conversationId } = await freshOrg();
    const later = await create(conversationId, { title: 'later', dueAt: '2026-05-01T00:00:00Z' }, token);
    const undated1 = await create(conversationId, { title: 'undated 1' }, token);
    const sooner = await create(conversationId, { title: 'sooner', dueAt: '2026-04-01T00:00:00Z' }, token);
    const undated2 = await create(conversationId, { title: 'undated 2' }, token);
    const sameDue = await create(conversationId, { title: 'same due as later', dueAt: '2026-05-01T00:00:00Z' }, token);
    const expected = [sooner, later, sameDue, undated1, undated2].map((t) => t.title);

    const first = await api(token).get('/v1/todos');
    expect(first.status).toBe(200);
    const page = first.body as Page<TodoView>;
    expect(page.data.map((t) => t.title)).toEqual(expected);
    expect(page.nextCursor).toBeNull();
    for (const limit of [1, 2, 3, 4]) {
      expect((await listAll('', limit, token)).map((t) => t.title)).toEqual(expected);
    }
  });

  test('pages through rows created in one transaction (same now() with microseconds): each exactly once, by id', async () => {
    const { org, token, conversationId } = await freshOrg();
    const ids = await h.db.transaction().execute(async (trx) => {
      const out: string[] = [];
      for (let i = 0; i < 7; i++) {
        const row = await insertTodo(trx, {
          orgId: org.orgId,
          title: `tie ${i}`,
          dueAt: i < 3 ? '2026-06-01T12:00:00.123456Z' : null,
          sourceType: 'inbox',
          sourceId: conversationId,
          createdByType: 'ai',
          createdBy: 'ai-assistant',
        });
        out.push(row.id);
      }
      return out;
    });
    const createdAt = await h.db.selectFrom('todos').select('created_at').where('id', 'in', ids).distinct().execute();
    expect(createdAt).toHaveLength(1); // one transaction, one now()
    const sorted = [...ids.slice(0, 3).sort(), ...ids.slice(3).sort()];
    for (const limit of [1, 2, 3]) {
      expect((await listAll('', limit, token)).map((t) => t.id)).toEqual(sorted);
    }
    const all = await listAll('', 10, token);
    expect(all[0]).toMatchObject({ createdByType: 'ai', createdBy: 'ai-assistant', dueAt: '2026-06-01T12:00:00.123Z' });
  });

  test('filters by status and by sourceId (combined with AND)', async () => {
    const { org, token, conversationId } = await freshOrg();
    const otherConversationOfOrg = await insertConversation(h.db, org, { channel: 'whatsapp' });
    const a = await create(conversationId, { title: 'a' }, token);
    const b = await create(conversationId, { title: 'b' }, token);
    const c = await create(otherConversationOfOrg, { title: 'c' }, token);
    expect((await api(token).patch(`/v1/todos/${b.id}`, { status: 'done' })).status).toBe(200);

    const titles = async (query: string) => ((await api(token).get(`/v1/todos?${query}`)).body as Page<TodoView>).data.map((t) => t.title);
    expect(await titles('status=open')).toEqual([a.title, c.title]);
    expect(await titles('status=done')).toEqual([b.title]);
    expect(await titles(`sourceId=${conversationId}`)).toEqual([a.title, b.title]);
    expect(await titles(`sourceId=${otherConversationOfOrg}`)).toEqual([c.title]);
    expect(await titles(`status=done&sourceId=${otherConversationOfOrg}`)).toEqual([]);
    expect(await titles(`sourceId=${randomUUID()}`)).toEqual([]);
  });

  test('lists only the caller org\u2019s todos', async () => {
    const theirs = await create(otherConversation, { title: 'their todo' }, otherAdmin);
    const mine = await listAll('', 100);
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.map((t) => t.id)).not.toContain(theirs.id);
    expect((await listAll(`sourceId=${otherConversation}`, 100)).length).toBe(0);
    expect((await listAll(`sourceId=${otherConversation}`, 100, otherAdmin)).map((t) => t.id)).toEqual([theirs.id]);
  });

  test.each([
    ['status=closed', 'status'],
    ['sourceId=nope', 'sourceId'],
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['limit=abc', 'limit'],
    ['color=red', 'color'],
  ])('?%s → 400 validation_failed', async (query, path) => {
    expectValidationError(await api().get(`/v1/todos?${query}`), path);
  });

  test('a cursor not made by the API → 400 invalid_cursor', async () => {
    for (const cursor of [
      'garbage',
      Buffer.from('["x"]').toString('base64url'),
      Buffer.from('[null,"2026-01-01T00:00:00Z","nope"]').toString('base64url'),
    ]) {
      expectError(await api().get(`/v1/todos?cursor=${cursor}`), 400, 'invalid_cursor');
    }
  });
});

describe('PATCH /v1/todos/:id', () => {
  test('changes the title and dueAt; null clears dueAt; updatedAt moves', async () => {
    const todo = await create(await insertConversation(h.db, h.org), { dueAt: '2026-03-01T10:00:00Z' });
    const renamed = await api().patch(`/v1/todos/${todo.id}`, { title: ' Renamed ', dueAt: '2026-03-02T10:00:00Z' });
    expect(renamed.status).toBe(200);
    expect(renamed.body as TodoView).toMatchObject({ id: todo.id, title: 'Renamed', dueAt: '2026-03-02T10:00:00.000Z', status: 'open' });
    expect(Date.parse((renamed.body as TodoView).updatedAt)).toBeGreaterThan(Date.parse(todo.updatedAt));
    const cleared = await api().patch(`/v1/todos/${todo.id}`, { dueAt: null });
    expect(cleared.body as TodoView).toMatchObject({ title: 'Renamed', dueAt: null });
  });

  test('done sets completedAt (kept when done again); reopening clears it', async () => {
    const todo = await create(await insertConversation(h.db, h.org));
    const done = await api(h.tokens.agent).patch(`/v1/todos/${todo.id}`, { status: 'done' });
    expect(done.status).toBe(200);
    const doneBody = done.body as TodoView;
    expect(doneBody.status).toBe('done');
    expect(doneBody.completedAt).toEqual(expect.any(String));
    expect(Date.parse(doneBody.completedAt!)).toBeGreaterThanOrEqual(Date.parse(todo.createdAt));

    const again = (await api().patch(`/v1/todos/${todo.id}`, { status: 'done', title: 'Still done' })).body as TodoView;
    expect(again).toMatchObject({ status: 'done', title: 'Still done', completedAt: doneBody.completedAt });

    const reopened = (await api().patch(`/v1/todos/${todo.id}`, { status: 'open' })).body as TodoView;
    expect(reopened).toMatchObject({ status: 'open', completedAt: null });
    const row = await h.db.selectFrom('todos').select(['status', 'completed_at']).where('id', '=', todo.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'open', completed_at: null });
  });

  test.each([
    ['an empty body', {}, ''],
    ['an unknown key', { priority: 'high' }, 'priority'],
    ['a bad status', { status: 'closed' }, 'status'],
    ['a blank title', { title: '' }, 'title'],
    ['a dueAt without zone', { dueAt: '2026-03-01' }, 'dueAt'],
  ])('%s → 400 validation_failed', async (_name, body, path) => {
    const todo = await create(await insertConversation(h.db, h.org));
    expectValidationError(await api().patch(`/v1/todos/${todo.id}`, body), path);
  });

  test('another org\u2019s todo or an unknown id → 404 and nothing changes; a non-UUID id → 400', async () => {
    const theirs = await create(otherConversation, { title: 'untouched' }, otherAdmin);
    expectError(await api().patch(`/v1/todos/${theirs.id}`, { status: 'done' }), 404, 'not_found');
    expectError(await api().patch(`/v1/todos/${randomUUID()}`, { status: 'done' }), 404, 'not_found');
    expectValidationError(await api().patch('/v1/todos/not-a-uuid', { status: 'done' }), 'id');
    const row = await h.db.selectFrom('todos').select(['status', 'title']).where('id', '=', theirs.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'open', title: 'untouched' });
  });
});
