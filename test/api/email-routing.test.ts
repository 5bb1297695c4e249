/**
 * Email routing and delivery edges: threads never cross orgs, a follow-up that overtakes the first
 * email of its thread still lands in one conversation, a hard bounce after delivery is final,
 * events for a send that crashed before recording Postmark's id still find the message, and a
 * staff-started email thread keeps a real subject.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import { binaryParser } from '../support/binary';
import { conversationIdFor } from '../../domain/routing';
import { createHarness, createTestOrg, type Harness, type TestOrg } from '../support/harness';
import { deliverEmail, inboundEmail, withHeaders } from '../support/postmark-inbound';
import { hasIdentity } from '../../db/contacts';

let h: Harness;
let other: TestOrg;
beforeAll(async () => {
  h = await createHarness();
  other = await createTestOrg(h.db);
});
afterAll(async () => {
  await h?.close();
});

const address = () => `cust-${randomBytes(4).toString('hex')}@mail.example.net`;
const msgId = () => `m${randomBytes(6).toString('hex')}@mail.example.net`;

/** A minimal Postmark inbound webhook body. */
function email(opts: {
  from: string;
  to: string;
  subject?: string;
  text?: string;
  messageId?: string;
  inReplyTo?: string;
  references?: string[];
  hash?: string;
  fromName?: string;
}) {
  const headers = [{ Name: 'Message-ID', Value: `<${opts.messageId ?? msgId()}>` }];
  if (opts.inReplyTo) headers.push({ Name: 'In-Reply-To', Value: `<${opts.inReplyTo}>` });
  if (opts.references) headers.push({ Name: 'References', Value: opts.references.map((r) => `<${r}>`).join(' ') });
  return {
    From: opts.from,
    FromName: opts.fromName ?? '',
    FromFull: { Email: opts.from, Name: opts.fromName ?? '', MailboxHash: '' },
    To: opts.to,
    ToFull: [{ Email: opts.to, Name: '', MailboxHash: opts.hash ?? '' }],
    CcFull: [],
    OriginalRecipient: opts.to,
    Subject: opts.subject ?? 'Question',
    MessageID: randomUUID(),
    MailboxHash: opts.hash ?? '',
    Date: new Date().toUTCString(),
    TextBody: opts.text ?? 'Hello',
    HtmlBody: '',
    StrippedTextReply: '',
    Headers: headers,
    Attachments: [],
  };
}

async function waitForMessage(conversationId: string, text: string) {
  return h.waitFor(async () => {
    const row = await h.db
      .selectFrom('messages')
      .selectAll()
      .where('conversation_id', '=', conversationId)
      .where('text', '=', text)
      .executeTakeFirst();
    return row;
  }, `message "${text}"`);
}

async function replyAndWaitSent(conversationId: string, text: string, opts: { afterInbound?: boolean } = {}) {
  await h.waitFor(
    async () =>
      (await h.db.selectFrom('conversations').select('last_message_preview').where('id', '=', conversationId).executeTakeFirst())
        ?.last_message_preview != null || opts.afterInbound === false,
    'conversation recorded',
  );
  const res = await request(h.app).post(`/v1/conversations/${conversationId}/messages`).set('Authorization', h.auth).send({ text });
  expect(res.status).toBe(201);
  return h.waitFor(async () => {
    const row = await h.db.selectFrom('messages').selectAll().where('id', '=', res.body.id).executeTakeFirst();
    return row?.provider_message_id ? row : undefined;
  }, 'sent');
}

test("a reply to another org's Message-ID starts a conversation in the addressed org, never in the other org's thread", async () => {
  const from = address();
  const first = await h.postmarkWebhook('/webhooks/postmark/inbound', email({ from, to: h.org.emailAddress, text: 'org A thread' }));
  expect(first.status).toBe(200);
  const aConversation = first.body.conversationId as string;
  const sent = await replyAndWaitSent(aConversation, 'reply from org A');
  // someone who saw org A's Message-ID writes to org B quoting it
  const res = await h.postmarkWebhook(
    '/webhooks/postmark/inbound',
    email({ from, to: other.emailAddress, inReplyTo: sent.email_message_id!, text: 'to org B' }),
  );
  expect(res.status).toBe(200);
  expect(res.body.conversationId).not.toBe(aConversation);
  const stored = await waitForMessage(res.body.conversationId as string, 'to org B');
  expect(stored.org_id).toBe(other.orgId);
  const inA = await h.db
    .selectFrom('messages')
    .select('id')
    .where('conversation_id', '=', aConversation)
    .where('text', '=', 'to org B')
    .execute();
  expect(inA).toHaveLength(0);
});

test('a follow-up that arrives before the first email of its thread lands in the same conversation', async () => {
  const from = address();
  const root = msgId();
  const follow = await h.postmarkWebhook(
    '/webhooks/postmark/inbound',
    email({ from, to: h.org.emailAddress, references: [root], inReplyTo: root, text: 'second, arrived first' }),
  );
  const first = await h.postmarkWebhook(
    '/webhooks/postmark/inbound',
    email({ from, to: h.org.emailAddress, messageId: root, text: 'first, arrived second' }),
  );
  expect(follow.body.conversationId).toBe(first.body.conversationId);
  expect(first.body.conversationId).toBe(conversationIdFor(h.org.orgId, h.org.emailChannelId, `message-id:${root}`));
  await waitForMessage(first.body.conversationId as string, 'first, arrived second');
  await waitForMessage(first.body.conversationId as string, 'second, arrived first');
});

test('a hard bounce after the Delivery event marks the email failed and flags the address', async () => {
  const from = address();
  const inbound = await h.postmarkWebhook('/webhooks/postmark/inbound', email({ from, to: h.org.emailAddress }));
  const sent = await replyAndWaitSent(inbound.body.conversationId as string, 'will bounce later');
  expect(
    (
      await h.postmarkWebhook('/webhooks/postmark/events', {
        RecordType: 'Delivery',
        MessageID: sent.provider_message_id,
        Recipient: from,
        DeliveredAt: new Date().toISOString(),
      })
    ).status,
  ).toBe(200);
  await h.waitFor(
    async () =>
      (await h.db.selectFrom('messages').select('delivery_status').where('id', '=', sent.id).executeTakeFirst())?.delivery_status ===
      'delivered',
    'delivered',
  );
  const bounce = `{"RecordType":"Bounce","ID":4323372036854775807,"Type":"HardBounce","TypeCode":1,"MessageID":"${sent.provider_message_id}","Email":"${from}","Inactive":true,"Description":"Mailbox does not exist","Details":"smtp;550 5.1.1","BouncedAt":"${new Date().toISOString()}"}`;
  expect((await h.postmarkWebhook('/webhooks/postmark/events', bounce)).status).toBe(200);
  const failed = await h.waitFor(async () => {
    const row = await h.db.selectFrom('messages').selectAll().where('id', '=', sent.id).executeTakeFirst();
    return row?.delivery_status === 'failed' ? row : undefined;
  }, 'failed after delivered');
  expect(failed.error_code).toBe('bounce_HardBounce');
  const contact = await h.db.selectFrom('contacts').select('email_bounced_at').where(hasIdentity('email', from)).executeTakeFirstOrThrow();
  expect(contact.email_bounced_at).not.toBeNull();
});

test('events for a send that crashed before recording Postmark’s id find the message by its Metadata and record the id', async () => {
  const from = address();
  const inbound = await h.postmarkWebhook('/webhooks/postmark/inbound', email({ from, to: h.org.emailAddress }));
  const sent = await replyAndWaitSent(inbound.body.conversationId as string, 'crash window');
  // what a crash between Postmark's answer and our write leaves behind
  await h.db.updateTable('messages').set({ provider_message_id: null, delivery_status: 'sending' }).where('id', '=', sent.id).execute();
  const postmarkId = randomUUID();
  const res = await h.postmarkWebhook('/webhooks/postmark/events', {
    RecordType: 'Delivery',
    MessageID: postmarkId,
    Recipient: from,
    DeliveredAt: new Date().toISOString(),
    Metadata: { conversation_id: inbound.body.conversationId, message_id: sent.id },
  });
  expect(res.status).toBe(200);
  const row = await h.waitFor(async () => {
    const r = await h.db.selectFrom('messages').selectAll().where('id', '=', sent.id).executeTakeFirst();
    return r?.delivery_status === 'delivered' ? r : undefined;
  }, 'delivered via metadata');
  expect(row.provider_message_id).toBe(postmarkId);
});

test('NUL bytes in sender name and subject are dropped, not a 500 or a lost message', async () => {
  const from = address();
  const res = await h.postmarkWebhook(
    '/webhooks/postmark/inbound',
    email({ from, to: h.org.emailAddress, fromName: 'Na\u0000me', subject: 'Sub\u0000ject', text: 'nul test' }),
  );
  expect(res.status).toBe(200);
  const row = await waitForMessage(res.body.conversationId as string, 'nul test');
  expect(row.email?.subject).toBe('Subject');
  const contact = await h.db.selectFrom('contacts').select('name').where(hasIdentity('email', from)).executeTakeFirstOrThrow();
  expect(contact.name).toBe('Name');
});

test('a staff-started email thread has a real subject, and the reply keeps it as "Re: …"', async () => {
  const customer = address();
  const contact = await request(h.app).post('/v1/contacts').set('Authorization', h.auth).send({ email: customer, name: 'Ola' });
  expect(contact.status).toBe(201);
  const started = await request(h.app)
    .post(`/v1/contacts/${contact.body.id}/conversations`)
    .set('Authorization', h.auth)
    .send({ channel: 'email' });
  expect(started.status).toBe(201);
  await replyAndWaitSent(started.body.id as string, 'We have news about your order', { afterInbound: false });
  const first = h.postmark.requests.filter((r) => (r.body as { TextBody?: string }).TextBody === 'We have news about your order');
  expect((first[0]!.body as { Subject: string }).Subject).toBe('Message from Example Support');
  const token = (await h.db.selectFrom('conversations').select('reply_token').where('id', '=', started.body.id).executeTakeFirstOrThrow())
    .reply_token!;
  const answer = await h.postmarkWebhook(
    '/webhooks/postmark/inbound',
    email({
      from: customer,
      to: `support+${token}@inbound.switchboard.test`,
      hash: token,
      subject: 'Re: Message from Example Support',
      text: 'Great, thanks',
    }),
  );
  expect(answer.body.conversationId).toBe(started.body.id);
  await waitForMessage(started.body.id as string, 'Great, thanks');
  await replyAndWaitSent(started.body.id as string, 'You are welcome');
  const second = h.postmark.requests.find((r) => (r.body as { TextBody?: string }).TextBody === 'You are welcome');
  expect((second!.body as { Subject: string }).Subject).toBe('Re: Message from Example Support');
});

test('a very large HTML body is kept whole as message.html and the email still arrives', async () => {
  const from = address();
  const html = `<html><body>${'<p>Lorem ipsum dolor sit amet — ünïcödé</p>'.repeat(40_000)}</body></html>`; // ~1.7 MB
  const body = { ...email({ from, to: h.org.emailAddress, text: 'big html' }), HtmlBody: html };
  const res = await h.postmarkWebhook('/webhooks/postmark/inbound', body);
  expect(res.status).toBe(200);
  const row = await waitForMessage(res.body.conversationId as string, 'big html');
  expect(row.email?.htmlBody).toBeNull();
  const stored = row.attachments.find((a) => a.name === 'message.html');
  expect(stored?.attachmentId).toBeDefined();
  const download = await request(h.app)
    .get(`/v1/attachments/${stored!.attachmentId}`)
    .set('Authorization', h.auth)
    .buffer(true)
    .parse(binaryParser);
  expect(download.status).toBe(200);
  expect((download.body as Buffer).toString('utf8')).toBe(html);
});

test('emails with an empty Message-ID header are each stored, in their own conversations (none deduped away)', async () => {
  const mails = [1, 2].map(() => {
    const mail = inboundEmail(`empty-id-${randomBytes(3).toString('hex')}@mail.example.net`, h.org.emailAddress);
    mail.Headers = withHeaders(mail.Headers, { 'Message-ID': '<>' });
    return mail;
  });
  const [first, second] = [await deliverEmail(h, mails[0]!), await deliverEmail(h, mails[1]!)];
  expect(first.conversationId).not.toBe(second.conversationId);
  expect(first.message.providerMessageId).toBe(mails[0]!.MessageID);
  expect(second.message.providerMessageId).toBe(mails[1]!.MessageID);
});
