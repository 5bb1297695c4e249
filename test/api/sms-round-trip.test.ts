import request from 'supertest';
import { createHarness, type Harness, randomPhone } from '../support/harness';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.close();
});

test('inbound SMS becomes a conversation; a staff reply reaches Twilio through the SDK; status callbacks update delivery', async () => {
  const customer = randomPhone();
  const res = await h.inbound({ from: customer, body: 'My order is late' });
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/text\/xml/);
  expect(res.text).toContain('<Response></Response>');

  const id = h.conversationIdOf(customer);
  const conversation = await h.waitFor(async () => {
    const r = await request(h.app).get(`/v1/conversations/${id}`).set('Authorization', h.auth);
    return r.status === 200 && r.body.unreadCount === 1 ? r.body : undefined;
  }, 'conversation');
  expect(conversation).toMatchObject({
    status: 'open',
    channel: 'sms',
    inbox: { kind: 'sms' },
    contact: { phone: customer },
    lastMessagePreview: 'My order is late',
  });

  const reply = await request(h.app)
    .post(`/v1/conversations/${id}/messages`)
    .set('Authorization', h.auth)
    .send({ text: 'Sorry! It ships today.' });
  expect(reply.status).toBe(201);
  expect(reply.body).toMatchObject({
    direction: 'outbound',
    authorType: 'staff',
    deliveryStatus: 'queued',
    text: 'Sorry! It ships today.',
  });

  const sent = await h.waitFor(async () => h.twilioStub!.requests.find((r) => r.form.Body === 'Sorry! It ships today.'), 'Twilio create');
  expect(sent.form).toMatchObject({ To: customer, From: h.org.smsNumber });
  expect(sent.form.StatusCallback).toBe(`http://switchboard.test/webhooks/twilio/status?messageId=${reply.body.id}`);

  const stored = await h.waitFor(async () => {
    const r = await request(h.app).get(`/v1/conversations/${id}/messages`).set('Authorization', h.auth);
    const m = r.body.data.find((x: { id: string }) => x.id === reply.body.id);
    return m?.providerMessageId ? m : undefined;
  }, 'provider id');
  expect(stored.providerMessageId).toMatch(/^SM[0-9a-f]{32}$/);

  const callback = (status: string) =>
    new URLSearchParams({
      MessageSid: stored.providerMessageId,
      MessageStatus: status,
      AccountSid: 'AC00000000000000000000000000000000',
    }).toString();
  expect((await h.postSignedForm(`/webhooks/twilio/status?messageId=${reply.body.id}`, callback('delivered'))).status).toBe(200);
  await h.waitFor(async () => {
    const row = await h.db.selectFrom('messages').select('delivery_status').where('id', '=', reply.body.id).executeTakeFirst();
    return row?.delivery_status === 'delivered';
  }, 'delivered');
  // a late "sent" never moves it backwards
  expect((await h.postSignedForm(`/webhooks/twilio/status?messageId=${reply.body.id}`, callback('sent'))).status).toBe(200);
  await new Promise((r) => setTimeout(r, 500));
  const after = await request(h.app).get(`/v1/conversations/${id}`).set('Authorization', h.auth);
  expect(after.body.status).toBe('pending');
  const row = await h.db.selectFrom('messages').select('delivery_status').where('id', '=', reply.body.id).executeTakeFirstOrThrow();
  expect(row.delivery_status).toBe('delivered');
});
