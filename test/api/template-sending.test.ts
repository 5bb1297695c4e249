/**
 * Sending templates through the real path on the shared dev server: templates created through
 * `/v1/templates` as admin, then `POST /v1/conversations/:id/messages {template}` and
 * `POST /v1/send-template` → rendering and sendability checks → reply update → workflow outbox →
 * `sendMessage` → real `twilio` SDK → Twilio stub (SMS `Body`; WhatsApp `ContentSid` +
 * `ContentVariables`) or real `postmark` SDK → Postmark stand-in (`Subject`, `TextBody`).
 */
import request from 'supertest';
import { conversationWorkflowId } from '../../workflows/conversation/contract';
import { createHarness, type Harness, randomPhone } from '../support/harness';
import type { RecordedTwilioRequest } from '../support/twilio-stub';
import { type ConversationBody, type ErrorBody, expectError, expectValidationError, inboundAndWait } from './rest-helpers';
import type { TemplateView } from '../../api/template-schemas';
import type { MessageRecord } from '../../domain/message';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  await createTemplates();
});
afterAll(async () => {
  await h?.close();
});

const SHIPPING_SID = `HX${'0123456789abcdef'.repeat(2)}`;
const PENDING_SID = `HX${'fedcba9876543210'.repeat(2)}`;

/** Response shapes come from the API's own types (zod-inferred / domain). */
type SentMessage = MessageRecord;

const templates: Record<'orderUpdate' | 'orderMail' | 'shippingUpdate' | 'promoPending', TemplateView> = {} as Record<
  'orderUpdate' | 'orderMail' | 'shippingUpdate' | 'promoPending',
  TemplateView
>;

const post = (path: string, body: object) => request(h.app).post(path).set('Authorization', h.auth).send(body);
const get = (path: string) => request(h.app).get(path).set('Authorization', h.auth);

async function createTemplate(body: object): Promise<TemplateView> {
  const res = await post('/v1/templates', body);
  expect(res.status).toBe(201);
  return res.body as TemplateView;
}

/** The four templates of this file, created through the API as the admin. */
async function createTemplates(): Promise<void> {
  templates.orderUpdate = await createTemplate({
    name: 'order_update',
    channel: 'sms',
    body: 'Hi {{name}}, order {{order}} ships {{date}}',
  });
  templates.orderMail = await createTemplate({
    name: 'order_mail',
    channel: 'email',
    subject: 'Order {{order}}',
    body: 'Hello {{name}}, your order {{order}} ships {{date}}.',
  });
  // declared order differs from the order of appearance: ContentVariables must follow the declaration
  templates.shippingUpdate = await createTemplate({
    name: 'shipping_update',
    channel: 'whatsapp',
    body: 'Hi {{name}}, parcel {{tracking}} arrives {{eta}}',
    variables: ['tracking', 'name', 'eta'],
    whatsappContentSid: SHIPPING_SID,
    approvalStatus: 'approved',
  });
  templates.promoPending = await createTemplate({
    name: 'promo_pending',
    channel: 'whatsapp',
    body: 'Hi {{name}}, 10% off today',
    whatsappContentSid: PENDING_SID,
  });
}

test('the templates are stored as created (variables, SID, approval)', () => {
  expect(templates.orderUpdate).toMatchObject({ channel: 'sms', variables: ['name', 'order', 'date'], approvalStatus: 'pending' });
  expect(templates.orderMail).toMatchObject({ channel: 'email', subject: 'Order {{order}}', variables: ['order', 'name', 'date'] });
  expect(templates.shippingUpdate).toMatchObject({
    whatsappContentSid: SHIPPING_SID,
    approvalStatus: 'approved',
    variables: ['tracking', 'name', 'eta'],
  });
  expect(templates.promoPending).toMatchObject({ whatsappContentSid: PENDING_SID, approvalStatus: 'pending' });
});

/** Twilio Messages creates addressed to `to` (`+1…` or `whatsapp:+1…`). */
const twilioSendsTo = (to: string): RecordedTwilioRequest[] =>
  h.twilioStub!.requests.filter((r) => r.method === 'POST' && /\/Messages\.json$/.test(r.path) && r.form.To === to);

/** Waits until exactly `count` Twilio creates to `to` have arrived and returns them. */
function waitForTwilioSends(to: string, count = 1): Promise<RecordedTwilioRequest[]> {
  return h.waitFor(async () => {
    const sent = twilioSendsTo(to);
    return sent.length >= count ? sent : undefined;
  }, `${count} Twilio send(s) to ${to}`);
}

async function storedMessages(conversationId: string) {
  return h.db.selectFrom('messages').selectAll().where('conversation_id', '=', conversationId).orderBy('seq').execute();
}

async function outboundCount(conversationId: string): Promise<number> {
  return (await storedMessages(conversationId)).filter((m) => m.direction === 'outbound').length;
}

async function conversationsOfContact(contactId: string) {
  return h.db.selectFrom('conversations').selectAll().where('contact_id', '=', contactId).execute();
}

/** Real-time pause so that a send the API should not have caused would have reached the stub. */
const settle = () => new Promise((r) => setTimeout(r, 750));

function sendTemplateIn(conversationId: string, name: string, variables: Record<string, string>) {
  return post(`/v1/conversations/${conversationId}/messages`, { template: { name, variables } });
}

describe('POST /v1/conversations/:id/messages with a template', () => {
  test('SMS: 201, the rendered body is stored and sent as Body; the message records the template', async () => {
    const customer = randomPhone();
    const conversation = await inboundAndWait(h, customer);

    const res = await sendTemplateIn(conversation.id, 'order_update', { name: 'Ada', order: 'A-7', date: 'today' });
    expect(res.status).toBe(201);
    const message = res.body as SentMessage;
    expect(message).toMatchObject({
      conversationId: conversation.id,
      direction: 'outbound',
      authorType: 'staff',
      authorId: h.org.adminId,
      isInternalNote: false,
      text: 'Hi Ada, order A-7 ships today',
    });
    expect(message.template).toEqual({
      templateId: templates.orderUpdate.id,
      name: 'order_update',
      contentSid: null,
      contentVariables: null,
      subject: null,
    });

    const row = (await storedMessages(conversation.id)).find((m) => m.id === message.id);
    expect(row).toMatchObject({ text: 'Hi Ada, order A-7 ships today', direction: 'outbound' });
    expect(row!.template).toMatchObject({ templateId: templates.orderUpdate.id, name: 'order_update' });

    const [sent] = await waitForTwilioSends(customer);
    expect(sent!.form.Body).toBe('Hi Ada, order A-7 ships today');
    expect(sent!.form.ContentSid).toBeUndefined();
    expect(sent!.form.From).toBe(h.org.smsNumber);

    // the listed message shows the template too
    const listed = await get(`/v1/conversations/${conversation.id}/messages`);
    const fromList = (listed.body as { data: SentMessage[] }).data.find((m) => m.id === message.id);
    expect(fromList?.template).toMatchObject({ templateId: templates.orderUpdate.id, name: 'order_update' });
  });

  test('a missing variable → 422 template_variables_missing listing exactly the missing names; nothing stored or sent', async () => {
    const customer = randomPhone();
    const conversation = await inboundAndWait(h, customer);
    const before = await storedMessages(conversation.id);

    const res = await sendTemplateIn(conversation.id, 'order_update', { name: 'Ada', extra: 'ignored' });
    const body = expectError(res, 422, 'template_variables_missing') as ErrorBody & { error: { details: { missing?: string[] } } };
    expect(body.error.details.missing).toEqual(['order', 'date']);

    const empty = await sendTemplateIn(conversation.id, 'order_update', {});
    expect(
      (expectError(empty, 422, 'template_variables_missing') as ErrorBody & { error: { details: { missing?: string[] } } }).error.details
        .missing,
    ).toEqual(['name', 'order', 'date']);

    await settle();
    expect(await storedMessages(conversation.id)).toEqual(before);
    expect(twilioSendsTo(customer)).toEqual([]);
    // an empty string is a value: the conversation still works and sends the complete render only
    const ok = await sendTemplateIn(conversation.id, 'order_update', { name: 'Ada', order: 'A-8', date: '' });
    expect(ok.status).toBe(201);
    const sent = await waitForTwilioSends(customer);
    expect(sent.map((r) => r.form.Body)).toEqual(['Hi Ada, order A-8 ships ']);
  });

  test('unknown template → 404; SMS template on WhatsApp → 422 mismatch; pending WhatsApp template → 422 not approved; nothing stored', async () => {
    const customer = randomPhone();
    const conversation = await inboundAndWait(h, customer, { whatsapp: true });
    const before = await storedMessages(conversation.id);

    const unknown = expectError(await sendTemplateIn(conversation.id, 'no_such_template', {}), 404, 'template_not_found');
    expect(unknown.error.message).toContain('no_such_template');

    const mismatch = expectError(
      await sendTemplateIn(conversation.id, 'order_update', { name: 'Ada', order: 'A-7', date: 'today' }),
      422,
      'template_channel_mismatch',
    );
    expect(mismatch.error.details).toMatchObject({ templateChannel: 'sms', conversationChannel: 'whatsapp' });

    const pending = expectError(await sendTemplateIn(conversation.id, 'promo_pending', { name: 'Ada' }), 422, 'template_not_approved');
    expect(pending.error.details).toMatchObject({ approvalStatus: 'pending' });

    // an email template on an SMS conversation is a mismatch too
    const sms = await inboundAndWait(h, randomPhone());
    expectError(await sendTemplateIn(sms.id, 'order_mail', { name: 'Ada', order: 'A-7', date: 'today' }), 422, 'template_channel_mismatch');

    await settle();
    expect(await storedMessages(conversation.id)).toEqual(before);
    expect(twilioSendsTo(`whatsapp:${customer}`)).toEqual([]);
    expect(await outboundCount(sms.id)).toBe(0);
  });

  test('WhatsApp: the stub gets ContentSid and ContentVariables in declared order, and no Body', async () => {
    const customer = randomPhone();
    const conversation = await inboundAndWait(h, customer, { whatsapp: true });

    const res = await sendTemplateIn(conversation.id, 'shipping_update', { name: 'Ada', tracking: 'TRK-1', eta: 'Monday', unused: 'x' });
    expect(res.status).toBe(201);
    const message = res.body as SentMessage;
    expect(message.text).toBe('Hi Ada, parcel TRK-1 arrives Monday');
    expect(message.template).toEqual({
      templateId: templates.shippingUpdate.id,
      name: 'shipping_update',
      contentSid: SHIPPING_SID,
      contentVariables: JSON.stringify({ '1': 'TRK-1', '2': 'Ada', '3': 'Monday' }),
      subject: null,
    });

    const [sent] = await waitForTwilioSends(`whatsapp:${customer}`);
    expect(sent!.form.ContentSid).toBe(SHIPPING_SID);
    expect(JSON.parse(String(sent!.form.ContentVariables))).toEqual({ '1': 'TRK-1', '2': 'Ada', '3': 'Monday' });
    expect(Object.keys(JSON.parse(String(sent!.form.ContentVariables)) as object)).toEqual(['1', '2', '3']);
    expect(sent!.form.Body).toBeUndefined();
    expect(sent!.form.From).toBe(`whatsapp:${h.org.whatsappNumber}`);

    const stored = await h.waitFor(async () => {
      const m = (await storedMessages(conversation.id)).find((x) => x.id === message.id);
      return m?.provider_message_id ? m : undefined;
    }, 'provider id stored');
    expect(stored.provider_message_id).toMatch(/^(SM|MM)[0-9a-f]{32}$/);
    expect(stored.delivery_status).not.toBe('failed');
  });

  test('validation: both text and template → 400; neither → 400; a template on an internal note → 400', async () => {
    const customer = randomPhone();
    const conversation = await inboundAndWait(h, customer);
    const template = { name: 'order_update', variables: { name: 'Ada', order: 'A-7', date: 'today' } };

    expectValidationError(await post(`/v1/conversations/${conversation.id}/messages`, { text: 'Hi', template }), 'text');
    expectValidationError(await post(`/v1/conversations/${conversation.id}/messages`, {}), 'text');
    expectValidationError(await post(`/v1/conversations/${conversation.id}/messages`, { isInternalNote: false }), 'text');
    expectValidationError(
      await post(`/v1/conversations/${conversation.id}/messages`, { template, isInternalNote: true }),
      'isInternalNote',
    );

    await settle();
    expect(await outboundCount(conversation.id)).toBe(0);
    expect(twilioSendsTo(customer)).toEqual([]);
  });
});

describe('POST /v1/send-template', () => {
  interface SendTemplateResponse {
    conversation: ConversationBody & { sessionExpiresAt: string | null; lastCustomerMessageAt: string | null };
    message: SentMessage;
  }

  async function createContact(body: object): Promise<{ id: string; whatsapp: string | null; email: string | null }> {
    const res = await post('/v1/contacts', body);
    expect(res.status).toBe(201);
    return res.body as { id: string; whatsapp: string | null; email: string | null };
  }

  test('WhatsApp, no prior conversation: 201 starts a staff conversation, sends the ContentSid; a second send reuses it', async () => {
    const number = randomPhone();
    const contact = await createContact({ name: 'Grace', whatsapp: number });
    expect(await conversationsOfContact(contact.id)).toEqual([]);

    const variables = { name: 'Grace', tracking: 'TRK-9', eta: 'tomorrow' };
    const first = await post('/v1/send-template', {
      templateName: 'shipping_update',
      contactId: contact.id,
      channel: 'whatsapp',
      variables,
    });
    expect(first.status).toBe(201);
    const body = first.body as SendTemplateResponse;
    expect(body.conversation).toMatchObject({
      id: h.conversationIdOf(number, 'whatsapp'),
      channel: 'whatsapp',
      inbox: { id: h.org.whatsappChannelId, kind: 'whatsapp' },
      contact: { id: contact.id, whatsapp: number },
      lastCustomerMessageAt: null,
    });
    expect(body.message).toMatchObject({
      conversationId: body.conversation.id,
      direction: 'outbound',
      authorId: h.org.adminId,
      text: 'Hi Grace, parcel TRK-9 arrives tomorrow',
      template: { templateId: templates.shippingUpdate.id, contentSid: SHIPPING_SID },
    });

    const rows = await conversationsOfContact(contact.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      id: body.conversation.id,
      channel_id: h.org.whatsappChannelId,
      channel_kind: 'whatsapp',
      last_customer_message_at: null,
    });

    const [sent] = await waitForTwilioSends(`whatsapp:${number}`);
    expect(sent!.form.ContentSid).toBe(SHIPPING_SID);
    expect(JSON.parse(String(sent!.form.ContentVariables))).toEqual({ '1': 'TRK-9', '2': 'Grace', '3': 'tomorrow' });
    expect(sent!.form.Body).toBeUndefined();

    // staff-started WhatsApp: no session window, so free-form is refused while templates go through
    expectError(await post(`/v1/conversations/${body.conversation.id}/messages`, { text: 'free-form' }), 422, 'whatsapp_session_expired');

    const second = await post('/v1/send-template', {
      templateName: 'shipping_update',
      contactId: contact.id,
      channel: 'whatsapp',
      variables: { ...variables, eta: 'today' },
    });
    expect(second.status).toBe(201);
    const secondBody = second.body as SendTemplateResponse;
    expect(secondBody.conversation.id).toBe(body.conversation.id);
    expect(secondBody.message.conversationId).toBe(body.conversation.id);
    expect(secondBody.message.id).not.toBe(body.message.id);
    expect(await conversationsOfContact(contact.id)).toHaveLength(1);

    const both = await waitForTwilioSends(`whatsapp:${number}`, 2);
    expect(both.map((r) => JSON.parse(String(r.form.ContentVariables)) as Record<string, string>)).toEqual([
      { '1': 'TRK-9', '2': 'Grace', '3': 'tomorrow' },
      { '1': 'TRK-9', '2': 'Grace', '3': 'today' },
    ]);
    expect((await storedMessages(body.conversation.id)).filter((m) => m.direction === 'outbound').map((m) => m.id)).toEqual([
      body.message.id,
      secondBody.message.id,
    ]);
  });

  test('a missing variable → 422 with details.missing; no conversation (nor workflow) is created for the contact', async () => {
    const number = randomPhone();
    const contact = await createContact({ name: 'Hedy', whatsapp: number });

    const res = await post('/v1/send-template', {
      templateName: 'shipping_update',
      contactId: contact.id,
      channel: 'whatsapp',
      variables: { name: 'Hedy' },
    });
    const body = expectError(res, 422, 'template_variables_missing') as ErrorBody & { error: { details: { missing?: string[] } } };
    expect(body.error.details.missing).toEqual(['tracking', 'eta']);

    // a pending template and an unknown one refuse before opening anything too
    expectError(
      await post('/v1/send-template', {
        templateName: 'promo_pending',
        contactId: contact.id,
        channel: 'whatsapp',
        variables: { name: 'H' },
      }),
      422,
      'template_not_approved',
    );
    expectError(
      await post('/v1/send-template', { templateName: 'nope', contactId: contact.id, channel: 'whatsapp', variables: {} }),
      404,
      'template_not_found',
    );

    await settle();
    expect(await conversationsOfContact(contact.id)).toEqual([]);
    await expect(h.client.workflow.getHandle(conversationWorkflowId(h.conversationIdOf(number, 'whatsapp'))).describe()).rejects.toThrow();
    expect(twilioSendsTo(`whatsapp:${number}`)).toEqual([]);
  });

  test('email: 201; Postmark gets the rendered Subject and TextBody', async () => {
    const email = `buyer-${Date.now()}@example.test`;
    const contact = await createContact({ name: 'Ada Lovelace', email });

    const res = await post('/v1/send-template', {
      templateName: 'order_mail',
      contactId: contact.id,
      channel: 'email',
      variables: { name: 'Ada', order: 'A-7', date: 'today' },
    });
    expect(res.status).toBe(201);
    const body = res.body as SendTemplateResponse;
    expect(body.conversation).toMatchObject({
      channel: 'email',
      inbox: { id: h.org.emailChannelId, kind: 'email' },
      contact: { id: contact.id },
    });
    expect(body.message).toMatchObject({
      text: 'Hello Ada, your order A-7 ships today.',
      template: { templateId: templates.orderMail.id, name: 'order_mail', subject: 'Order A-7', contentSid: null, contentVariables: null },
    });

    const sent = await h.waitFor(async () => {
      const found = h.postmark.requests.filter((r) => {
        const b = r.body as { To?: string } | null;
        return r.method === 'POST' && r.path === '/email' && typeof b?.To === 'string' && b.To.includes(email);
      });
      return found.length > 0 ? found : undefined;
    }, 'Postmark send');
    expect(sent).toHaveLength(1);
    expect(sent[0]!.responseStatus).toBe(200);
    expect(sent[0]!.body).toMatchObject({ Subject: 'Order A-7', TextBody: 'Hello Ada, your order A-7 ships today.' });
  });

  test('a contact without the channel address → 422 contact_has_no_address; unknown contact → 404', async () => {
    const contact = await createContact({ email: `only-mail-${Date.now()}@example.test` });
    expectError(
      await post('/v1/send-template', {
        templateName: 'shipping_update',
        contactId: contact.id,
        channel: 'whatsapp',
        variables: { name: 'A', tracking: 'T', eta: 'E' },
      }),
      422,
      'contact_has_no_address',
    );
    expect(await conversationsOfContact(contact.id)).toEqual([]);
    expectError(
      await post('/v1/send-template', {
        templateName: 'order_update',
        contactId: '00000000-0000-4000-8000-000000000000',
        channel: 'sms',
        variables: {},
      }),
      404,
      'not_found',
    );
  });
});
