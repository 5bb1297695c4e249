/**
 * Telegram end to end through the real path: `POST /webhooks/telegram/:channelId` (secret token) →
 * signal-with-start of the conversation workflow → Postgres; replies through the API → outbox →
 * `sendMessage` activity → the Telegram adapter → the real `grammy` client → the Bot API stand-in.
 * Dedupe of redelivered updates, customer edits, photos and documents fetched with `getFile`, and
 * Telegram's errors (403 blocked: failed; 429 `retry_after`: retried, sent once).
 */
import { createHash, randomInt } from 'node:crypto';
import request from 'supertest';
import { conversationIdFor } from '../../domain/routing';
import { binaryParser } from '../support/binary';
import { createHarness, type Harness } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.close();
});

const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.from(Array.from({ length: 200 }, (_, i) => i))]);

/** A fresh private chat id (a Telegram user id). */
const newChat = () => randomInt(100_000_000, 2_000_000_000);
const conversationOf = (chatId: number) => conversationIdFor(h.org.orgId, h.org.telegramChannelId, String(chatId));

interface ApiMessage {
  id: string;
  direction: string;
  text: string;
  provider: string | null;
  providerMessageId: string | null;
  deliveryStatus: string | null;
  errorCode: string | null;
  editedAt?: string | null;
  attachments: { attachmentId?: string; contentType: string; name?: string; size?: number; sha256?: string }[];
}

async function messagesOf(conversationId: string): Promise<ApiMessage[]> {
  const res = await request(h.app).get(`/v1/conversations/${conversationId}/messages?limit=100`).set('Authorization', h.auth);
  return res.status === 200 ? (res.body as { data: ApiMessage[] }).data : [];
}

/** Waits until the conversation has `count` messages matching `where`. */
function waitForMessages(conversationId: string, count: number, where: (m: ApiMessage) => boolean = () => true) {
  return h.waitFor(async () => {
    const all = await messagesOf(conversationId);
    return all.filter(where).length >= count ? all : undefined;
  }, `${count} messages in ${conversationId}`);
}

describe('inbound', () => {
  it('refuses a missing or wrong secret (403), an unknown channel (404) and a non-Update (400); stores nothing', async () => {
    const chatId = newChat();
    const update = h.telegram.update({ chatId, text: 'hello?' });
    expect((await h.telegramWebhook(update, null)).status).toBe(403);
    const wrong = await h.telegramWebhook(update, 'not-the-secret');
    expect(wrong.status).toBe(403);
    expect(wrong.body.error.code).toBe('invalid_secret_token');
    const unknown = await request(h.app)
      .post('/webhooks/telegram/00000000-0000-4000-8000-00000000dead')
      .set('X-Telegram-Bot-Api-Secret-Token', 'x')
      .send(update);
    expect(unknown.status).toBe(404);
    // a channel of another kind is not a Telegram channel
    expect((await request(h.app).post(`/webhooks/telegram/${h.org.smsChannelId}`).send(update)).status).toBe(404);
    const bad = await h.telegramWebhook({ message: { text: 'no update_id' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_update');
    const stored = await h.db.selectFrom('conversations').select('id').where('id', '=', conversationOf(chatId)).execute();
    expect(stored).toEqual([]);
  });

  it('a text message opens a telegram conversation with a contact named after the sender; a redelivered update is stored once', async () => {
    const chatId = newChat();
    const update = h.telegram.update({ chatId, firstName: 'Grace', lastName: 'Hopper', text: 'My order never arrived' });
    expect((await h.telegramWebhook(update)).status).toBe(200);
    expect((await h.telegramWebhook(update)).status).toBe(200); // Telegram redelivers until it sees a 2xx
    const conversationId = conversationOf(chatId);
    const [message] = await waitForMessages(conversationId, 1);
    expect(message).toMatchObject({
      direction: 'inbound',
      text: 'My order never arrived',
      provider: 'telegram',
      providerMessageId: `${chatId}:${(update.message as { message_id: number }).message_id}`,
    });
    const conversation = await request(h.app).get(`/v1/conversations/${conversationId}`).set('Authorization', h.auth);
    expect(conversation.status).toBe(200);
    expect(conversation.body.channel).toBe('telegram');
    expect(conversation.body.inbox).toMatchObject({ id: h.org.telegramChannelId, kind: 'telegram', name: 'Telegram' });
    // the list filters by kind and by inbox
    for (const query of ['channel=telegram', `inboxId=${h.org.telegramChannelId}`]) {
      const list = await request(h.app).get(`/v1/conversations?${query}&limit=100`).set('Authorization', h.auth);
      expect(list.status).toBe(200);
      expect(list.body.data.map((c: { id: string }) => c.id)).toContain(conversationId);
      expect(list.body.data.every((c: { channel: string }) => c.channel === 'telegram')).toBe(true);
    }
    const sms = await request(h.app).get(`/v1/conversations?inboxId=${h.org.smsChannelId}&limit=100`).set('Authorization', h.auth);
    expect(sms.body.data.map((c: { id: string }) => c.id)).not.toContain(conversationId);
    const contact = await request(h.app).get(`/v1/contacts/${conversation.body.contact.id}`).set('Authorization', h.auth);
    expect(contact.body.name).toBe('Grace Hopper');
    expect(contact.body.identities).toEqual([{ kind: 'telegram', address: String(chatId) }]);
    // a second later message lands in the same conversation; the duplicate never did
    await h.telegramWebhook(h.telegram.update({ chatId, text: 'Order 4821' }));
    const all = await waitForMessages(conversationId, 2);
    expect(all.map((m) => m.text)).toEqual(['My order never arrived', 'Order 4821']);
  });

  it('an edited message updates the stored text and editedAt; an older redelivered edit changes nothing', async () => {
    const chatId = newChat();
    const original = h.telegram.update({ chatId, messageId: 41, text: 'teh parcel', date: 1_790_000_000 });
    await h.telegramWebhook(original);
    const conversationId = conversationOf(chatId);
    await waitForMessages(conversationId, 1);
    const edit = h.telegram.update({ chatId, messageId: 41, text: 'the parcel', edit: true, date: 1_790_000_100 });
    expect((await h.telegramWebhook(edit)).status).toBe(200);
    const [edited] = await waitForMessages(conversationId, 1, (m) => m.text === 'the parcel');
    expect(edited!.editedAt).toBe(new Date(1_790_000_101_000).toISOString());
    // an older edit delivered late (out of order) is not applied
    await h.telegramWebhook(h.telegram.update({ chatId, messageId: 41, text: 'stale', edit: true, date: 1_790_000_050 }));
    await h.telegramWebhook(h.telegram.update({ chatId, text: 'marker' }));
    const after = await waitForMessages(conversationId, 2);
    expect(after.map((m) => m.text)).toEqual(['the parcel', 'marker']);
  });

  it('a photo and a document are fetched with getFile and stored as attachments, byte for byte', async () => {
    const chatId = newChat();
    const photo = h.telegram.addFile(PNG, 'image/jpeg');
    await h.telegramWebhook(h.telegram.update({ chatId, caption: 'the damage', photo }));
    const pdf = Buffer.from('%PDF-1.4 terms');
    const doc = h.telegram.addFile(pdf, 'application/pdf');
    await h.telegramWebhook(h.telegram.update({ chatId, document: { ...doc, file_name: 'invoice.pdf', mime_type: 'application/pdf' } }));
    const conversationId = conversationOf(chatId);
    const messages = await waitForMessages(conversationId, 2, (m) => m.attachments.every((a) => a.attachmentId !== undefined));
    expect(messages[0]!.text).toBe('the damage');
    expect(messages[0]!.attachments[0]).toMatchObject({
      contentType: 'image/jpeg',
      sha256: createHash('sha256').update(PNG).digest('hex'),
    });
    expect(messages[1]!.attachments[0]).toMatchObject({ name: 'invoice.pdf', contentType: 'application/pdf', size: pdf.length });
    const download = await request(h.app)
      .get(`/v1/attachments/${messages[1]!.attachments[0]!.attachmentId}`)
      .set('Authorization', h.auth)
      .buffer(true)
      .parse(binaryParser);
    expect(Buffer.compare(download.body as Buffer, pdf)).toBe(0);
    // the bot token never reaches the stored message
    const raw = await h.db.selectFrom('messages').select('attachments').where('conversation_id', '=', conversationId).execute();
    expect(JSON.stringify(raw)).not.toContain('bot');
  });

  it('groups and updates without content are answered 200 and ignored', async () => {
    const group = { update_id: 9, message: { message_id: 1, date: 1, chat: { id: -100123, type: 'supergroup' }, text: 'hi all' } };
    expect((await h.telegramWebhook(group)).status).toBe(200);
    expect((await h.telegramWebhook({ update_id: 10, callback_query: { id: 'q' } })).status).toBe(200);
  });
});

describe('outbound', () => {
  /** A conversation opened by a customer message in a fresh chat. */
  async function openChat(): Promise<{ chatId: number; conversationId: string }> {
    const chatId = newChat();
    await h.telegramWebhook(h.telegram.update({ chatId, text: 'Hi there' }));
    const conversationId = conversationOf(chatId);
    await waitForMessages(conversationId, 1);
    return { chatId, conversationId };
  }
  const reply = (conversationId: string, body: object) =>
    request(h.app).post(`/v1/conversations/${conversationId}/messages`).set('Authorization', h.auth).send(body);

  it('a staff reply is sent with sendMessage to the chat and recorded sent with <chat>:<message_id>', async () => {
    const { chatId, conversationId } = await openChat();
    const res = await reply(conversationId, { text: 'We are on it' });
    expect(res.status).toBe(201);
    const [sent] = await waitForMessages(conversationId, 1, (m) => m.direction === 'outbound' && m.deliveryStatus === 'sent');
    const outbound = (await messagesOf(conversationId)).find((m) => m.direction === 'outbound')!;
    const atStandIn = h.telegram.sent.filter((m) => m.chatId === String(chatId));
    expect(atStandIn).toHaveLength(1);
    expect(atStandIn[0]).toMatchObject({ method: 'sendMessage', text: 'We are on it' });
    expect(outbound.providerMessageId).toBe(`${chatId}:${atStandIn[0]!.messageId}`);
    expect(sent).toBeDefined();
  });

  it('a reply with an image goes as a photo with the text as caption', async () => {
    const { chatId, conversationId } = await openChat();
    const upload = await request(h.app)
      .post('/v1/attachments')
      .set('Authorization', h.auth)
      .attach('file', PNG, { filename: 'label.png', contentType: 'image/png' });
    expect(upload.status).toBe(201);
    expect((await reply(conversationId, { text: 'Your return label', attachments: [upload.body.id] })).status).toBe(201);
    await waitForMessages(conversationId, 1, (m) => m.direction === 'outbound' && m.deliveryStatus === 'sent');
    const [photo] = h.telegram.sent.filter((m) => m.chatId === String(chatId));
    expect(photo).toMatchObject({ method: 'sendPhoto', caption: 'Your return label' });
    expect(typeof photo!.file === 'object' && photo!.file !== null && Buffer.compare(photo!.file.bytes, PNG)).toBe(0);
  });

  it('text over the limits is refused before anything is recorded: 4096 alone, 1024 with files (422 text_too_long)', async () => {
    const { chatId, conversationId } = await openChat();
    const long = await reply(conversationId, { text: 'x'.repeat(4097) });
    expect(long.status).toBe(422);
    expect(long.body.error).toMatchObject({ code: 'text_too_long', details: { maxLength: 4096, length: 4097 } });
    const upload = await request(h.app)
      .post('/v1/attachments')
      .set('Authorization', h.auth)
      .attach('file', PNG, { filename: 'a.png', contentType: 'image/png' });
    const caption = await reply(conversationId, { text: 'y'.repeat(1025), attachments: [upload.body.id] });
    expect(caption.status).toBe(422);
    expect(caption.body.error.details).toEqual({ maxLength: 1024, length: 1025 });
    // an internal note is not sent: no carrier limit
    expect((await reply(conversationId, { text: 'z'.repeat(5000), isInternalNote: true })).status).toBe(201);
    expect((await messagesOf(conversationId)).filter((m) => m.direction === 'outbound')).toHaveLength(1);
    expect(h.telegram.sent.filter((m) => m.chatId === String(chatId))).toHaveLength(0);
  });

  it('a customer who blocked the bot: the reply fails permanently with telegram_403 and a reason', async () => {
    const { chatId, conversationId } = await openChat();
    h.telegram.block(chatId);
    await reply(conversationId, { text: 'Anyone there?' });
    const [failed] = await waitForMessages(conversationId, 1, (m) => m.direction === 'outbound' && m.deliveryStatus === 'failed');
    const outbound = (await messagesOf(conversationId)).find((m) => m.direction === 'outbound')!;
    expect(outbound.errorCode).toBe('telegram_403');
    expect(failed).toBeDefined();
    expect(h.telegram.sent.filter((m) => m.chatId === String(chatId))).toHaveLength(0);
  });

  it('429 with retry_after is retried after that delay and sent exactly once', async () => {
    const { chatId, conversationId } = await openChat();
    h.telegram.failNext('sendMessage', {
      error_code: 429,
      description: 'Too Many Requests: retry after 1',
      parameters: { retry_after: 1 },
    });
    const started = Date.now();
    await reply(conversationId, { text: 'Slowly now' });
    await waitForMessages(conversationId, 1, (m) => m.direction === 'outbound' && m.deliveryStatus === 'sent');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(h.telegram.sent.filter((m) => m.chatId === String(chatId))).toHaveLength(1);
    const calls = h.telegram.requests.filter((r) => r.method === 'sendMessage' && String(r.params.chat_id) === String(chatId));
    expect(calls.map((c) => c.status)).toEqual([429, 200]);
  });
});
