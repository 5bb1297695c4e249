/**
 * Email hardening, through the real path (Postmark webhooks → API → workflow → Postgres → API /
 * the real `postmark` SDK → the stand-in):
 * - delivery / open / click events never undo a hard bounce or spam complaint, in every order, and
 *   the events route writes the message row directly (provider id recorded, no workflow needed);
 * - a hard-bounced address: shown on the contact and the conversation, a reply refused with 422
 *   `email_address_bounced` unless `force: true`, cleared by the next email from the address;
 * - HTML-only email gets its text from the HTML part;
 * - reply-all Cc, `cc` / `bcc` on replies, the sent envelope on outbound messages;
 * - a text cut to the inline limit says so (`truncated: true`) and the full body is kept.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import type { Attachment, MessageRecord } from '../../domain/message';
import { createHarness, type Harness, INBOUND_EMAIL_DOMAIN } from '../support/harness';
import { deliverEmail, emailMessagesOf, type InboundEmail, inboundEmail, sample, sampleText } from '../support/postmark-inbound';

interface SentEmail {
  To: string;
  Cc?: string;
  Bcc?: string;
  Subject: string;
  TextBody: string;
  Headers: { Name: string; Value: string }[];
}
interface ContactBody {
  id: string;
  email: string | null;
  emailBouncedAt: string | null;
  emailBounceReason: string | null;
}
interface ConversationBody {
  id: string;
  status: string;
  lastMessagePreview: string | null;
  contact: ContactBody;
  warnings: { code: string; message: string; details: { email: string | null; bouncedAt: string } }[];
}

const customerAddress = (): string => `lena-${randomBytes(4).toString('hex')}@mail.example.net`;
const unique = (text: string): string => `${text} [${randomBytes(3).toString('hex')}]`;

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.close();
});

/** postmark-inbound.json from `from` to the org's channel, fresh ids; `patch` overrides fields. */
function newEmail(from: string, patch: Partial<InboundEmail> = {}): InboundEmail {
  return Object.assign(inboundEmail(from, h.org.emailAddress), patch);
}

const messagesOf = (conversationId: string): Promise<MessageRecord[]> => emailMessagesOf(h, conversationId);
async function getConversation(id: string): Promise<ConversationBody> {
  const r = await request(h.app).get(`/v1/conversations/${id}`).set('Authorization', h.auth);
  expect(r.status).toBe(200);
  return r.body as ConversationBody;
}

/** Posts an inbound email (200) and waits until it is stored. */
const deliver = (mail: InboundEmail) => deliverEmail(h, mail);

const reply = (conversationId: string, body: object) =>
  request(h.app).post(`/v1/conversations/${conversationId}/messages`).set('Authorization', h.auth).send(body);

/** A staff reply that went out: the stored message (with provider id) and what Postmark received. */
async function staffReply(conversationId: string, body: { text: string } & Record<string, unknown>) {
  const res = await reply(conversationId, body);
  expect(res.status).toBe(201);
  const id = (res.body as MessageRecord).id;
  const recorded = await h.waitFor(
    async () => h.postmark.requests.find((r) => r.path === '/email' && (r.body as SentEmail | null)?.TextBody === body.text),
    'Postmark send',
  );
  const message = await h.waitFor(
    async () => (await messagesOf(conversationId)).find((m) => m.id === id && m.deliveryStatus === 'sent'),
    'reply sent',
  );
  return { message, sent: recorded.body as SentEmail };
}

const messageRow = (id: string) =>
  h.db
    .selectFrom('messages')
    .select(['delivery_status', 'error_code', 'error_message', 'provider_message_id'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();

// ---- events ---------------------------------------------------------------------------------

type EventKind = 'Delivery' | 'Bounce' | 'Open' | 'Click' | 'SpamComplaint';

/** A Postmark event webhook body (raw JSON text, as Postmark sends it) for outbound email `messageId`. */
function eventBody(kind: EventKind, postmarkMessageId: string, recipient: string, ourId?: string): string {
  const metadata = ourId ? { conversation_id: 'c', message_id: ourId } : { conversation_id: 'c' };
  if (kind === 'Delivery') {
    return JSON.stringify({
      ...sample<object>('postmark-webhook-delivery.json'),
      MessageID: postmarkMessageId,
      Recipient: recipient,
      Metadata: metadata,
    });
  }
  if (kind === 'Bounce' || kind === 'SpamComplaint') {
    const body = JSON.parse(sampleText('postmark-webhook-bounce.json')) as Record<string, unknown>;
    const raw = JSON.stringify({
      ...body,
      ID: 0,
      ...(kind === 'SpamComplaint' ? { RecordType: 'SpamComplaint', Type: 'SpamComplaint', TypeCode: 512, Inactive: true } : {}),
      MessageID: postmarkMessageId,
      Email: recipient,
      Metadata: metadata,
    });
    // keep Postmark's 64-bit ID exactly as the sample has it
    return raw.replace('"ID":0', '"ID":4323372036854775807');
  }
  return JSON.stringify({
    RecordType: kind,
    MessageStream: 'outbound',
    MessageID: postmarkMessageId,
    Recipient: recipient,
    ReceivedAt: '2026-01-16T15:45:00Z',
    ...(kind === 'Open' ? { FirstOpen: true } : { OriginalLink: 'https://example.test/track' }),
    Metadata: metadata,
  });
}

const postEvent = async (kind: EventKind, postmarkMessageId: string, recipient: string, ourId?: string) => {
  const res = await h.postmarkWebhook('/webhooks/postmark/events', eventBody(kind, postmarkMessageId, recipient, ourId));
  expect(res.status).toBe(200);
  return res.body as { ok: boolean; applied: boolean };
};

/** Every order of a list. */
function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

describe('Postmark events never undo a hard bounce', () => {
  const orders = permutations<EventKind>(['Delivery', 'Bounce', 'Open']);

  test.each(orders.map((o) => [o.join(' → '), o] as const))('%s ends failed bounce_HardBounce', async (_name, order) => {
    const from = customerAddress();
    const { conversationId } = await deliver(newEmail(from));
    const { message } = await staffReply(conversationId, { text: unique('Your refund') });
    for (const kind of order) await postEvent(kind, message.providerMessageId!, from);
    // the events route writes the row before answering: no waiting needed
    const row = await messageRow(message.id);
    expect(row).toMatchObject({ delivery_status: 'failed', error_code: 'bounce_HardBounce' });
    expect(row.error_message).toEqual(expect.stringContaining('unable to deliver'));
    const api = (await messagesOf(conversationId)).find((m) => m.id === message.id);
    expect(api).toMatchObject({ deliveryStatus: 'failed', errorCode: 'bounce_HardBounce' });
  });

  test('a spam complaint is final too: a later Delivery, Open or Click changes nothing', async () => {
    const from = customerAddress();
    const { conversationId } = await deliver(newEmail(from));
    const { message } = await staffReply(conversationId, { text: unique('Newsletter-ish') });
    await postEvent('Delivery', message.providerMessageId!, from);
    expect(await postEvent('SpamComplaint', message.providerMessageId!, from)).toMatchObject({ applied: true });
    for (const kind of ['Delivery', 'Open', 'Click'] as const) {
      expect(await postEvent(kind, message.providerMessageId!, from)).toMatchObject({ applied: false });
    }
    expect(await messageRow(message.id)).toMatchObject({ delivery_status: 'failed', error_code: 'bounce_SpamComplaint' });
    expect((await getConversation(conversationId)).contact.emailBouncedAt).toEqual(expect.any(String));
  });

  test('without a bounce: Open / Click → read; a late Delivery does not move it back', async () => {
    const from = customerAddress();
    const { conversationId } = await deliver(newEmail(from));
    const { message } = await staffReply(conversationId, { text: unique('Opened one') });
    await postEvent('Click', message.providerMessageId!, from);
    await postEvent('Delivery', message.providerMessageId!, from);
    expect(await messageRow(message.id)).toMatchObject({ delivery_status: 'read', error_code: null });
  });

  test('the event is written to the message row directly: provider id and status recorded without the workflow', async () => {
    const from = customerAddress();
    const { conversationId } = await deliver(newEmail(from));
    const { message } = await staffReply(conversationId, { text: unique('Crashed before recording') });
    // as if the send had crashed between Postmark accepting it and recording the id, and no worker ran
    await h.client.workflow.getHandle(`conversation-${conversationId}`).terminate('test: no workflow');
    await h.db
      .updateTable('messages')
      .set({ provider_message_id: null, delivery_status: 'sending' })
      .where('id', '=', message.id)
      .execute();
    const postmarkId = randomUUID();
    expect(await postEvent('Delivery', postmarkId, from, message.id)).toMatchObject({ applied: true });
    expect(await messageRow(message.id)).toMatchObject({ provider_message_id: postmarkId, delivery_status: 'delivered' });
    // a retried event changes nothing
    expect(await postEvent('Delivery', postmarkId, from, message.id)).toMatchObject({ applied: false });
  });
});

// ---- bounced address ------------------------------------------------------------------------

describe('a hard-bounced address', () => {
  test('is shown on the contact and the conversation, refuses a reply (422) unless force: true, and is cleared by the next email from it', async () => {
    const from = customerAddress();
    const { conversationId } = await deliver(newEmail(from));
    const { message } = await staffReply(conversationId, { text: unique('Will bounce') });
    await postEvent('Bounce', message.providerMessageId!, from);

    const conversation = await getConversation(conversationId);
    expect(conversation.contact.emailBouncedAt).toEqual(expect.any(String));
    expect(conversation.contact.emailBounceReason).toEqual(expect.stringContaining('HardBounce'));
    expect(conversation.warnings).toEqual([
      expect.objectContaining({ code: 'email_address_bounced', details: expect.objectContaining({ email: from }) }),
    ]);
    const contact = await request(h.app).get(`/v1/contacts/${conversation.contact.id}`).set('Authorization', h.auth);
    expect(contact.status).toBe(200);
    expect(contact.body as ContactBody).toMatchObject({ email: from, emailBouncedAt: conversation.contact.emailBouncedAt });

    const refused = await reply(conversationId, { text: unique('Refused') });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ error: { code: 'email_address_bounced', details: { email: from } } });
    // an internal note is no email: allowed
    expect((await reply(conversationId, { text: unique('note'), isInternalNote: true })).status).toBe(201);
    // the same guard on every other way of emailing the contact: a template, a suggestion
    const template = (force: boolean) =>
      request(h.app)
        .post('/v1/send-template')
        .set('Authorization', h.auth)
        .send({ templateName: 'no_such_template', contactId: conversation.contact.id, channel: 'email', force });
    expect((await template(false)).body).toMatchObject({ error: { code: 'email_address_bounced' } });
    expect((await template(true)).status).toBe(404); // past the guard: the template does not exist
    const suggestion = (force: boolean) =>
      request(h.app)
        .post(`/v1/conversations/${conversationId}/suggestions/${randomUUID()}/send`)
        .set('Authorization', h.auth)
        .send({ force });
    expect((await suggestion(false)).body).toMatchObject({ error: { code: 'email_address_bounced' } });
    expect((await suggestion(true)).status).toBe(409); // past the guard: no such pending suggestion
    // force: true sends anyway
    const forced = unique('Forced');
    await staffReply(conversationId, { text: forced, force: true });

    // the customer writes again from the address: the flag is cleared, replies go out without force
    await deliver(newEmail(from));
    const cleared = await h.waitFor(async () => {
      const c = await getConversation(conversationId);
      return c.contact.emailBouncedAt === null ? c : undefined;
    }, 'bounce flag cleared');
    expect(cleared.warnings).toEqual([]);
    await staffReply(conversationId, { text: unique('Works again') });
  });
});

// ---- HTML-only ------------------------------------------------------------------------------

test('an HTML-only email gets its text (and the list preview) from the HTML part', async () => {
  const mail = newEmail(customerAddress(), {
    TextBody: '',
    StrippedTextReply: '',
    HtmlBody:
      '<html><head><style>p{color:red}</style></head><body><p>Hello <b>team</b>,</p><p>Order <a href="https://shop.test/o/4821">4821</a> is late.</p><script>x()</script></body></html>',
  });
  const { conversationId, message } = await deliver(mail);
  expect(message.text).toBe('Hello team,\n\nOrder 4821 [https://shop.test/o/4821] is late.');
  expect(message.truncated).toBe(false);
  const conversation = await getConversation(conversationId);
  expect(conversation.lastMessagePreview).toEqual(expect.stringContaining('Hello team'));
});

// ---- Cc / Bcc and the sent envelope ---------------------------------------------------------

describe('Cc on replies', () => {
  test("a reply keeps the customer's Cc (reply-all, minus our own addresses) and carries its sent envelope", async () => {
    const from = customerAddress();
    const boss = `boss-${randomBytes(3).toString('hex')}@client.example.net`;
    const colleague = `ops-${randomBytes(3).toString('hex')}@client.example.net`;
    const mail = newEmail(from, {
      ToFull: [
        { Email: h.org.emailAddress, Name: 'Support', MailboxHash: '' },
        { Email: colleague, Name: 'Ops', MailboxHash: '' },
      ],
      CcFull: [
        { Email: boss, Name: 'The Boss', MailboxHash: '' },
        { Email: `reply+t_abc@${INBOUND_EMAIL_DOMAIN}`, Name: '', MailboxHash: 't_abc' },
        { Email: from.toUpperCase(), Name: '', MailboxHash: '' },
      ],
    });
    const { conversationId } = await deliver(mail);
    const text = unique('Reply to all');
    const { message, sent } = await staffReply(conversationId, { text });
    expect(sent.Cc).toBe(`Ops <${colleague}>, The Boss <${boss}>`);
    expect(sent.Bcc).toBeUndefined();
    const messageIdHeader = sent.Headers.find((x) => x.Name === 'Message-ID')!.Value;
    expect(message.email).toMatchObject({
      from: { email: h.org.emailAddress },
      to: [{ email: from }],
      cc: [
        { email: colleague, name: 'Ops' },
        { email: boss, name: 'The Boss' },
      ],
      subject: sent.Subject,
      messageId: messageIdHeader.slice(1, -1),
      textBody: text,
    });
    expect(message.email!.inReplyTo).toHaveLength(1);
  });

  test('POST …/messages takes cc and bcc on email; on SMS they are a 400', async () => {
    const from = customerAddress();
    const { conversationId } = await deliver(newEmail(from));
    const text = unique('With copies');
    const extra = `finance-${randomBytes(3).toString('hex')}@client.example.net`;
    const hidden = `audit-${randomBytes(3).toString('hex')}@acme.example.net`;
    const { message, sent } = await staffReply(conversationId, { text, cc: [extra], bcc: [hidden] });
    expect(sent.Cc).toBe(extra);
    expect(sent.Bcc).toBe(hidden);
    expect(message.email).toMatchObject({ cc: [{ email: extra, name: null }], bcc: [{ email: hidden, name: null }] });

    expect((await reply(conversationId, { text: 'x', cc: ['not an address'] })).status).toBe(400);

    const phone = `+1555${Math.floor(1_000_000 + Math.random() * 8_999_999)}`;
    expect((await h.inbound({ from: phone, body: 'hi' })).status).toBe(200);
    const smsConversation = h.conversationIdOf(phone);
    await h.waitFor(async () => (await messagesOf(smsConversation)).length > 0, 'SMS stored');
    const sms = await reply(smsConversation, { text: 'copy?', cc: [extra] });
    expect(sms.status).toBe(400);
    expect(sms.body).toMatchObject({ error: { code: 'validation_failed' } });
  });
});

// ---- truncation ------------------------------------------------------------------------------

describe('text is never cut silently', () => {
  const LIMIT = 256 * 1024;

  test('a text part above the inline limit: truncated: true and the full body kept as message.txt', async () => {
    const full = `Start ${'x'.repeat(LIMIT)} END-OF-MAIL`;
    const { message } = await deliver(newEmail(customerAddress(), { TextBody: full, StrippedTextReply: '' }));
    expect(message.truncated).toBe(true);
    expect(message.text.length).toBeLessThan(full.length);
    expect(full.startsWith(message.text)).toBe(true);
    const kept = message.attachments.find((a: Attachment) => a.name === 'message.txt');
    expect(kept?.attachmentId).toEqual(expect.any(String));
    const file = await request(h.app).get(`/v1/attachments/${kept!.attachmentId}`).set('Authorization', h.auth).buffer(true);
    expect(file.status).toBe(200);
    expect(file.text).toBe(full);
  });

  test('an HTML-only body above the limit: truncated, its derived text kept as message.txt', async () => {
    const words = 'word '.repeat(LIMIT / 4);
    const { message } = await deliver(
      newEmail(customerAddress(), { TextBody: '', StrippedTextReply: '', HtmlBody: `<p>${words}</p><p>END</p>` }),
    );
    expect(message.truncated).toBe(true);
    const kept = message.attachments.find((a: Attachment) => a.name === 'message.txt');
    const file = await request(h.app).get(`/v1/attachments/${kept!.attachmentId}`).set('Authorization', h.auth).buffer(true);
    expect(file.text.endsWith('END')).toBe(true);
  });

  test('a normal email is not truncated', async () => {
    const { message } = await deliver(newEmail(customerAddress()));
    expect(message.truncated).toBe(false);
  });
});
