/**
 * The Telegram channel's Bot API half through the real `grammy` SDK against the local Bot API
 * stand-in: sends (text, photo, document, album), file downloads, error classification, and the
 * reading of webhook Updates.
 */
import { createTelegramApi, classifyTelegramError, sendTelegramMessage, telegramFileUrl } from '../../channels/telegram/bot-api';
import { startTelegramStandIn, type TelegramStandIn } from '../../channels/telegram/standin';
import { readTelegramUpdate, TelegramUpdate } from '../../channels/telegram/updates';

const TOKEN = '424242:TEST-token';
let standIn: TelegramStandIn;
beforeAll(async () => {
  standIn = await startTelegramStandIn({ token: TOKEN });
});
afterAll(() => standIn?.stop());

const api = () => createTelegramApi({ token: TOKEN, apiRoot: standIn.url });
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');

/** The error a call throws, classified. */
async function failureOf(call: Promise<unknown>) {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeDefined();
  return classifyTelegramError(err);
}

describe('sending through grammy', () => {
  it('sends text with sendMessage to a known chat and returns its message_id', async () => {
    standIn.knowChat(1001);
    const id = await sendTelegramMessage(api(), { chatId: '1001', text: 'Hello from support', uploads: [] });
    const sent = standIn.sent.find((m) => m.chatId === '1001' && m.messageId === id);
    expect(sent).toMatchObject({ method: 'sendMessage', text: 'Hello from support' });
  });

  it('sends one image as a photo with the text as caption (multipart upload of the bytes)', async () => {
    standIn.knowChat(1002);
    const id = await sendTelegramMessage(api(), {
      chatId: '1002',
      text: 'Your receipt',
      uploads: [{ bytes: PNG, name: 'receipt.png', contentType: 'image/png' }],
    });
    const sent = standIn.sent.find((m) => m.chatId === '1002' && m.messageId === id)!;
    expect(sent).toMatchObject({ method: 'sendPhoto', caption: 'Your receipt' });
    expect(typeof sent.file === 'object' && sent.file?.bytes.equals(PNG)).toBe(true);
  });

  it('sends a PDF as a document and several files as one album (one call)', async () => {
    standIn.knowChat(1003);
    const before = standIn.requests.length;
    await sendTelegramMessage(api(), {
      chatId: '1003',
      text: '',
      uploads: [{ bytes: Buffer.from('%PDF-1.4'), name: 'terms.pdf', contentType: 'application/pdf' }],
    });
    await sendTelegramMessage(api(), {
      chatId: '1003',
      text: 'Both pages',
      uploads: [
        { bytes: PNG, name: 'p1.png', contentType: 'image/png' },
        { bytes: PNG, name: 'p2.png', contentType: 'image/png' },
      ],
    });
    const calls = standIn.requests.slice(before).map((r) => r.method);
    expect(calls).toEqual(['sendDocument', 'sendMediaGroup']);
    const inChat = standIn.sent.filter((m) => m.chatId === '1003');
    expect(inChat.map((m) => [m.method, m.caption])).toEqual([
      ['sendDocument', null],
      ['sendPhoto', 'Both pages'],
      ['sendPhoto', null],
    ]);
  });

  it('downloads a received file through getFile and the file URL', async () => {
    const file = standIn.addFile(PNG, 'image/png');
    const url = await telegramFileUrl(api(), { token: TOKEN, apiRoot: standIn.url }, file.file_id);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(PNG)).toBe(true);
  });
});

describe('error classification', () => {
  it('a blocked bot (403) and an unknown chat (400) are permanent, with reasons for staff', async () => {
    standIn.knowChat(2001);
    standIn.block(2001);
    const blocked = await failureOf(sendTelegramMessage(api(), { chatId: '2001', text: 'hi', uploads: [] }));
    expect(blocked).toMatchObject({ permanent: true, code: 'telegram_403' });
    expect(blocked?.permanent && blocked.reason).toMatch(/blocked the bot/);
    const unknown = await failureOf(sendTelegramMessage(api(), { chatId: '2999', text: 'hi', uploads: [] }));
    expect(unknown).toMatchObject({ permanent: true, code: 'telegram_400' });
    expect(unknown?.permanent && unknown.reason).toMatch(/has not started the bot/);
  });

  it('429 is retryable with retry_after in ms; 5xx retryable without; both answered (nothing sent)', async () => {
    standIn.knowChat(2002);
    standIn.failNext('sendMessage', { error_code: 429, description: 'Too Many Requests: retry after 7', parameters: { retry_after: 7 } });
    expect(await failureOf(sendTelegramMessage(api(), { chatId: '2002', text: 'hi', uploads: [] }))).toEqual({
      permanent: false,
      retryAfterMs: 7000,
      answered: true,
      reason: 'Too Many Requests: retry after 7',
    });
    standIn.failNext('sendMessage', { error_code: 502, description: 'Bad Gateway' });
    expect(await failureOf(sendTelegramMessage(api(), { chatId: '2002', text: 'hi', uploads: [] }))).toMatchObject({
      permanent: false,
      retryAfterMs: null,
      answered: true,
    });
    expect(standIn.sent.filter((m) => m.chatId === '2002')).toHaveLength(0);
  });

  it('a wrong token is permanent (401); an unreachable server is retryable and not known to be unanswered', async () => {
    const wrong = createTelegramApi({ token: '424242:wrong', apiRoot: standIn.url });
    expect(await failureOf(wrong.sendMessage('1001', 'x'))).toMatchObject({ permanent: true, code: 'telegram_401' });
    const down = createTelegramApi({ token: TOKEN, apiRoot: 'http://127.0.0.1:9' });
    expect(await failureOf(down.sendMessage('1001', 'x'))).toMatchObject({ permanent: false, answered: false });
  });

  it('an error that is not from the Bot API is left to the caller', () => {
    expect(classifyTelegramError(new TypeError('bug'))).toBeNull();
  });
});

describe('reading webhook updates', () => {
  it('a text message: chat id, per-chat provider message id, profile name, time', () => {
    const update = standIn.update({
      chatId: 5005,
      firstName: 'Ada',
      lastName: 'Lovelace',
      username: 'ada',
      text: 'Where is my order?',
      date: 1_790_000_000,
    });
    const inbound = readTelegramUpdate(TelegramUpdate.parse(update));
    expect(inbound).toEqual({
      type: 'message',
      chatId: '5005',
      providerMessageId: `5005:${(update.message as { message_id: number }).message_id}`,
      text: 'Where is my order?',
      attachments: [],
      profileName: 'Ada Lovelace (@ada)',
      sentAt: new Date(1_790_000_000_000).toISOString(),
    });
  });

  it('a photo keeps its caption and the largest size; a document its name and type', () => {
    const photo = standIn.addFile(PNG, 'image/jpeg');
    const withPhoto = readTelegramUpdate(TelegramUpdate.parse(standIn.update({ chatId: 5006, caption: 'broken', photo })));
    expect(withPhoto).toMatchObject({
      type: 'message',
      text: 'broken',
      attachments: [{ providerFileId: photo.file_id, contentType: 'image/jpeg' }],
    });
    const doc = standIn.addFile(Buffer.from('%PDF'), 'application/pdf');
    const withDoc = readTelegramUpdate(
      TelegramUpdate.parse(standIn.update({ chatId: 5006, document: { ...doc, file_name: 'invoice.pdf', mime_type: 'application/pdf' } })),
    );
    expect(withDoc).toMatchObject({
      type: 'message',
      text: '',
      attachments: [{ providerFileId: doc.file_id, name: 'invoice.pdf', contentType: 'application/pdf', size: 4 }],
    });
  });

  it('an edited message is an edit of the same provider message id', () => {
    const update = standIn.update({ chatId: 5007, messageId: 12, text: 'fixed typo', edit: true, date: 1_790_000_000 });
    expect(readTelegramUpdate(TelegramUpdate.parse(update))).toEqual({
      type: 'edit',
      chatId: '5007',
      providerMessageId: '5007:12',
      text: 'fixed typo',
      editedAt: new Date(1_790_000_001_000).toISOString(),
    });
  });

  it('groups, bots, other update types and empty messages are ignored; malformed updates fail to parse', () => {
    const group = { update_id: 1, message: { message_id: 1, date: 1, chat: { id: -100, type: 'group' }, text: 'hi' } };
    expect(readTelegramUpdate(TelegramUpdate.parse(group))).toEqual({ type: 'ignored', reason: 'not_private_chat' });
    const bot = {
      update_id: 2,
      message: { message_id: 1, date: 1, chat: { id: 7, type: 'private' }, from: { id: 7, is_bot: true, first_name: 'B' }, text: 'hi' },
    };
    expect(readTelegramUpdate(TelegramUpdate.parse(bot))).toEqual({ type: 'ignored', reason: 'from_bot' });
    expect(readTelegramUpdate(TelegramUpdate.parse({ update_id: 3, callback_query: {} }))).toEqual({
      type: 'ignored',
      reason: 'unsupported_update',
    });
    const sticker = { update_id: 4, message: { message_id: 1, date: 1, chat: { id: 7, type: 'private' }, sticker: {} } };
    expect(readTelegramUpdate(TelegramUpdate.parse(sticker))).toEqual({ type: 'ignored', reason: 'no_content' });
    expect(TelegramUpdate.safeParse({ message: {} }).success).toBe(false);
  });
});
