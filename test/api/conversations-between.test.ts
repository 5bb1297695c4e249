/**
 * `GET /v1/conversations/between/:parties` (`<contactId>+<staffId>`) through the real path: the
 * contact's conversations the staff user is assigned to or wrote in; 400 for a malformed `parties`,
 * 404 for another org's contact or staff user.
 */
import { signStaffToken } from '../../api/auth';
import { createHarness, createTestOrg, type Harness, JWT_SECRET, randomPhone } from '../support/harness';
import { api, type ConversationBody, expectError, expectValidationError, inboundAndWait } from './rest-helpers';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.close();
});

const contactOf = async (conversationId: string) =>
  (await h.db.selectFrom('conversations').select('contact_id').where('id', '=', conversationId).executeTakeFirstOrThrow()).contact_id;
const between = async (parties: string) => {
  const res = await api(h).get(`/v1/conversations/between/${parties}`);
  expect(res.status).toBe(200);
  return (res.body as { data: ConversationBody[] }).data.map((c) => c.id);
};

describe('GET /v1/conversations/between/:parties', () => {
  test('the contact’s conversations the staff user is assigned to or wrote in, and no others', async () => {
    const phone = randomPhone();
    const sms = await inboundAndWait(h, phone);
    const whatsapp = await inboundAndWait(h, phone, { whatsapp: true });
    const contactId = await contactOf(sms.id);
    expect(await contactOf(whatsapp.id)).toBe(contactId);
    // another contact's conversation, assigned to the agent and written in by the admin
    const elsewhere = await inboundAndWait(h, randomPhone());

    expect(await between(`${contactId}+${h.org.agentId}`)).toEqual([]);
    expect((await api(h).post(`/v1/conversations/${sms.id}/assign`, { assigneeId: h.org.agentId })).status).toBe(200);
    expect((await api(h).post(`/v1/conversations/${elsewhere.id}/assign`, { assigneeId: h.org.agentId })).status).toBe(200);
    const note = await api(h).post(`/v1/conversations/${whatsapp.id}/messages`, { text: 'Admin was here', isInternalNote: true });
    expect(note.status).toBe(201);
    expect((await api(h).post(`/v1/conversations/${elsewhere.id}/messages`, { text: 'Elsewhere', isInternalNote: true })).status).toBe(201);

    expect(await between(`${contactId}+${h.org.agentId}`)).toEqual([sms.id]);
    expect(await between(`${contactId}+${h.org.adminId}`)).toEqual([whatsapp.id]);
    // the agent writes in the WhatsApp conversation too: both, most recently active first
    const agentNote = await api(h, h.tokens.agent).post(`/v1/conversations/${whatsapp.id}/messages`, {
      text: 'Agent too',
      isInternalNote: true,
    });
    expect(agentNote.status).toBe(201);
    const both = await between(`${contactId}+${h.org.agentId}`);
    expect([...both].sort()).toEqual([sms.id, whatsapp.id].sort());
    // `%2B` is the same `+`; upper-case ids are the same ids
    expect(await between(`${contactId.toUpperCase()}%2B${h.org.agentId}`)).toEqual(both);
    // the body is the conversation list's shape
    const res = await api(h).get(`/v1/conversations/between/${contactId}+${h.org.agentId}`);
    expect((res.body as { data: ConversationBody[] }).data[0]).toMatchObject({ contact: { id: contactId } });
  });

  test('a malformed `parties` → 400 on `parties`', async () => {
    const contact = randomPhone();
    const conversation = await inboundAndWait(h, contact);
    const contactId = await contactOf(conversation.id);
    for (const parties of [
      'nope',
      contactId,
      `${contactId}+`,
      `${contactId}+${h.org.agentId}+${h.org.adminId}`,
      `${contactId}-${h.org.agentId}`,
    ]) {
      expectValidationError(await api(h).get(`/v1/conversations/between/${parties}`), 'parties');
    }
  });

  test('another org’s contact or staff user → 404; unknown ids → 404', async () => {
    const conversation = await inboundAndWait(h, randomPhone());
    const contactId = await contactOf(conversation.id);
    const other = await createTestOrg(h.db);
    const token = signStaffToken(JWT_SECRET, { userId: other.adminId, orgId: other.orgId, role: 'admin' });
    expectError(await api(h, token).get(`/v1/conversations/between/${contactId}+${other.adminId}`), 404, 'not_found');
    expectError(await api(h).get(`/v1/conversations/between/${contactId}+${other.adminId}`), 404, 'not_found');
    expectError(await api(h).get(`/v1/conversations/between/00000000-0000-4000-8000-000000000000+${h.org.agentId}`), 404, 'not_found');
  });
});
