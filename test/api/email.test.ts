/**
 * The email channel end to end through the real path: Postmark webhooks (inbound, delivery, bounce)
 * → the API → the conversation workflow → Postgres, and staff replies → the outbox → the real
 * `postmark` SDK → the Postmark stand-in. Inputs are the contract samples in
 * test/contracts/samples/postmark-*.json, adapted to this test org.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import type { MessageRecord } from '../../domain/message';
import type { RecordedPostmarkRequest } from '../support/postmark-standin';
import { createHarness, type Harness, INBOUND_EMAIL_DOMAIN, POSTMARK_WEBHOOK_USER } from '../support/harness';
import {
  emailMessagesOf,
  freshMessageId,
  type InboundEmail,
  inboundEmail,
  type PostmarkHeader,
  sample,
  sampleText,
  withHeaders,
} from '../support/postmark-inbound';
import { hasIdentity, selectContacts } from '../../db/contacts';

/** What the SDK POSTs to `/email` (the fields these tests read). */
interface SentEmail {
  From: string;
  To: string;
  ReplyTo: string;
  Subject: string;
  TextBody: string;
  Headers: PostmarkHeader[];
  MessageStream?: string;
}
interface ConversationBody {
  id: string;
  status: string;
  subject: string | null;
  channel: string;
  inbox: { id: string; name: string; kind: string; address: string };
  contact: { id: string; name: string | null; email: string | null };
}

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.close();
});

// ---- helpers --------------------------------------------------------------------------------

/** A fresh customer address (each test its own contact). */
const customerAddress = (): string => `amara-${randomBytes(4).toString('hex')}@mail.example.net`;
const unique = (text: string): string => `${text} [${randomBytes(3).toString('hex')}]`;

/**
 * postmark-inbound.json addressed to `to` (default: the org's email channel) from `from`, with a
 * fresh Message-ID header (bare id `messageId`) and a fresh Postmark MessageID.
 */
function newEmail(
  opts: {
    from?: string;
    to?: string;
    messageId?: string;
    inReplyTo?: string;
    references?: string;
    subject?: string;
    text?: string;
    stripped?: string;
  } = {},
): InboundEmail {
  const mail = inboundEmail(opts.from ?? customerAddress(), opts.to ?? h.org.emailAddress, opts.messageId);
  if (opts.subject !== undefined) mail.Subject = opts.subject;
  if (opts.text !== undefined) mail.TextBody = opts.text;
  if (opts.stripped !== undefined) mail.StrippedTextReply = opts.stripped;
  mail.Headers = withHeaders(mail.Headers, { 'In-Reply-To': opts.inReplyTo, References: opts.references });
  return mail;
}

/** postmark-inbound-reply.json from `from`, sent to our Reply-To `<local>+<token>@<inbound domain>`. */
function replyEmail(opts: { from: string; token: string; inReplyTo?: string; references?: string; stripped?: string }): InboundEmail {
  const mail = sample<InboundEmail>('postmark-inbound-reply.json');
  const local = h.org.emailAddress.split('@')[0]!;
  const to = `${local}+${opts.token}@${INBOUND_EMAIL_DOMAIN}`;
  mail.From = opts.from;
  mail.FromFull = { ...mail.FromFull, Email: opts.from };
  mail.To = to;
  mail.ToFull = [{ Email: to, Name: 'Example Support', MailboxHash: opts.token }];
  mail.OriginalRecipient = to;
  mail.MailboxHash = opts.token;
  mail.MessageID = randomUUID();
  if (opts.stripped !== undefined) mail.StrippedTextReply = opts.stripped;
  mail.Headers = withHeaders(mail.Headers, {
    'Message-ID': `<${freshMessageId()}>`,
    'In-Reply-To': opts.inReplyTo,
    References: opts.references,
  });
  return mail;
}

async function getConversation(id: string): Promise<request.Response> {
  return request(h.app).get(`/v1/conversations/${id}`).set('Authorization', h.auth);
}

const messagesOf = (conversationId: string): Promise<MessageRecord[]> => emailMessagesOf(h, conversationId);

async function waitForMessage(conversationId: string, match: (m: MessageRecord) => boolean, what: string): Promise<MessageRecord> {
  return h.waitFor(async () => (await messagesOf(conversationId)).find(match), what);
}

/** Posts an inbound email, expects 200 and waits until its message is stored; returns the conversation id. */
async function deliver(mail: InboundEmail): Promise<{ conversationId: string; message: MessageRecord }> {
  const res = await h.postmarkWebhook('/webhooks/postmark/inbound', mail);
  expect(res.status).toBe(200);
  const conversationId = (res.body as { conversationId: string }).conversationId;
  expect(conversationId).toEqual(expect.any(String));
  const message = await waitForMessage(conversationId, (m) => m.providerMessageId === mail.MessageID, `inbound ${mail.MessageID}`);
  return { conversationId, message };
}

/** The stand-in's recorded `POST /email` whose TextBody is `text`. */
async function sentEmail(text: string): Promise<{ request: RecordedPostmarkRequest; body: SentEmail }> {
  const recorded = await h.waitFor(
    async () => h.postmark.requests.find((r) => r.path === '/email' && (r.body as SentEmail | null)?.TextBody === text),
    `Postmark send of "${text}"`,
  );
  return { request: recorded, body: recorded.body as SentEmail };
}

/** Staff reply; waits until the stand-in got it and the message left `queued`/`sending`. */
async function staffReply(
  conversationId: string,
  text: string,
): Promise<{ message: MessageRecord; sent: SentEmail; response: RecordedPostmarkRequest }> {
  const reply = await request(h.app).post(`/v1/conversations/${conversationId}/messages`).set('Authorization', h.auth).send({ text });
  expect(reply.status).toBe(201);
  const id = (reply.body as MessageRecord).id;
  const { request: recorded, body } = await sentEmail(text);
  const message = await waitForMessage(
    conversationId,
    (m) => m.id === id && m.deliveryStatus !== 'queued' && m.deliveryStatus !== 'sending',
    `reply ${id} sent`,
  );
  return { message, sent: body, response: recorded };
}

const header = (sent: SentEmail, name: string): string | undefined =>
  sent.Headers.find((x) => x.Name.toLowerCase() === name.toLowerCase())?.Value;

async function replyTokenOf(conversationId: string): Promise<string> {
  const row = await h.db.selectFrom('conversations').select('reply_token').where('id', '=', conversationId).executeTakeFirstOrThrow();
  expect(row.reply_token).toEqual(expect.any(String));
  return row.reply_token!;
}

async function storedByPostmarkId(messageId: string) {
  return h.db
    .selectFrom('messages')
    .select(['id', 'conversation_id'])
    .where('provider', '=', 'postmark')
    .where('provider_message_id', '=', messageId)
    .execute();
}

async function contactByEmail(email: string) {
  return selectContacts(h.db)
    .where('contacts.org_id', '=', h.org.orgId)
    .where(hasIdentity('email', email.toLowerCase()))
    .executeTakeFirst();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- inbound --------------------------------------------------------------------------------

describe('inbound email', () => {
  test('a new email becomes an email conversation with subject, contact (FromName) and the full email envelope', async () => {
    const from = customerAddress();
    const messageId = freshMessageId();
    const mail = newEmail({ from, messageId });
    const { conversationId, message } = await deliver(mail);

    const conv = (await getConversation(conversationId)).body as ConversationBody;
    expect(conv).toMatchObject({
      status: 'open',
      subject: 'Order 4821 - wrong size delivered',
      channel: 'email',
      inbox: { id: h.org.emailChannelId, kind: 'email', address: h.org.emailAddress, name: 'Example Support' },
      contact: { email: from, name: 'Amara Okafor' },
    });
    const contact = await contactByEmail(from);
    expect(contact).toMatchObject({ name: 'Amara Okafor', email: from, phone: null });

    // StrippedTextReply is empty in this sample: the text is the TextBody
    expect(message).toMatchObject({ direction: 'inbound', authorType: 'customer', provider: 'postmark', text: mail.TextBody });
    expect(message.email).toMatchObject({
      from: { email: from, name: 'Amara Okafor' },
      to: [{ email: h.org.emailAddress }],
      cc: [],
      subject: 'Order 4821 - wrong size delivered',
      date: 'Thu, 15 Jan 2026 09:12:44 +0000',
      textBody: mail.TextBody,
      htmlBody: mail.HtmlBody,
      messageId,
    });
  });

  test('the message text is StrippedTextReply when Postmark provides it', async () => {
    const mail = newEmail({ text: 'Full text\n\n> quoted history', stripped: 'Only the new part' });
    const { message } = await deliver(mail);
    expect(message.text).toBe('Only the new part');
    expect(message.email?.textBody).toBe('Full text\n\n> quoted history');
  });

  test('wrong or missing Basic credentials → 401 and nothing stored', async () => {
    const mail = newEmail();
    const missing = await request(h.app)
      .post('/webhooks/postmark/inbound')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify(mail));
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toMatch(/^Basic/);
    const wrong = await request(h.app)
      .post('/webhooks/postmark/inbound')
      .auth(POSTMARK_WEBHOOK_USER, 'not-the-password')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify(mail));
    expect(wrong.status).toBe(401);
    const wrongUser = await request(h.app)
      .post('/webhooks/postmark/events')
      .auth('someone', 'test-postmark-webhook-password')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify(sample<object>('postmark-webhook-delivery.json')));
    expect(wrongUser.status).toBe(401);
    await sleep(500);
    expect(await storedByPostmarkId(mail.MessageID)).toHaveLength(0);
    expect(await contactByEmail(mail.From)).toBeUndefined();
  });

  test('a body without MessageID → 400, nothing stored', async () => {
    const mail: Partial<InboundEmail> = newEmail();
    delete mail.MessageID;
    const res = await h.postmarkWebhook('/webhooks/postmark/inbound', mail);
    expect(res.status).toBe(400);
    expect(await contactByEmail(mail.From!)).toBeUndefined();
  });

  test('an address that is no channel → 404, nothing stored', async () => {
    const mail = newEmail({ to: `nobody-${randomBytes(3).toString('hex')}@elsewhere.example.test` });
    const res = await h.postmarkWebhook('/webhooks/postmark/inbound', mail);
    expect(res.status).toBe(404);
    await sleep(500);
    expect(await storedByPostmarkId(mail.MessageID)).toHaveLength(0);
    expect(await contactByEmail(mail.From)).toBeUndefined();
  });

  test('the same webhook retried ten times concurrently → one message; the same Message-ID with another Postmark MessageID → still one', async () => {
    const mail = newEmail();
    const results = await Promise.all(Array.from({ length: 10 }, () => h.postmarkWebhook('/webhooks/postmark/inbound', mail)));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    const ids = new Set(results.map((r) => (r.body as { conversationId: string }).conversationId));
    expect(ids.size).toBe(1);
    const [conversationId] = [...ids] as [string];
    await waitForMessage(conversationId, (m) => m.providerMessageId === mail.MessageID, 'the message');

    // Postmark re-delivers the same email under a new id of its own
    const again = { ...mail, MessageID: randomUUID() };
    const res = await h.postmarkWebhook('/webhooks/postmark/inbound', again);
    expect(res.status).toBe(200);
    expect((res.body as { conversationId: string }).conversationId).toBe(conversationId);

    // settle: both signals handled (a later staff command drains the inbox first)
    await request(h.app)
      .post(`/v1/conversations/${conversationId}/messages`)
      .set('Authorization', h.auth)
      .send({ text: 'note', isInternalNote: true });
    await sleep(500);
    const inbound = (await messagesOf(conversationId)).filter((m) => m.direction === 'inbound');
    expect(inbound).toHaveLength(1);
    const rows = await h.db
      .selectFrom('messages')
      .select('id')
      .where('conversation_id', '=', conversationId)
      .where('direction', '=', 'inbound')
      .execute();
    expect(rows).toHaveLength(1);
    const conv = (await getConversation(conversationId)).body as { unreadCount: number };
    expect(conv.unreadCount).toBe(1);
  });
});

// ---- outbound and threading -----------------------------------------------------------------

describe('staff replies and threading', () => {
  test('a staff reply goes to Postmark from the channel, Reply-To with the reply token, Re: subject and threading headers', async () => {
    const from = customerAddress();
    const customerMessageId = freshMessageId();
    const { conversationId } = await deliver(newEmail({ from, messageId: customerMessageId }));
    const token = await replyTokenOf(conversationId);

    const text = unique('Sorry about the mix-up, a size M is on its way.');
    const { message, sent, response } = await staffReply(conversationId, text);
    const local = h.org.emailAddress.split('@')[0]!;
    expect(sent.From).toContain(h.org.emailAddress);
    expect(sent.To).toContain(from);
    expect(sent.ReplyTo).toBe(`${local}+${token}@${INBOUND_EMAIL_DOMAIN}`);
    expect(sent.Subject).toBe('Re: Order 4821 - wrong size delivered');
    expect(header(sent, 'Message-ID')).toMatch(new RegExp(`^<${message.id}@[^<>\\s]+>$`));
    expect(header(sent, 'In-Reply-To')).toBe(`<${customerMessageId}>`);
    expect(header(sent, 'References')).toContain(`<${customerMessageId}>`);

    expect(message.deliveryStatus).toBe('sent');
    expect(message.providerMessageId).toBe((response.responseBody as { MessageID: string }).MessageID);
    expect(message.provider).toBe('postmark');
  });

  test('(a) the customer answering with the reply token (MailboxHash) lands in the same conversation', async () => {
    const from = customerAddress();
    const { conversationId } = await deliver(newEmail({ from }));
    const token = await replyTokenOf(conversationId);
    await staffReply(conversationId, unique('First answer'));

    // thread headers that match nothing: only the token can route it
    const answer = replyEmail({ from, token, inReplyTo: `<${freshMessageId()}>`, references: `<${freshMessageId()}>` });
    const res = await h.postmarkWebhook('/webhooks/postmark/inbound', answer);
    expect(res.status).toBe(200);
    expect((res.body as { conversationId: string }).conversationId).toBe(conversationId);
    const message = await waitForMessage(conversationId, (m) => m.providerMessageId === answer.MessageID, 'answer');
    expect(message.text).toBe(answer.StrippedTextReply);
  });

  test('(b) an answer without MailboxHash but In-Reply-To our outbound Message-ID lands in the same conversation', async () => {
    const from = customerAddress();
    const { conversationId } = await deliver(newEmail({ from }));
    const { sent } = await staffReply(conversationId, unique('Second answer'));
    const ours = header(sent, 'Message-ID')!;

    // addressed to the plain channel address: without threading it would start a new conversation
    const answer = newEmail({ from, inReplyTo: ours, subject: 'Re: Order 4821 - wrong size delivered' });
    const res = await h.postmarkWebhook('/webhooks/postmark/inbound', answer);
    expect(res.status).toBe(200);
    expect((res.body as { conversationId: string }).conversationId).toBe(conversationId);
    await waitForMessage(conversationId, (m) => m.providerMessageId === answer.MessageID, 'threaded answer');
  });

  test('(c) an unknown In-Reply-To and no token → a new conversation', async () => {
    const from = customerAddress();
    const first = await deliver(newEmail({ from }));
    const other = newEmail({ from, inReplyTo: `<${freshMessageId()}>`, references: `<${freshMessageId()}>`, subject: 'Another question' });
    const second = await deliver(other);
    expect(second.conversationId).not.toBe(first.conversationId);
    const conv = (await getConversation(second.conversationId)).body as ConversationBody;
    expect(conv).toMatchObject({ subject: 'Another question', channel: 'email', contact: { email: from } });
    expect((await getConversation(first.conversationId)).body).toMatchObject({ contact: { id: conv.contact.id } });
  });

  test('closing with resolutionNote stores the note as an internal note', async () => {
    const { conversationId } = await deliver(newEmail());
    await staffReply(conversationId, unique('Refunded'));
    const closed = await request(h.app)
      .post(`/v1/conversations/${conversationId}/status`)
      .set('Authorization', h.auth)
      .send({ status: 'closed', resolutionNote: 'Refund issued' });
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({ status: 'closed' });
    // the close and its note are one update: the note is there when the API answers (allow a moment anyway)
    const note = await h.waitFor(async () => (await messagesOf(conversationId)).find((m) => m.isInternalNote), 'resolution note', 3_000);
    expect(note).toMatchObject({
      text: 'Refund issued',
      isInternalNote: true,
      direction: 'outbound',
      deliveryStatus: null,
      provider: null,
    });
  });

  test('a customer reply (reply token) reopens a closed conversation', async () => {
    const from = customerAddress();
    const { conversationId } = await deliver(newEmail({ from }));
    const token = await replyTokenOf(conversationId);
    await staffReply(conversationId, unique('Closing this'));
    const closed = await request(h.app)
      .post(`/v1/conversations/${conversationId}/status`)
      .set('Authorization', h.auth)
      .send({ status: 'closed' });
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({ status: 'closed' });

    const answer = replyEmail({ from, token });
    const res = await h.postmarkWebhook('/webhooks/postmark/inbound', answer);
    expect(res.status).toBe(200);
    expect((res.body as { conversationId: string }).conversationId).toBe(conversationId);
    await waitForMessage(conversationId, (m) => m.providerMessageId === answer.MessageID, 'reply after close');
    const reopened = await h.waitFor(async () => {
      const c = (await getConversation(conversationId)).body as ConversationBody & { closedReason: string | null };
      return c.status === 'open' ? c : undefined;
    }, 'reopened');
    expect(reopened).toMatchObject({ status: 'open', closedReason: null });
  });

  test('GET /v1/conversations?status=active lists open and pending, not closed or snoozed', async () => {
    const open = await deliver(newEmail());
    const pending = await deliver(newEmail());
    await staffReply(pending.conversationId, unique('Waiting on you'));
    const closed = await deliver(newEmail());
    const snoozed = await deliver(newEmail());
    expect(
      (
        await request(h.app)
          .post(`/v1/conversations/${closed.conversationId}/status`)
          .set('Authorization', h.auth)
          .send({ status: 'closed' })
      ).status,
    ).toBe(200);
    const until = new Date(Date.now() + 60 * 60 * 1000).toISOString();
    expect(
      (
        await request(h.app)
          .post(`/v1/conversations/${snoozed.conversationId}/status`)
          .set('Authorization', h.auth)
          .send({ status: 'snoozed', until })
      ).status,
    ).toBe(200);
    expect(((await getConversation(pending.conversationId)).body as ConversationBody).status).toBe('pending');

    const res = await request(h.app).get('/v1/conversations?status=active&limit=100').set('Authorization', h.auth);
    expect(res.status).toBe(200);
    const listed = (res.body as { data: ConversationBody[] }).data;
    const ids = listed.map((c) => c.id);
    expect(ids).toContain(open.conversationId);
    expect(ids).toContain(pending.conversationId);
    expect(ids).not.toContain(closed.conversationId);
    expect(ids).not.toContain(snoozed.conversationId);
    for (const c of listed) expect(['open', 'pending']).toContain(c.status);
  });
});

// ---- delivery and bounce events -------------------------------------------------------------

describe('Postmark events', () => {
  async function messageRow(id: string) {
    return h.db
      .selectFrom('messages')
      .select(['delivery_status', 'error_code', 'error_message'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
  }

  test('Delivery → delivered; HardBounce (64-bit ID, raw JSON) → failed bounce_HardBounce and the address flagged', async () => {
    const from = customerAddress();
    const { conversationId } = await deliver(newEmail({ from }));
    const first = await staffReply(conversationId, unique('Delivered one'));
    const second = await staffReply(conversationId, unique('Bounced one'));

    const delivery = {
      ...sample<Record<string, unknown>>('postmark-webhook-delivery.json'),
      MessageID: first.message.providerMessageId,
      Recipient: from,
    };
    const d = await h.postmarkWebhook('/webhooks/postmark/events', delivery);
    expect(d.status).toBe(200);
    await h.waitFor(async () => (await messageRow(first.message.id)).delivery_status === 'delivered', 'delivered');

    const raw = sampleText('postmark-webhook-bounce.json')
      .replace('"cc0a50c7-a38b-76e7-826f-9e5ba676ac8f"', JSON.stringify(second.message.providerMessageId))
      .replace('"no-such-user@mail.example.net"', JSON.stringify(from));
    expect(raw).toContain('"ID": 4323372036854775807');
    expect(raw).toContain(second.message.providerMessageId!);
    const b = await h.postmarkWebhook('/webhooks/postmark/events', raw);
    expect(b.status).toBe(200);
    const row = await h.waitFor(async () => {
      const r = await messageRow(second.message.id);
      return r.delivery_status === 'failed' ? r : undefined;
    }, 'bounced');
    expect(row.error_code).toBe('bounce_HardBounce');
    expect(row.error_message).toEqual(expect.stringContaining('unable to deliver'));
    const contact = await contactByEmail(from);
    expect(contact?.email_bounced_at).toBeInstanceOf(Date);
    expect(contact?.email_bounce_reason).toEqual(expect.stringContaining('HardBounce'));
    // the delivered one is untouched
    expect((await messageRow(first.message.id)).delivery_status).toBe('delivered');
  });

  test('a SoftBounce changes nothing', async () => {
    const from = customerAddress();
    const { conversationId } = await deliver(newEmail({ from }));
    const sent = await staffReply(conversationId, unique('Soft bounced'));
    const raw = sampleText('postmark-webhook-bounce.json')
      .replace('"cc0a50c7-a38b-76e7-826f-9e5ba676ac8f"', JSON.stringify(sent.message.providerMessageId))
      .replace('"no-such-user@mail.example.net"', JSON.stringify(from))
      .replace('"Type": "HardBounce"', '"Type": "SoftBounce"')
      .replace('"TypeCode": 1,', '"TypeCode": 4096,')
      .replace('"Inactive": true', '"Inactive": false');
    expect(raw).toContain('"SoftBounce"');
    const res = await h.postmarkWebhook('/webhooks/postmark/events', raw);
    expect(res.status).toBe(200);
    await sleep(750);
    expect(await messageRow(sent.message.id)).toMatchObject({ delivery_status: 'sent', error_code: null });
    expect((await contactByEmail(from))?.email_bounced_at).toBeNull();
  });

  test('an event for an unknown MessageID → 404', async () => {
    const delivery = { ...sample<Record<string, unknown>>('postmark-webhook-delivery.json'), MessageID: randomUUID() };
    const res = await h.postmarkWebhook('/webhooks/postmark/events', delivery);
    expect(res.status).toBe(404);
  });
});

// ---- permanent Postmark errors --------------------------------------------------------------

test('Postmark 422 ErrorCode 406 → the reply is failed with code 406 and a readable message; the next reply goes out', async () => {
  const { conversationId } = await deliver(newEmail());
  h.postmark.failNext(422, sample<object>('postmark-send-email.error-406.json'));
  const text = unique('This one is refused');
  const failed = await staffReply(conversationId, text);
  expect(failed.response.responseStatus).toBe(422);
  expect(failed.message.deliveryStatus).toBe('failed');
  expect(failed.message.errorCode).toBe('406');
  expect(failed.message.errorMessage).toMatch(/inactive/i);
  expect(failed.message.providerMessageId).toBeNull();
  // exactly one attempt: a permanent error is not retried
  await sleep(1500);
  expect(h.postmark.requests.filter((r) => (r.body as SentEmail | null)?.TextBody === text)).toHaveLength(1);

  const next = await staffReply(conversationId, unique('This one goes out'));
  expect(next.response.responseStatus).toBe(200);
  expect(next.message.deliveryStatus).toBe('sent');
  expect(next.message.providerMessageId).toBe((next.response.responseBody as { MessageID: string }).MessageID);
});
