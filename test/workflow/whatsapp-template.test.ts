/**
 * WhatsApp templates outside the 24 h customer-service window, through the real workflow on the
 * time-skipping test server: once the window has lapsed a free-form reply is refused
 * (`whatsapp_session_expired`) while an approved Content template is recorded and reaches the
 * Twilio stub as `ContentSid` + `ContentVariables`; a pending template is refused
 * (`template_not_approved`) and nothing is sent.
 */
import request from 'supertest';
import { conversationWorkflowId } from '../../workflows/conversation/contract';
import { createHarness, type Harness, randomPhone } from '../support/harness';
import type { RecordedTwilioRequest } from '../support/twilio-stub';

const HOUR = 60 * 60_000;
const APPROVED_SID = `HX${'0123456789abcdef'.repeat(2)}`;
const PENDING_SID = `HX${'fedcba9876543210'.repeat(2)}`;

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ timeSkipping: true });
  for (const body of [
    {
      name: 'shipping_update',
      channel: 'whatsapp',
      body: 'Hi {{name}}, parcel {{tracking}} is on its way',
      whatsappContentSid: APPROVED_SID,
      approvalStatus: 'approved',
    },
    { name: 'promo_pending', channel: 'whatsapp', body: 'Hi {{name}}, 10% off', whatsappContentSid: PENDING_SID },
  ]) {
    expect((await api().post('/v1/templates', body)).status).toBe(201);
  }
});
afterAll(async () => {
  await h?.close();
});

const api = () => ({
  post: (path: string, body: object) => request(h.app).post(path).set('Authorization', h.auth).send(body),
});

async function conversationRow(id: string) {
  return h.db.selectFrom('conversations').selectAll().where('id', '=', id).executeTakeFirst();
}

async function outboundMessages(id: string) {
  return h.db
    .selectFrom('messages')
    .selectAll()
    .where('conversation_id', '=', id)
    .where('direction', '=', 'outbound')
    .orderBy('seq')
    .execute();
}

/** Advances the test server's clock until `targetMs` (epoch ms, test-server time). */
async function sleepUntil(targetMs: number): Promise<void> {
  const now = await h.env!.currentTimeMs();
  if (targetMs > now) await h.env!.sleep(targetMs - now);
}

const twilioSendsTo = (to: string): RecordedTwilioRequest[] =>
  h.twilioStub!.requests.filter((r) => r.method === 'POST' && /\/Messages\.json$/.test(r.path) && r.form.To === to);

/** A customer writes on WhatsApp; resolves once the workflow has recorded it (session window open). */
async function receiveWhatsApp(from: string): Promise<string> {
  const res = await h.inbound({ from, body: 'Where is my parcel?', whatsapp: true });
  expect(res.status).toBe(200);
  const id = h.conversationIdOf(from, 'whatsapp');
  await h.waitFor(async () => (await conversationRow(id))?.session_expires_at ?? undefined, 'inbound recorded');
  return id;
}

/** Receives a WhatsApp message and advances the clock past its 24 h window. */
async function expiredWhatsAppConversation(from: string): Promise<string> {
  const id = await receiveWhatsApp(from);
  const row = await conversationRow(id);
  const expiresMs = row!.session_expires_at!.getTime();
  expect(expiresMs - row!.last_customer_message_at!.getTime()).toBe(24 * HOUR);
  await sleepUntil(expiresMs + 1000);
  await h.waitFor(async () => (await conversationRow(id))?.session_expired === true, 'session expired');
  return id;
}

test('outside the 24 h window: free-form → 422 whatsapp_session_expired; the approved template → 201 and reaches Twilio as ContentSid', async () => {
  const customer = randomPhone();
  const id = await expiredWhatsAppConversation(customer);

  const freeForm = await api().post(`/v1/conversations/${id}/messages`, { text: 'Your parcel ships today' });
  expect(freeForm.status).toBe(422);
  expect(freeForm.body.error.code).toBe('whatsapp_session_expired');
  expect(await outboundMessages(id)).toEqual([]);

  const templated = await api().post(`/v1/conversations/${id}/messages`, {
    template: { name: 'shipping_update', variables: { name: 'Ada', tracking: 'TRK-42' } },
  });
  expect(templated.status).toBe(201);
  expect(templated.body).toMatchObject({
    conversationId: id,
    direction: 'outbound',
    text: 'Hi Ada, parcel TRK-42 is on its way',
    template: { name: 'shipping_update', contentSid: APPROVED_SID, contentVariables: '{"1":"Ada","2":"TRK-42"}' },
  });

  const sent = await h.waitFor(async () => {
    const found = twilioSendsTo(`whatsapp:${customer}`);
    return found.length > 0 ? found : undefined;
  }, 'template send');
  expect(sent).toHaveLength(1);
  expect(sent[0]!.form.ContentSid).toBe(APPROVED_SID);
  expect(JSON.parse(String(sent[0]!.form.ContentVariables))).toEqual({ '1': 'Ada', '2': 'TRK-42' });
  expect(sent[0]!.form.Body).toBeUndefined();
  expect(sent[0]!.responseStatus).toBe(201);

  const stored = await h.waitFor(async () => {
    const [m] = await outboundMessages(id);
    return m?.provider_message_id ? m : undefined;
  }, 'provider id recorded');
  expect(stored).toMatchObject({ id: templated.body.id, text: 'Hi Ada, parcel TRK-42 is on its way' });
  expect(stored.delivery_status).not.toBe('failed');

  // the template does not reopen the window for free-form replies: only the customer can
  const again = await api().post(`/v1/conversations/${id}/messages`, { text: 'Anything else?' });
  expect(again.status).toBe(422);
  expect(again.body.error.code).toBe('whatsapp_session_expired');
});

test('outside the 24 h window: a pending template → 422 template_not_approved, nothing recorded or sent', async () => {
  const customer = randomPhone();
  const id = await expiredWhatsAppConversation(customer);

  const pending = await api().post(`/v1/conversations/${id}/messages`, {
    template: { name: 'promo_pending', variables: { name: 'Ada' } },
  });
  expect(pending.status).toBe(422);
  expect(pending.body.error).toMatchObject({ code: 'template_not_approved', details: { approvalStatus: 'pending' } });

  await new Promise((r) => setTimeout(r, 750));
  expect(await outboundMessages(id)).toEqual([]);
  expect(twilioSendsTo(`whatsapp:${customer}`)).toEqual([]);
});

test('a conversation closed by the lapsed window (its run ended) still takes an approved template: 201, sent, state reloaded', async () => {
  const customer = randomPhone();
  const id = await receiveWhatsApp(customer);
  const reply = await api().post(`/v1/conversations/${id}/messages`, { text: 'We are checking' });
  expect(reply.status).toBe(201);
  await h.waitFor(async () => twilioSendsTo(`whatsapp:${customer}`).length === 1, 'free-form reply sent');

  const expiresMs = (await conversationRow(id))!.session_expires_at!.getTime();
  await sleepUntil(expiresMs + 1000);
  await h.waitFor(async () => (await conversationRow(id))?.closed_reason === 'session_expired', 'closed by the lapsed window');
  await h.env!.sleep(11 * 60_000); // past the closed-run grace period
  const handle = h.client.workflow.getHandle(conversationWorkflowId(id));
  await h.waitFor(async () => (await handle.describe()).status.name === 'COMPLETED', 'run completed');

  expect((await api().post(`/v1/conversations/${id}/messages`, { text: 'Free-form again' })).body.error?.code).toBe(
    'whatsapp_session_expired',
  );
  const templated = await api().post(`/v1/conversations/${id}/messages`, {
    template: { name: 'shipping_update', variables: { name: 'Ada', tracking: 'TRK-7' } },
  });
  expect(templated.status).toBe(201);
  const sent = await h.waitFor(async () => {
    const found = twilioSendsTo(`whatsapp:${customer}`);
    return found.length >= 2 ? found : undefined;
  }, 'template send after restart');
  expect(sent).toHaveLength(2);
  expect(sent[1]!.form).toMatchObject({ ContentSid: APPROVED_SID, ContentVariables: '{"1":"Ada","2":"TRK-7"}' });
  expect(sent[1]!.form.Body).toBeUndefined();
  expect((await outboundMessages(id)).map((m) => m.text)).toEqual(['We are checking', 'Hi Ada, parcel TRK-7 is on its way']);
});
