/**
 * `GET /v1/conversations/stats` through the real app over rows inserted directly with controlled
 * timestamps: exact totals, AI decision counts, AI resolution ratio and first-response averages by
 * channel and intent; the half-open range `[from, to)` at both edges; another org's rows ignored;
 * query validation (400); and the mount before `/v1/conversations/:id`.
 */
import request from 'supertest';
import { signStaffToken } from '../../api/auth';
import type { ConversationStatsView } from '../../api/stats-schemas';
import { createHarness, createTestOrg, type Harness, JWT_SECRET, type TestOrg } from '../support/harness';
import { insertConversation, insertMessage, insertSuggestion } from './db-fixtures';
import { expectError, expectValidationError } from './rest-helpers';

let h: Harness;

beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.close();
});

const FROM = '2026-01-01T00:00:00.000Z';
const TO = '2026-02-01T00:00:00.000Z';

/** `iso` plus `seconds` (may be fractional) as a Date. */
const at = (iso: string, seconds = 0): Date => new Date(Date.parse(iso) + seconds * 1000);

/** A fresh org of its own (so every number is exact) with admin and agent tokens. */
async function freshOrg(): Promise<{ org: TestOrg; admin: string; agent: string }> {
  const org = await createTestOrg(h.db);
  return {
    org,
    admin: signStaffToken(JWT_SECRET, { userId: org.adminId, orgId: org.orgId, role: 'admin' }),
    agent: signStaffToken(JWT_SECRET, { userId: org.agentId, orgId: org.orgId, role: 'agent' }),
  };
}

function stats(token: string, query: string) {
  return request(h.app).get(`/v1/conversations/stats?${query}`).set('Authorization', `Bearer ${token}`);
}

/**
 * Fills `org` with the scenario below (all in January 2026 unless said otherwise):
 * - C1 sms closed: inbound 10:00, staff note +30 s, AI reply +60 s, inbound 11:00, AI reply 11:01;
 *   suggestions auto_send `order_status` (Jan 2), suggest `refund` (Jan 3), auto_send on Feb 1 00:00 (out of range).
 * - C2 sms closed: inbound 10:00 and 10:01, staff reply +120 s, AI reply later; one suggestion `billing` on Feb 2 (out of range).
 * - C3 whatsapp closed: inbound only, plus an AI internal note (no reply: not resolved, no first response).
 * - C4 email open: staff outbound 09:00 (before any inbound), inbound 10:00, system message +10 s, staff reply +300 s;
 *   hand_off `order_status` (Jan 4).
 * - C5 email pending: inbound 10:00:00, AI reply at the same instant (not after it), AI reply +45.5 s; suggest `refund` (Jan 5).
 * - C6 chat snoozed, created exactly at `from`, no messages.
 * - C7 sms closed: inbound, AI reply +30 s, system message +40 s (not all replies by the AI).
 * - Out of range: C8 closed + AI-resolved created 1 ms before `from` (suggestion Dec 31), C9 created exactly at `to`.
 */
async function scenario(org: TestOrg): Promise<void> {
  const db = h.db;
  const o = org.orgId;
  const msg = (c: string, direction: 'inbound' | 'outbound', author: 'customer' | 'staff' | 'ai' | 'system', when: Date, note = false) =>
    insertMessage(db, o, c, { direction, author, at: when, note });

  const c1 = await insertConversation(db, org, { channel: 'sms', status: 'closed', createdAt: at('2026-01-02T09:00:00Z') });
  await msg(c1, 'inbound', 'customer', at('2026-01-02T10:00:00Z'));
  await msg(c1, 'outbound', 'staff', at('2026-01-02T10:00:00Z', 30), true);
  await msg(c1, 'outbound', 'ai', at('2026-01-02T10:00:00Z', 60));
  await msg(c1, 'inbound', 'customer', at('2026-01-02T11:00:00Z'));
  await msg(c1, 'outbound', 'ai', at('2026-01-02T11:01:00Z'));
  await insertSuggestion(db, o, c1, { decision: 'auto_send', intent: 'order_status', at: at('2026-01-02T10:00:05Z') });
  await insertSuggestion(db, o, c1, { decision: 'suggest', intent: 'refund', at: at('2026-01-03T10:00:00Z') });
  await insertSuggestion(db, o, c1, { decision: 'auto_send', intent: 'refund', at: at(TO) });

  const c2 = await insertConversation(db, org, { channel: 'sms', status: 'closed', createdAt: at('2026-01-10T09:00:00Z') });
  await msg(c2, 'inbound', 'customer', at('2026-01-10T10:00:00Z'));
  await msg(c2, 'inbound', 'customer', at('2026-01-10T10:01:00Z'));
  await msg(c2, 'outbound', 'staff', at('2026-01-10T10:00:00Z', 120));
  await msg(c2, 'outbound', 'ai', at('2026-01-10T10:30:00Z'));
  await insertSuggestion(db, o, c2, { decision: 'suggest', intent: 'billing', at: at('2026-02-02T00:00:00Z') });

  const c3 = await insertConversation(db, org, { channel: 'whatsapp', status: 'closed', createdAt: at('2026-01-11T09:00:00Z') });
  await msg(c3, 'inbound', 'customer', at('2026-01-11T10:00:00Z'));
  await msg(c3, 'outbound', 'ai', at('2026-01-11T10:01:00Z'), true);

  const c4 = await insertConversation(db, org, { channel: 'email', status: 'open', createdAt: at('2026-01-04T08:00:00Z') });
  await msg(c4, 'outbound', 'staff', at('2026-01-04T09:00:00Z'));
  await msg(c4, 'inbound', 'customer', at('2026-01-04T10:00:00Z'));
  await msg(c4, 'outbound', 'system', at('2026-01-04T10:00:00Z', 10));
  await msg(c4, 'outbound', 'staff', at('2026-01-04T10:00:00Z', 300));
  await insertSuggestion(db, o, c4, { decision: 'hand_off', intent: 'order_status', at: at('2026-01-04T10:00:01Z') });

  const c5 = await insertConversation(db, org, { channel: 'email', status: 'pending', createdAt: at('2026-01-05T08:00:00Z') });
  await msg(c5, 'inbound', 'customer', at('2026-01-05T10:00:00Z'));
  await msg(c5, 'outbound', 'ai', at('2026-01-05T10:00:00Z'));
  await msg(c5, 'outbound', 'ai', at('2026-01-05T10:00:00Z', 45.5));
  await insertSuggestion(db, o, c5, { decision: 'suggest', intent: 'refund', at: at('2026-01-05T10:00:01Z') });

  await insertConversation(db, org, { channel: 'chat', status: 'snoozed', createdAt: at(FROM) });

  const c7 = await insertConversation(db, org, { channel: 'sms', status: 'closed', createdAt: at('2026-01-31T23:00:00Z') });
  await msg(c7, 'inbound', 'customer', at('2026-01-31T23:10:00Z'));
  await msg(c7, 'outbound', 'ai', at('2026-01-31T23:10:00Z', 30));
  await msg(c7, 'outbound', 'system', at('2026-01-31T23:10:00Z', 40));

  const c8 = await insertConversation(db, org, { channel: 'sms', status: 'closed', createdAt: at(FROM, -0.001) });
  await msg(c8, 'inbound', 'customer', at(FROM, 1));
  await msg(c8, 'outbound', 'ai', at(FROM, 2));
  await insertSuggestion(db, o, c8, { decision: 'hand_off', intent: 'spam', at: at('2025-12-31T23:00:00Z') });

  const c9 = await insertConversation(db, org, { channel: 'whatsapp', status: 'closed', createdAt: at(TO) });
  await msg(c9, 'inbound', 'customer', at(TO, 1));
  await msg(c9, 'outbound', 'ai', at(TO, 2));
}

describe('GET /v1/conversations/stats', () => {
  test('exact numbers for the scenario; another org\u2019s rows and rows outside [from, to) do not count', async () => {
    const { org, admin, agent } = await freshOrg();
    await scenario(org);
    // another org with the same kind of rows, all in range
    const { org: otherOrg } = await freshOrg();
    await scenario(otherOrg);
    const theirs = await insertConversation(h.db, otherOrg, { channel: 'chat', status: 'closed', createdAt: at('2026-01-15T00:00:00Z') });
    await insertMessage(h.db, otherOrg.orgId, theirs, { direction: 'inbound', author: 'customer', at: at('2026-01-15T01:00:00Z') });
    await insertMessage(h.db, otherOrg.orgId, theirs, { direction: 'outbound', author: 'ai', at: at('2026-01-15T01:00:01Z') });
    await insertSuggestion(h.db, otherOrg.orgId, theirs, { decision: 'auto_send', intent: 'order_status', at: at('2026-01-15T01:00:00Z') });

    const res = await stats(admin, `from=${FROM}&to=${TO}`);
    expect(res.status).toBe(200);
    const expected: ConversationStatsView = {
      from: FROM,
      to: TO,
      totals: {
        conversations: 7,
        byStatus: { open: 1, pending: 1, snoozed: 1, closed: 4 },
        byChannel: { sms: 3, whatsapp: 1, email: 2, chat: 1, telegram: 0 },
      },
      ai: {
        suggestions: { autoSent: 1, suggested: 2, handedOff: 1 },
        decisions: { autoSend: 1, suggest: 2, handOff: 1, failed: 0 },
        // C1's auto-send is stored `pending` by the fixture: a held send that did not go out
        outcomes: { autoSent: 0, cancelled: 1, sentByStaff: 0, dismissed: 0, superseded: 0 },
        resolution: { closed: 4, resolvedByAi: 1, ratio: 0.25 },
      },
      firstResponse: {
        byChannel: [
          { channel: 'sms', conversations: 3, averageSeconds: 70 }, // (60 + 120 + 30) / 3
          { channel: 'email', conversations: 2, averageSeconds: 172.75 }, // (300 + 45.5) / 2
        ],
        byIntent: [
          { intent: 'order_status', conversations: 2, averageSeconds: 180 }, // C1 60, C4 300
          { intent: 'billing', conversations: 1, averageSeconds: 120 }, // C2: earliest suggestion, even outside the range
          { intent: 'refund', conversations: 1, averageSeconds: 45.5 }, // C5
          { intent: 'unknown', conversations: 1, averageSeconds: 30 }, // C7: no suggestion
        ],
      },
    };
    expect(res.body as ConversationStatsView).toEqual(expected);
    // agents read the same numbers
    expect((await stats(agent, `from=${FROM}&to=${TO}`)).body).toEqual(expected);
  });

  test('the range edges: from is inclusive, to exclusive', async () => {
    const { org, admin } = await freshOrg();
    await scenario(org);
    // only C8, created 1 ms before FROM
    const before = (await stats(admin, `from=${at(FROM, -1).toISOString()}&to=${FROM}`)).body as ConversationStatsView;
    expect(before.totals).toEqual({
      conversations: 1,
      byStatus: { open: 0, pending: 0, snoozed: 0, closed: 1 },
      byChannel: { sms: 1, whatsapp: 0, email: 0, chat: 0, telegram: 0 },
    });
    expect(before.ai.resolution).toEqual({ closed: 1, resolvedByAi: 1, ratio: 1 });
    expect(before.firstResponse).toEqual({
      byChannel: [{ channel: 'sms', conversations: 1, averageSeconds: 1 }],
      byIntent: [{ intent: 'spam', conversations: 1, averageSeconds: 1 }],
    });
    // only C9 (created exactly at TO) and C1's suggestion made exactly at TO
    const after = (await stats(admin, `from=${TO}&to=2026-02-01T00:00:00.001Z`)).body as ConversationStatsView;
    expect(after.totals.conversations).toBe(1);
    expect(after.totals.byChannel.whatsapp).toBe(1);
    expect(after.ai.suggestions).toEqual({ autoSent: 1, suggested: 0, handedOff: 0 });
  });

  test('an org without data in the range: zeros, ratio null, empty groups; from/to echoed in UTC', async () => {
    const { admin } = await freshOrg();
    const res = await stats(admin, 'from=2026-01-01T01:00:00%2B01:00&to=2026-01-02T00:00:00Z');
    expect(res.status).toBe(200);
    expect(res.body as ConversationStatsView).toEqual({
      from: FROM,
      to: '2026-01-02T00:00:00.000Z',
      totals: {
        conversations: 0,
        byStatus: { open: 0, pending: 0, snoozed: 0, closed: 0 },
        byChannel: { sms: 0, whatsapp: 0, email: 0, chat: 0, telegram: 0 },
      },
      ai: {
        suggestions: { autoSent: 0, suggested: 0, handedOff: 0 },
        decisions: { autoSend: 0, suggest: 0, handOff: 0, failed: 0 },
        outcomes: { autoSent: 0, cancelled: 0, sentByStaff: 0, dismissed: 0, superseded: 0 },
        resolution: { closed: 0, resolvedByAi: 0, ratio: null },
      },
      firstResponse: { byChannel: [], byIntent: [] },
    });
  });

  test('decisions and outcomes are counted separately: a cancelled auto-send is not an auto-sent one; failures count', async () => {
    const { org, admin } = await freshOrg();
    const c = await insertConversation(h.db, org, { channel: 'sms', status: 'open', createdAt: at('2026-01-03T09:00:00Z') });
    let minute = 0;
    const row = async (decision: 'auto_send' | 'suggest' | 'hand_off' | 'failed', status: string, intent = 'order_status') => {
      const id = await insertSuggestion(h.db, org.orgId, c, {
        decision: decision === 'failed' ? 'suggest' : decision,
        intent,
        at: at('2026-01-03T10:00:00Z', 60 * minute++),
      });
      await h.db
        .updateTable('ai_suggestions')
        .set({ decision, status: status as never })
        .where('id', '=', id)
        .execute();
    };
    await row('auto_send', 'auto_sent');
    await row('auto_send', 'auto_sent');
    await row('auto_send', 'sent'); // a human cancelled the hold, then sent the draft
    await row('auto_send', 'dismissed'); // dismissed during the hold
    await row('auto_send', 'superseded'); // a newer customer message during the hold
    await row('auto_send', 'scheduled'); // still held: not cancelled (yet)
    await row('suggest', 'sent');
    await row('suggest', 'answered');
    await row('suggest', 'superseded');
    await row('hand_off', 'handed_off');
    await row('failed', 'failed', 'unknown');
    await row('failed', 'failed', 'unknown');
    const body = (await stats(admin, `from=${FROM}&to=${TO}`)).body as ConversationStatsView;
    expect(body.ai.decisions).toEqual({ autoSend: 6, suggest: 3, handOff: 1, failed: 2 });
    expect(body.ai.outcomes).toEqual({ autoSent: 2, cancelled: 3, sentByStaff: 2, dismissed: 1, superseded: 2 });
    // the deprecated view keeps its old meaning (decisions; failures not counted)
    expect(body.ai.suggestions).toEqual({ autoSent: 6, suggested: 3, handedOff: 1 });
  });

  test('a range of exactly 366 days is accepted', async () => {
    const { admin } = await freshOrg();
    const res = await stats(admin, `from=${FROM}&to=${at(FROM, 366 * 86_400).toISOString()}`);
    expect(res.status).toBe(200);
  });

  test.each([
    ['missing from', `to=${TO}`, 'from'],
    ['missing to', `from=${FROM}`, 'to'],
    ['from without zone', `from=2026-01-01T00:00:00&to=${TO}`, 'from'],
    ['to not a date', `from=${FROM}&to=february`, 'to'],
    ['from equal to to', `from=${FROM}&to=${FROM}`, 'to'],
    ['from after to', `from=${TO}&to=${FROM}`, 'to'],
    ['a range over 366 days', `from=${FROM}&to=${at(FROM, 366 * 86_400 + 0.001).toISOString()}`, 'to'],
    ['an unknown key', `from=${FROM}&to=${TO}&channel=sms`, 'channel'],
  ])('%s → 400 validation_failed', async (_name, query, path) => {
    expectValidationError(await stats(h.tokens.admin, query), path);
  });

  test('without a token → 401; the stats route does not shadow /v1/conversations/:id', async () => {
    expectError(await request(h.app).get(`/v1/conversations/stats?from=${FROM}&to=${TO}`), 401, 'unauthorized');
    const res = await request(h.app).get('/v1/conversations/not-a-uuid').set('Authorization', h.auth);
    expectValidationError(res, 'id');
  });
});
