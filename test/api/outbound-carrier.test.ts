/**
 * Outbound sends through the real path: `POST /v1/conversations/:id/messages` → reply update →
 * workflow outbox → `sendMessage` activity → real `twilio` SDK → Prism (Twilio's OpenAPI contract)
 * or the hand-written Twilio stub (errors, retries, request inspection) → Postgres.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { createHarness, type Harness, PUBLIC_BASE_URL, randomPhone, TWILIO_AUTH_TOKEN } from '../support/harness';
import type { RecordedTwilioRequest } from '../support/twilio-stub';
import { SAMPLES_DIR } from '../support/twilio-webhooks';

const ERROR_21211 = JSON.parse(readFileSync(path.join(SAMPLES_DIR, 'twilio-rest-error-21211.json'), 'utf8')) as {
  code: number;
  message: string;
  status: number;
};

let prism: Harness;
let stub: Harness;
beforeAll(async () => {
  [prism, stub] = await Promise.all([createHarness({ twilio: 'prism' }), createHarness()]);
});
afterAll(async () => {
  await Promise.all([prism?.close(), stub?.close()]);
});

interface ApiMessage {
  id: string;
  direction: string;
  isInternalNote: boolean;
  provider: string | null;
  providerMessageId: string | null;
  deliveryStatus: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  text: string;
}

/** A fresh customer writes in; resolves with the conversation id once the inbound message is stored. */
async function openConversation(h: Harness, kind: 'sms' | 'whatsapp' = 'sms'): Promise<{ id: string; customer: string }> {
  const customer = randomPhone();
  const res = await h.inbound({ from: customer, body: 'Hi, I need help', whatsapp: kind === 'whatsapp' });
  expect(res.status).toBe(200);
  const id = h.conversationIdOf(customer, kind);
  await h.waitFor(async () => {
    const r = await request(h.app).get(`/v1/conversations/${id}`).set('Authorization', h.auth);
    return r.status === 200 && r.body.unreadCount === 1;
  }, 'inbound stored');
  return { id, customer };
}

function reply(h: Harness, conversationId: string, body: { text: string; isInternalNote?: boolean }) {
  return request(h.app).post(`/v1/conversations/${conversationId}/messages`).set('Authorization', h.auth).send(body);
}

async function messageOf(h: Harness, conversationId: string, messageId: string): Promise<ApiMessage | undefined> {
  const r = await request(h.app).get(`/v1/conversations/${conversationId}/messages`).set('Authorization', h.auth);
  expect(r.status).toBe(200);
  return (r.body.data as ApiMessage[]).find((m) => m.id === messageId);
}

/** Waits until the message (as the API shows it) satisfies `done`. */
function waitForMessage(h: Harness, conversationId: string, messageId: string, done: (m: ApiMessage) => boolean, what: string) {
  return h.waitFor(async () => {
    const m = await messageOf(h, conversationId, messageId);
    return m && done(m) ? m : undefined;
  }, what);
}

const createsWithBody = (h: Harness, text: string): RecordedTwilioRequest[] =>
  h.twilioStub!.requests.filter((r) => r.method === 'POST' && /\/Messages\.json$/.test(r.path) && r.form.Body === text);

describe('against Prism (Twilio OpenAPI contract)', () => {
  test('a staff reply sent through the real SDK satisfies the contract: provider id set, not failed', async () => {
    const { id } = await openConversation(prism);
    const res = await reply(prism, id, { text: 'Thanks for writing in - we are on it.' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ direction: 'outbound', deliveryStatus: 'queued', providerMessageId: null });

    const sent = await waitForMessage(
      prism,
      id,
      res.body.id,
      (m) => m.providerMessageId !== null || m.deliveryStatus === 'failed',
      'send outcome',
    );
    // Prism answers valid requests with the spec's example (fixed sid); a contract violation would be a 4xx → failed.
    expect(sent).toMatchObject({ providerMessageId: 'SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', errorCode: null, errorMessage: null });
    expect(sent.deliveryStatus).not.toBe('failed');
    expect(sent.deliveryStatus).toBe('queued');
  });
});

describe('against the Twilio stub', () => {
  test('a permanent error (400, 21211) marks the message failed with a readable reason, without retrying; the workflow keeps sending', async () => {
    const { id } = await openConversation(stub);
    stub.twilioStub!.failNext(400, ERROR_21211);
    const res = await reply(stub, id, { text: 'This one is rejected' });
    expect(res.status).toBe(201);

    const failed = await waitForMessage(stub, id, res.body.id, (m) => m.deliveryStatus === 'failed', 'failed');
    expect(failed.errorCode).toBe('21211');
    expect(failed.errorMessage).toEqual(expect.any(String));
    expect(failed.errorMessage).toMatch(/phone number/i);
    expect(failed.providerMessageId).toBeNull();

    // The workflow is still alive and sends the next reply normally.
    const next = await reply(stub, id, { text: 'This one goes through' });
    expect(next.status).toBe(201);
    const sent = await waitForMessage(stub, id, next.body.id, (m) => m.providerMessageId !== null, 'next reply sent');
    expect(sent.providerMessageId).toMatch(/^SM[0-9a-f]{32}$/);
    expect(sent.deliveryStatus).toBe('queued');
    expect(sent.errorCode).toBeNull();

    // Sends are sequential per conversation: by now a retry of the rejected message would have happened.
    const rejected = createsWithBody(stub, 'This one is rejected');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.responseStatus).toBe(400);
    const after = await messageOf(stub, id, res.body.id);
    expect(after).toMatchObject({ deliveryStatus: 'failed', errorCode: '21211' });
  });

  test('a transient error (500) is retried and the message is sent once', async () => {
    const { id, customer } = await openConversation(stub);
    stub.twilioStub!.failNext(500, {
      code: 20500,
      message: 'Internal Server Error',
      more_info: 'https://www.twilio.com/docs/errors/20500',
      status: 500,
    });
    const res = await reply(stub, id, { text: 'Survives a Twilio hiccup' });
    expect(res.status).toBe(201);

    const sent = await waitForMessage(
      stub,
      id,
      res.body.id,
      (m) => m.providerMessageId !== null || m.deliveryStatus === 'failed',
      'sent after retry',
    );
    const creates = createsWithBody(stub, 'Survives a Twilio hiccup');
    expect(creates.map((r) => r.responseStatus)).toEqual([500, 201]);
    expect(creates[1]!.form).toMatchObject({ To: customer, From: stub.org.smsNumber });
    expect(sent).toMatchObject({
      providerMessageId: (creates[1]!.responseBody as { sid: string }).sid,
      deliveryStatus: 'queued',
      errorCode: null,
      errorMessage: null,
    });
    const rows = await stub.db
      .selectFrom('messages')
      .select('id')
      .where('conversation_id', '=', id)
      .where('direction', '=', 'outbound')
      .execute();
    expect(rows).toHaveLength(1);
  });

  test('an internal note is stored, never sent to Twilio, and leaves the conversation status unchanged', async () => {
    const { id } = await openConversation(stub);
    const before = (await request(stub.app).get(`/v1/conversations/${id}`).set('Authorization', stub.auth)).body;
    expect(before.status).toBe('open');

    const res = await reply(stub, id, { text: 'Customer is a VIP - handle with care', isInternalNote: true });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      isInternalNote: true,
      direction: 'outbound',
      provider: null,
      providerMessageId: null,
      deliveryStatus: null,
    });

    const after = (await request(stub.app).get(`/v1/conversations/${id}`).set('Authorization', stub.auth)).body;
    expect(after).toMatchObject({
      status: 'open',
      unreadCount: 1,
      lastMessagePreview: before.lastMessagePreview,
      slaDueAt: before.slaDueAt,
    });

    // A normal reply afterwards: once it reached Twilio, anything queued before it would have too.
    const normal = await reply(stub, id, { text: 'A normal reply after the note' });
    expect(normal.status).toBe(201);
    await waitForMessage(stub, id, normal.body.id, (m) => m.providerMessageId !== null, 'normal reply sent');
    expect(createsWithBody(stub, 'Customer is a VIP - handle with care')).toEqual([]);
    expect(stub.twilioStub!.requests.some((r) => r.rawBody.includes('VIP'))).toBe(false);

    const note = await messageOf(stub, id, res.body.id);
    expect(note).toMatchObject({
      isInternalNote: true,
      text: 'Customer is a VIP - handle with care',
      providerMessageId: null,
      deliveryStatus: null,
    });
  });

  test('a WhatsApp reply within the session window → 201; the SDK sends whatsapp: To and From', async () => {
    const { id, customer } = await openConversation(stub, 'whatsapp');
    const res = await reply(stub, id, { text: 'Happy to help on WhatsApp' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ direction: 'outbound', deliveryStatus: 'queued' });

    const sent = await waitForMessage(
      stub,
      id,
      res.body.id,
      (m) => m.providerMessageId !== null || m.deliveryStatus === 'failed',
      'whatsapp sent',
    );
    expect(sent.providerMessageId).toMatch(/^SM[0-9a-f]{32}$/);
    const [create] = createsWithBody(stub, 'Happy to help on WhatsApp');
    expect(create).toBeDefined();
    expect(create!.form).toMatchObject({
      To: `whatsapp:${customer}`,
      From: `whatsapp:${stub.org.whatsappNumber}`,
      Body: 'Happy to help on WhatsApp',
      StatusCallback: `${PUBLIC_BASE_URL}/webhooks/twilio/status?messageId=${res.body.id}`,
    });
    // The real SDK authenticates with the account SID / auth token and posts a form.
    expect(create!.basicAuth).toEqual({ username: create!.accountSid, password: TWILIO_AUTH_TOKEN });
    expect(create!.headers['content-type']).toMatch(/application\/x-www-form-urlencoded/);
    expect(create!.responseStatus).toBe(201);
  });
});

describe('sends are reconciled with Twilio before being sent again', () => {
  const listRequests = (h: Harness) => h.twilioStub!.requests.filter((r) => r.method === 'GET' && /\/Messages\.json$/.test(r.path));

  test('a transient error: the retry first asks the Messages list (To/From) and, finding nothing, sends', async () => {
    const { id, customer } = await openConversation(stub);
    const before = listRequests(stub).length;
    stub.twilioStub!.failNext(503, { code: 20503, message: 'Service Unavailable', status: 503 });
    const res = await reply(stub, id, { text: 'Reconciled, then sent' });
    await waitForMessage(stub, id, res.body.id, (m) => m.providerMessageId !== null, 'sent after retry');
    expect(createsWithBody(stub, 'Reconciled, then sent').map((r) => r.responseStatus)).toEqual([503, 201]);
    const lists = listRequests(stub).slice(before);
    expect(lists.map((r) => r.query)).toContainEqual(expect.objectContaining({ To: customer, From: stub.org.smsNumber }));
  });

  test('Twilio accepted the message but the answer was lost (502): the retry adopts the accepted message, nothing sent twice', async () => {
    const { id } = await openConversation(stub);
    stub.twilioStub!.failNext(502, { code: 20502, message: 'Bad Gateway', status: 502 }, { accepted: true });
    const res = await reply(stub, id, { text: 'Accepted, answer lost' });
    const settled = await waitForMessage(stub, id, res.body.id, (m) => m.providerMessageId !== null, 'adopted');
    const accepted = stub.twilioStub!.messages.filter((m) => m.body === 'Accepted, answer lost');
    expect(accepted).toHaveLength(1);
    expect(createsWithBody(stub, 'Accepted, answer lost')).toHaveLength(1);
    expect(settled).toMatchObject({ providerMessageId: accepted[0]!.sid, deliveryStatus: 'queued', errorCode: null });
  });

  test('the same text sent twice in a row: the retry of the second does not adopt the first (its sid is taken)', async () => {
    const { id } = await openConversation(stub);
    const first = await reply(stub, id, { text: 'ok' });
    await waitForMessage(stub, id, first.body.id, (m) => m.providerMessageId !== null, 'first sent');
    stub.twilioStub!.failNext(500, { code: 20500, message: 'Internal Server Error', status: 500 });
    const second = await reply(stub, id, { text: 'ok' });
    const sent = await waitForMessage(stub, id, second.body.id, (m) => m.providerMessageId !== null, 'second sent');
    const firstSid = (await messageOf(stub, id, first.body.id))!.providerMessageId;
    expect(sent.providerMessageId).not.toBe(firstSid);
    expect(stub.twilioStub!.messages.map((m) => m.sid)).toContain(sent.providerMessageId);
  });

  test('a status callback records sid and status on a message flagged unknown (adopts it); a retry is then refused (409)', async () => {
    const { id, customer } = await openConversation(stub);
    const res = await reply(stub, id, { text: 'Flag me' });
    const sent = await waitForMessage(stub, id, res.body.id, (m) => m.providerMessageId !== null, 'sent');
    // as if the send had not been confirmed
    await stub.db
      .updateTable('messages')
      .set({ provider_message_id: null, delivery_status: 'unknown', error_code: 'send_unconfirmed', error_message: 'x' })
      .where('id', '=', res.body.id)
      .execute();
    const form = new URLSearchParams({
      MessageSid: sent.providerMessageId!,
      MessageStatus: 'delivered',
      From: stub.org.smsNumber,
      To: customer,
    }).toString();
    const cb = await stub.postSignedForm(`/webhooks/twilio/status?messageId=${res.body.id}`, form);
    expect(cb.status).toBe(200);
    expect(await messageOf(stub, id, res.body.id)).toMatchObject({
      providerMessageId: sent.providerMessageId,
      deliveryStatus: 'delivered',
      errorCode: null,
    });
    // a late `sent` changes nothing
    const late = new URLSearchParams({
      MessageSid: sent.providerMessageId!,
      MessageStatus: 'sent',
      From: stub.org.smsNumber,
      To: customer,
    }).toString();
    expect((await stub.postSignedForm(`/webhooks/twilio/status?messageId=${res.body.id}`, late)).status).toBe(200);
    expect(await messageOf(stub, id, res.body.id)).toMatchObject({ deliveryStatus: 'delivered' });

    const retry = await request(stub.app).post(`/v1/conversations/${id}/messages/${res.body.id}/retry`).set('Authorization', stub.auth);
    expect(retry.status).toBe(409);
    expect(retry.body.error).toMatchObject({ code: 'message_not_retryable', details: { messageId: res.body.id } });
  });

  test('an internal note cannot be retried (409); a malformed message id is 400', async () => {
    const { id } = await openConversation(stub);
    const note = await reply(stub, id, { text: 'just a note', isInternalNote: true });
    expect(note.status).toBe(201);
    const retry = await request(stub.app).post(`/v1/conversations/${id}/messages/${note.body.id}/retry`).set('Authorization', stub.auth);
    expect(retry.status).toBe(409);
    const bad = await request(stub.app).post(`/v1/conversations/${id}/messages/not-a-uuid/retry`).set('Authorization', stub.auth);
    expect(bad.status).toBe(400);
  });
});

describe('a send the carrier cannot confirm is flagged, not repeated', () => {
  afterEach(() => {
    stub.twilioStub!.failList(null);
    stub.postmark.failSearch(null);
  });

  test('Twilio: a 500 and then an unavailable Messages list → unknown / send_unconfirmed, one create, listed by ?deliveryStatus=unknown', async () => {
    const { id } = await openConversation(stub);
    stub.twilioStub!.failNext(500, { code: 20500, message: 'Internal Server Error', status: 500 });
    stub.twilioStub!.failList({ status: 503, body: { code: 20503, message: 'Service Unavailable', status: 503 } });
    const res = await reply(stub, id, { text: 'Was it sent?' });
    const flagged = await waitForMessage(stub, id, res.body.id, (m) => m.deliveryStatus === 'unknown', 'flagged unknown');
    expect(flagged).toMatchObject({
      providerMessageId: null,
      errorCode: 'send_unconfirmed',
      errorMessage: expect.stringMatching(/not sent again/),
    });
    expect(createsWithBody(stub, 'Was it sent?')).toHaveLength(1);
    const unknown = await request(stub.app).get(`/v1/conversations/${id}/messages?deliveryStatus=unknown`).set('Authorization', stub.auth);
    expect(unknown.body.data.map((m: ApiMessage) => m.id)).toEqual([res.body.id]);
    const queued = await request(stub.app).get(`/v1/conversations/${id}/messages?deliveryStatus=queued`).set('Authorization', stub.auth);
    expect(queued.body.data.map((m: ApiMessage) => m.id)).not.toContain(res.body.id);
  });

  test('Postmark: a 503 and then an unavailable outbound search → unknown / send_unconfirmed, one POST /email; retry sends it', async () => {
    const from = `casey-${randomUUID().slice(0, 8)}@example.test`;
    const inbound = await stub.postmarkWebhook('/webhooks/postmark/inbound', {
      From: from,
      FromFull: { Email: from, Name: 'Casey', MailboxHash: '' },
      To: stub.org.emailAddress,
      ToFull: [{ Email: stub.org.emailAddress, Name: '', MailboxHash: '' }],
      Subject: 'Order?',
      MessageID: randomUUID(),
      TextBody: 'Where is it?',
      Headers: [{ Name: 'Message-ID', Value: `<${randomUUID()}@mail.example.test>` }],
    });
    expect(inbound.status).toBe(200);
    const id = inbound.body.conversationId as string;
    await stub.waitFor(async () => (await request(stub.app).get(`/v1/conversations/${id}`).set('Authorization', stub.auth)).status === 200);
    stub.postmark.failNext(503, { ErrorCode: 0, Message: 'Service unavailable' });
    stub.postmark.failSearch({ status: 503, body: { ErrorCode: 0, Message: 'Service unavailable' } });
    const res = await reply(stub, id, { text: 'Email: was it sent?' });
    await waitForMessage(stub, id, res.body.id, (m) => m.deliveryStatus === 'unknown', 'flagged unknown');
    const posts = () =>
      stub.postmark.requests.filter(
        (r) => r.method === 'POST' && (r.body as { TextBody?: string } | null)?.TextBody === 'Email: was it sent?',
      );
    expect(posts()).toHaveLength(1);

    stub.postmark.failSearch(null);
    const retry = await request(stub.app).post(`/v1/conversations/${id}/messages/${res.body.id}/retry`).set('Authorization', stub.auth);
    expect(retry.status).toBe(200);
    const sent = await waitForMessage(stub, id, res.body.id, (m) => m.providerMessageId !== null, 'sent on retry');
    expect(sent).toMatchObject({ deliveryStatus: 'sent', errorCode: null });
    expect(posts().map((r) => r.responseStatus)).toEqual([503, 200]);
  });
});
