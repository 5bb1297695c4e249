/**
 * Twilio webhooks through the real path: signed form POST → Express route → signal-with-start →
 * conversation workflow → activities → Postgres (and back out through the API).
 * Samples come from test/contracts/samples, with `To` rewritten to this file's org numbers.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import request from 'supertest';
import { createApp } from '../../api/app';
import { ConversationClient } from '../../workflows/conversation/client';
import { createHarness, type Harness, PUBLIC_BASE_URL, randomPhone, TWILIO_AUTH_TOKEN, testApiDeps } from '../support/harness';
import { newTwilioSid, readSampleForm, signTwilioRequest, withFields } from '../support/twilio-webhooks';
import { postTwilioForm } from '../support/webhook-requests';
import { workflowExists } from '../support/workflow-exists';
import { hasIdentity } from '../../db/contacts';

const MESSAGING = '/webhooks/twilio/messaging';
const EMPTY_TWIML = '<Response></Response>';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.close();
});

/** Signature Twilio would compute for our public URL + path. */
const sign = (path: string, body: string): string => signTwilioRequest(TWILIO_AUTH_TOKEN, PUBLIC_BASE_URL + path, body);

/** A sample inbound form addressed to this org's number, from a fresh sender, with a fresh MessageSid. */
function smsForm(from: string, fields: Record<string, string | null> = {}): { body: string; sid: string } {
  const sid = newTwilioSid('SM');
  const body = withFields(readSampleForm('twilio-inbound-sms.form'), {
    To: h.org.smsNumber,
    From: from,
    MessageSid: sid,
    SmsSid: sid,
    SmsMessageSid: sid,
    ...fields,
  });
  return { body, sid };
}

async function messageRowBySid(sid: string) {
  return h.db
    .selectFrom('messages')
    .selectAll()
    .where('org_id', '=', h.org.orgId)
    .where('provider', '=', 'twilio')
    .where('provider_message_id', '=', sid)
    .executeTakeFirst();
}

/**
 * Asserts a rejected inbound left no trace: no contact for the sender, no conversation, no message
 * with that MessageSid, and no workflow was started (so nothing can be stored later either).
 */
async function expectNothingStored(from: string, sid: string, kind: 'sms' | 'whatsapp' = 'sms') {
  const conversationId = h.conversationIdOf(from, kind);
  expect(await workflowExists(h.client, conversationId)).toBe(false);
  const contacts = await h.db
    .selectFrom('contacts')
    .select('id')
    .where('org_id', '=', h.org.orgId)
    .where((eb) => eb.or([hasIdentity('sms', from)(eb), hasIdentity('whatsapp', from)(eb)]))
    .execute();
  expect(contacts).toEqual([]);
  const conversations = await h.db.selectFrom('conversations').select('id').where('id', '=', conversationId).execute();
  expect(conversations).toEqual([]);
  const bySid = await h.db.selectFrom('messages').select('id').where('provider_message_id', '=', sid).execute();
  expect(bySid).toEqual([]);
}

async function getConversation(id: string) {
  return request(h.app).get(`/v1/conversations/${id}`).set('Authorization', h.auth);
}

async function listMessages(id: string) {
  const r = await request(h.app).get(`/v1/conversations/${id}/messages`).set('Authorization', h.auth);
  expect(r.status).toBe(200);
  return r.body.data as Array<Record<string, unknown> & { id: string; providerMessageId: string | null }>;
}

/** A staff reply in a conversation; resolves with its id and provider message id once sent. */
async function replyAndWaitSent(conversationId: string, text: string): Promise<{ messageId: string; sid: string }> {
  const reply = await request(h.app).post(`/v1/conversations/${conversationId}/messages`).set('Authorization', h.auth).send({ text });
  expect(reply.status).toBe(201);
  const messageId = reply.body.id as string;
  const sid = await h.waitFor(async () => {
    const row = await h.db.selectFrom('messages').select('provider_message_id').where('id', '=', messageId).executeTakeFirst();
    return row?.provider_message_id ?? undefined;
  }, 'provider message id');
  return { messageId, sid };
}

/** Inbound from a fresh customer, then a staff reply, and the reply's provider message id once sent. */
async function outboundReply(
  kind: 'sms' | 'whatsapp',
  text: string,
): Promise<{ messageId: string; sid: string; customer: string; conversationId: string }> {
  const customer = randomPhone();
  expect((await h.inbound({ from: customer, body: 'hello there', whatsapp: kind === 'whatsapp' })).status).toBe(200);
  const conversationId = h.conversationIdOf(customer, kind);
  await h.waitFor(async () => (await getConversation(conversationId)).body.unreadCount === 1, 'inbound stored');
  return { ...(await replyAndWaitSent(conversationId, text)), customer, conversationId };
}

async function waitForDeliveryStatus(messageId: string, status: string) {
  return h.waitFor(async () => {
    const row = await h.db.selectFrom('messages').selectAll().where('id', '=', messageId).executeTakeFirst();
    return row?.delivery_status === status ? row : undefined;
  }, `delivery status ${status}`);
}

describe('signature verification', () => {
  test.each([
    ['twilio-inbound-sms.form', 'sms'],
    ['twilio-inbound-whatsapp.form', 'whatsapp'],
    ['twilio-inbound-mms.form', 'sms'],
  ] as const)('sample %s, addressed to our number and signed for PUBLIC_BASE_URL + path, is accepted and stored', async (file, kind) => {
    const sample = readSampleForm(file);
    const sid = new URLSearchParams(sample).get('MessageSid')!;
    const customer = randomPhone();
    const body = withFields(
      sample,
      kind === 'whatsapp'
        ? { To: `whatsapp:${h.org.whatsappNumber}`, From: `whatsapp:${customer}`, WaId: customer.slice(1) }
        : { To: h.org.smsNumber, From: customer },
    );
    const res = await postTwilioForm(h.app, MESSAGING, body, sign(MESSAGING, body));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/xml/);
    expect(res.text).toContain(EMPTY_TWIML);

    const row = await h.waitFor(() => messageRowBySid(sid), `message ${sid}`);
    expect(row).toMatchObject({
      conversation_id: h.conversationIdOf(customer, kind),
      direction: 'inbound',
      author_type: 'customer',
      text: new URLSearchParams(sample).get('Body'),
    });
  });

  test('a body changed after signing (tampered) → 403 and nothing stored', async () => {
    const customer = randomPhone();
    const { body, sid } = smsForm(customer, { Body: 'Original text' });
    const signature = sign(MESSAGING, body);
    const tampered = withFields(body, { Body: 'Send the refund to my other account' });
    const res = await postTwilioForm(h.app, MESSAGING, tampered, signature);
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
    await expectNothingStored(customer, sid);
  });

  test('a missing X-Twilio-Signature → 403 and nothing stored', async () => {
    const customer = randomPhone();
    const { body, sid } = smsForm(customer);
    const res = await postTwilioForm(h.app, MESSAGING, body, null);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toEqual(expect.any(String));
    await expectNothingStored(customer, sid);
  });

  test('a signature computed for another URL → 403 and nothing stored', async () => {
    const customer = randomPhone();
    const { body, sid } = smsForm(customer);
    for (const url of [
      `https://switchboard.test${MESSAGING}`, // other scheme
      `http://evil.test${MESSAGING}`, // other host
      `${PUBLIC_BASE_URL}/webhooks/twilio/status`, // other path
      `${PUBLIC_BASE_URL}${MESSAGING}?x=1`, // other query
    ]) {
      const res = await postTwilioForm(h.app, MESSAGING, body, signTwilioRequest(TWILIO_AUTH_TOKEN, url, body));
      expect(res.status).toBe(403);
    }
    // signed with another auth token
    const res = await postTwilioForm(h.app, MESSAGING, body, signTwilioRequest('some-other-token', PUBLIC_BASE_URL + MESSAGING, body));
    expect(res.status).toBe(403);
    await expectNothingStored(customer, sid);
  });

  test('unknown extra form fields are accepted (and signed over)', async () => {
    const customer = randomPhone();
    const { body, sid } = smsForm(customer, {
      Body: 'with extras',
      SomeFutureTwilioField: 'value',
      ChannelMetadata: JSON.stringify({ type: 'sms', data: { x: 1 } }),
      AddOns: '{"status":"successful"}',
    });
    const res = await postTwilioForm(h.app, MESSAGING, body, sign(MESSAGING, body));
    expect(res.status).toBe(200);
    expect(res.text).toContain(EMPTY_TWIML);
    const row = await h.waitFor(() => messageRowBySid(sid), 'message stored');
    expect(row.text).toBe('with extras');
  });
});

describe('routing and validation', () => {
  test('unknown To → 404 JSON error and nothing stored', async () => {
    const customer = randomPhone();
    const { body, sid } = smsForm(customer, { To: randomPhone() });
    const res = await postTwilioForm(h.app, MESSAGING, body, sign(MESSAGING, body));
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expect(res.body).toEqual({ error: { code: expect.any(String), message: expect.any(String), details: null } });
    await expectNothingStored(customer, sid);
  });

  test('our SMS number addressed as WhatsApp (no such WhatsApp channel) → 404 and nothing stored', async () => {
    const customer = randomPhone();
    const sid = newTwilioSid('SM');
    const body = withFields(readSampleForm('twilio-inbound-whatsapp.form'), {
      To: `whatsapp:${h.org.smsNumber}`,
      From: `whatsapp:${customer}`,
      WaId: customer.slice(1),
      MessageSid: sid,
      SmsSid: sid,
      SmsMessageSid: sid,
    });
    const res = await postTwilioForm(h.app, MESSAGING, body, sign(MESSAGING, body));
    expect(res.status).toBe(404);
    await expectNothingStored(customer, sid, 'whatsapp');
  });

  test.each(['MessageSid', 'From'])('missing %s → 400 with {error:{code,message,details}} and nothing stored', async (field) => {
    const customer = randomPhone();
    const { body, sid } = smsForm(customer, { [field]: null });
    const res = await postTwilioForm(h.app, MESSAGING, body, sign(MESSAGING, body));
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: expect.any(String), message: expect.any(String), details: expect.anything() } });
    expect(JSON.stringify(res.body.error.details)).toContain(field);
    await expectNothingStored(customer, sid);
  });

  test('a From that is not a phone number → 400', async () => {
    const { body } = smsForm('not-a-number');
    const res = await postTwilioForm(h.app, MESSAGING, body, sign(MESSAGING, body));
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: expect.any(String), message: expect.any(String) });
  });
});

describe('message content', () => {
  test('MMS sample: each MediaUrlN is stored as an attachment with url + contentType', async () => {
    const sample = readSampleForm('twilio-inbound-mms.form');
    const params = new URLSearchParams(sample);
    const customer = randomPhone();
    const sid = newTwilioSid('MM');
    const body = withFields(sample, { To: h.org.smsNumber, From: customer, MessageSid: sid, SmsSid: sid, SmsMessageSid: sid });
    const res = await postTwilioForm(h.app, MESSAGING, body, sign(MESSAGING, body));
    expect(res.status).toBe(200);

    const expected = [
      { url: params.get('MediaUrl0'), contentType: params.get('MediaContentType0') },
      { url: params.get('MediaUrl1'), contentType: params.get('MediaContentType1') },
    ];
    expect(expected.map((a) => a.contentType)).toEqual(['image/jpeg', 'image/png']);
    const row = await h.waitFor(() => messageRowBySid(sid), 'MMS stored');
    expect(row.attachments).toEqual(expected);
    expect(row.text).toBe(params.get('Body'));
    // and as the API shows it
    const messages = await listMessages(h.conversationIdOf(customer));
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ providerMessageId: sid, attachments: expected });
  });

  test('WhatsApp sample: whatsapp channel; the contact gets its name from ProfileName and its whatsapp number', async () => {
    const sample = readSampleForm('twilio-inbound-whatsapp.form');
    const params = new URLSearchParams(sample);
    // Fresh MessageSid: the sample's own was already used by the signature test above (and is deduped per org).
    const sid = newTwilioSid('SM');
    const body = withFields(sample, { To: `whatsapp:${h.org.whatsappNumber}`, MessageSid: sid, SmsSid: sid, SmsMessageSid: sid });
    const res = await postTwilioForm(h.app, MESSAGING, body, sign(MESSAGING, body));
    expect(res.status).toBe(200);

    const waNumber = `+${params.get('WaId')}`; // +447700900123
    expect(params.get('From')).toBe(`whatsapp:${waNumber}`);
    const id = h.conversationIdOf(waNumber, 'whatsapp');
    const conversation = await h.waitFor(async () => {
      const r = await getConversation(id);
      return r.status === 200 && r.body.unreadCount === 1 ? r.body : undefined;
    }, 'whatsapp conversation');
    expect(conversation).toMatchObject({
      status: 'open',
      channel: 'whatsapp',
      inbox: { id: h.org.whatsappChannelId, kind: 'whatsapp', address: h.org.whatsappNumber, name: 'WhatsApp' },
      contact: { name: params.get('ProfileName'), whatsapp: waNumber },
      lastMessagePreview: params.get('Body'),
    });
    expect(conversation.sessionExpiresAt).not.toBeNull();
    const messages = await listMessages(id);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ providerMessageId: sid, direction: 'inbound', text: params.get('Body') });
  });
});

describe('concurrency and dedupe', () => {
  test('the same MessageSid delivered ten times concurrently → exactly one message row', async () => {
    const customer = randomPhone();
    const { body, sid } = smsForm(customer, { Body: 'retry storm' });
    const signature = sign(MESSAGING, body);
    const responses = await Promise.all(Array.from({ length: 10 }, () => postTwilioForm(h.app, MESSAGING, body, signature)));
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));

    // A later message in the same conversation: once it is stored, every earlier signal was processed.
    const sentinel = smsForm(customer, { Body: 'sentinel' });
    expect((await postTwilioForm(h.app, MESSAGING, sentinel.body, sign(MESSAGING, sentinel.body))).status).toBe(200);
    await h.waitFor(() => messageRowBySid(sentinel.sid), 'sentinel stored');

    const rows = await h.db.selectFrom('messages').select(['id', 'text']).where('provider_message_id', '=', sid).execute();
    expect(rows).toHaveLength(1);
    const id = h.conversationIdOf(customer);
    const conversation = (await getConversation(id)).body;
    expect(conversation.unreadCount).toBe(2);
    expect(await listMessages(id)).toHaveLength(2);
  });

  test('five different first messages of a brand-new contact at once → one contact, one conversation, five messages', async () => {
    const customer = randomPhone();
    const forms = Array.from({ length: 5 }, (_, i) => smsForm(customer, { Body: `part ${i + 1}` }));
    const responses = await Promise.all(forms.map((f) => postTwilioForm(h.app, MESSAGING, f.body, sign(MESSAGING, f.body))));
    expect(responses.map((r) => r.status)).toEqual(Array(5).fill(200));

    const id = h.conversationIdOf(customer);
    await h.waitFor(async () => {
      const r = await getConversation(id);
      return r.status === 200 && r.body.unreadCount === 5;
    }, 'five messages');

    const contacts = await h.db
      .selectFrom('contacts')
      .select('id')
      .where('org_id', '=', h.org.orgId)
      .where(hasIdentity('sms', customer))
      .execute();
    expect(contacts).toHaveLength(1);
    const conversations = await h.db
      .selectFrom('conversations')
      .select(['id', 'contact_id'])
      .where('contact_id', '=', contacts[0]!.id)
      .execute();
    expect(conversations).toEqual([{ id, contact_id: contacts[0]!.id }]);
    const messages = await listMessages(id);
    expect(messages.map((m) => m.providerMessageId).sort()).toEqual(forms.map((f) => f.sid).sort());
    expect(messages.map((m) => m.text).sort()).toEqual(['part 1', 'part 2', 'part 3', 'part 4', 'part 5']);
  });
});

describe('status callbacks', () => {
  test('failed 63016 for an outbound WhatsApp message → failed, errorCode 63016, readable 24-hour-window reason', async () => {
    const { messageId, sid, customer } = await outboundReply('whatsapp', 'Your parcel is on its way');
    const sent = h.twilioStub!.requests.find((r) => r.form.Body === 'Your parcel is on its way');
    expect(sent?.form).toMatchObject({ To: `whatsapp:${customer}`, From: `whatsapp:${h.org.whatsappNumber}` });

    const path = `/webhooks/twilio/status?messageId=${messageId}`;
    const body = withFields(readSampleForm('twilio-status-callback-failed-63016.form'), {
      MessageSid: sid,
      SmsSid: sid,
      To: `whatsapp:${customer}`,
      From: `whatsapp:${h.org.whatsappNumber}`,
      ChannelToAddress: customer,
    });
    const res = await postTwilioForm(h.app, path, body, sign(path, body));
    expect(res.status).toBe(200);
    expect(res.text).toContain(EMPTY_TWIML);

    const row = await waitForDeliveryStatus(messageId, 'failed');
    expect(row.error_code).toBe('63016');
    expect(row.error_message).toMatch(/24-hour/);
    const apiMessage = (await listMessages(h.conversationIdOf(customer, 'whatsapp'))).find((m) => m.id === messageId);
    expect(apiMessage).toMatchObject({ deliveryStatus: 'failed', errorCode: '63016', errorMessage: expect.stringMatching(/24-hour/) });
  });

  test('a callback without ?messageId is matched by MessageSid (delivered sample)', async () => {
    const { messageId, sid, customer } = await outboundReply('sms', 'Matched by sid');
    const path = '/webhooks/twilio/status';
    const body = withFields(readSampleForm('twilio-status-callback-delivered.form'), {
      MessageSid: sid,
      SmsSid: sid,
      To: customer,
      From: h.org.smsNumber,
    });
    const res = await postTwilioForm(h.app, path, body, sign(path, body));
    expect(res.status).toBe(200);
    await waitForDeliveryStatus(messageId, 'delivered');
  });

  test('a callback for an unknown message → 404 (with and without ?messageId)', async () => {
    const body = withFields(readSampleForm('twilio-status-callback-delivered.form'), {
      MessageSid: newTwilioSid('SM'),
      SmsSid: null,
    });
    const withId = `/webhooks/twilio/status?messageId=${randomUUID()}`;
    const r1 = await postTwilioForm(h.app, withId, body, sign(withId, body));
    expect(r1.status).toBe(404);
    expect(r1.body.error).toMatchObject({ code: expect.any(String), message: expect.any(String) });
    const withoutId = '/webhooks/twilio/status';
    const r2 = await postTwilioForm(h.app, withoutId, body, sign(withoutId, body));
    expect(r2.status).toBe(404);
  });

  test('a status callback with a bad signature → 403 and the status is not applied', async () => {
    const { messageId, sid } = await outboundReply('sms', 'Unsigned callback');
    const path = `/webhooks/twilio/status?messageId=${messageId}`;
    const body = new URLSearchParams({ MessageSid: sid, MessageStatus: 'delivered', AccountSid: `AC${'0'.repeat(32)}` }).toString();
    const res = await postTwilioForm(h.app, path, body, sign('/webhooks/twilio/status', body)); // signed without the query
    expect(res.status).toBe(403);
    await new Promise((r) => setTimeout(r, 300));
    const row = await h.db.selectFrom('messages').select('delivery_status').where('id', '=', messageId).executeTakeFirstOrThrow();
    expect(row.delivery_status).toBe('queued');
  });

  test('delivered then read → read; a late sent never moves it back', async () => {
    const first = await outboundReply('sms', 'Read receipts');
    const probe = await replyAndWaitSent(first.conversationId, 'ordering probe');
    const post = (messageId: string, sid: string, status: string) => {
      const path = `/webhooks/twilio/status?messageId=${messageId}`;
      const body = new URLSearchParams({ MessageSid: sid, MessageStatus: status, AccountSid: `AC${'0'.repeat(32)}` }).toString();
      return postTwilioForm(h.app, path, body, sign(path, body));
    };
    expect((await post(first.messageId, first.sid, 'delivered')).status).toBe(200);
    await waitForDeliveryStatus(first.messageId, 'delivered');
    expect((await post(first.messageId, first.sid, 'read')).status).toBe(200);
    await waitForDeliveryStatus(first.messageId, 'read');
    expect((await post(first.messageId, first.sid, 'sent')).status).toBe(200);
    // Reports of one conversation are applied in signal order: once the probe's report landed, the late `sent` was handled.
    expect((await post(probe.messageId, probe.sid, 'delivered')).status).toBe(200);
    await waitForDeliveryStatus(probe.messageId, 'delivered');
    const row = await h.db.selectFrom('messages').select('delivery_status').where('id', '=', first.messageId).executeTakeFirstOrThrow();
    expect(row.delivery_status).toBe('read');
  });
});

describe('Temporal unavailable', () => {
  test('inbound webhook answers 503 when Temporal is unreachable, and nothing is stored', async () => {
    const connection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: '1s', interceptors: [] });
    try {
      const app = createApp(
        testApiDeps({ db: h.db, conversations: new ConversationClient(new Client({ connection, namespace: 'default' }), h.taskQueue) }),
      );
      const customer = randomPhone();
      const { body, sid } = smsForm(customer, { Body: 'Is anyone there?' });
      const started = Date.now();
      const res = await postTwilioForm(app, MESSAGING, body, sign(MESSAGING, body));
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
      expect(Date.now() - started).toBeLessThan(15_000);

      const conversationId = h.conversationIdOf(customer);
      expect(await workflowExists(h.client, conversationId)).toBe(false);
      expect(await h.db.selectFrom('conversations').select('id').where('id', '=', conversationId).execute()).toEqual([]);
      expect(await h.db.selectFrom('messages').select('id').where('provider_message_id', '=', sid).execute()).toEqual([]);

      // Twilio's retry, once Temporal is back, is accepted and stored exactly once.
      const retry = await postTwilioForm(h.app, MESSAGING, body, sign(MESSAGING, body));
      expect(retry.status).toBe(200);
      await h.waitFor(() => messageRowBySid(sid), 'retried message stored');
    } finally {
      await connection.close();
    }
  });
});
