/**
 * Records the conversation workflow's histories for the replay test (`replay.test.ts`): each scenario
 * drives a conversation through the real path (webhooks → API → Temporal dev server → worker, the
 * carrier and OpenAI stand-ins) and writes its run's history to `histories/<prefix>-<scenario>.json`.
 *
 * Skipped unless `RECORD_HISTORIES=<prefix>` is set; run it through `npm run replay:record -- <prefix>
 * [scenario ...]` (`scripts/record-histories.ts`), which sets `RECORD_HISTORIES` and
 * `RECORD_SCENARIOS` (comma-separated scenario names; default all).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import { chatCompletionBody } from '../../scripts/openai-standin';
import { startEmbeddedTemporal, type EmbeddedTemporal } from '../../scripts/embedded-temporal';
import { conversationIdFor } from '../../domain/routing';
import { conversationWorkflowId, getStateQuery } from '../../workflows/conversation/contract';
import { createHarness, type Harness, randomPhone } from '../support/harness';
import type { PostmarkHeader } from '../support/postmark-inbound';
import { writeHistory } from './history-files';

const record = process.env.RECORD_HISTORIES;
const only = process.env.RECORD_SCENARIOS ? process.env.RECORD_SCENARIOS.split(',').map((s) => s.trim()) : null;

/** A scenario's test, skipped when `RECORD_SCENARIOS` names others. */
const scenario = (name: string, title: string, fn: () => Promise<void>, timeoutMs?: number): void =>
  (only && !only.includes(name) ? test.skip : test)(`${name}: ${title}`, fn, timeoutMs);

(record ? describe : describe.skip)('recording histories (RECORD_HISTORIES=<prefix>)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ openai: true });
  });
  afterAll(async () => {
    await h?.close();
  });

  const api = () => ({
    get: (p: string) => request(h.app).get(p).set('Authorization', h.auth),
    post: (p: string, body: object = {}) => request(h.app).post(p).set('Authorization', h.auth).send(body),
    put: (p: string, body: object) => request(h.app).put(p).set('Authorization', h.auth).send(body),
    patch: (p: string, body: object) => request(h.app).patch(p).set('Authorization', h.auth).send(body),
  });
  const sid = () => `SM${randomBytes(16).toString('hex')}`;
  const messages = (id: string) => h.db.selectFrom('messages').selectAll().where('conversation_id', '=', id).orderBy('seq').execute();
  const settle = () => new Promise((r) => setTimeout(r, 1500));

  /** Writes the history of one run (default: the latest) of the conversation's workflow. */
  async function save(name: string, conversationId: string, runId?: string, on: Harness = h): Promise<void> {
    await settle();
    const workflowId = conversationWorkflowId(conversationId);
    const history = await on.client.workflow.getHandle(workflowId, runId).fetchHistory();
    writeHistory(record!, name, workflowId, history);
  }

  scenario('sms', 'inbound, reply, status callback, note, tags, assign, snooze, close with a note, reopen', async () => {
    const from = randomPhone();
    const id = h.conversationIdOf(from);
    expect((await h.inbound({ from, body: 'Where is my order?', sid: sid() })).status).toBe(200);
    await h.waitFor(async () => (await messages(id)).length === 1, 'first message');
    const reply = await api().post(`/v1/conversations/${id}/messages`, { text: 'It ships today.' });
    expect(reply.status).toBe(201);
    await h.waitFor(async () => (await messages(id)).find((m) => m.id === reply.body.id)?.provider_message_id, 'sent');
    const sent = (await messages(id)).find((m) => m.id === reply.body.id)!;
    const form = new URLSearchParams({ MessageSid: sent.provider_message_id!, MessageStatus: 'delivered' }).toString();
    expect((await h.postSignedForm(`/webhooks/twilio/status?messageId=${sent.id}`, form)).status).toBe(200);
    expect((await api().post(`/v1/conversations/${id}/messages`, { text: 'VIP customer', isInternalNote: true })).status).toBe(201);
    expect((await api().patch(`/v1/conversations/${id}`, { tags: ['orders'], priority: 'high' })).status).toBe(200);
    expect((await api().post(`/v1/conversations/${id}/assign`, { assigneeId: h.org.agentId })).status).toBe(200);
    const until = new Date(Date.now() + 2000).toISOString();
    expect((await api().post(`/v1/conversations/${id}/status`, { status: 'snoozed', until })).status).toBe(200);
    await h.waitFor(async () => (await api().get(`/v1/conversations/${id}`)).body.status === 'open', 'snooze wake-up', 10_000);
    expect((await api().post(`/v1/conversations/${id}/status`, { status: 'closed', resolutionNote: 'Shipped' })).status).toBe(200);
    expect((await h.inbound({ from, body: 'Thanks! One more thing', sid: sid() })).status).toBe(200);
    await h.waitFor(async () => (await api().get(`/v1/conversations/${id}`)).body.status === 'open', 'reopened');
    await save('sms', id);
  });

  scenario('teams', 'inbound, assign to a team and a member, the team deleted, assign again, unassign the team', async () => {
    const from = randomPhone();
    const id = h.conversationIdOf(from);
    expect((await h.inbound({ from, body: 'Billing question', sid: sid() })).status).toBe(200);
    await h.waitFor(async () => (await messages(id)).length === 1, 'first message');
    const team = await api().post('/v1/teams', { name: `Billing ${randomBytes(3).toString('hex')}` });
    expect(team.status).toBe(201);
    expect((await api().post(`/v1/conversations/${id}/assign`, { teamId: team.body.id })).status).toBe(200);
    expect((await api().post(`/v1/conversations/${id}/assign`, { assigneeId: h.org.agentId, teamId: team.body.id })).status).toBe(200);
    expect((await api().post(`/v1/conversations/${id}/assign`, { teamId: randomUUID() })).status).toBe(422);
    expect((await request(h.app).delete(`/v1/teams/${team.body.id}`).set('Authorization', h.auth)).status).toBe(204);
    expect((await api().post(`/v1/conversations/${id}/assign`, { assigneeId: h.org.adminId })).status).toBe(200);
    expect((await api().post(`/v1/conversations/${id}/assign`, { teamId: null })).status).toBe(200);
    await save('teams', id);
  });

  scenario('telegram', 'message, redelivered update, photo (getFile import), customer edit, reply', async () => {
    const chatId = 700_000_000 + Math.floor(Math.random() * 1_000_000);
    const id = conversationIdFor(h.org.orgId, h.org.telegramChannelId, String(chatId));
    const first = h.telegram.update({ chatId, firstName: 'Ada', text: 'teh parcel is late' });
    expect((await h.telegramWebhook(first)).status).toBe(200);
    expect((await h.telegramWebhook(first)).status).toBe(200);
    const photo = h.telegram.addFile(Buffer.from('89504e470d0a1a0a', 'hex'), 'image/jpeg');
    expect((await h.telegramWebhook(h.telegram.update({ chatId, caption: 'the box', photo }))).status).toBe(200);
    await h.waitFor(async () => (await messages(id)).filter((m) => m.attachments.every((a) => a.attachmentId)).length === 2, 'stored');
    const messageId = (first.message as { message_id: number }).message_id;
    expect((await h.telegramWebhook(h.telegram.update({ chatId, messageId, text: 'the parcel is late', edit: true }))).status).toBe(200);
    await h.waitFor(async () => (await messages(id)).some((m) => m.edited_at !== null), 'edit applied');
    const reply = await api().post(`/v1/conversations/${id}/messages`, { text: 'Sorry! It ships today.' });
    expect(reply.status).toBe(201);
    await h.waitFor(async () => (await messages(id)).find((m) => m.id === reply.body.id)?.provider_message_id, 'sent');
    await save('telegram', id);
  });

  scenario('whatsapp', 'inbound, reply, duplicate webhook', async () => {
    const from = randomPhone();
    const id = h.conversationIdOf(from, 'whatsapp');
    const first = sid();
    expect((await h.inbound({ from, body: 'Hola', whatsapp: true, sid: first, profileName: 'Ana' })).status).toBe(200);
    expect((await h.inbound({ from, body: 'Hola', whatsapp: true, sid: first, profileName: 'Ana' })).status).toBe(200);
    await h.waitFor(async () => (await messages(id)).length === 1, 'first message');
    expect((await api().post(`/v1/conversations/${id}/messages`, { text: '¡Hola!' })).status).toBe(201);
    await h.waitFor(async () => (await messages(id)).some((m) => m.provider_message_id && m.direction === 'outbound'), 'sent');
    await save('whatsapp', id);
  });

  /** What the Postmark SDK POSTed to the stand-in's `/email` with this `TextBody`. */
  const sentEmail = (text: string) =>
    h.waitFor(
      async () =>
        h.postmark.requests.find((r) => r.path === '/email' && (r.body as { TextBody?: string } | null)?.TextBody === text)?.body as
          { Headers: PostmarkHeader[] } | undefined,
      `Postmark send of "${text}"`,
    );

  scenario('email-thread', 'inbound, reply, delivery event, the customer answers in the thread, a second reply', async () => {
    const customer = `c-${randomBytes(3).toString('hex')}@example.net`;
    const mail = (subject: string, text: string, headers: PostmarkHeader[]) => ({
      From: customer,
      FromName: 'Casey',
      FromFull: { Email: customer, Name: 'Casey', MailboxHash: '' },
      To: h.org.emailAddress,
      ToFull: [{ Email: h.org.emailAddress, Name: '', MailboxHash: '' }],
      Subject: subject,
      MessageID: randomUUID(),
      TextBody: text,
      HtmlBody: '',
      StrippedTextReply: '',
      Headers: [{ Name: 'Message-ID', Value: `<${randomUUID()}@example.net>` }, ...headers],
      Attachments: [],
    });
    const first = await h.postmarkWebhook('/webhooks/postmark/inbound', mail('Order 4821', 'Wrong size', []));
    expect(first.status).toBe(200);
    const id = (first.body as { conversationId: string }).conversationId;
    await h.waitFor(async () => (await messages(id)).length === 1, 'first email');
    const replyText = `We will send the right size. ${randomUUID()}`;
    const reply = await api().post(`/v1/conversations/${id}/messages`, { text: replyText });
    expect(reply.status).toBe(201);
    const sent = await h.waitFor(
      async () => (await messages(id)).find((m) => m.id === reply.body.id && m.provider_message_id),
      'email sent',
    );
    const delivery = {
      RecordType: 'Delivery',
      MessageID: sent.provider_message_id,
      Recipient: customer,
      DeliveredAt: new Date().toISOString(),
      Details: '',
      Tag: '',
      MessageStream: 'outbound',
      Metadata: { message_id: sent.id, conversation_id: id },
    };
    expect((await h.postmarkWebhook('/webhooks/postmark/events', delivery)).status).toBe(200);
    // the customer answers our email: threaded by In-Reply-To our Message-ID into the same conversation
    const ours = (await sentEmail(replyText)).Headers.find((x) => x.Name.toLowerCase() === 'message-id')!.Value;
    const answer = await h.postmarkWebhook(
      '/webhooks/postmark/inbound',
      mail('Re: Order 4821', 'Thanks, size M please', [{ Name: 'In-Reply-To', Value: ours }]),
    );
    expect(answer.status).toBe(200);
    expect((answer.body as { conversationId: string }).conversationId).toBe(id);
    await h.waitFor(async () => (await messages(id)).length === 3, 'the threaded answer');
    const second = await api().post(`/v1/conversations/${id}/messages`, { text: 'Size M is on its way.' });
    expect(second.status).toBe(201);
    await h.waitFor(async () => (await messages(id)).find((m) => m.id === second.body.id && m.provider_message_id), 'second email sent');
    await save('email-thread', id);
  });

  /** Switches the org's assistant on (API field names over the defaults) and scripts every draft. */
  async function assistantAnswers(settings: Record<string, unknown>, reply: string, confidence: number): Promise<void> {
    const res = await api().put('/v1/ai-assistant', {
      enabled: true,
      channels: ['sms', 'whatsapp', 'email', 'chat'],
      model: 'gpt-4o-mini',
      agentTools: { enabled: false },
      ...settings,
    });
    expect(res.status).toBe(200);
    const draft = { reply, confidence, complexity: 'low', intent: 'order_status', handoff: false, handoffReason: null };
    h.openai!.respondWith(() => ({ status: 200, body: chatCompletionBody({ model: 'gpt-4o-mini', content: JSON.stringify(draft) }) }));
  }
  /** Waits for the conversation's suggestion in `status`. */
  const suggestionIn = (id: string, status: 'pending' | 'scheduled' | 'answered') =>
    h.waitFor(
      () => h.db.selectFrom('ai_suggestions').selectAll().where('conversation_id', '=', id).where('status', '=', status).executeTakeFirst(),
      `a ${status} suggestion`,
    );

  scenario('ai', 'a suggestion, then sent with edits by staff', async () => {
    await assistantAnswers({ mode: 'suggest' }, 'It ships tomorrow.', 0.9);
    const from = randomPhone();
    const id = h.conversationIdOf(from);
    expect((await h.inbound({ from, body: 'When does it ship?', sid: sid() })).status).toBe(200);
    const suggestion = await suggestionIn(id, 'pending');
    const sent = await api().post(`/v1/conversations/${id}/suggestions/${suggestion.id}/send`, { text: 'It ships tomorrow morning.' });
    expect(sent.status).toBe(201);
    await save('ai', id);
    expect((await api().put('/v1/ai-assistant', { enabled: false })).status).toBe(200);
  });

  scenario(
    'ai-held-cancelled',
    'an auto-send held for its delay, cancelled by a staff reply (it stays a suggestion, answered)',
    async () => {
      const auto = { mode: 'auto', autoSendConfidence: 0.8, maxAutoSendComplexity: 'low', autoSendDelay: 600 };
      await assistantAnswers(auto, 'It ships today.', 0.95);
      const from = randomPhone();
      const id = h.conversationIdOf(from);
      expect((await h.inbound({ from, body: 'Is it shipped?', sid: sid() })).status).toBe(200);
      await suggestionIn(id, 'scheduled');
      expect((await api().post(`/v1/conversations/${id}/messages`, { text: 'Yes, this morning.' })).status).toBe(201);
      await suggestionIn(id, 'answered');
      await save('ai-held-cancelled', id);
      expect((await api().put('/v1/ai-assistant', { enabled: false })).status).toBe(200);
    },
  );

  scenario(
    'whatsapp-window-lapse',
    '(time-skipping) the 24 h session ends and a free-form reply is refused',
    async () => {
      const main = h;
      h = await createHarness({ timeSkipping: true });
      try {
        const from = randomPhone();
        const id = h.conversationIdOf(from, 'whatsapp');
        expect((await h.inbound({ from, body: 'Hola', whatsapp: true, sid: sid() })).status).toBe(200);
        await h.waitFor(async () => (await messages(id)).length === 1, 'first message');
        await h.env!.sleep(25 * 60 * 60 * 1000);
        await h.waitFor(async () => (await api().get(`/v1/conversations/${id}`)).body.sessionExpired === true, 'the window lapsed');
        expect((await api().post(`/v1/conversations/${id}/messages`, { text: 'Still there?' })).status).toBe(422);
        await save('whatsapp-window-lapse', id);
      } finally {
        await h.close();
        h = main;
      }
    },
    90_000,
  );

  scenario(
    'continued-as-new',
    'the first run of a busy conversation',
    async () => {
      const devServer: EmbeddedTemporal = await startEmbeddedTemporal({ dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 60 } });
      const main = h;
      h = await createHarness({ temporalAddress: devServer.address });
      try {
        await busyConversation();
      } finally {
        await h.close();
        h = main;
        await devServer.stop();
      }
    },
    90_000,
  );

  async function busyConversation(): Promise<void> {
    const from = randomPhone();
    const id = h.conversationIdOf(from);
    const handle = h.client.workflow.getHandle(conversationWorkflowId(id));
    expect((await h.inbound({ from, body: 'message 0', sid: sid() })).status).toBe(200);
    await h.waitFor(async () => (await messages(id)).length === 1, 'first message');
    const firstRunId = (await handle.describe()).runId;
    for (let i = 1; i <= 20 && (await handle.describe()).runId === firstRunId; i++) {
      expect((await h.inbound({ from, body: `message ${i}`, sid: sid() })).status).toBe(200);
      if (i % 4 === 0) expect((await api().post(`/v1/conversations/${id}/messages`, { text: `reply ${i}` })).status).toBe(201);
    }
    await h.waitFor(async () => (await handle.describe()).runId !== firstRunId, 'continue-as-new', 30_000);
    await save('continued-as-new', id, firstRunId);
  }
  // Last: it changes the org's SLA settings (removed again at the end).
  scenario(
    'sla',
    'business-hours SLA: at risk, overdue, priority override, paused while pending, resumed, new settings signalled, closed',
    async () => {
      // seconds-long targets (fractional minutes: only the API insists on whole minutes), in a zone with DST, 24/7 periods
      const everyDay = (['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const).map((day) => ({ day, start: '00:00', end: '24:00' }));
      const settings = {
        firstResponseMinutes: 0.1,
        nextResponseMinutes: 0.2,
        resolutionMinutes: 0.5,
        businessHours: { timeZone: 'America/New_York', periods: everyDay, holidays: [] },
        pauseWhile: { pending: true, snoozed: true },
        warningMinutes: 0.05,
        priorityOverrides: { urgent: { nextResponseMinutes: 0.15 } },
      };
      await h.db
        .insertInto('org_sla_settings')
        .values({ org_id: h.org.orgId, version: 1, settings: JSON.stringify(settings), updated_by: null })
        .onConflict((oc) => oc.column('org_id').doUpdateSet({ settings: JSON.stringify(settings), version: 1 }))
        .execute();
      const row = () => h.db.selectFrom('conversations').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      const from = randomPhone();
      const id = h.conversationIdOf(from);
      expect((await h.inbound({ from, body: 'Is anyone there?', sid: sid() })).status).toBe(200);
      await h.waitFor(async () => (await messages(id)).length === 1, 'first message');
      await h.waitFor(async () => (await row()).sla_at_risk, 'at risk', 15_000);
      await h.waitFor(async () => (await row()).overdue, 'overdue', 15_000);
      expect((await api().patch(`/v1/conversations/${id}`, { priority: 'urgent' })).status).toBe(200);
      expect((await api().post(`/v1/conversations/${id}/messages`, { text: 'Sorry for the wait!' })).status).toBe(201);
      expect((await row()).sla_resolution_due_at).toBeNull(); // paused while pending
      expect((await h.inbound({ from, body: 'Thanks, still stuck', sid: sid() })).status).toBe(200);
      await h.waitFor(async () => (await messages(id)).length === 3, 'second customer message');
      const put = await api().put('/v1/conversations/sla', { firstResponseMinutes: 60, nextResponseMinutes: 240, businessHours: null });
      expect(put.status).toBe(200);
      await h.client.workflow.getHandle(`sla-settings-${h.org.orgId}-v${put.body.version}`).result();
      await h.waitFor(async () => (await row()).sla_next_response_due_at !== null && !(await row()).overdue, 'retargeted', 15_000);
      expect((await api().post(`/v1/conversations/${id}/status`, { status: 'closed' })).status).toBe(200);
      await save('sla', id);
      await h.db.deleteFrom('org_sla_settings').where('org_id', '=', h.org.orgId).execute();
    },
    90_000,
  );

  scenario(
    'scheduled',
    'send later: a reply sent at its instant, one edited then canceled by staff, one canceled by the customer replying; a note edited and deleted; the collision guard',
    async () => {
      const from = randomPhone();
      const id = h.conversationIdOf(from);
      const del = (p: string) => request(h.app).delete(p).set('Authorization', h.auth);
      expect((await h.inbound({ from, body: 'Can you call me back tomorrow?', sid: sid() })).status).toBe(200);
      await h.waitFor(async () => (await messages(id)).length === 1, 'first message');
      const first = (await messages(id))[0]!;
      const soon = await api().post(`/v1/conversations/${id}/messages`, {
        text: 'Good morning! Calling you now.',
        sendAt: new Date(Date.now() + 2_000).toISOString(),
      });
      expect(soon.status).toBe(201);
      const later = await api().post(`/v1/conversations/${id}/messages`, {
        text: 'Following up',
        sendAt: new Date(Date.now() + 600_000).toISOString(),
      });
      expect(later.status).toBe(201);
      expect((await api().patch(`/v1/conversations/${id}/messages/${later.body.id}`, { text: 'Following up (edited)' })).status).toBe(200);
      expect((await del(`/v1/conversations/${id}/messages/${later.body.id}`)).status).toBe(200);
      const note = await api().post(`/v1/conversations/${id}/messages`, { text: 'Call at 9', isInternalNote: true });
      expect((await api().patch(`/v1/conversations/${id}/messages/${note.body.id}`, { text: 'Call at 10' })).status).toBe(200);
      expect((await del(`/v1/conversations/${id}/messages/${note.body.id}`)).status).toBe(200);
      await h.waitFor(
        async () => (await messages(id)).find((m) => m.id === soon.body.id)?.provider_message_id,
        'scheduled reply sent',
        15_000,
      );
      const ifReplied = await api().post(`/v1/conversations/${id}/messages`, {
        text: 'Any news?',
        sendAt: new Date(Date.now() + 600_000).toISOString(),
        cancelIfCustomerReplies: true,
      });
      expect(ifReplied.status).toBe(201);
      expect((await h.inbound({ from, body: 'Yes, all good now', sid: sid() })).status).toBe(200);
      await h.waitFor(
        async () => (await messages(id)).find((m) => m.id === ifReplied.body.id)?.delivery_status === 'canceled',
        'canceled by the customer',
      );
      const stale = await api().post(`/v1/conversations/${id}/messages`, { text: 'Stale', ifNoNewActivitySince: first.id });
      expect(stale.status).toBe(409);
      const newest = (await messages(id)).filter((m) => m.direction === 'inbound').at(-1)!;
      expect((await api().post(`/v1/conversations/${id}/messages`, { text: 'Great!', ifNoNewActivitySince: newest.id })).status).toBe(201);
      await save('scheduled', id);
    },
    60_000,
  );

  scenario(
    'contacts',
    'inbound, the contact merged into another (contactChanged), inbound, a held reply, the contact erased (contactErased, the run ends)',
    async () => {
      const from = randomPhone();
      const id = h.conversationIdOf(from);
      expect((await h.inbound({ from, body: 'My order 123', sid: sid() })).status).toBe(200);
      await h.waitFor(async () => (await messages(id)).length === 1, 'first message');
      const other = (await h.db.selectFrom('conversations').select('contact_id').where('id', '=', id).executeTakeFirstOrThrow()).contact_id;
      const kept = await api().post('/v1/contacts', { name: 'Kept', email: `kept-${randomBytes(4).toString('hex')}@example.test` });
      expect(kept.status).toBe(201);
      expect((await api().post(`/v1/contacts/${kept.body.id}/merge`, { otherContactId: other })).status).toBe(200);
      // the merge's broadcast workflow sends `contactChanged` after the answer: let it land before the next message
      const run = h.client.workflow.getHandle(conversationWorkflowId(id));
      await h.waitFor(async () => (await run.query(getStateQuery)).contactId === kept.body.id, 'contactChanged');
      expect((await h.inbound({ from, body: 'Any news?', sid: sid() })).status).toBe(200);
      await h.waitFor(async () => (await messages(id)).length === 2, 'second message');
      const held = await api().post(`/v1/conversations/${id}/messages`, {
        text: 'Tomorrow',
        sendAt: new Date(Date.now() + 600_000).toISOString(),
      });
      expect(held.status).toBe(201);
      expect((await request(h.app).delete(`/v1/contacts/${kept.body.id}`).set('Authorization', h.auth)).status).toBe(204);
      const handle = h.client.workflow.getHandle(conversationWorkflowId(id));
      await h.waitFor(async () => (await handle.describe()).status.name === 'COMPLETED', 'the run ended');
      await save('contacts', id);
    },
  );
});
