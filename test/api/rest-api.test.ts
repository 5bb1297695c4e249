/**
 * REST commands and validation through the real path: Express → Temporal update on the
 * conversation's workflow (shared dev server, worker on this file's task queue) → Postgres → read.
 */
import { randomUUID } from 'node:crypto';
import { createHarness, createTestOrg, type Harness, randomPhone, type TestOrg } from '../support/harness';
import {
  api,
  type ConversationBody,
  type ErrorBody,
  expectError,
  expectValidationError,
  inboundAndWait,
  type MessageBody,
  type Page,
} from './rest-helpers';

let h: Harness;
let other: TestOrg;

beforeAll(async () => {
  h = await createHarness();
  other = await createTestOrg(h.db);
});
afterAll(async () => {
  await h?.close();
});

const getConversation = async (id: string): Promise<ConversationBody> => {
  const res = await api(h).get(`/v1/conversations/${id}`);
  expect(res.status).toBe(200);
  return res.body as ConversationBody;
};
const storedRow = (id: string) => h.db.selectFrom('conversations').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const minutesFromNow = (m: number) => new Date(Date.now() + m * 60_000).toISOString();

describe('request validation', () => {
  let c: ConversationBody;
  beforeAll(async () => {
    c = await inboundAndWait(h, randomPhone(), { body: 'validation target' });
  });

  test.each<[string, string, object, string]>([
    ['empty text', 'messages', { text: '' }, 'text'],
    ['blank text', 'messages', { text: '   \n ' }, 'text'],
    ['missing text', 'messages', { isInternalNote: true }, 'text'],
    ['text not a string', 'messages', { text: 42 }, 'text'],
    ['isInternalNote not a boolean', 'messages', { text: 'x', isInternalNote: 'yes' }, 'isInternalNote'],
    ['unknown status', 'status', { status: 'archived' }, 'status'],
    ['missing status', 'status', {}, 'status'],
    ['until with status open', 'status', { status: 'open', until: minutesFromNow(60) }, 'until'],
    ['until with status closed', 'status', { status: 'closed', until: minutesFromNow(60) }, 'until'],
    ['until not ISO', 'status', { status: 'snoozed', until: 'tomorrow morning' }, 'until'],
    ['until without a zone', 'status', { status: 'snoozed', until: '2099-01-02T09:00:00' }, 'until'],
    ['non-uuid assigneeId', 'assign', { assigneeId: 'alan' }, 'assigneeId'],
    ['missing assigneeId', 'assign', {}, 'assigneeId'],
  ])('POST …/%s → 400 validation_failed naming the field', async (_name, route, body, field) => {
    expectValidationError(await api(h).post(`/v1/conversations/${c.id}/${route}`, body), field);
  });

  test.each<[string, object, string]>([
    ['bad priority', { priority: 'critical' }, 'priority'],
    ['tags not an array', { tags: 'vip' }, 'tags'],
    ['empty tag', { tags: ['ok', ''] }, 'tags.1'],
    ['subject not a string', { subject: 7 }, 'subject'],
  ])('PATCH with %s → 400 validation_failed naming the field', async (_name, body, field) => {
    expectValidationError(await api(h).patch(`/v1/conversations/${c.id}`, body), field);
  });

  test('PATCH with no field at all → 400 validation_failed', async () => {
    expectError(await api(h).patch(`/v1/conversations/${c.id}`, {}), 400, 'validation_failed');
  });

  test.each<[string, 'post' | 'patch', string, object]>([
    ['messages', 'post', 'messages', { text: 'hi', foo: 1 }],
    ['status', 'post', 'status', { status: 'closed', foo: 1 }],
    ['assign', 'post', 'assign', { assigneeId: null, foo: 1 }],
    ['PATCH', 'patch', '', { priority: 'high', foo: 1 }],
  ])('an extra unknown key (%s) → 400 validation_failed naming the key', async (_name, method, route, body) => {
    const path = `/v1/conversations/${c.id}${route ? `/${route}` : ''}`;
    const res = method === 'post' ? await api(h).post(path, body) : await api(h).patch(path, body);
    expectValidationError(res, 'foo');
  });

  test('several failing fields are all reported', async () => {
    const res = await api(h).post(`/v1/conversations/${c.id}/status`, { status: 'gone', until: 'soon' });
    const body = expectError(res, 400, 'validation_failed');
    expect(body.error.details?.fields?.map((f) => f.path).sort()).toEqual(['status', 'until']);
    for (const f of body.error.details?.fields ?? []) expect(f.message.length).toBeGreaterThan(0);
  });

  test('rejected commands changed nothing', async () => {
    const after = await getConversation(c.id);
    expect(after).toMatchObject({ status: 'open', assigneeId: null, tags: [], priority: 'normal', subject: null, unreadCount: 1 });
    const messages = (await api(h).get(`/v1/conversations/${c.id}/messages`)).body as Page<MessageBody>;
    expect(messages.data).toHaveLength(1);
  });

  test.each([
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['limit=ten', 'limit'],
    ['limit=2.5', 'limit'],
    ['status=archived', 'status'],
    ['channel=fax', 'channel'],
    ['priority=critical', 'priority'],
    ['assignee=alan', 'assignee'],
    ['overdue=maybe', 'overdue'],
    ['sort=oldest', 'sort'],
    ['status=open&status=closed', 'status'],
  ])('GET /v1/conversations?%s → 400 naming %s', async (query, field) => {
    expectValidationError(await api(h).get(`/v1/conversations?${query}`), field);
  });

  test('a cursor we did not make → 400 invalid_cursor', async () => {
    expectError(await api(h).get('/v1/conversations?cursor=not-a-cursor'), 400, 'invalid_cursor');
    const forged = Buffer.from(JSON.stringify(['yesterday', 'x'])).toString('base64url');
    expectError(await api(h).get(`/v1/conversations?cursor=${forged}`), 400, 'invalid_cursor');
  });

  test.each([
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['before=42', 'before'],
    ['after=abc', 'after'],
    ['page=2', 'page'],
  ])('GET …/messages?%s → 400 naming %s', async (query, field) => {
    expectValidationError(await api(h).get(`/v1/conversations/${c.id}/messages?${query}`), field);
  });

  test('GET …/messages with both before and after → 400', async () => {
    const mid = randomUUID();
    expectError(await api(h).get(`/v1/conversations/${c.id}/messages?before=${mid}&after=${mid}`), 400, 'validation_failed');
  });

  test('non-uuid :id → 400 naming id, on every route', async () => {
    const as = api(h);
    expectValidationError(await as.get('/v1/conversations/123'), 'id');
    expectValidationError(await as.get('/v1/conversations/123/messages'), 'id');
    expectValidationError(await as.post('/v1/conversations/123/messages', { text: 'x' }), 'id');
    expectValidationError(await as.post('/v1/conversations/123/status', { status: 'closed' }), 'id');
    expectValidationError(await as.post('/v1/conversations/123/assign', { assigneeId: null }), 'id');
    expectValidationError(await as.patch('/v1/conversations/123', { priority: 'high' }), 'id');
    expectValidationError(await as.get('/v1/contacts/not-a-uuid'), 'id');
    expectValidationError(await as.post('/v1/contacts/not-a-uuid/conversations', { channel: 'sms' }), 'id');
  });

  test('an unknown conversation id → 404 not_found', async () => {
    const id = randomUUID();
    expectError(await api(h).get(`/v1/conversations/${id}`), 404, 'not_found');
    expectError(await api(h).get(`/v1/conversations/${id}/messages`), 404, 'not_found');
    expectError(await api(h).post(`/v1/conversations/${id}/status`, { status: 'closed' }), 404, 'not_found');
    expectError(await api(h).post(`/v1/conversations/${id}/messages`, { text: 'hello?' }), 404, 'not_found');
  });
});

describe('POST /v1/conversations/:id/status', () => {
  let c: ConversationBody;
  beforeAll(async () => {
    c = await inboundAndWait(h, randomPhone(), { body: 'status target' });
  });

  test('closed → returns the updated conversation and stores it', async () => {
    const res = await api(h).post(`/v1/conversations/${c.id}/status`, { status: 'closed' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: c.id, status: 'closed', closedReason: 'closed_by_staff', snoozedUntil: null, unreadCount: 0 });
    expect((await storedRow(c.id)).status).toBe('closed');
  });

  test('open again', async () => {
    const res = await api(h).post(`/v1/conversations/${c.id}/status`, { status: 'open' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: c.id, status: 'open', closedReason: null });
    expect((await getConversation(c.id)).status).toBe('open');
  });

  test('pending', async () => {
    const res = await api(h).post(`/v1/conversations/${c.id}/status`, { status: 'pending' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'pending' });
    expect((await storedRow(c.id)).status).toBe('pending');
  });

  test('snoozed until a future time (any zone) → snoozedUntil is that instant in UTC', async () => {
    const until = new Date(Date.now() + 3 * 60 * 60_000);
    until.setUTCMilliseconds(0);
    const withOffset = new Date(until.getTime() + 2 * 60 * 60_000).toISOString().replace('Z', '+02:00');
    const res = await api(h).post(`/v1/conversations/${c.id}/status`, { status: 'snoozed', until: withOffset });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'snoozed', snoozedUntil: until.toISOString() });
    expect((await storedRow(c.id)).snoozed_until?.toISOString()).toBe(until.toISOString());
  });

  test('snoozed with until in the past → 400 invalid_snooze, nothing changes', async () => {
    const before = await getConversation(c.id);
    const res = await api(h).post(`/v1/conversations/${c.id}/status`, { status: 'snoozed', until: minutesFromNow(-5) });
    expectError(res, 400, 'invalid_snooze');
    const after = await getConversation(c.id);
    expect(after).toMatchObject({ status: 'snoozed', snoozedUntil: before.snoozedUntil });
  });

  test('snoozed without until (until the customer writes) → snoozedUntil null', async () => {
    const res = await api(h).post(`/v1/conversations/${c.id}/status`, { status: 'snoozed' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'snoozed', snoozedUntil: null });
  });
});

describe('POST /v1/conversations/:id/assign', () => {
  let c: ConversationBody;
  beforeAll(async () => {
    c = await inboundAndWait(h, randomPhone(), { body: 'assign target' });
  });

  test('an org member → assigned', async () => {
    const res = await api(h).post(`/v1/conversations/${c.id}/assign`, { assigneeId: h.org.agentId });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: c.id, assigneeId: h.org.agentId });
    expect((await storedRow(c.id)).assignee_id).toBe(h.org.agentId);
  });

  test.each([
    ['a random uuid', () => randomUUID()],
    ["another org's user", () => other.agentId],
  ])('%s → 422 assignee_not_member, nothing changed', async (_name, assignee) => {
    const id = assignee();
    const res = await api(h).post(`/v1/conversations/${c.id}/assign`, { assigneeId: id });
    const body: ErrorBody = expectError(res, 422, 'assignee_not_member');
    expect(body.error.details).toMatchObject({ assigneeId: id });
    expect((await getConversation(c.id)).assigneeId).toBe(h.org.agentId);
    expect((await storedRow(c.id)).assignee_id).toBe(h.org.agentId);
  });

  test('the workflow is still healthy after a rejected assignment: reassign to the admin', async () => {
    const res = await api(h).post(`/v1/conversations/${c.id}/assign`, { assigneeId: h.org.adminId });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ assigneeId: h.org.adminId });
  });

  test('null → unassigned', async () => {
    const res = await api(h).post(`/v1/conversations/${c.id}/assign`, { assigneeId: null });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: c.id, assigneeId: null });
    expect((await storedRow(c.id)).assignee_id).toBeNull();
  });
});

describe('PATCH /v1/conversations/:id', () => {
  let c: ConversationBody;
  beforeAll(async () => {
    c = await inboundAndWait(h, randomPhone(), { body: 'patch target' });
  });

  test('tags are normalised (trimmed, lower-case, de-duplicated, sorted); priority and subject set; returns updated', async () => {
    const res = await api(h).patch(`/v1/conversations/${c.id}`, {
      tags: ['VIP', ' billing ', 'vip', 'Billing', 'Refund'],
      priority: 'high',
      subject: 'Late parcel',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: c.id,
      tags: ['billing', 'refund', 'vip'],
      priority: 'high',
      subject: 'Late parcel',
      status: 'open',
    });
    const row = await storedRow(c.id);
    expect({ tags: row.tags, priority: row.priority, subject: row.subject }).toEqual({
      tags: ['billing', 'refund', 'vip'],
      priority: 'high',
      subject: 'Late parcel',
    });
  });

  test('a partial patch leaves the other fields alone', async () => {
    const res = await api(h).patch(`/v1/conversations/${c.id}`, { priority: 'urgent' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ tags: ['billing', 'refund', 'vip'], priority: 'urgent', subject: 'Late parcel' });
  });

  test('subject null clears it; tags [] clears them', async () => {
    const res = await api(h).patch(`/v1/conversations/${c.id}`, { subject: null, tags: [] });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ tags: [], priority: 'urgent', subject: null });
    expect(await getConversation(c.id)).toMatchObject({ tags: [], subject: null });
  });
});

describe('POST /v1/conversations/:id/messages', () => {
  const customer = randomPhone();
  let c: ConversationBody;
  beforeAll(async () => {
    c = await inboundAndWait(h, customer, { body: 'Hi, I need help' });
  });

  test('an internal note → 201, stored as a note, status unchanged, nothing sent', async () => {
    const res = await api(h).post(`/v1/conversations/${c.id}/messages`, { text: 'Customer is a VIP, be nice', isInternalNote: true });
    expect(res.status).toBe(201);
    const note = res.body as MessageBody;
    expect(note).toMatchObject({
      conversationId: c.id,
      isInternalNote: true,
      direction: 'outbound',
      authorType: 'staff',
      authorId: h.org.adminId,
      text: 'Customer is a VIP, be nice',
    });
    expect(note.deliveryStatus).toBeNull();
    const row = await h.db.selectFrom('messages').selectAll().where('id', '=', note.id).executeTakeFirstOrThrow();
    expect(row.is_internal_note).toBe(true);
    expect(await getConversation(c.id)).toMatchObject({ status: 'open', unreadCount: 1, lastMessagePreview: 'Hi, I need help' });
    await new Promise((r) => setTimeout(r, 300));
    expect(h.twilioStub!.requests.some((r) => r.form.Body === 'Customer is a VIP, be nice')).toBe(false);
  });

  test('a reply → 201 queued, the conversation becomes pending and the reply goes to Twilio', async () => {
    const res = await api(h).post(`/v1/conversations/${c.id}/messages`, { text: 'On it!' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      conversationId: c.id,
      isInternalNote: false,
      direction: 'outbound',
      deliveryStatus: 'queued',
      text: 'On it!',
    });
    expect(await getConversation(c.id)).toMatchObject({ status: 'pending', unreadCount: 0, lastMessagePreview: 'On it!' });
    const sent = await h.waitFor(async () => h.twilioStub!.requests.find((r) => r.form.Body === 'On it!'), 'Twilio send');
    expect(sent.form).toMatchObject({ To: customer });
  });

  test('an inbound after the reply → open again with unreadCount 1', async () => {
    const res = await h.inbound({ from: customer, body: 'Thanks, any news?' });
    expect(res.status).toBe(200);
    const after = await h.waitFor(async () => {
      const now = await getConversation(c.id);
      return now.lastMessagePreview === 'Thanks, any news?' ? now : undefined;
    }, 'reopen');
    expect(after).toMatchObject({ status: 'open', unreadCount: 1 });
  });

  test('the messages list shows inbound, note, reply and inbound in order', async () => {
    const page = (await api(h).get(`/v1/conversations/${c.id}/messages`)).body as Page<MessageBody>;
    expect(page.data.map((m) => [m.text, m.isInternalNote, m.direction])).toEqual([
      ['Hi, I need help', false, 'inbound'],
      ['Customer is a VIP, be nice', true, 'outbound'],
      ['On it!', false, 'outbound'],
      ['Thanks, any news?', false, 'inbound'],
    ]);
    expect(page.nextCursor).toBeNull();
  });
});

describe('GET /v1/conversations/:id/messages pagination', () => {
  let c: ConversationBody;
  let ids: string[];
  beforeAll(async () => {
    c = await inboundAndWait(h, randomPhone(), { body: 'm0' });
    for (let i = 1; i <= 6; i++) {
      const res = await api(h).post(`/v1/conversations/${c.id}/messages`, { text: `m${i}`, isInternalNote: true });
      expect(res.status).toBe(201);
    }
    const all = (await api(h).get(`/v1/conversations/${c.id}/messages`)).body as Page<MessageBody>;
    ids = all.data.map((m) => m.id);
    expect(all.data.map((m) => m.text)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6']);
    expect(all.nextCursor).toBeNull();
  });

  const page = async (query: string) => {
    const res = await api(h).get(`/v1/conversations/${c.id}/messages?${query}`);
    expect(res.status).toBe(200);
    const body = res.body as Page<MessageBody>;
    return { texts: body.data.map((m) => m.text), next: body.nextCursor };
  };

  test('without a cursor: the newest `limit`, chronological; walking `before` reaches the start', async () => {
    const p1 = await page('limit=3');
    expect(p1).toEqual({ texts: ['m4', 'm5', 'm6'], next: ids[4] });
    const p2 = await page(`limit=3&before=${p1.next}`);
    expect(p2).toEqual({ texts: ['m1', 'm2', 'm3'], next: ids[1] });
    const p3 = await page(`limit=3&before=${p2.next}`);
    expect(p3).toEqual({ texts: ['m0'], next: null });
  });

  test('`after` walks forward, chronological', async () => {
    const p1 = await page(`limit=2&after=${ids[0]}`);
    expect(p1).toEqual({ texts: ['m1', 'm2'], next: ids[2] });
    const p2 = await page(`limit=4&after=${p1.next}`);
    expect(p2).toEqual({ texts: ['m3', 'm4', 'm5', 'm6'], next: null });
    expect(await page(`after=${ids[6]}`)).toEqual({ texts: [], next: null });
  });

  test('a cursor id from another conversation (or no message) → 400', async () => {
    const elsewhere = await inboundAndWait(h, randomPhone(), { body: 'other thread' });
    const foreign = ((await api(h).get(`/v1/conversations/${elsewhere.id}/messages`)).body as Page<MessageBody>).data[0]!.id;
    expectError(await api(h).get(`/v1/conversations/${c.id}/messages?before=${foreign}`), 400, 'invalid_cursor');
    expectError(await api(h).get(`/v1/conversations/${c.id}/messages?after=${foreign}`), 400, 'invalid_cursor');
    expectError(await api(h).get(`/v1/conversations/${c.id}/messages?before=${randomUUID()}`), 400, 'invalid_cursor');
  });
});
