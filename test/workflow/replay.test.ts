/**
 * Replay safety: conversations live for weeks, so every change to workflow code must replay the
 * histories that earlier versions wrote. `test/workflow/histories/*.json` are real histories
 * (the `History` protobuf, base64 in a small JSON envelope) recorded from earlier versions of the workflow through the real
 * path (webhooks → API → dev server → worker); each is replayed here against today's bundle
 * (`Worker.runReplayHistories`), which fails on any nondeterminism (a changed command sequence
 * without `patched()`).
 *
 * Record a new set (from the code in the work tree) with
 * `RECORD_HISTORIES=<prefix> npx jest test/workflow/replay.test.ts`: the scenarios below drive an
 * SMS, WhatsApp, email and AI-assisted conversation and a continue-as-new, and write
 * `histories/<prefix>-<scenario>.json`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import request from 'supertest';
import { chatCompletionBody } from '../../scripts/openai-standin';
import { startEmbeddedTemporal, type EmbeddedTemporal } from '../../scripts/embedded-temporal';
import { conversationWorkflowId } from '../../workflows/conversation/contract';
import { globalResources } from '../support/global-resources';
import { createHarness, type Harness, randomPhone } from '../support/harness';

const HISTORY_DIR = path.join(__dirname, 'histories');
const record = process.env.RECORD_HISTORIES;

function storedHistories(): { name: string; workflowId: string; historyBase64: string }[] {
  let files: string[] = [];
  try {
    files = readdirSync(HISTORY_DIR).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  return files.sort().map((f) => {
    const { workflowId, historyBase64 } = JSON.parse(readFileSync(path.join(HISTORY_DIR, f), 'utf8')) as {
      workflowId: string;
      historyBase64: string;
    };
    return { name: f, workflowId, historyBase64 };
  });
}

describe('replay of recorded histories', () => {
  const stored = storedHistories();

  test('there are recorded histories to replay', () => {
    expect(stored.length).toBeGreaterThanOrEqual(5);
  });

  test.each(stored.map((s) => [s.name, s] as const))('%s replays against today’s workflow code', async (_name, s) => {
    const history = temporal.api.history.v1.History.decode(Buffer.from(s.historyBase64, 'base64'));
    expect(history.events?.length ?? 0).toBeGreaterThan(3);
    await Worker.runReplayHistory({ workflowBundle: { codePath: globalResources().workflowBundlePath } }, history, s.workflowId);
  });
});

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
  async function save(scenario: string, conversationId: string, runId?: string, on: Harness = h): Promise<void> {
    await settle();
    const workflowId = conversationWorkflowId(conversationId);
    const history = await on.client.workflow.getHandle(workflowId, runId).fetchHistory();
    mkdirSync(HISTORY_DIR, { recursive: true });
    const bytes = temporal.api.history.v1.History.encode(history).finish();
    const json = { workflowId, events: history.events?.length ?? 0, historyBase64: Buffer.from(bytes).toString('base64') };
    writeFileSync(path.join(HISTORY_DIR, `${record}-${scenario}.json`), JSON.stringify(json, null, 1) + '\n');
  }

  test('sms: inbound, reply, status callback, note, tags, assign, snooze, close with a note, reopen', async () => {
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

  test('whatsapp: inbound, reply, duplicate webhook', async () => {
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

  test('email: inbound, reply, delivery event', async () => {
    const customer = `c-${randomBytes(3).toString('hex')}@example.net`;
    const mail = {
      From: customer,
      FromName: 'Casey',
      FromFull: { Email: customer, Name: 'Casey', MailboxHash: '' },
      To: h.org.emailAddress,
      ToFull: [{ Email: h.org.emailAddress, Name: '', MailboxHash: '' }],
      Subject: 'Order 4821',
      MessageID: randomUUID(),
      TextBody: 'Wrong size',
      HtmlBody: '',
      StrippedTextReply: '',
      Headers: [{ Name: 'Message-ID', Value: `<${randomUUID()}@example.net>` }],
      Attachments: [],
    };
    expect((await h.postmarkWebhook('/webhooks/postmark/inbound', mail)).status).toBe(200);
    const row = await h.waitFor(
      () =>
        h.db
          .selectFrom('conversations')
          .select('id')
          .where('org_id', '=', h.org.orgId)
          .where('subject', '=', 'Order 4821')
          .executeTakeFirst(),
      'email conversation',
    );
    const reply = await api().post(`/v1/conversations/${row.id}/messages`, { text: 'We will send the right size.' });
    expect(reply.status).toBe(201);
    const sent = await h.waitFor(
      async () => (await messages(row.id)).find((m) => m.id === reply.body.id && m.provider_message_id),
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
      Metadata: { message_id: sent.id, conversation_id: row.id },
    };
    expect((await h.postmarkWebhook('/webhooks/postmark/events', delivery)).status).toBe(200);
    await save('email', row.id);
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

  test('ai: a suggestion, then sent with edits by staff', async () => {
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

  test('ai: an auto-send held for its delay, cancelled by a staff reply (it stays a suggestion, answered)', async () => {
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
  });

  test('whatsapp window lapse (time-skipping): the 24 h session ends and a free-form reply is refused', async () => {
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
  }, 90_000);

  test('continue-as-new: the first run of a busy conversation', async () => {
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
  }, 90_000);

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
});
