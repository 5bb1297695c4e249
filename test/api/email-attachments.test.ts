/**
 * Attachments on the email and MMS paths, through the real app, workflow, SDKs and stand-ins:
 * inbound email attachments (stored once, served byte for byte), uploads sent as Postmark
 * attachments, the attachment size limit on inbound email, and uploads sent as MMS via signed
 * media URLs that Twilio (here: anyone holding the URL) can fetch without a token.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import type { Attachment, MessageRecord } from '../../domain/message';
import { createHarness, type Harness, PUBLIC_BASE_URL, randomPhone, TEST_MAX_ATTACHMENT_BYTES } from '../support/harness';
import { SAMPLES_DIR } from '../support/contracts';

interface PostmarkAddress {
  Email: string;
  Name: string;
  MailboxHash: string;
}
interface InboundAttachment {
  Name: string;
  Content: string;
  ContentType: string;
  ContentLength: number;
  ContentID: string;
}
interface InboundEmail {
  From: string;
  FromFull: PostmarkAddress;
  To: string;
  ToFull: PostmarkAddress[];
  OriginalRecipient: string;
  MessageID: string;
  Headers: { Name: string; Value: string }[];
  Attachments: InboundAttachment[];
  [key: string]: unknown;
}
interface SentEmail {
  TextBody: string;
  Attachments?: { Name: string; Content: string; ContentType: string; ContentID?: string | null }[];
}
interface AttachmentBody {
  id: string;
  name: string;
  contentType: string;
  size: number;
  sha256: string;
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.close();
});

/** postmark-inbound-with-attachment.json addressed to the org's email channel, fresh sender and ids. */
function emailWithAttachments(attachments?: InboundAttachment[]): InboundEmail {
  const mail = JSON.parse(readFileSync(path.join(SAMPLES_DIR, 'postmark-inbound-with-attachment.json'), 'utf8')) as InboundEmail;
  const from = `amara-${randomBytes(4).toString('hex')}@mail.example.net`;
  mail.From = from;
  mail.FromFull = { ...mail.FromFull, Email: from };
  mail.To = h.org.emailAddress;
  mail.ToFull = [{ Email: h.org.emailAddress, Name: '', MailboxHash: '' }];
  mail.OriginalRecipient = h.org.emailAddress;
  mail.MessageID = randomUUID();
  mail.Headers = [
    ...mail.Headers.filter((x) => x.Name.toLowerCase() !== 'message-id'),
    { Name: 'Message-ID', Value: `<CAF${randomBytes(6).toString('hex')}@mail.example.net>` },
  ];
  if (attachments) mail.Attachments = attachments;
  return mail;
}

/** Reads a response body as raw bytes (superagent only buffers text and JSON by itself). */
function binary(res: request.Response, cb: (err: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
}

async function download(id: string): Promise<request.Response> {
  return request(h.app).get(`/v1/attachments/${id}`).set('Authorization', h.auth).buffer(true).parse(binary);
}

async function messagesOf(conversationId: string): Promise<MessageRecord[]> {
  const r = await request(h.app).get(`/v1/conversations/${conversationId}/messages?limit=100`).set('Authorization', h.auth);
  return r.status === 200 ? (r.body as { data: MessageRecord[] }).data : [];
}

async function counts(): Promise<{ attachments: number; conversations: number; contacts: number }> {
  const [a, c, k] = await Promise.all([
    h.db
      .selectFrom('attachments')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('org_id', '=', h.org.orgId)
      .executeTakeFirstOrThrow(),
    h.db
      .selectFrom('conversations')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('org_id', '=', h.org.orgId)
      .executeTakeFirstOrThrow(),
    h.db
      .selectFrom('contacts')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('org_id', '=', h.org.orgId)
      .executeTakeFirstOrThrow(),
  ]);
  return { attachments: Number(a.n), conversations: Number(c.n), contacts: Number(k.n) };
}

async function upload(bytes: Buffer, name: string): Promise<AttachmentBody> {
  const res = await request(h.app).post('/v1/attachments').set('Authorization', h.auth).attach('file', bytes, name);
  expect(res.status).toBe(201);
  return res.body as AttachmentBody;
}

/** Some binary bytes (every byte value, then random) starting like a PDF. */
function pdfLikeBytes(): Buffer {
  return Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(4096)]);
}

test('inbound email attachments are stored with name, type, size and sha256, served byte for byte; inline keeps its Content-ID; a retry stores nothing twice', async () => {
  const mail = emailWithAttachments();
  const res = await h.postmarkWebhook('/webhooks/postmark/inbound', mail);
  expect(res.status).toBe(200);
  const conversationId = (res.body as { conversationId: string }).conversationId;
  const message = await h.waitFor(
    async () => (await messagesOf(conversationId)).find((m) => m.providerMessageId === mail.MessageID),
    'inbound message',
  );
  expect(message.attachments).toHaveLength(2);

  for (const [i, sent] of mail.Attachments.entries()) {
    const bytes = Buffer.from(sent.Content, 'base64');
    expect(bytes.length).toBe(sent.ContentLength);
    const ref: Attachment = message.attachments[i]!;
    expect(ref).toMatchObject({ name: sent.Name, contentType: sent.ContentType, size: sent.ContentLength, sha256: sha256(bytes) });
    expect(ref.attachmentId).toEqual(expect.any(String));
    const row = await h.db.selectFrom('attachments').selectAll().where('id', '=', ref.attachmentId!).executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      org_id: h.org.orgId,
      name: sent.Name,
      content_type: sent.ContentType,
      size_bytes: sent.ContentLength,
      sha256: sha256(bytes),
      source: 'email',
      content_id: sent.ContentID === '' ? null : sent.ContentID,
    });
    if (sent.ContentID !== '') expect(ref.contentId).toBe(sent.ContentID);
    else expect(ref.contentId).toBeUndefined();

    const got = await download(ref.attachmentId!);
    expect(got.status).toBe(200);
    expect(got.headers['content-type']).toContain(sent.ContentType);
    expect(Buffer.isBuffer(got.body)).toBe(true);
    expect((got.body as Buffer).equals(bytes)).toBe(true);
  }
  const inline = message.attachments.find((a) => a.name === 'label.png');
  expect(inline?.contentId).toBe('label-photo@mail.example.net');

  // Postmark retries the webhook (also concurrently): no duplicate rows, still one message
  const before = await counts();
  const retries = await Promise.all([1, 2, 3].map(() => h.postmarkWebhook('/webhooks/postmark/inbound', mail)));
  expect(retries.map((r) => r.status)).toEqual([200, 200, 200]);
  await sleep(750);
  expect(await counts()).toEqual(before);
  const ids = message.attachments.map((a) => a.attachmentId!);
  const rows = await h.db.selectFrom('attachments').select('id').where('org_id', '=', h.org.orgId).where('source', '=', 'email').execute();
  expect(rows.filter((r) => ids.includes(r.id))).toHaveLength(2);
  expect((await messagesOf(conversationId)).filter((m) => m.direction === 'inbound')).toHaveLength(1);
});

test('an uploaded file sent with an email reply reaches Postmark as a base64 attachment with the exact bytes, name and type', async () => {
  const mail = emailWithAttachments([]);
  const res = await h.postmarkWebhook('/webhooks/postmark/inbound', mail);
  expect(res.status).toBe(200);
  const conversationId = (res.body as { conversationId: string }).conversationId;
  await h.waitFor(async () => (await messagesOf(conversationId)).find((m) => m.providerMessageId === mail.MessageID), 'inbound message');

  const bytes = pdfLikeBytes();
  const uploaded = await upload(bytes, 'label.pdf');
  expect(uploaded).toMatchObject({ name: 'label.pdf', contentType: 'application/pdf', size: bytes.length, sha256: sha256(bytes) });

  const text = `Your return label is attached [${randomBytes(3).toString('hex')}]`;
  const reply = await request(h.app)
    .post(`/v1/conversations/${conversationId}/messages`)
    .set('Authorization', h.auth)
    .send({ text, attachments: [uploaded.id] });
  expect(reply.status).toBe(201);
  expect((reply.body as MessageRecord).attachments).toEqual([expect.objectContaining({ attachmentId: uploaded.id, name: 'label.pdf' })]);

  const sent = await h.waitFor(
    async () => h.postmark.requests.find((r) => r.path === '/email' && (r.body as SentEmail | null)?.TextBody === text),
    'Postmark send',
  );
  expect(sent.responseStatus).toBe(200);
  const body = sent.body as SentEmail;
  expect(body.Attachments).toHaveLength(1);
  const [att] = body.Attachments!;
  expect(att).toMatchObject({ Name: 'label.pdf', ContentType: 'application/pdf' });
  expect(Buffer.from(att!.Content, 'base64').equals(bytes)).toBe(true);

  const stored = await h.waitFor(async () => {
    const m = (await messagesOf(conversationId)).find((x) => x.id === (reply.body as MessageRecord).id);
    return m?.deliveryStatus === 'sent' ? m : undefined;
  }, 'sent');
  expect(stored.providerMessageId).toBe((sent.responseBody as { MessageID: string }).MessageID);
});

describe('inbound attachment over the limit', () => {
  const oversized = (): InboundAttachment => {
    const big = randomBytes(TEST_MAX_ATTACHMENT_BYTES + 1);
    return {
      Name: 'huge.bin',
      Content: big.toString('base64'),
      ContentType: 'application/octet-stream',
      ContentLength: big.length,
      ContentID: '',
    };
  };

  test('→ 200: the email and its other attachments are stored; the oversized file is a placeholder (skipped: too_large) in the API', async () => {
    const small = emailWithAttachments().Attachments[0]!;
    const big = oversized();
    const mail = emailWithAttachments([small, big]);
    const before = await counts();
    const res = await h.postmarkWebhook('/webhooks/postmark/inbound', mail);
    expect(res.status).toBe(200);
    const conversationId = (res.body as { conversationId: string }).conversationId;
    const message = await h.waitFor(
      async () => (await messagesOf(conversationId)).find((m) => m.providerMessageId === mail.MessageID),
      'inbound message with a skipped attachment',
    );
    expect(message.text).not.toBe('');
    expect(message.attachments).toHaveLength(2);
    const [stored, placeholder] = message.attachments as [Attachment, Attachment];
    expect(stored).toMatchObject({ name: small.Name, contentType: small.ContentType, attachmentId: expect.any(String) });
    expect(stored.skipped).toBeUndefined();
    const served = await download(stored.attachmentId!);
    expect(served.status).toBe(200);
    expect((served.body as Buffer).equals(Buffer.from(small.Content, 'base64'))).toBe(true);
    expect(placeholder).toEqual({
      name: 'huge.bin',
      contentType: 'application/octet-stream',
      size: big.ContentLength,
      skipped: 'too_large',
    });
    // only the small file's bytes were stored
    expect((await counts()).attachments).toBe(before.attachments + 1);
  });

  test('a retried webhook with an oversized file stores the email once', async () => {
    const mail = emailWithAttachments([oversized()]);
    const first = await h.postmarkWebhook('/webhooks/postmark/inbound', mail);
    expect(first.status).toBe(200);
    const conversationId = (first.body as { conversationId: string }).conversationId;
    await h.waitFor(async () => (await messagesOf(conversationId)).some((m) => m.providerMessageId === mail.MessageID), 'stored');
    const again = await h.postmarkWebhook('/webhooks/postmark/inbound', mail);
    expect(again.status).toBe(200);
    await sleep(500);
    const rows = await h.db.selectFrom('messages').select('attachments').where('provider_message_id', '=', mail.MessageID).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.attachments).toEqual([expect.objectContaining({ skipped: 'too_large' })]);
  });
});

test('MMS: an uploaded file sent on an SMS conversation goes to Twilio as a signed MediaUrl that serves the bytes without auth', async () => {
  const customer = randomPhone();
  expect((await h.inbound({ from: customer, body: 'Can you send the label?' })).status).toBe(200);
  const conversationId = h.conversationIdOf(customer);
  await h.waitFor(async () => (await messagesOf(conversationId)).length > 0, 'SMS conversation');

  const bytes = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(3000)]);
  const uploaded = await upload(bytes, 'label.png');
  const text = `Here is your label [${randomBytes(3).toString('hex')}]`;
  const reply = await request(h.app)
    .post(`/v1/conversations/${conversationId}/messages`)
    .set('Authorization', h.auth)
    .send({ text, attachments: [uploaded.id] });
  expect(reply.status).toBe(201);

  const sent = await h.waitFor(async () => h.twilioStub!.requests.find((r) => r.form.Body === text), 'Twilio create');
  const mediaUrls = sent.formAll.MediaUrl ?? [];
  expect(mediaUrls).toHaveLength(1);
  const url = mediaUrls[0]!;
  expect(url).toMatch(
    new RegExp(`^${PUBLIC_BASE_URL.replace(/\./g, '\\.')}/media/${uploaded.id}\\?expires=\\d+&signature=[A-Za-z0-9_-]+$`),
  );

  const pathAndQuery = url.slice(PUBLIC_BASE_URL.length);
  const got = await request(h.app).get(pathAndQuery).buffer(true).parse(binary);
  expect(got.status).toBe(200);
  expect(got.headers['content-type']).toContain('image/png');
  expect((got.body as Buffer).equals(bytes)).toBe(true);

  // the signature is what grants access
  const tampered = pathAndQuery.replace(/signature=([A-Za-z0-9_-])/, (_m, c: string) => `signature=${c === 'A' ? 'B' : 'A'}`);
  expect((await request(h.app).get(tampered)).status).toBe(403);
});
