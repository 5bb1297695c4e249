/**
 * `DELETE /v1/contacts/:id` (GDPR erase) through the real path: message texts tombstoned (customer
 * messages, replies and notes), attachment bytes deleted and rows tombstoned, identities and the
 * contact removed, the running workflow's state purged (read through its query) by the durable
 * `contactChangeBroadcastWorkflow` (input ids only; a repeated DELETE does not start a second one;
 * three conversations are all reached; Temporal refusing the start → 503, and the repeated DELETE
 * starts it), audit row without personal data, admins only, 404 for another org; a later message from
 * the same address creates a fresh contact. Email: a reply into an erased thread (by reply token, or by
 * In-Reply-To / References; with the run ended, or kept running by a staff command after the erase)
 * finds or creates the sender's contact by address and the conversation points at it (row and run); a
 * redelivery of the erased email does not. SMS / Telegram: the same number / chat writing into a run kept
 * going on the stand-in by a staff command gets a fresh contact; a Twilio redelivery of the erased SMS
 * does not; a message between the erase's commit and its broadcast (the run still on the erased id) gets
 * a fresh contact and the late broadcast leaves the run on it, as does that erase's update delivered
 * again to a run the customer's message started; a late `contactErased` finding messages still queued
 * drops those received before the erase and keeps (records on a fresh contact) the one received after.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { WorkflowNotFoundError } from '@temporalio/client';
import request from 'supertest';
import { signStaffToken } from '../../api/auth';
import { ERASED_TEXT, previousErase, type RecordedErase } from '../../db/contact-erase';
import type { ContactChangeBroadcastInput } from '../../activities/contact-change-broadcast';
import { CONTACT_CHANGE_BROADCAST_WORKFLOW_TYPE, contactEraseBroadcastWorkflowId } from '../../workflows/contact-change-broadcast';
import { conversationIdFor } from '../../domain/routing';
import { conversationWorkflowId, getStateQuery } from '../../workflows/conversation/contract';
import { createHarness, createTestOrg, type Harness, INBOUND_EMAIL_DOMAIN, JWT_SECRET, randomPhone } from '../support/harness';
import { deliverEmail, freshMessageId, type InboundEmail, inboundEmail, withHeaders } from '../support/postmark-inbound';
import { api, type ConversationBody, contactsAppWithoutStart, expectError, inboundAndWait } from './rest-helpers';
import { insertTrainingPairs } from './db-fixtures';

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ twilio: 'stub' });
});
afterAll(async () => {
  await h?.close();
});

const messagesOf = (conversationId: string) =>
  h.db
    .selectFrom('messages')
    .select(['id', 'text', 'attachments', 'author_type', 'author_id', 'delivery_status'])
    .where('conversation_id', '=', conversationId)
    .orderBy('seq')
    .execute();
const conversationRow = (id: string) =>
  h.db.selectFrom('conversations').select(['contact_id', 'subject', 'last_message_preview']).where('id', '=', id).executeTakeFirstOrThrow();
/** The conversation's run state (a query answers from an ended run too). */
const runStateOf = (conversationId: string) => h.client.workflow.getHandle(conversationWorkflowId(conversationId)).query(getStateQuery);
/** The handle of the broadcast of the (committed) erase of `contactId`; its id derives from the audit row. */
const eraseBroadcast = async (contactId: string) => {
  const recorded = await previousErase(h.db, h.org.orgId, contactId);
  if (!recorded) throw new Error(`no erase of ${contactId}`);
  return h.client.workflow.getHandle(contactEraseBroadcastWorkflowId(h.org.orgId, contactId, recorded.auditId));
};

/** The erase broadcast's input as the route builds it: `contactId`'s erase `erase`, by the org's admin. */
const eraseBroadcastInput = (contactId: string, erase: { auditId: string; standInContactId: string }): ContactChangeBroadcastInput => ({
  change: 'erase',
  orgId: h.org.orgId,
  auditId: erase.auditId,
  contactId,
  standInContactId: erase.standInContactId,
  actorId: h.org.adminId,
});

describe('DELETE /v1/contacts/:id', () => {
  test('erases texts, attachments, identities, the contact and the run’s state; audited; a later message makes a fresh contact', async () => {
    const phone = randomPhone();
    const conversation = await inboundAndWait(h, phone, { body: 'I live at 1 Secret Street' });
    const contactId = (await conversationRow(conversation.id)).contact_id;
    expect((await api(h).patch(`/v1/contacts/${contactId}`, { name: 'Secret Person' })).status).toBe(200);
    // a second contact of the same person, merged in (its audit row names both)
    const twinEmail = `secret-${randomPhone().slice(2)}@example.test`;
    const twin = await api(h).post('/v1/contacts', { name: 'Secret Twin', email: twinEmail });
    expect((await api(h).post(`/v1/contacts/${contactId}/merge`, { otherContactId: twin.body.id })).status).toBe(200);

    const upload = await request(h.app)
      .post('/v1/attachments')
      .set('Authorization', h.auth)
      .attach('file', Buffer.from('passport scan'), { filename: 'passport.txt', contentType: 'text/plain' });
    expect(upload.status).toBe(201);
    const attachmentId = (upload.body as { id: string }).id;
    const note = await api(h).post(`/v1/conversations/${conversation.id}/messages`, {
      text: 'Secret Person sent their passport',
      isInternalNote: true,
    });
    expect(note.status).toBe(201);
    const reply = await api(h).post(`/v1/conversations/${conversation.id}/messages`, {
      text: 'Thanks, Secret Person',
      attachments: [attachmentId],
    });
    expect(reply.status).toBe(201);
    const held = await api(h).post(`/v1/conversations/${conversation.id}/messages`, {
      text: 'Tomorrow, Secret Person',
      sendAt: new Date(Date.now() + 600_000).toISOString(),
    });
    expect(held.status).toBe(201);
    const { storage_key: blobKey } = await h.db
      .selectFrom('attachments')
      .select('storage_key')
      .where('id', '=', attachmentId)
      .executeTakeFirstOrThrow();
    expect(await h.blobs.get(blobKey)).toBeDefined();
    const before = await messagesOf(conversation.id);
    expect(before).toHaveLength(4);

    // agents may not; admins may
    expectError(await api(h, h.tokens.agent).delete(`/v1/contacts/${contactId}`), 403, 'forbidden');
    expect(await h.db.selectFrom('contacts').select('id').where('id', '=', contactId).execute()).toHaveLength(1);
    // copies of the conversation's words elsewhere: a training pair (the admin's JSONL export) and a todo
    const [pairId] = await insertTrainingPairs(h.db, h.org.orgId, conversation.id, [
      { at: new Date(), draft: 'Hi Secret Person', sent: 'Hello Secret Person' },
    ]);
    const todo = await api(h).post('/v1/todos', { title: 'Call Secret Person back', sourceType: 'inbox', sourceId: conversation.id });
    expect(todo.status).toBe(201);

    const res = await api(h).delete(`/v1/contacts/${contactId}`);
    expect(res.status).toBe(204);
    expect(
      await h.db.selectFrom('ai_training_pairs').select(['draft', 'sent']).where('id', '=', pairId!).executeTakeFirstOrThrow(),
    ).toEqual({ draft: '[erased]', sent: '[erased]' });
    expect(await h.db.selectFrom('todos').select('title').where('id', '=', todo.body.id).executeTakeFirstOrThrow()).toEqual({
      title: '[erased]',
    });

    const after = await messagesOf(conversation.id);
    expect(after.map((m) => m.id)).toEqual(before.map((m) => m.id));
    expect(after.map((m) => m.text)).toEqual(['[erased]', '[erased]', '[erased]', '[erased]']);
    expect(after.every((m) => m.attachments.length === 0)).toBe(true);
    // the held reply will not go out
    expect(after.find((m) => m.id === held.body.id)!.delivery_status).toBe('canceled');
    expect(await h.blobs.get(blobKey)).toBeUndefined();
    expect(
      await h.db.selectFrom('attachments').select(['name', 'content_id']).where('id', '=', attachmentId).executeTakeFirstOrThrow(),
    ).toEqual({ name: '[erased]', content_id: null });
    expect(await h.db.selectFrom('contacts').select('id').where('id', '=', contactId).execute()).toEqual([]);
    expect(await h.db.selectFrom('contact_identities').select('id').where('address', '=', phone).execute()).toEqual([]);
    expectError(await api(h).get(`/v1/contacts/${contactId}`), 404, 'not_found');

    const row = await conversationRow(conversation.id);
    const standIn = await h.db.selectFrom('contacts').selectAll().where('id', '=', row.contact_id).executeTakeFirstOrThrow();
    expect(standIn).toMatchObject({ org_id: h.org.orgId, name: null });
    expect(standIn.erased_at).not.toBeNull();
    expect(after.find((m) => m.author_type === 'customer')!.author_id).toBe(standIn.id);
    expect(row).toMatchObject({ subject: null, last_message_preview: null });
    expectError(await api(h).get(`/v1/contacts/${standIn.id}`), 404, 'not_found');
    const list = await api(h).get(`/v1/contacts?q=${encodeURIComponent(phone)}`);
    expect((list.body as { data: unknown[] }).data).toEqual([]);

    // the broadcast purges the run's state; its input (shown by the Temporal UI) holds ids only
    const broadcast = await eraseBroadcast(contactId);
    expect(await broadcast.result()).toEqual({ conversations: 1, updated: 1, notRunning: 0 });
    expect(await runStateOf(conversation.id)).toMatchObject({ contactId: standIn.id, lastMessagePreview: null, subject: null });
    const started = (await broadcast.fetchHistory()).events![0]!.workflowExecutionStartedEventAttributes!;
    const input = JSON.parse(Buffer.from(started.input!.payloads![0]!.data!).toString('utf8')) as Record<string, unknown>;
    expect(input).toEqual({
      change: 'erase',
      orgId: h.org.orgId,
      auditId: expect.any(String),
      contactId,
      standInContactId: standIn.id,
      actorId: h.org.adminId,
    });
    const first = await broadcast.describe();

    const audit = await h.db
      .selectFrom('audit_log')
      .selectAll()
      .where('org_id', '=', h.org.orgId)
      .where('action', '=', 'contact.erase')
      .where('target_id', '=', contactId)
      .execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor_type: 'staff', actor_id: h.org.adminId, target_type: 'contact' });
    expect(audit[0]!.after).toMatchObject({ standInContactId: standIn.id, conversationIds: [conversation.id], messagesErased: 4 });
    const merges = await h.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'contact.merge')
      .where('target_id', '=', contactId)
      .execute();
    expect(merges).toHaveLength(1);
    expect(merges[0]!.before).toEqual({ contact: { id: contactId }, other: { id: twin.body.id } });
    for (const row of [...audit, ...merges]) {
      const auditText = JSON.stringify(row);
      expect(auditText).not.toContain(phone);
      expect(auditText).not.toContain(twinEmail);
      expect(auditText).not.toContain('Secret');
    }

    // a repeated DELETE (e.g. after a 503): 204, nothing changes, no second broadcast (same id, same run)
    expect((await api(h).delete(`/v1/contacts/${contactId}`)).status).toBe(204);
    expect((await messagesOf(conversation.id)).map((m) => m.text)).toEqual(['[erased]', '[erased]', '[erased]', '[erased]']);
    expect(await broadcast.describe()).toMatchObject({ runId: first.runId, status: { name: 'COMPLETED' } });

    // a later message from the same address: same conversation, a fresh contact
    expect((await h.inbound({ from: phone, body: 'Hello again' })).status).toBe(200);
    await h.waitFor(async () => (await messagesOf(conversation.id)).length === 5, 'the new message');
    const fresh = (await conversationRow(conversation.id)).contact_id;
    expect(fresh).not.toBe(standIn.id);
    const freshContact = await api(h).get(`/v1/contacts/${fresh}`);
    expect(freshContact.status).toBe(200);
    expect(freshContact.body).toMatchObject({ name: null, phone });
    const latest = await messagesOf(conversation.id);
    expect(latest.map((m) => m.text)).toEqual(['[erased]', '[erased]', '[erased]', '[erased]', 'Hello again']);
    expect(latest[4]!.author_id).toBe(fresh);
  });

  test('a contact with three conversations: the broadcast purges the open run of each', async () => {
    const conversations: ConversationBody[] = [];
    for (let i = 0; i < 3; i++) conversations.push(await inboundAndWait(h, randomPhone(), { body: `Private ${i}` }));
    const [contactId, ...others] = await Promise.all(conversations.map(async (c) => (await conversationRow(c.id)).contact_id));
    for (const otherId of others) {
      expect((await api(h).post(`/v1/contacts/${contactId}/merge`, { otherContactId: otherId })).status).toBe(200);
    }
    await h.waitFor(
      async () => (await Promise.all(conversations.map((c) => runStateOf(c.id)))).every((s) => s.contactId === contactId),
      'the merges reach the runs',
    );

    expect((await api(h).delete(`/v1/contacts/${contactId}`)).status).toBe(204);
    const standInId = (await conversationRow(conversations[0]!.id)).contact_id;
    expect(await (await eraseBroadcast(contactId!)).result()).toEqual({ conversations: 3, updated: 3, notRunning: 0 });
    for (const c of conversations) {
      expect(await runStateOf(c.id)).toMatchObject({ contactId: standInId, lastMessagePreview: null, subject: null });
      expect((await conversationRow(c.id)).contact_id).toBe(standInId);
    }
  });

  test('Temporal refusing the broadcast → 503 (the erase is committed); repeating the DELETE starts it → 204', async () => {
    const conversation = await inboundAndWait(h, randomPhone(), { body: 'My secret address' });
    const contactId = (await conversationRow(conversation.id)).contact_id;

    const refused = await request(contactsAppWithoutStart(h)).delete(`/v1/contacts/${contactId}`).set('Authorization', h.auth);
    expectError(refused, 503, 'temporarily_unavailable');
    expect((await messagesOf(conversation.id)).map((m) => m.text)).toEqual(['[erased]']);
    const broadcast = await eraseBroadcast(contactId);
    await expect(broadcast.describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    expect((await runStateOf(conversation.id)).lastMessagePreview).toBe('My secret address');

    expect((await api(h).delete(`/v1/contacts/${contactId}`)).status).toBe(204);
    expect(await broadcast.result()).toEqual({ conversations: 1, updated: 1, notRunning: 0 });
    const standInId = (await conversationRow(conversation.id)).contact_id;
    expect(await runStateOf(conversation.id)).toMatchObject({ contactId: standInId, lastMessagePreview: null, subject: null });
  });

  test('another org’s admin → 404 and nothing changes; an unknown id → 404; a bad id → 400', async () => {
    const phone = randomPhone();
    const conversation = await inboundAndWait(h, phone, { body: 'Keep me' });
    const contactId = (await conversationRow(conversation.id)).contact_id;
    const other = await createTestOrg(h.db);
    const token = signStaffToken(JWT_SECRET, { userId: other.adminId, orgId: other.orgId, role: 'admin' });
    expectError(await api(h, token).delete(`/v1/contacts/${contactId}`), 404, 'not_found');
    expect((await messagesOf(conversation.id)).map((m) => m.text)).toEqual(['Keep me']);
    expect((await api(h).get(`/v1/contacts/${contactId}`)).body).toMatchObject({ phone });
    expectError(await api(h).delete('/v1/contacts/00000000-0000-4000-8000-000000000000'), 404, 'not_found');
    expectError(await api(h).delete('/v1/contacts/nope'), 400, 'validation_failed');
  });
});

describe('DELETE /v1/contacts/:id: a later reply into an erased email thread', () => {
  const customerEmail = (): string => `erased-${randomBytes(4).toString('hex')}@mail.example.net`;
  /** An email from `from` (display name `name`) with body `text`; `token` answers our Reply-To, `replyTo` a Message-ID of the thread. */
  const email = (from: string, text: string, opts: { token?: string; replyTo?: string; name?: string } = {}): InboundEmail => {
    const to = opts.token ? `${h.org.emailAddress.split('@')[0]}+${opts.token}@${INBOUND_EMAIL_DOMAIN}` : h.org.emailAddress;
    const mail = inboundEmail(from, to);
    Object.assign(mail, {
      FromName: opts.name ?? 'Noor Secret',
      FromFull: { Email: from, Name: opts.name ?? 'Noor Secret', MailboxHash: '' },
      ToFull: [{ Email: to, Name: '', MailboxHash: opts.token ?? '' }],
      MailboxHash: opts.token ?? '',
      Subject: 'Re: my order',
      TextBody: text,
      HtmlBody: '',
      StrippedTextReply: text,
    });
    if (opts.replyTo) mail.Headers = withHeaders(mail.Headers, { 'In-Reply-To': `<${opts.replyTo}>`, References: `<${opts.replyTo}>` });
    return mail;
  };
  const conversationBody = async (id: string): Promise<ConversationBody> => {
    const res = await api(h).get(`/v1/conversations/${id}`);
    expect(res.status).toBe(200);
    return res.body as ConversationBody;
  };
  const contactsWithEmail = (address: string) =>
    h.db
      .selectFrom('contact_identities')
      .select('contact_id')
      .where('org_id', '=', h.org.orgId)
      .where('kind', '=', 'email')
      .where('address', '=', address)
      .execute();
  /** An email conversation from a fresh address (first message + a staff reply), then its contact erased. */
  const erasedThread = async () => {
    const from = customerEmail();
    const firstMessageId = freshMessageId();
    const first = inboundEmail(from, h.org.emailAddress, firstMessageId);
    Object.assign(first, { TextBody: 'My address is 1 Secret Street', StrippedTextReply: 'My address is 1 Secret Street', HtmlBody: '' });
    const { conversationId } = await deliverEmail(h, first);
    expect((await api(h).post(`/v1/conversations/${conversationId}/messages`, { text: 'Thanks, Noor' })).status).toBe(201);
    const { contact_id: contactId } = await conversationRow(conversationId);
    const { reply_token: token } = await h.db
      .selectFrom('conversations')
      .select('reply_token')
      .where('id', '=', conversationId)
      .executeTakeFirstOrThrow();
    expect((await api(h).delete(`/v1/contacts/${contactId}`)).status).toBe(204);
    expect(await (await eraseBroadcast(contactId)).result()).toMatchObject({ conversations: 1 });
    const standInId = (await conversationRow(conversationId)).contact_id;
    expect(standInId).not.toBe(contactId);
    expect((await messagesOf(conversationId)).map((m) => m.text)).toEqual(['[erased]', '[erased]']);
    expect(await contactsWithEmail(from)).toEqual([]);
    return { from, conversationId, first, firstMessageId, token: token!, standInId };
  };
  /** The reply is stored with its text, authored by a live contact with the sender's address, which the row and the run point at. */
  const expectFreshContact = async (conversationId: string, from: string, standInId: string, text: string): Promise<string> => {
    const view = await conversationBody(conversationId);
    expect(view.contact.id).not.toBe(standInId);
    expect(view.contact).toMatchObject({ email: from, name: 'Noor Secret' });
    const contact = await h.db.selectFrom('contacts').selectAll().where('id', '=', view.contact.id).executeTakeFirstOrThrow();
    expect(contact.erased_at).toBeNull();
    expect((await api(h).get(`/v1/contacts/${view.contact.id}`)).body).toMatchObject({ email: from });
    expect(await contactsWithEmail(from)).toEqual([{ contact_id: view.contact.id }]);
    const messages = await messagesOf(conversationId);
    expect(messages.map((m) => m.text)).toEqual(['[erased]', '[erased]', text]);
    expect(messages[0]!.author_id).toBe(standInId);
    expect(messages[2]!.author_id).toBe(view.contact.id);
    await h.waitFor(async () => (await runStateOf(conversationId)).contactId === view.contact.id, 'the run adopts the contact');
    return view.contact.id;
  };

  test('by reply token (the erased run has ended): the sender gets a fresh contact; a second reply reuses it', async () => {
    const t = await erasedThread();
    const handle = h.client.workflow.getHandle(conversationWorkflowId(t.conversationId));
    await h.waitFor(async () => (await handle.describe()).status.name === 'COMPLETED', 'the erased run ends');
    await deliverEmail(h, email(t.from, 'I am back, by token', { token: t.token }));
    const fresh = await expectFreshContact(t.conversationId, t.from, t.standInId, 'I am back, by token');

    await deliverEmail(h, email(t.from, 'And once more', { token: t.token }));
    expect((await conversationBody(t.conversationId)).contact.id).toBe(fresh);
    expect(await contactsWithEmail(t.from)).toEqual([{ contact_id: fresh }]);
    const messages = await messagesOf(t.conversationId);
    expect(messages.map((m) => [m.text, m.author_id])).toEqual([
      ['[erased]', t.standInId],
      ['[erased]', expect.any(String)],
      ['I am back, by token', fresh],
      ['And once more', fresh],
    ]);
  });

  test('by In-Reply-To / References, while a staff command keeps a run on the stand-in: the sender gets a fresh contact', async () => {
    const t = await erasedThread();
    // a run started after the erase (a staff command) holds the stand-in and stays open
    expect((await api(h).patch(`/v1/conversations/${t.conversationId}`, { tags: ['after-erase'] })).status).toBe(200);
    expect(await runStateOf(t.conversationId)).toMatchObject({ contactId: t.standInId, tags: ['after-erase'] });
    const run = await h.client.workflow.getHandle(conversationWorkflowId(t.conversationId)).describe();
    expect(run.status.name).toBe('RUNNING');
    // Postmark redelivering the erased email: a duplicate, the conversation stays with the stand-in
    // (a command records the customer messages received before it)
    expect((await h.postmarkWebhook('/webhooks/postmark/inbound', t.first)).status).toBe(200);
    expect((await api(h).patch(`/v1/conversations/${t.conversationId}`, { tags: ['after-erase', 'redelivered'] })).status).toBe(200);
    expect(await runStateOf(t.conversationId)).toMatchObject({ contactId: t.standInId });
    expect((await conversationRow(t.conversationId)).contact_id).toBe(t.standInId);
    expect(await contactsWithEmail(t.from)).toEqual([]);
    expect((await messagesOf(t.conversationId)).map((m) => [m.text, m.author_id])).toEqual([
      ['[erased]', t.standInId],
      ['[erased]', expect.any(String)],
    ]);

    await deliverEmail(h, email(t.from, 'I am back, by thread', { replyTo: t.firstMessageId }));
    const fresh = await expectFreshContact(t.conversationId, t.from, t.standInId, 'I am back, by thread');
    // the same run took it
    expect((await h.client.workflow.getHandle(conversationWorkflowId(t.conversationId)).describe()).runId).toBe(run.runId);

    await deliverEmail(h, email(t.from, 'Still me', { replyTo: t.firstMessageId }));
    expect((await conversationBody(t.conversationId)).contact.id).toBe(fresh);
    expect(await contactsWithEmail(t.from)).toEqual([{ contact_id: fresh }]);
  });

  test('a reply from another address into a thread that was not erased stays with the thread’s contact', async () => {
    const from = customerEmail();
    const { conversationId } = await deliverEmail(h, email(from, 'Hello'));
    const { contact_id: contactId, reply_token: token } = await h.db
      .selectFrom('conversations')
      .select(['contact_id', 'reply_token'])
      .where('id', '=', conversationId)
      .executeTakeFirstOrThrow();
    const colleague = customerEmail();
    await deliverEmail(h, email(colleague, 'Answering for Noor', { token: token!, name: 'Colleague' }));
    expect((await conversationBody(conversationId)).contact).toMatchObject({ id: contactId, email: from });
    expect(await contactsWithEmail(colleague)).toEqual([]);
    const messages = await messagesOf(conversationId);
    expect(messages.map((m) => [m.text, m.author_id])).toEqual([
      ['Hello', contactId],
      ['Answering for Noor', contactId],
    ]);
  });
});

describe('DELETE /v1/contacts/:id: a later SMS / Telegram message into a run that is going', () => {
  /** The contact ids of the org's identities with `address` (any kind). */
  const holdersOf = async (address: string) => [
    ...new Set(
      (
        await h.db
          .selectFrom('contact_identities')
          .select('contact_id')
          .where('org_id', '=', h.org.orgId)
          .where('address', '=', address)
          .execute()
      ).map((r) => r.contact_id),
    ),
  ];
  const runOf = (conversationId: string) => h.client.workflow.getHandle(conversationWorkflowId(conversationId));
  /** Erases the conversation's contact, waits for the broadcast and for the erased run to end; then a staff command starts a run on the stand-in. */
  const eraseThenStaffCommand = async (conversationId: string) => {
    const { contact_id: contactId } = await conversationRow(conversationId);
    expect((await api(h).delete(`/v1/contacts/${contactId}`)).status).toBe(204);
    expect(await (await eraseBroadcast(contactId)).result()).toMatchObject({ conversations: 1, updated: 1 });
    await h.waitFor(async () => (await runOf(conversationId).describe()).status.name === 'COMPLETED', 'the erased run ends');
    const standInId = (await conversationRow(conversationId)).contact_id;
    expect(standInId).not.toBe(contactId);
    // a run started after the erase by a staff command: its start input has the stored contact, no customer
    expect((await api(h).patch(`/v1/conversations/${conversationId}`, { tags: ['after-erase'] })).status).toBe(200);
    expect(await runStateOf(conversationId)).toMatchObject({ contactId: standInId, tags: ['after-erase'] });
    const run = await runOf(conversationId).describe();
    expect(run.status.name).toBe('RUNNING');
    return { contactId, standInId, runId: run.runId };
  };
  /** The conversation points at a live contact holding `address` (row and run), which authored `text`; the erased message keeps the stand-in. */
  const expectFreshContact = async (conversationId: string, address: string, standInId: string, text: string): Promise<string> => {
    await h.waitFor(async () => (await messagesOf(conversationId)).length === 2, 'the new message');
    const { contact_id: fresh, last_message_preview: preview } = await conversationRow(conversationId);
    expect(fresh).not.toBe(standInId);
    const contact = await h.db.selectFrom('contacts').selectAll().where('id', '=', fresh).executeTakeFirstOrThrow();
    expect(contact.erased_at).toBeNull();
    expect(await holdersOf(address)).toEqual([fresh]);
    expect((await api(h).get(`/v1/conversations/${conversationId}`)).body).toMatchObject({ contact: { id: fresh } });
    expect((await messagesOf(conversationId)).map((m) => [m.text, m.author_id])).toEqual([
      ['[erased]', standInId],
      [text, fresh],
    ]);
    expect(preview).toBe(text);
    await h.waitFor(async () => (await runStateOf(conversationId)).contactId === fresh, 'the run adopts the contact');
    return fresh;
  };

  test('SMS: a run kept going by a staff command on the stand-in; the same number writes again → a fresh contact', async () => {
    const phone = randomPhone();
    const conversation = await inboundAndWait(h, phone, { body: 'My address is 1 Secret Street' });
    const { standInId, runId } = await eraseThenStaffCommand(conversation.id);

    expect((await h.inbound({ from: phone, body: 'I am back' })).status).toBe(200);
    const fresh = await expectFreshContact(conversation.id, phone, standInId, 'I am back');
    expect((await api(h).get(`/v1/contacts/${fresh}`)).body).toMatchObject({ phone });
    // the same run took it
    expect((await runOf(conversation.id).describe()).runId).toBe(runId);

    // the next message stays with it
    expect((await h.inbound({ from: phone, body: 'Still me' })).status).toBe(200);
    await h.waitFor(async () => (await messagesOf(conversation.id)).length === 3, 'the second message');
    expect((await messagesOf(conversation.id)).at(-1)).toMatchObject({ text: 'Still me', author_id: fresh });
    expect(await holdersOf(phone)).toEqual([fresh]);
  });

  test('Telegram: a run kept going by a staff command on the stand-in; the same chat writes again → a fresh contact', async () => {
    const chatId = 7_000_000_000 + Math.floor(Math.random() * 1_000_000_000);
    const conversationId = conversationIdFor(h.org.orgId, h.org.telegramChannelId, String(chatId));
    expect((await h.telegramWebhook(h.telegram.update({ chatId, firstName: 'Tomás', text: 'Mi secreto' }))).status).toBe(200);
    await h.waitFor(async () => (await messagesOf(conversationId)).length === 1, 'the first message');
    const { standInId, runId } = await eraseThenStaffCommand(conversationId);

    expect((await h.telegramWebhook(h.telegram.update({ chatId, firstName: 'Tomás', text: 'Otra vez' }))).status).toBe(200);
    const fresh = await expectFreshContact(conversationId, String(chatId), standInId, 'Otra vez');
    expect((await api(h).get(`/v1/contacts/${fresh}`)).body).toMatchObject({
      name: 'Tomás',
      identities: [{ kind: 'telegram', address: String(chatId) }],
    });
    expect((await runOf(conversationId).describe()).runId).toBe(runId);
  });

  test('Telegram: an edit of an erased message, sent after the erase, leaves the tombstone', async () => {
    const chatId = 7_000_000_000 + Math.floor(Math.random() * 1_000_000_000);
    const conversationId = conversationIdFor(h.org.orgId, h.org.telegramChannelId, String(chatId));
    const messageId = 4242;
    expect((await h.telegramWebhook(h.telegram.update({ chatId, messageId, firstName: 'Tomás', text: 'Mi dirección' }))).status).toBe(200);
    await h.waitFor(async () => (await messagesOf(conversationId)).length === 1, 'the first message');
    const { standInId } = await eraseThenStaffCommand(conversationId);

    // the customer edits the erased message, then writes again: the edit is applied (or skipped) before the new message is recorded
    const edit = h.telegram.update({ chatId, messageId, firstName: 'Tomás', text: 'Mi dirección nueva', edit: true });
    expect((await h.telegramWebhook(edit)).status).toBe(200);
    expect((await h.telegramWebhook(h.telegram.update({ chatId, firstName: 'Tomás', text: 'Hola' }))).status).toBe(200);
    await expectFreshContact(conversationId, String(chatId), standInId, 'Hola');
    const [erased] = await h.db
      .selectFrom('messages')
      .select(['text', 'author_id', 'edited_at'])
      .where('conversation_id', '=', conversationId)
      .orderBy('seq')
      .execute();
    expect(erased).toEqual({ text: ERASED_TEXT, author_id: standInId, edited_at: null });
  });

  test('a run started by the same number after the erase is left alone by that erase’s contactErased delivered again', async () => {
    const phone = randomPhone();
    const conversation = await inboundAndWait(h, phone, { body: 'My secret address' });
    const { contact_id: contactId } = await conversationRow(conversation.id);
    expect((await api(h).delete(`/v1/contacts/${contactId}`)).status).toBe(204);
    expect(await (await eraseBroadcast(contactId)).result()).toMatchObject({ conversations: 1, updated: 1 });
    await h.waitFor(async () => (await runOf(conversation.id).describe()).status.name === 'COMPLETED', 'the erased run ends');
    const erase = (await previousErase(h.db, h.org.orgId, contactId))!;

    // the customer's message starts a run, which moves the conversation to their fresh contact at its start
    expect((await h.inbound({ from: phone, body: 'Back again' })).status).toBe(200);
    const fresh = await expectFreshContact(conversation.id, phone, erase.standInContactId, 'Back again');
    const run = await runOf(conversation.id).describe();
    expect(run.status.name).toBe('RUNNING');

    // the same erase's update once more (a broadcast retried after a lost answer): stale for this run
    const again = await h.client.workflow.start(CONTACT_CHANGE_BROADCAST_WORKFLOW_TYPE, {
      workflowId: `${contactEraseBroadcastWorkflowId(h.org.orgId, contactId, erase.auditId)}-again`,
      taskQueue: run.taskQueue,
      args: [eraseBroadcastInput(contactId, erase)],
    });
    expect(await again.result()).toMatchObject({ conversations: 1, updated: 1 });
    expect(await runStateOf(conversation.id)).toMatchObject({ contactId: fresh, lastMessagePreview: 'Back again' });
    expect(await conversationRow(conversation.id)).toMatchObject({ contact_id: fresh, last_message_preview: 'Back again' });
    expect((await messagesOf(conversation.id)).at(-1)).toMatchObject({ text: 'Back again', author_id: fresh });
    expect(await runOf(conversation.id).describe()).toMatchObject({ runId: run.runId, status: { name: 'RUNNING' } });
  });

  test('Twilio redelivering the erased SMS after the erased run ended: a duplicate, the conversation stays with the stand-in', async () => {
    const phone = randomPhone();
    const sid = `SM${randomBytes(16).toString('hex')}`;
    expect((await h.inbound({ from: phone, body: 'My secret address', sid })).status).toBe(200);
    const conversationId = h.conversationIdOf(phone);
    await h.waitFor(async () => (await messagesOf(conversationId)).length === 1, 'the first message');
    const { contact_id: contactId } = await conversationRow(conversationId);
    expect((await api(h).delete(`/v1/contacts/${contactId}`)).status).toBe(204);
    expect(await (await eraseBroadcast(contactId)).result()).toMatchObject({ conversations: 1, updated: 1 });
    await h.waitFor(async () => (await runOf(conversationId).describe()).status.name === 'COMPLETED', 'the erased run ends');
    const standInId = (await conversationRow(conversationId)).contact_id;

    // the redelivery starts a run (its start input has the customer); a command then records what it received
    expect((await h.inbound({ from: phone, body: 'My secret address', sid })).status).toBe(200);
    expect((await api(h).patch(`/v1/conversations/${conversationId}`, { tags: ['after-redelivery'] })).status).toBe(200);
    expect(await runStateOf(conversationId)).toMatchObject({ contactId: standInId, tags: ['after-redelivery'] });
    expect((await conversationRow(conversationId)).contact_id).toBe(standInId);
    expect(await holdersOf(phone)).toEqual([]);
    expect((await messagesOf(conversationId)).map((m) => [m.text, m.author_id])).toEqual([['[erased]', standInId]]);
  });

  test('a message between the erase and its broadcast gets a fresh contact; the late broadcast leaves the run on it', async () => {
    const phone = randomPhone();
    const conversation = await inboundAndWait(h, phone, { body: 'My secret address' });
    const { contact_id: contactId } = await conversationRow(conversation.id);
    const run = await runOf(conversation.id).describe();
    expect(run.status.name).toBe('RUNNING');

    // the erase commits; its broadcast cannot be started: the run still holds the erased contact's id
    const refused = await request(contactsAppWithoutStart(h)).delete(`/v1/contacts/${contactId}`).set('Authorization', h.auth);
    expectError(refused, 503, 'temporarily_unavailable');
    const erase = await previousErase(h.db, h.org.orgId, contactId);
    const standInId = erase!.standInContactId;
    expect((await conversationRow(conversation.id)).contact_id).toBe(standInId);
    expect(await runStateOf(conversation.id)).toMatchObject({ contactId, lastMessagePreview: 'My secret address' });

    expect((await h.inbound({ from: phone, body: 'Here I am again' })).status).toBe(200);
    const fresh = await expectFreshContact(conversation.id, phone, standInId, 'Here I am again');
    expect((await api(h).get(`/v1/contacts/${fresh}`)).body).toMatchObject({ phone });

    // the broadcast of that erase runs now (as the route starts it): the run is no longer the erased person's
    await h.conversations.startOnce(
      CONTACT_CHANGE_BROADCAST_WORKFLOW_TYPE,
      contactEraseBroadcastWorkflowId(h.org.orgId, contactId, erase!.auditId),
      eraseBroadcastInput(contactId, { auditId: erase!.auditId, standInContactId: standInId }),
    );
    expect(await (await eraseBroadcast(contactId)).result()).toMatchObject({ conversations: 1 });
    expect(await runStateOf(conversation.id)).toMatchObject({ contactId: fresh, lastMessagePreview: 'Here I am again' });
    expect(await conversationRow(conversation.id)).toMatchObject({ contact_id: fresh, last_message_preview: 'Here I am again' });
    expect((await messagesOf(conversation.id)).map((m) => [m.text, m.author_id])).toEqual([
      ['[erased]', standInId],
      ['Here I am again', fresh],
    ]);
    // the run goes on (it did not end as an erased one) and records the next message on the fresh contact
    expect((await h.inbound({ from: phone, body: 'And again' })).status).toBe(200);
    await h.waitFor(async () => (await messagesOf(conversation.id)).length === 3, 'the next message');
    expect((await messagesOf(conversation.id)).at(-1)).toMatchObject({ text: 'And again', author_id: fresh });
    expect(await runOf(conversation.id).describe()).toMatchObject({ runId: run.runId, status: { name: 'RUNNING' } });
    expect(await runStateOf(conversation.id)).toMatchObject({ contactId: fresh, lastMessagePreview: 'And again' });
  });

  test('a late contactErased drops the queued messages received before the erase and keeps the one received after it', async () => {
    const phone = randomPhone();
    const conversation = await inboundAndWait(h, phone, { body: 'My secret address' });
    const { contact_id: contactId } = await conversationRow(conversation.id);
    const run = runOf(conversation.id);
    const T = temporal.api.enums.v1.EventType;
    /** Waits until the run has processed every signal it got (a workflow task completed after the last one). */
    const signalsProcessed = () =>
      h.waitFor(async () => {
        const events = (await run.fetchHistory()).events ?? [];
        const lastSignal = events.findLastIndex((e) => e.eventType === T.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
        return events.some((e, i) => i > lastSignal && e.eventType === T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
      }, 'the run took the signals');

    // The run's lock is held by the recording of a message whose insert waits on an uncommitted row with
    // the same provider message id (the org-wide unique key) in another conversation: the messages after
    // it stay queued. The erase does not touch that row, so it commits meanwhile.
    const blockerSid = `SM${randomBytes(16).toString('hex')}`;
    const decoy = await inboundAndWait(h, randomPhone(), { body: 'Someone else' });
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let decoyInserted!: () => void;
    const decoyReady = new Promise<void>((r) => (decoyInserted = r));
    let erase!: RecordedErase;
    const holder = h.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('messages')
        .values({
          id: randomUUID(),
          org_id: h.org.orgId,
          conversation_id: decoy.id,
          direction: 'inbound',
          author_type: 'customer',
          author_id: null,
          text: 'decoy',
          attachments: JSON.stringify([]),
          is_internal_note: false,
          provider: 'twilio',
          provider_message_id: blockerSid,
          delivery_status: null,
          created_at: new Date().toISOString(),
        })
        .execute();
      decoyInserted();
      await released;
    });
    try {
      await Promise.race([decoyReady, holder]);
      expect((await h.inbound({ from: phone, body: 'Hold the line', sid: blockerSid })).status).toBe(200);
      await h.waitFor(
        async () => (await run.describe()).raw.pendingActivities?.some((a) => a.activityType?.name === 'recordInboundMessages'),
        'the blocked recording',
      );
      // the erased person's message, received before the erase: queued behind the blocked recording
      expect((await h.inbound({ from: phone, body: 'My old secret' })).status).toBe(200);
      await signalsProcessed();

      // the erase commits (its broadcast is started below, as the route would)
      const refused = await request(contactsAppWithoutStart(h)).delete(`/v1/contacts/${contactId}`).set('Authorization', h.auth);
      expectError(refused, 503, 'temporarily_unavailable');
      erase = (await previousErase(h.db, h.org.orgId, contactId))!;
      // the customer writes again after the commit: queued too
      expect((await h.inbound({ from: phone, body: 'Here I am again' })).status).toBe(200);
      await signalsProcessed();

      await h.conversations.startOnce(
        CONTACT_CHANGE_BROADCAST_WORKFLOW_TYPE,
        contactEraseBroadcastWorkflowId(h.org.orgId, contactId, erase.auditId),
        eraseBroadcastInput(contactId, erase),
      );
      // the update reached the run and waits for its lock
      await h.waitFor(
        async () => ((await run.fetchHistory()).events ?? []).some((e) => e.eventType === T.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED),
        'the contactErased update accepted',
      );
      expect((await messagesOf(conversation.id)).map((m) => m.text)).toEqual(['[erased]']);
    } finally {
      // committed: the blocked message is a duplicate of the decoy (not stored in this conversation)
      release();
      await holder;
    }

    expect(await (await eraseBroadcast(contactId)).result()).toMatchObject({ conversations: 1, updated: 1 });
    await h.waitFor(async () => (await messagesOf(conversation.id)).length === 2, 'the message after the erase');
    const { contact_id: fresh } = await conversationRow(conversation.id);
    expect(fresh).not.toBe(erase.standInContactId);
    expect((await api(h).get(`/v1/contacts/${fresh}`)).body).toMatchObject({ phone });
    // the earlier queued message is gone; the later one is stored with its text on the fresh contact
    expect((await messagesOf(conversation.id)).map((m) => [m.text, m.author_id])).toEqual([
      ['[erased]', erase.standInContactId],
      ['Here I am again', fresh],
    ]);
    expect(await conversationRow(conversation.id)).toMatchObject({ contact_id: fresh, last_message_preview: 'Here I am again' });
    await h.waitFor(async () => (await runStateOf(conversation.id)).contactId === fresh, 'the run adopts the fresh contact');
  });
});
