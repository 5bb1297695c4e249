/**
 * `/v1/contacts`: create (E.164 normalisation, duplicates, validation), read, and start a
 * staff-initiated conversation (SMS works; WhatsApp needs a template), through the real path.
 */
import { randomUUID } from 'node:crypto';
import { signStaffToken } from '../../api/auth';
import { createHarness, createTestOrg, type Harness, JWT_SECRET, randomPhone } from '../support/harness';
import { api, type ConversationBody, expectError, expectValidationError, inboundAndWait, listAll } from './rest-helpers';
import { hasIdentity, selectContacts } from '../../db/contacts';

interface ContactBody {
  id: string;
  name: string | null;
  phone: string | null;
  email: string | null;
  whatsapp: string | null;
  vip: boolean;
  createdAt: string;
  updatedAt: string;
}

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.close();
});

/** A random US number formatted the way people type it: `+1 (202) 555-0143` style. */
function prettyPhone(): { pretty: string; e164: string } {
  const e164 = randomPhone();
  const d = e164.slice(2);
  return { pretty: `+1 (${d.slice(0, 3)}) ${d.slice(3, 6)}-${d.slice(6)}`, e164 };
}

describe('POST /v1/contacts', () => {
  test('"+1 (202) 555-0143" is stored as E.164; the contact is readable by id', async () => {
    const res = await api(h).post('/v1/contacts', { name: 'Ada Lovelace', phone: '+1 (202) 555-0143' });
    expect(res.status).toBe(201);
    const contact = res.body as ContactBody;
    expect(contact).toMatchObject({ name: 'Ada Lovelace', phone: '+12025550143', email: null, whatsapp: null, vip: false });
    expect(contact.id).toMatch(/^[0-9a-f-]{36}$/);
    const row = await selectContacts(h.db).where('contacts.id', '=', contact.id).executeTakeFirstOrThrow();
    expect({ org: row.org_id, phone: row.phone }).toEqual({ org: h.org.orgId, phone: '+12025550143' });

    const read = await api(h).get(`/v1/contacts/${contact.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(contact);
  });

  test('the same phone again (any formatting) → 409 contact_exists, nothing inserted', async () => {
    for (const phone of ['+12025550143', '+1 202-555-0143']) {
      expectError(await api(h).post('/v1/contacts', { name: 'Imposter', phone }), 409, 'contact_exists');
    }
    const rows = await h.db
      .selectFrom('contacts')
      .select('id')
      .where('org_id', '=', h.org.orgId)
      .where(hasIdentity('sms', '+12025550143'))
      .execute();
    expect(rows).toHaveLength(1);
  });

  test('the same phone in another org is a different contact', async () => {
    const other = await createTestOrg(h.db);
    const token = signStaffToken(JWT_SECRET, { userId: other.adminId, orgId: other.orgId, role: 'admin' });
    const res = await api(h, token).post('/v1/contacts', { phone: '+1 (202) 555-0143' });
    expect(res.status).toBe(201);
    expect((res.body as ContactBody).phone).toBe('+12025550143');
  });

  test('email is lower-cased; whatsapp is normalised; vip kept', async () => {
    const { pretty, e164 } = prettyPhone();
    const email = `Grace.${randomUUID().slice(0, 8)}@Example.TEST`;
    const res = await api(h).post('/v1/contacts', { email, whatsapp: pretty, vip: true });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: null, phone: null, email: email.toLowerCase(), whatsapp: e164, vip: true });
    expectError(await api(h).post('/v1/contacts', { email: email.toLowerCase() }), 409, 'contact_exists');
  });

  test.each<[string, object, string]>([
    ['letters as phone', { phone: 'call me maybe' }, 'phone'],
    ['too short a phone', { phone: '+1 555' }, 'phone'],
    ['too long a phone', { phone: '+1 202 555 0143 0143 0143' }, 'phone'],
    ['invalid whatsapp', { whatsapp: 'whatsapp:abc' }, 'whatsapp'],
    ['invalid email', { email: 'not-an-email' }, 'email'],
    ['empty name', { name: '  ', phone: '+12025550199' }, 'name'],
    ['vip not boolean', { phone: '+12025550198', vip: 'yes' }, 'vip'],
    ['an extra unknown key', { phone: '+12025550197', nickname: 'Ada' }, 'nickname'],
  ])('%s → 400 validation_failed naming the field', async (_name, body, field) => {
    expectValidationError(await api(h).post('/v1/contacts', body), field);
  });

  test('none of phone / email / whatsapp → 400 validation_failed', async () => {
    expectError(await api(h).post('/v1/contacts', { name: 'Nobody' }), 400, 'validation_failed');
    expectError(await api(h).post('/v1/contacts', {}), 400, 'validation_failed');
  });

  test('rejected creates stored nothing', async () => {
    const rows = await selectContacts(h.db).where('contacts.org_id', '=', h.org.orgId).execute();
    expect(rows.map((r) => r.name)).not.toEqual(expect.arrayContaining(['Imposter', 'Nobody']));
    expect(rows.map((r) => r.phone)).not.toEqual(expect.arrayContaining(['+12025550199', '+12025550198', '+12025550197']));
  });
});

describe('GET /v1/contacts/:id', () => {
  test('unknown id → 404; non-uuid → 400', async () => {
    expectError(await api(h).get(`/v1/contacts/${randomUUID()}`), 404, 'not_found');
    expectValidationError(await api(h).get('/v1/contacts/42'), 'id');
  });
});

describe('POST /v1/contacts/:id/conversations', () => {
  let contact: ContactBody;
  let conversation: ConversationBody;
  beforeAll(async () => {
    const { pretty } = prettyPhone();
    const res = await api(h).post('/v1/contacts', { name: 'Katherine', phone: pretty });
    expect(res.status).toBe(201);
    contact = res.body as ContactBody;
  });

  test('sms → 201 with an open conversation linked to the contact, readable afterwards', async () => {
    const res = await api(h).post(`/v1/contacts/${contact.id}/conversations`, { channel: 'sms' });
    expect(res.status).toBe(201);
    conversation = res.body as ConversationBody;
    expect(conversation).toMatchObject({
      status: 'open',
      contact: { id: contact.id, phone: contact.phone, name: 'Katherine' },
      channel: 'sms',
      inbox: { id: h.org.smsChannelId, kind: 'sms', address: h.org.smsNumber, name: 'SMS' },
      unreadCount: 0,
      assigneeId: null,
    });
    const read = await api(h).get(`/v1/conversations/${conversation.id}`);
    expect(read.status).toBe(200);
    expect((read.body as ConversationBody).contact.id).toBe(contact.id);
  });

  test('again → 200 with the same conversation (no second one)', async () => {
    const res = await api(h).post(`/v1/contacts/${contact.id}/conversations`, { channel: 'sms' });
    expect(res.status).toBe(200);
    expect((res.body as ConversationBody).id).toBe(conversation.id);
    const rows = await h.db.selectFrom('conversations').select('id').where('contact_id', '=', contact.id).execute();
    expect(rows.map((r) => r.id)).toEqual([conversation.id]);
  });

  test("the contact's next inbound SMS lands in that same conversation", async () => {
    const after = await inboundAndWait(h, contact.phone!, { body: 'Got your message' });
    expect(after).toMatchObject({ id: conversation.id, status: 'open', unreadCount: 1, contact: { id: contact.id } });
    expect((await listAll(h)).filter((c) => c.contact.id === contact.id).map((c) => c.id)).toEqual([conversation.id]);
  });

  test('a staff reply on it is sent to the contact', async () => {
    const res = await api(h).post(`/v1/conversations/${conversation.id}/messages`, { text: 'Welcome aboard' });
    expect(res.status).toBe(201);
    const sent = await h.waitFor(async () => h.twilioStub!.requests.find((r) => r.form.Body === 'Welcome aboard'), 'Twilio send');
    expect(sent.form).toMatchObject({ To: contact.phone, From: h.org.smsNumber });
  });

  test('whatsapp → 201, but its first message must be a template (no session window is open)', async () => {
    const res = await api(h).post(`/v1/contacts/${contact.id}/conversations`, { channel: 'whatsapp' });
    expect(res.status).toBe(201);
    const conversation = res.body as { id: string; status: string; sessionExpiresAt: string | null };
    expect(conversation).toMatchObject({ status: 'open', sessionExpiresAt: null });
    expectError(await api(h).post(`/v1/conversations/${conversation.id}/messages`, { text: 'Hi there' }), 422, 'whatsapp_session_expired');
  });

  test('email for a contact without an address → 422 contact_has_no_address; chat → 422 channel_not_supported; unknown or missing channel → 400', async () => {
    expectError(await api(h).post(`/v1/contacts/${contact.id}/conversations`, { channel: 'email' }), 422, 'contact_has_no_address');
    expectError(await api(h).post(`/v1/contacts/${contact.id}/conversations`, { channel: 'chat' }), 422, 'channel_not_supported');
    expectValidationError(await api(h).post(`/v1/contacts/${contact.id}/conversations`, { channel: 'fax' }), 'channel');
    expectValidationError(await api(h).post(`/v1/contacts/${contact.id}/conversations`, {}), 'channel');
  });

  test('a contact without a phone cannot start an SMS conversation → 422', async () => {
    const res = await api(h).post('/v1/contacts', { email: `nophone-${randomUUID()}@example.test` });
    expect(res.status).toBe(201);
    const id = (res.body as ContactBody).id;
    expectError(await api(h).post(`/v1/contacts/${id}/conversations`, { channel: 'sms' }), 422, 'contact_has_no_address');
  });

  test('a contact created by an inbound SMS → 200 with the conversation the message started', async () => {
    const inbound = await inboundAndWait(h, randomPhone(), { body: 'I wrote first' });
    const res = await api(h).post(`/v1/contacts/${inbound.contact.id}/conversations`, { channel: 'sms' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: inbound.id, unreadCount: 1, lastMessagePreview: 'I wrote first' });
  });

  test('unknown contact → 404', async () => {
    expectError(await api(h).post(`/v1/contacts/${randomUUID()}/conversations`, { channel: 'sms' }), 404, 'not_found');
  });
});
