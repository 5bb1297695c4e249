/**
 * Per-person inbox state (issue 11) through the real path (signed Twilio webhooks → workflows →
 * Postgres → API): unread counts and read markers per staff user, stars per user, the org's archive
 * (and a new customer message un-archiving), `?contactId=`, `sessionStatus` and its filter (the SQL
 * and the domain function agreeing on every combination), and seed 003's `POST /v1/conversations/reply`.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import request from 'supertest';
import { createHarness, createTestOrg, type Harness, randomPhone, type TestOrg } from '../support/harness';
import { sessionStatusSql } from '../../db/personal-state';
import { CONVERSATION_STATUSES } from '../../domain/conversation';
import { type SessionStatus, sessionStatusOf } from '../../domain/session-status';
import { api, type ConversationBody, expectError, expectValidationError, inboundAndWait, listAll, type MessageBody } from './rest-helpers';

/** The view with this file's fields. */
interface View extends ConversationBody {
  starred: boolean;
  archivedAt: string | null;
  sessionStatus: SessionStatus;
}

let h: Harness;
let other: TestOrg;

beforeAll(async () => {
  h = await createHarness();
  other = await createTestOrg(h.db);
}, 60_000);
afterAll(async () => {
  await h?.close();
});

const as = (who: 'admin' | 'agent') => api(h, h.tokens[who]);
const view = async (id: string, who: 'admin' | 'agent' = 'admin'): Promise<View> => {
  const res = await as(who).get(`/v1/conversations/${id}`);
  expect(res.status).toBe(200);
  return res.body as View;
};
const ids = async (query: string, who: 'admin' | 'agent' = 'admin'): Promise<string[]> =>
  (await listAll(h, query, h.tokens[who])).map((c) => c.id);
/** Sends one more customer message into an existing SMS conversation and waits until it is stored. */
async function customerWrites(from: string, conversationId: string, body: string): Promise<void> {
  expect((await h.inbound({ from, body })).status).toBe(200);
  await h.waitFor(async () => (await view(conversationId)).lastMessagePreview === body, `inbound "${body}"`);
}

describe('unread is per staff user', () => {
  const from = randomPhone();
  let c: View;
  beforeAll(async () => {
    c = (await inboundAndWait(h, from, { body: 'Where is my order?' })) as View;
  });

  test('nobody has read a new customer message', async () => {
    expect((await view(c.id, 'admin')).unreadCount).toBe(1);
    expect((await view(c.id, 'agent')).unreadCount).toBe(1);
  });

  test('opening the messages list does not mark read', async () => {
    expect((await as('admin').get(`/v1/conversations/${c.id}/messages`)).status).toBe(200);
    expect((await view(c.id, 'admin')).unreadCount).toBe(1);
  });

  test('the admin reads: 0 for the admin, still 1 for the agent; ?unread= follows each', async () => {
    const res = await as('admin').post(`/v1/conversations/${c.id}/read`, {});
    expect(res.status).toBe(200);
    expect((res.body as View).unreadCount).toBe(0);
    expect((await view(c.id, 'agent')).unreadCount).toBe(1);
    expect(await ids('unread=true', 'admin')).not.toContain(c.id);
    expect(await ids('unread=false', 'admin')).toContain(c.id);
    expect(await ids('unread=true', 'agent')).toContain(c.id);
    expect(await ids('unread=false', 'agent')).not.toContain(c.id);
  });

  test('a new customer message is unread again for both', async () => {
    await customerWrites(from, c.id, 'Hello? Anyone?');
    expect((await view(c.id, 'admin')).unreadCount).toBe(1);
    expect((await view(c.id, 'agent')).unreadCount).toBe(2);
    expect(await ids('unread=true', 'admin')).toContain(c.id);
  });

  test('mark unread: the newest customer message becomes unread again (for me only)', async () => {
    expect((await as('agent').post(`/v1/conversations/${c.id}/read`, {})).body).toMatchObject({ unreadCount: 0 });
    const res = await as('agent').post(`/v1/conversations/${c.id}/unread`, {});
    expect(res.status).toBe(200);
    expect((res.body as View).unreadCount).toBe(1);
    expect(await ids('unread=true', 'agent')).toContain(c.id);
    expect((await view(c.id, 'admin')).unreadCount).toBe(1);
  });

  test('a note does not mark read; a reply marks read for its author only', async () => {
    expect((await as('agent').post(`/v1/conversations/${c.id}/messages`, { text: 'checking', isInternalNote: true })).status).toBe(201);
    expect((await view(c.id, 'agent')).unreadCount).toBe(1);
    expect((await as('agent').post(`/v1/conversations/${c.id}/messages`, { text: 'It ships today' })).status).toBe(201);
    expect((await view(c.id, 'agent')).unreadCount).toBe(0);
    expect((await view(c.id, 'admin')).unreadCount).toBe(1);
  });

  test("read / unread of an unknown or another org's conversation → 404", async () => {
    const foreign = await foreignConversation();
    for (const id of [randomUUID(), foreign]) {
      expectError(await as('admin').post(`/v1/conversations/${id}/read`, {}), 404, 'not_found');
      expectError(await as('admin').post(`/v1/conversations/${id}/unread`, {}), 404, 'not_found');
    }
    const rows = await h.db.selectFrom('conversation_reads').select('staff_id').where('conversation_id', '=', foreign).execute();
    expect(rows).toEqual([]);
  });
});

describe('stars are per staff user', () => {
  let c: View;
  beforeAll(async () => {
    c = (await inboundAndWait(h, randomPhone(), { body: 'star me' })) as View;
  });

  test('star, idempotent; the agent does not see it; ?starred= lists mine', async () => {
    for (let i = 0; i < 2; i++) {
      const res = await as('admin').post(`/v1/conversations/${c.id}/star`, {});
      expect(res.status).toBe(200);
      expect((res.body as View).starred).toBe(true);
    }
    expect((await view(c.id, 'agent')).starred).toBe(false);
    expect(await ids('starred=true', 'admin')).toEqual([c.id]);
    expect(await ids('starred=true', 'agent')).toEqual([]);
    expect(await ids('starred=false', 'admin')).not.toContain(c.id);
  });

  test('unstar (DELETE), idempotent', async () => {
    for (let i = 0; i < 2; i++) {
      const del = await request(h.app).delete(`/v1/conversations/${c.id}/star`).set('Authorization', h.auth);
      expect(del.status).toBe(200);
      expect((del.body as View).starred).toBe(false);
    }
    expect(await ids('starred=true', 'admin')).toEqual([]);
  });
});

describe('archive is per org', () => {
  const from = randomPhone();
  let c: View;
  beforeAll(async () => {
    c = (await inboundAndWait(h, from, { body: 'archive me' })) as View;
  });

  test('archived: leaves the default list for everyone, listed with ?archived=true', async () => {
    const res = await as('agent').post(`/v1/conversations/${c.id}/archive`, { archived: true });
    expect(res.status).toBe(200);
    expect((res.body as View).archivedAt).toEqual(expect.any(String));
    for (const who of ['admin', 'agent'] as const) {
      expect(await ids('', who)).not.toContain(c.id);
      expect(await ids('archived=false', who)).not.toContain(c.id);
      expect(await ids('archived=true', who)).toEqual([c.id]);
    }
  });

  test('workflow saves (status change, staff reply) leave it archived', async () => {
    const before = (await view(c.id)).archivedAt;
    expect((await as('admin').post(`/v1/conversations/${c.id}/status`, { status: 'pending' })).status).toBe(200);
    expect((await as('admin').post(`/v1/conversations/${c.id}/messages`, { text: 'Anything else?' })).status).toBe(201);
    expect((await as('admin').patch(`/v1/conversations/${c.id}`, { tags: ['kept'] })).status).toBe(200);
    const after = await view(c.id);
    expect(after).toMatchObject({ tags: ['kept'], status: 'pending', archivedAt: before });
    expect(await ids('archived=true')).toEqual([c.id]);
  });

  test('a new customer message un-archives it', async () => {
    await customerWrites(from, c.id, 'One more thing');
    expect((await view(c.id)).archivedAt).toBeNull();
    expect(await ids('')).toContain(c.id);
    expect(await ids('archived=true')).toEqual([]);
  });

  test('archived: false unarchives; bad bodies → 400; unknown → 404', async () => {
    expect((await as('admin').post(`/v1/conversations/${c.id}/archive`, { archived: true })).status).toBe(200);
    const res = await as('admin').post(`/v1/conversations/${c.id}/archive`, { archived: false });
    expect(res.status).toBe(200);
    expect((res.body as View).archivedAt).toBeNull();
    expectValidationError(await as('admin').post(`/v1/conversations/${c.id}/archive`, {}), 'archived');
    expectValidationError(await as('admin').post(`/v1/conversations/${c.id}/archive`, { archived: 'yes' }), 'archived');
    expectError(await as('admin').post(`/v1/conversations/${randomUUID()}/archive`, { archived: true }), 404, 'not_found');
    expectError(await as('admin').post(`/v1/conversations/${await foreignConversation()}/archive`, { archived: true }), 404, 'not_found');
  });
});

test("?contactId= lists exactly the contact's conversations (sessions)", async () => {
  const from = randomPhone();
  const sms = await inboundAndWait(h, from, { body: 'by SMS' });
  const wa = await inboundAndWait(h, from, { body: 'by WhatsApp', whatsapp: true });
  expect(wa.contact.id).toBe(sms.contact.id);
  expect((await ids(`contactId=${sms.contact.id}`)).sort()).toEqual([sms.id, wa.id].sort());
  expect(await ids(`contactId=${randomUUID()}`)).toEqual([]);
  expectValidationError(await api(h).get('/v1/conversations?contactId=nope'), 'contactId');
});

describe('sessionStatus', () => {
  test('the SQL and sessionStatusOf agree on every combination of their inputs', async () => {
    const rows: { status: string; closed_reason: string | null; needs_human: boolean; unread_count: number; has_staff_replied: boolean }[] =
      [];
    for (const status of CONVERSATION_STATUSES)
      for (const closed_reason of [null, 'closed_by_staff', 'session_expired'])
        for (const needs_human of [false, true])
          for (const unread_count of [0, 1, 7])
            for (const has_staff_replied of [false, true])
              rows.push({ status, closed_reason, needs_human, unread_count, has_staff_replied });
    const values = sql.join(
      rows.map(
        (r, i) =>
          sql`(${i}::int, ${r.status}::text, ${r.closed_reason}::text, ${r.needs_human}::boolean, ${r.unread_count}::int, ${r.has_staff_replied}::boolean)`,
      ),
    );
    const result = await sql<{ i: number; s: string }>`
      select c.i, ${sessionStatusSql()} as s
        from (values ${values}) as c(i, status, closed_reason, needs_human, unread_count, has_staff_replied)`.execute(h.db);
    expect(result.rows).toHaveLength(rows.length);
    for (const { i, s } of result.rows) {
      const r = rows[i]!;
      const expected = sessionStatusOf({
        status: r.status as (typeof CONVERSATION_STATUSES)[number],
        closedReason: r.closed_reason as 'closed_by_staff' | 'session_expired' | null,
        needsHuman: r.needs_human,
        unansweredCount: r.unread_count,
        hasStaffReplied: r.has_staff_replied,
      });
      expect({ row: r, s }).toEqual({ row: r, s: expected });
    }
  });

  test('each state through the API, and ?sessionStatus= lists exactly those', async () => {
    const make = async (body: string) => (await inboundAndWait(h, randomPhone(), { body })) as View;
    const active = await make('still waiting');
    const waiting = await make('please reply');
    const completed = await make('thanks, bye');
    const needsHuman = await make('I want a human');
    const expired = await make('hello?');
    expect((await view(active.id)).sessionStatus).toBe('active');
    expect((await as('admin').post(`/v1/conversations/${waiting.id}/messages`, { text: 'Done, anything else?' })).status).toBe(201);
    expect((await view(waiting.id)).sessionStatus).toBe('waiting_reply');
    expect((await as('admin').post(`/v1/conversations/${completed.id}/status`, { status: 'closed' })).body).toMatchObject({
      sessionStatus: 'completed',
    });
    // the AI hand-off and the lapse of a session window come from the workflow; their columns are
    // set here directly (the workflows of these two conversations are idle)
    await h.db.updateTable('conversations').set({ needs_human: true }).where('id', '=', needsHuman.id).execute();
    await h.db
      .updateTable('conversations')
      .set({ status: 'closed', closed_reason: 'session_expired', session_expired: true })
      .where('id', '=', expired.id)
      .execute();
    expect((await view(needsHuman.id)).sessionStatus).toBe('needs_human');
    expect((await view(expired.id)).sessionStatus).toBe('expired');

    const all = await listAll(h);
    const byStatus = (s: SessionStatus) =>
      (all as View[])
        .filter((c) => c.sessionStatus === s)
        .map((c) => c.id)
        .sort();
    for (const [status, member] of [
      ['active', active],
      ['waiting_reply', waiting],
      ['completed', completed],
      ['needs_human', needsHuman],
      ['expired', expired],
    ] as const) {
      const listed = (await ids(`sessionStatus=${status}`)).sort();
      expect(listed).toContain(member.id);
      expect(listed).toEqual(byStatus(status));
    }
    expectValidationError(await api(h).get('/v1/conversations?sessionStatus=sleeping'), 'sessionStatus');
  });
});

describe('POST /v1/conversations/reply (seed 003 alias)', () => {
  let c: View;
  beforeAll(async () => {
    c = (await inboundAndWait(h, randomPhone(), { body: 'alias target' })) as View;
  });

  test('answers like POST …/:id/messages: 201 with the stored, queued message', async () => {
    const direct = await as('admin').post(`/v1/conversations/${c.id}/messages`, { text: 'Direct reply' });
    const alias = await as('admin').post('/v1/conversations/reply', { sessionId: c.id, message: 'Alias reply' });
    expect(direct.status).toBe(201);
    expect(alias.status).toBe(201);
    const [d, a] = [direct.body as MessageBody, alias.body as MessageBody];
    expect(Object.keys(a).sort()).toEqual(Object.keys(d).sort());
    const same = (m: MessageBody) => ({
      conversationId: m.conversationId,
      direction: m.direction,
      authorType: m.authorType,
      authorId: m.authorId,
      isInternalNote: m.isInternalNote,
      deliveryStatus: m.deliveryStatus,
    });
    expect(same(a)).toEqual(same(d));
    expect(a.text).toBe('Alias reply');
    const stored = await h.db.selectFrom('messages').select('text').where('id', '=', a.id).executeTakeFirstOrThrow();
    expect(stored.text).toBe('Alias reply');
    expect((await view(c.id)).sessionStatus).toBe('waiting_reply');
    await h.waitFor(async () => h.twilioStub!.requests.find((r) => r.form.Body === 'Alias reply'), 'Twilio send');
  });

  test("another org's or an unknown session → 404; bad bodies → 400 like the direct route", async () => {
    expectError(
      await as('admin').post('/v1/conversations/reply', { sessionId: await foreignConversation(), message: 'hi' }),
      404,
      'not_found',
    );
    expectError(await as('admin').post('/v1/conversations/reply', { sessionId: randomUUID(), message: 'hi' }), 404, 'not_found');
    expectValidationError(await as('admin').post('/v1/conversations/reply', { sessionId: c.id, message: '   ' }), 'message');
    expectValidationError(await as('admin').post('/v1/conversations/reply', { sessionId: 'ses_abc123', message: 'hi' }), 'sessionId');
    expectValidationError(await as('admin').post('/v1/conversations/reply', { sessionId: c.id }), 'message');
    // `reply` is never taken for a conversation id
    expectValidationError(await as('admin').get('/v1/conversations/reply'), 'id');
  });

  test('the same domain rules: a free-form WhatsApp reply outside the window → the same 422', async () => {
    const contact = await as('admin').post('/v1/contacts', { name: 'Window Closed', whatsapp: randomPhone() });
    expect(contact.status).toBe(201);
    const started = await as('admin').post(`/v1/contacts/${(contact.body as { id: string }).id}/conversations`, { channel: 'whatsapp' });
    expect(started.status).toBe(201);
    const id = (started.body as View).id;
    const direct = expectError(await as('admin').post(`/v1/conversations/${id}/messages`, { text: 'hi' }), 422, 'whatsapp_session_expired');
    const alias = expectError(
      await as('admin').post('/v1/conversations/reply', { sessionId: id, message: 'hi' }),
      422,
      'whatsapp_session_expired',
    );
    expect(alias.error).toEqual(direct.error);
  });
});

/** A conversation of another org (rows only: the routes must answer 404 before any workflow). */
async function foreignConversation(): Promise<string> {
  const contactId = randomUUID();
  const id = randomUUID();
  await h.db.insertInto('contacts').values({ id: contactId, org_id: other.orgId, name: 'Elsewhere' }).execute();
  await h.db
    .insertInto('conversations')
    .values({
      id,
      org_id: other.orgId,
      channel_id: other.smsChannelId,
      channel_kind: 'sms',
      contact_id: contactId,
      subject: null,
      status: 'open',
      priority: 'normal',
      assignee_id: null,
      unread_count: 1,
      last_message_preview: 'hi',
      last_activity_at: new Date().toISOString(),
      last_customer_message_at: null,
      session_expires_at: null,
      session_expired: false,
      sla_due_at: null,
      overdue: false,
      has_staff_replied: false,
      closed_reason: null,
    })
    .execute();
  return id;
}
