/**
 * The cross-channel feed (`GET /v1/inbox/messages`, `/chats`, `/sources`, issue 11):
 * - through the real path (Twilio SMS and WhatsApp webhooks, a Postmark inbound email, a Telegram
 *   update, staff replies and an internal note through the API): role, source, room, sender name and
 *   handle of every kind; notes, system messages and web chat never appear; sources and room filters;
 *   room titles (subject, contact name, `"<source> chat"`); the sources present;
 * - over rows inserted with controlled timestamps (fresh orgs): exact newest-first order with ties,
 *   the default limit and the cap, `lastMessageText` truncation, and another org's rows never leaking;
 * - 400s (error shape) and 404 for another org's room.
 */
import { randomInt, randomUUID } from 'node:crypto';
import request from 'supertest';
import { signStaffToken } from '../../api/auth';
import type { InboxChatListView, InboxMessagePageView, InboxSourceListView } from '../../api/inbox-feed-schemas';
import { conversationIdFor } from '../../domain/routing';
import { createHarness, createTestOrg, type Harness, JWT_SECRET, randomPhone, type TestOrg } from '../support/harness';
import { deliverEmail, inboundEmail } from '../support/postmark-inbound';
import { insertConversation, insertMessage } from './db-fixtures';
import { api, expectError, expectValidationError } from './rest-helpers';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.close();
});

type FeedMessage = InboxMessagePageView['messages'][number];

const feed = async (query = '', token = h.tokens.admin): Promise<FeedMessage[]> => {
  const res = await api(h, token).get(`/v1/inbox/messages${query}`);
  expect(res.status).toBe(200);
  const body = res.body as InboxMessagePageView;
  expect(body.count).toBe(body.messages.length);
  return body.messages;
};
const chats = async (query = '', token = h.tokens.admin) => {
  const res = await api(h, token).get(`/v1/inbox/chats${query}`);
  expect(res.status).toBe(200);
  const body = res.body as InboxChatListView;
  expect(body.count).toBe(body.chats.length);
  return body.chats;
};
const sources = async (token = h.tokens.admin) => {
  const res = await api(h, token).get('/v1/inbox/sources');
  expect(res.status).toBe(200);
  return (res.body as InboxSourceListView).sources;
};

/** A fresh org of its own with an admin token. */
async function freshOrg(): Promise<{ org: TestOrg; token: string }> {
  const org = await createTestOrg(h.db);
  return { org, token: signStaffToken(JWT_SECRET, { userId: org.adminId, orgId: org.orgId, role: 'admin' }) };
}

/** Waits until the conversation has a stored message with this text. */
const stored = (conversationId: string, text: string) =>
  h.waitFor(
    () =>
      h.db.selectFrom('messages').select('id').where('conversation_id', '=', conversationId).where('text', '=', text).executeTakeFirst(),
    `message "${text}" in ${conversationId}`,
  );

/** Posts a staff reply (or note) through the API as `token`; returns the message id. */
async function reply(conversationId: string, text: string, token = h.tokens.admin, isInternalNote = false): Promise<string> {
  const res = await api(h, token).post(`/v1/conversations/${conversationId}/messages`, { text, isInternalNote });
  expect(res.status).toBe(201);
  await stored(conversationId, text);
  return (res.body as { id: string }).id;
}

/** `iso` plus `seconds` as a Date. */
const at = (seconds: number): Date => new Date(Date.parse('2026-03-01T10:00:00Z') + seconds * 1000);

describe('through the real path, every channel of the harness org', () => {
  const smsPhone = randomPhone();
  const waPhone = randomPhone();
  const emailAddress = `amara-${randomUUID().slice(0, 8)}@mail.example.net`;
  const tgChat = randomInt(100_000_000, 2_000_000_000);
  let smsId: string;
  let waId: string;
  let emailId: string;
  let tgId: string;
  let chatId: string;
  let chatMessageId: string;
  let aiMessageId: string;
  let other: { org: TestOrg; token: string; conversationId: string };

  beforeAll(async () => {
    expect((await h.inbound({ from: smsPhone, body: 'sms: where is my parcel?' })).status).toBe(200);
    smsId = h.conversationIdOf(smsPhone);
    await stored(smsId, 'sms: where is my parcel?');
    await reply(smsId, 'sms: it ships today');
    await reply(smsId, 'sms: secret internal note', h.tokens.admin, true);
    // a system message (fixture: the workflow writes them on events) is not in the feed either
    await insertMessage(h.db, h.org.orgId, smsId, { direction: 'outbound', author: 'system', at: new Date() });

    expect((await h.inbound({ from: waPhone, body: 'wa: hola', whatsapp: true, profileName: 'Wanda Whats' })).status).toBe(200);
    waId = h.conversationIdOf(waPhone, 'whatsapp');
    await stored(waId, 'wa: hola');
    // an AI reply (fixture: the assistant needs the OpenAI stand-in)
    aiMessageId = await insertMessage(h.db, h.org.orgId, waId, { direction: 'outbound', author: 'ai', at: new Date() });

    const mail = inboundEmail(emailAddress, h.org.emailAddress);
    emailId = (await deliverEmail(h, mail)).conversationId;

    expect(
      (
        await h.telegramWebhook(
          h.telegram.update({ chatId: tgChat, firstName: 'Grace', lastName: 'Hopper', username: 'ghopper', text: 'tg: hi' }),
        )
      ).status,
    ).toBe(200);
    tgId = conversationIdFor(h.org.orgId, h.org.telegramChannelId, String(tgChat));
    await stored(tgId, 'tg: hi');
    await reply(tgId, 'tg: hello Grace', h.tokens.agent);

    // web chat: never in the feed
    chatId = await insertConversation(h.db, h.org, { channel: 'chat' });
    chatMessageId = await insertMessage(h.db, h.org.orgId, chatId, { direction: 'inbound', author: 'customer', at: new Date() });

    // another org's conversation and message
    const o = await freshOrg();
    const conversationId = await insertConversation(h.db, o.org, { channel: 'sms' });
    await insertMessage(h.db, o.org.orgId, conversationId, { direction: 'inbound', author: 'customer', at: new Date() });
    other = { ...o, conversationId };
  }, 90_000);

  test('every kind with its role, source, room, sender and handle; newest first; no notes, system messages or web chat', async () => {
    const messages = await feed();
    const byText = (text: string) => messages.find((m) => m.text === text);
    expect(byText('sms: where is my parcel?')).toEqual({
      id: expect.any(String),
      role: 'user',
      text: 'sms: where is my parcel?',
      timestamp: expect.any(Number),
      source: 'sms',
      roomId: smsId,
      // an SMS contact has no name: its number is both
      from: smsPhone,
      fromUserName: smsPhone,
    });
    expect(byText('sms: it ships today')).toMatchObject({ role: 'assistant', source: 'sms', roomId: smsId, from: 'Ada Admin' });
    expect(byText('sms: it ships today')).not.toHaveProperty('fromUserName');
    expect(byText('wa: hola')).toMatchObject({
      role: 'user',
      source: 'whatsapp',
      roomId: waId,
      from: 'Wanda Whats',
      fromUserName: waPhone,
    });
    expect(messages.find((m) => m.id === aiMessageId)).toMatchObject({ role: 'assistant', source: 'whatsapp', from: 'AI assistant' });
    const email = messages.find((m) => m.roomId === emailId);
    expect(email).toMatchObject({ role: 'user', source: 'email', from: 'Amara Okafor', fromUserName: emailAddress });
    expect(byText('tg: hi')).toMatchObject({
      role: 'user',
      source: 'telegram',
      roomId: tgId,
      from: 'Grace Hopper',
      fromUserName: '@ghopper',
    });
    expect(byText('tg: hello Grace')).toMatchObject({ role: 'assistant', source: 'telegram', from: 'Alan Agent' });

    expect(byText('sms: secret internal note')).toBeUndefined();
    expect(messages.filter((m) => m.text === 'outbound by system')).toEqual([]);
    expect(messages.map((m) => m.roomId)).not.toContain(chatId);
    expect(messages.map((m) => m.id)).not.toContain(chatMessageId);
    expect(messages.map((m) => m.roomId)).not.toContain(other.conversationId);
    expect(messages.every((m) => !('avatarUrl' in m))).toBe(true);
    expect(new Set(messages.map((m) => m.source))).toEqual(new Set(['sms', 'whatsapp', 'email', 'telegram']));
    // newest first
    const times = messages.map((m) => m.timestamp);
    expect(times).toEqual([...times].sort((a, b) => b - a));
    // an agent sees the same feed
    expect((await feed('', h.tokens.agent)).map((m) => m.id)).toEqual(messages.map((m) => m.id));
  });

  test('sources and roomId filters', async () => {
    const smsAndTelegram = await feed('?sources=sms,%20telegram');
    expect(smsAndTelegram.length).toBeGreaterThan(0);
    expect(new Set(smsAndTelegram.map((m) => m.source))).toEqual(new Set(['sms', 'telegram']));
    const emailOnly = await feed('?sources=email,email');
    expect(emailOnly.map((m) => m.roomId)).toEqual([emailId]);

    const room = await feed(`?roomId=${tgId}`);
    expect(room.map((m) => m.text)).toEqual(['tg: hello Grace', 'tg: hi']);
    expect(await feed(`?roomId=${tgId}&sources=sms`)).toEqual([]);
    // a web-chat room of the org: no feed messages
    expect(await feed(`?roomId=${chatId}`)).toEqual([]);
    // another org's room, or none: 404 (nothing about it leaks)
    expectError(await api(h).get(`/v1/inbox/messages?roomId=${other.conversationId}`), 404, 'not_found');
    expectError(await api(h).get(`/v1/inbox/messages?roomId=${randomUUID()}`), 404, 'not_found');
    expectValidationError(await api(h).get('/v1/inbox/messages?roomId=nope'), 'roomId');
    // the other org sees only its own
    const theirs = await feed('', other.token);
    expect(theirs.map((m) => m.roomId)).toEqual([other.conversationId]);
  });

  test('a reply scheduled for later is not in the feed until it is sent, nor once canceled', async () => {
    const sendAt = new Date(Date.now() + 60 * 60 * 1000).toISOString();
    const held = await api(h).post(`/v1/conversations/${tgId}/messages`, { text: 'tg: later', sendAt });
    expect(held.status).toBe(201);
    expect((held.body as { deliveryStatus: string }).deliveryStatus).toBe('scheduled');
    expect((await feed(`?roomId=${tgId}`)).map((m) => m.text)).not.toContain('tg: later');
    const canceled = await api(h).delete(`/v1/conversations/${tgId}/messages/${(held.body as { id: string }).id}`);
    expect(canceled.status).toBe(200);
    expect((await feed(`?roomId=${tgId}`)).map((m) => m.text)).not.toContain('tg: later');
    const [chat] = (await chats()).filter((c: { id: string }) => c.id === tgId);
    expect(chat).toMatchObject({ lastMessageText: 'tg: hello Grace' });
  });

  test('chats: one row per room, titles in each fallback case, counts without notes or system messages', async () => {
    const rows = await chats();
    const byId = new Map(rows.map((c) => [c.id, c]));
    expect(byId.get(emailId)?.title).toBe('Order 4821 - wrong size delivered'); // the stored subject
    expect(byId.get(waId)?.title).toBe('Wanda Whats'); // the contact's name
    expect(byId.get(tgId)?.title).toBe('Grace Hopper'); // the Telegram handle stripped
    expect(byId.get(smsId)).toEqual({
      id: smsId,
      source: 'sms',
      title: 'sms chat', // no subject, no contact name
      lastMessageText: 'sms: it ships today',
      lastMessageAt: expect.any(Number),
      messageCount: 2,
    });
    const smsFeed = await feed(`?roomId=${smsId}`);
    expect(byId.get(smsId)?.lastMessageAt).toBe(smsFeed[0]!.timestamp);
    expect(byId.get(tgId)).toMatchObject({ source: 'telegram', lastMessageText: 'tg: hello Grace', messageCount: 2 });
    expect(byId.has(chatId)).toBe(false);
    expect(byId.has(other.conversationId)).toBe(false);
    const times = rows.map((c) => c.lastMessageAt);
    expect(times).toEqual([...times].sort((a, b) => b - a));

    expect((await chats('?sources=whatsapp,email')).map((c) => c.id).sort()).toEqual([waId, emailId].sort());
  });

  test('sources: the kinds with feed messages, in display order', async () => {
    expect(await sources()).toEqual(['sms', 'whatsapp', 'email', 'telegram']);
    expect(await sources(other.token)).toEqual(['sms']);
  });
});

describe('over rows with controlled timestamps', () => {
  test('exact newest-first order across rooms; ties by insertion order', async () => {
    const { org, token } = await freshOrg();
    const sms = await insertConversation(h.db, org, { channel: 'sms' });
    const wa = await insertConversation(h.db, org, { channel: 'whatsapp' });
    const email = await insertConversation(h.db, org, { channel: 'email' });
    const m = (c: string, author: 'customer' | 'staff' | 'ai', s: number) =>
      insertMessage(h.db, org.orgId, c, { direction: author === 'customer' ? 'inbound' : 'outbound', author, at: at(s) });
    const a = await m(wa, 'customer', 30);
    const b = await m(sms, 'customer', 10);
    const c = await m(email, 'staff', 50);
    const d = await m(sms, 'ai', 40);
    const e = await m(email, 'customer', 40); // same instant as d, inserted later: first
    const f = await m(wa, 'staff', 5);
    expect((await feed('', token)).map((x) => x.id)).toEqual([c, e, d, a, b, f]);
    expect((await feed('?limit=2', token)).map((x) => x.id)).toEqual([c, e]);
    expect((await feed(`?roomId=${sms}`, token)).map((x) => x.id)).toEqual([d, b]);
    expect((await feed('?sources=whatsapp', token)).map((x) => [x.id, x.timestamp])).toEqual([
      [a, at(30).getTime()],
      [f, at(5).getTime()],
    ]);
  });

  test('limit: 100 by default, up to 500; above 500 or below 1 is a 400', async () => {
    const { org, token } = await freshOrg();
    const conversation = await insertConversation(h.db, org, { channel: 'sms' });
    for (let i = 0; i < 120; i++) {
      await insertMessage(h.db, org.orgId, conversation, { direction: 'inbound', author: 'customer', at: at(i) });
    }
    const page = await feed('', token);
    expect(page).toHaveLength(100);
    expect(page[0]!.timestamp).toBe(at(119).getTime());
    expect(page[99]!.timestamp).toBe(at(20).getTime());
    expect(await feed('?limit=500', token)).toHaveLength(120);
    expectValidationError(await api(h, token).get('/v1/inbox/messages?limit=501'), 'limit');
    expectValidationError(await api(h, token).get('/v1/inbox/messages?limit=0'), 'limit');
    expectValidationError(await api(h, token).get('/v1/inbox/messages?limit=ten'), 'limit');
    const [chat] = await chats('', token);
    expect(chat).toMatchObject({ id: conversation, messageCount: 120, lastMessageAt: at(119).getTime() });
  });

  test('lastMessageText: at most 140 characters (code points), the last one an ellipsis when cut', async () => {
    const { org, token } = await freshOrg();
    const texts = { long: 'x'.repeat(200), exact: 'y'.repeat(140), emoji: '😀'.repeat(150) };
    const ids: Record<string, string> = {};
    for (const [name, text] of Object.entries(texts)) {
      const c = await insertConversation(h.db, org, { channel: 'sms' });
      const id = await insertMessage(h.db, org.orgId, c, { direction: 'inbound', author: 'customer', at: at(0) });
      await h.db.updateTable('messages').set({ text }).where('id', '=', id).execute();
      ids[name] = c;
    }
    const rows = new Map((await chats('', token)).map((c) => [c.id, c.lastMessageText]));
    expect(rows.get(ids.long!)).toBe(`${'x'.repeat(139)}…`);
    expect(rows.get(ids.exact!)).toBe(texts.exact);
    const emoji = rows.get(ids.emoji!)!;
    expect(Array.from(emoji)).toHaveLength(140);
    expect(emoji).toBe(`${'😀'.repeat(139)}…`);
    // the feed itself is not cut
    expect((await feed('', token)).map((m) => m.text.length).sort((a, b) => b - a)[0]).toBe(300);
  });

  test('sources: none without feed messages; a note, a system message or web chat adds none', async () => {
    const { org, token } = await freshOrg();
    expect(await sources(token)).toEqual([]);
    const sms = await insertConversation(h.db, org, { channel: 'sms' });
    await insertMessage(h.db, org.orgId, sms, { direction: 'outbound', author: 'staff', at: at(0), note: true });
    await insertMessage(h.db, org.orgId, sms, { direction: 'outbound', author: 'system', at: at(1) });
    const chat = await insertConversation(h.db, org, { channel: 'chat' });
    await insertMessage(h.db, org.orgId, chat, { direction: 'inbound', author: 'customer', at: at(2) });
    expect(await sources(token)).toEqual([]);
    expect(await chats('', token)).toEqual([]);
    expect(await feed('', token)).toEqual([]);
    const email = await insertConversation(h.db, org, { channel: 'email' });
    await insertMessage(h.db, org.orgId, email, { direction: 'inbound', author: 'customer', at: at(3) });
    expect(await sources(token)).toEqual(['email']);
    // the fixture contact's name titles the room
    expect(await chats('', token)).toMatchObject([{ id: email, title: 'Fixture Customer', messageCount: 1 }]);
  });
});

describe('errors', () => {
  test('unknown or empty sources → 400 listing the valid ones; unknown keys → 400; no token → 401', async () => {
    for (const path of ['/v1/inbox/messages', '/v1/inbox/chats']) {
      for (const bad of ['gmail', 'chat', 'sms,discord', '', 'sms,']) {
        const body = expectValidationError(await api(h).get(`${path}?sources=${bad}`), 'sources');
        const field = (body.error.details?.fields ?? []).find((f) => f.path === 'sources')!;
        expect(field?.message).toContain('valid sources: sms, whatsapp, email, telegram');
      }
      expectValidationError(await api(h).get(`${path}?source=sms`), 'source');
      expectError(await request(h.app).get(path), 401, 'unauthorized');
    }
    expectError(await request(h.app).get('/v1/inbox/sources'), 401, 'unauthorized');
  });
});
