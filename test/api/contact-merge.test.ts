/**
 * `POST /v1/contacts/:id/merge` through the real path: identities, conversations and customer messages
 * move, the other contact is removed, the running workflow adopts the new contact through the durable
 * `contactChangeBroadcastWorkflow` (its state, and the next inbound message lands and is stored under
 * it; a repeated merge does not start a second broadcast; three moved conversations are all reached;
 * a retried attempt of its activity resumes after the heartbeated progress; Temporal refusing the
 * start → 503, and the repeated merge starts it), audit row; 404 for another org's contact, 422 for a
 * merge with itself.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { sql } from 'kysely';
import request from 'supertest';
import { createContactChangeBroadcastActivities, type ConversationUpdater } from '../../activities/contact-change-broadcast';
import { createConversationStoreActivities } from '../../activities/conversation-store';
import { signStaffToken } from '../../api/auth';
import { mergeContacts, previousMerge } from '../../db/contact-merge';
import { conversationIdFor } from '../../domain/routing';
import { contactMergeBroadcastWorkflowId } from '../../workflows/contact-change-broadcast';
import { conversationWorkflowId, getStateQuery } from '../../workflows/conversation/contract';
import { createHarness, createTestOrg, type Harness, JWT_SECRET, randomPhone } from '../support/harness';
import { api, type ConversationBody, contactsAppWithoutStart, expectError, inboundAndWait } from './rest-helpers';

interface ContactBody {
  id: string;
  name: string | null;
  phone: string | null;
  email: string | null;
  vip: boolean;
}

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.close();
});

const contactOf = async (conversationId: string) =>
  (await h.db.selectFrom('conversations').select('contact_id').where('id', '=', conversationId).executeTakeFirstOrThrow()).contact_id;
const customerAuthors = async (conversationId: string) =>
  (
    await h.db
      .selectFrom('messages')
      .select('author_id')
      .where('conversation_id', '=', conversationId)
      .where('author_type', '=', 'customer')
      .orderBy('seq')
      .execute()
  ).map((r) => r.author_id);
/** The contact id in the conversation's run state. */
const runContactOf = async (conversationId: string) =>
  (await h.client.workflow.getHandle(conversationWorkflowId(conversationId)).query(getStateQuery)).contactId;
/** The handle of the broadcast of the (committed) merge of `otherId` into `keptId`; its id derives from the audit row. */
const mergeBroadcast = async (otherId: string, keptId: string) => {
  const recorded = await previousMerge(h.db, h.org.orgId, keptId, otherId);
  if (!recorded) throw new Error(`no merge of ${otherId} into ${keptId}`);
  return h.client.workflow.getHandle(contactMergeBroadcastWorkflowId(h.org.orgId, otherId, keptId, recorded.auditId));
};

describe('POST /v1/contacts/:id/merge', () => {
  test('identities, conversations and messages move; the other contact is gone; the run adopts the contact; audited', async () => {
    const phone = randomPhone();
    const conversation = await inboundAndWait(h, phone, { body: 'first message' });
    const otherId = await contactOf(conversation.id);
    const kept = await api(h).post('/v1/contacts', { name: 'Kept Person', email: `kept-${randomUUID()}@example.test`, vip: true });
    expect(kept.status).toBe(201);
    const keptId = (kept.body as ContactBody).id;

    const res = await api(h).post(`/v1/contacts/${keptId}/merge`, { otherContactId: otherId });
    expect(res.status).toBe(200);
    expect(res.body as ContactBody).toMatchObject({ id: keptId, name: 'Kept Person', phone, vip: true });
    expectError(await api(h).get(`/v1/contacts/${otherId}`), 404, 'not_found');
    expect(await contactOf(conversation.id)).toBe(keptId);
    expect(await customerAuthors(conversation.id)).toEqual([keptId]);
    const broadcast = await mergeBroadcast(otherId, keptId);
    expect(await broadcast.result()).toEqual({ conversations: 1, updated: 1, notRunning: 0 });
    expect(await runContactOf(conversation.id)).toBe(keptId);
    const first = await broadcast.describe();
    expect(first.status.name).toBe('COMPLETED');

    // the same merge again (e.g. after a 503): 200, nothing changes, no second broadcast (same id, same run)
    const again = await api(h).post(`/v1/contacts/${keptId}/merge`, { otherContactId: otherId });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(res.body);
    expect(await broadcast.describe()).toMatchObject({ runId: first.runId, status: { name: 'COMPLETED' } });
    expect(await runContactOf(conversation.id)).toBe(keptId);

    // the next message from the moved address lands in the same conversation, under the kept contact
    expect((await h.inbound({ from: phone, body: 'second message' })).status).toBe(200);
    await h.waitFor(async () => (await customerAuthors(conversation.id)).length === 2, 'second message');
    expect(await customerAuthors(conversation.id)).toEqual([keptId, keptId]);
    expect(await contactOf(conversation.id)).toBe(keptId);
    const read = await api(h).get(`/v1/conversations/${conversation.id}`);
    expect(read.status).toBe(200);

    const audit = await h.db
      .selectFrom('audit_log')
      .selectAll()
      .where('org_id', '=', h.org.orgId)
      .where('action', '=', 'contact.merge')
      .where('target_id', '=', keptId)
      .execute();
    expect(audit).toHaveLength(1); // the repeated merge changed nothing, so it is not audited
    expect(audit[0]).toMatchObject({ actor_type: 'staff', actor_id: h.org.adminId, target_type: 'contact' });
    expect(audit[0]!.before).toMatchObject({ contact: { id: keptId, phone: null }, other: { id: otherId, phone } });
    expect(audit[0]!.after).toMatchObject({ contact: { id: keptId, phone }, movedConversationIds: [conversation.id] });
  });

  test('one merge moving three conversations: the broadcast reaches the open run of each', async () => {
    const conversations: ConversationBody[] = [];
    for (let i = 0; i < 3; i++) conversations.push(await inboundAndWait(h, randomPhone(), { body: `message ${i}` }));
    const [gathering, ...others] = await Promise.all(conversations.map((c) => contactOf(c.id)));
    // gather the three conversations on one contact (one at a time), then merge that contact away
    for (const otherId of others) {
      expect((await api(h).post(`/v1/contacts/${gathering}/merge`, { otherContactId: otherId })).status).toBe(200);
      expect(await (await mergeBroadcast(otherId!, gathering!)).result()).toEqual({ conversations: 1, updated: 1, notRunning: 0 });
    }
    expect(await Promise.all(conversations.map((c) => runContactOf(c.id)))).toEqual([gathering, gathering, gathering]);
    const target = await api(h).post('/v1/contacts', { name: 'Everyone', email: `all-${randomUUID()}@example.test` });
    const targetId = (target.body as ContactBody).id;

    expect((await api(h).post(`/v1/contacts/${targetId}/merge`, { otherContactId: gathering })).status).toBe(200);
    const broadcast = await mergeBroadcast(gathering!, targetId);
    expect(await broadcast.result()).toEqual({ conversations: 3, updated: 3, notRunning: 0 });
    expect(await Promise.all(conversations.map((c) => runContactOf(c.id)))).toEqual([targetId, targetId, targetId]);
    expect(await Promise.all(conversations.map((c) => contactOf(c.id)))).toEqual([targetId, targetId, targetId]);

    // a retried attempt resumes after the progress its predecessor heartbeated (the ids in sorted order)
    const recorded = (await previousMerge(h.db, h.org.orgId, targetId, gathering!))!;
    const sorted = [...recorded.movedConversationIds].sort();
    const told: string[] = [];
    const updater: ConversationUpdater = {
      updateIfRunning: (conversationId, definition, arg) => {
        told.push(conversationId);
        return h.conversations.updateIfRunning(conversationId, definition, arg);
      },
    };
    const env = new MockActivityEnvironment({
      heartbeatDetails: { auditId: recorded.auditId, afterId: sorted[0], updated: 1, notRunning: 0 },
    });
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const input = {
      change: 'merge' as const,
      orgId: h.org.orgId,
      auditId: recorded.auditId,
      fromContactId: gathering!,
      toContactId: targetId,
      actorId: h.org.adminId,
    };
    const { broadcastContactChange } = createContactChangeBroadcastActivities({ db: h.db, updater });
    expect(await env.run(broadcastContactChange, input)).toEqual({ conversations: 3, updated: 3, notRunning: 0 });
    expect(told).toEqual(sorted.slice(1));
    expect(beats.at(-1)).toEqual({ auditId: recorded.auditId, afterId: sorted[2], updated: 3, notRunning: 0 });
    // progress of another change is not resumed; an unknown audit row fails for good (not retried)
    told.length = 0;
    const other = new MockActivityEnvironment({
      heartbeatDetails: { auditId: randomUUID(), afterId: sorted[2], updated: 3, notRunning: 0 },
    });
    expect(await other.run(broadcastContactChange, input)).toEqual({ conversations: 3, updated: 3, notRunning: 0 });
    expect(told).toEqual(sorted);
    await expect(new MockActivityEnvironment().run(broadcastContactChange, { ...input, auditId: randomUUID() })).rejects.toMatchObject({
      type: 'ContactChangeNotFound',
      nonRetryable: true,
    });
  });

  test('Temporal refusing the broadcast → 503 (the merge is committed); repeating the merge starts it → 200', async () => {
    const conversation = await inboundAndWait(h, randomPhone(), { body: 'hello' });
    const otherId = await contactOf(conversation.id);
    const kept = await api(h).post('/v1/contacts', { email: `down-${randomUUID()}@example.test` });
    const keptId = (kept.body as ContactBody).id;

    const refused = await request(contactsAppWithoutStart(h))
      .post(`/v1/contacts/${keptId}/merge`)
      .set('Authorization', h.auth)
      .send({ otherContactId: otherId });
    expectError(refused, 503, 'temporarily_unavailable');
    expect(refused.headers['retry-after']).toBeDefined();
    expect(await contactOf(conversation.id)).toBe(keptId);
    const broadcast = await mergeBroadcast(otherId, keptId);
    await expect(broadcast.describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    expect(await runContactOf(conversation.id)).toBe(otherId);

    const again = await api(h).post(`/v1/contacts/${keptId}/merge`, { otherContactId: otherId });
    expect(again.status).toBe(200);
    expect((again.body as ContactBody).id).toBe(keptId);
    expect(await broadcast.result()).toEqual({ conversations: 1, updated: 1, notRunning: 0 });
    expect(await runContactOf(conversation.id)).toBe(keptId);
  });

  test('a conversation created for the kept contact by a later webhook from the other’s address uses the kept contact', async () => {
    const phone = randomPhone();
    const other = await api(h).post('/v1/contacts', { name: 'Other', phone });
    const kept = await api(h).post('/v1/contacts', { email: `k-${randomUUID()}@example.test` });
    expect([other.status, kept.status]).toEqual([201, 201]);
    const keptId = (kept.body as ContactBody).id;
    expect((await api(h).post(`/v1/contacts/${keptId}/merge`, { otherContactId: (other.body as ContactBody).id })).status).toBe(200);
    const conversation = await inboundAndWait(h, phone);
    expect(await contactOf(conversation.id)).toBe(keptId);
    expect((await api(h).get(`/v1/contacts/${keptId}`)).body as ContactBody).toMatchObject({ name: 'Other', phone });
  });

  test('a webhook’s new conversation racing the merge (its insert waits on the merge’s lock) ends up on the kept contact', async () => {
    const phone = randomPhone();
    const other = await api(h).post('/v1/contacts', { phone });
    const kept = await api(h).post('/v1/contacts', { email: `race-${randomUUID()}@example.test` });
    const otherId = (other.body as ContactBody).id;
    const keptId = (kept.body as ContactBody).id;
    const conversationId = conversationIdFor(h.org.orgId, h.org.smsChannelId, phone);
    const store = createConversationStoreActivities(h.db);
    let load: ReturnType<typeof store.loadConversation> | undefined;
    const merged = await mergeContacts(h.db, h.org.orgId, keptId, otherId, async () => {
      // inside the merge's transaction (the other contact deleted, not committed): the webhook's first
      // activity resolves the address to the other contact and its insert blocks on the foreign key
      load = store.loadConversation({
        conversationId,
        orgId: h.org.orgId,
        channelId: h.org.smsChannelId,
        channelKind: 'sms',
        customer: { kind: 'sms', address: phone },
      });
      load.catch(() => undefined);
      await h.waitFor(async () => {
        const { rows } = await sql<{ n: number }>`
          select count(*)::int as n from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock' and query ilike 'insert into "conversations"%'`.execute(h.db);
        return rows[0]!.n > 0;
      }, 'the webhook insert waiting on the merge');
    });
    expect(merged.status).toBe('merged');
    const loaded = await load!;
    expect(loaded.state.contactId).toBe(keptId);
    expect(await contactOf(conversationId)).toBe(keptId);
  });

  test('another org’s contact → 404, nothing changes', async () => {
    const otherOrg = await createTestOrg(h.db);
    const token = signStaffToken(JWT_SECRET, { userId: otherOrg.adminId, orgId: otherOrg.orgId, role: 'admin' });
    const foreign = await api(h, token).post('/v1/contacts', { phone: randomPhone() });
    const mine = await api(h).post('/v1/contacts', { phone: randomPhone() });
    expect([foreign.status, mine.status]).toEqual([201, 201]);
    const foreignId = (foreign.body as ContactBody).id;
    const mineId = (mine.body as ContactBody).id;
    expectError(await api(h).post(`/v1/contacts/${mineId}/merge`, { otherContactId: foreignId }), 404, 'not_found');
    expectError(await api(h).post(`/v1/contacts/${foreignId}/merge`, { otherContactId: mineId }), 404, 'not_found');
    expectError(await api(h, token).post(`/v1/contacts/${foreignId}/merge`, { otherContactId: mineId }), 404, 'not_found');
    expect((await api(h, token).get(`/v1/contacts/${foreignId}`)).body).toEqual(foreign.body);
    expect((await api(h).get(`/v1/contacts/${mineId}`)).body).toEqual(mine.body);
  });

  test('merging a contact with itself → 422 merge_with_itself; a bad body → 400', async () => {
    const mine = await api(h).post('/v1/contacts', { phone: randomPhone() });
    const id = (mine.body as ContactBody).id;
    expectError(await api(h).post(`/v1/contacts/${id}/merge`, { otherContactId: id }), 422, 'merge_with_itself');
    expectError(await api(h).post(`/v1/contacts/${id}/merge`, { otherContactId: 'nope' }), 400, 'validation_failed');
    expectError(await api(h).post(`/v1/contacts/${id}/merge`, {}), 400, 'validation_failed');
  });
});
