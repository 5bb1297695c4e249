/**
 * The AI assistant inside the conversation workflow, on the time-skipping test server, with the real
 * `openai` SDK against the local OpenAI stand-in, real Postgres and the Twilio / Postmark stand-ins:
 * auto-send after the held delay, cancellation by human actions, supersede, forced suggestions (VIP,
 * channel allow-list, thresholds), hand-off, 429 then success, OpenAI down, and the agent loop.
 */
import { randomBytes } from 'node:crypto';
import { chatCompletionBody, type OpenAiStandInRequest, rateLimitErrorBody } from '../../scripts/openai-standin';
import { conversationWorkflowId } from '../../workflows/conversation/contract';
import { AI_MODEL as MODEL, aiHelpers, draftBody } from '../support/ai-assistant-helpers';
import { createHarness, type Harness, randomPhone } from '../support/harness';
import { validateAgainstOpenApi } from '../support/openai-contract';
import { inboundEmail } from '../support/postmark-inbound';

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ timeSkipping: true, openai: true });
});
afterAll(async () => {
  await h?.close();
});
beforeEach(() => h.openai!.reset());

const SECOND = 1000;

const { api, configure, answerWith, suggestionsOf, messagesOf, conversationRow, aiMessages, receive, suggestionsWhen, assistantIdle } =
  aiHelpers(() => h);

/** Advances the test server's clock by `ms`, then lets the worker finish the tasks that caused. */
async function advance(ms: number): Promise<void> {
  await h.env!.sleep(ms);
  await new Promise((r) => setTimeout(r, 300));
}

const twilioSendsOf = (text: string) =>
  h.twilioStub!.requests.filter((r) => r.method === 'POST' && new URLSearchParams(r.rawBody).get('Body') === text);

test('auto-send: the draft is held for autoSendDelay, then sent by the AI through the outbox', async () => {
  await configure({ autoSendDelay: 60 });
  answerWith({ reply: 'Auto reply 1: ships tomorrow.' });
  const id = await receive(randomPhone(), 'Where is my order?');
  const [held] = await suggestionsWhen(id, (r) => r[0]?.status === 'scheduled', 'a scheduled suggestion');
  expect(held).toMatchObject({ decision: 'auto_send', reply: 'Auto reply 1: ships tomorrow.', intent: 'order_status' });
  expect(held!.send_at!.getTime() - held!.created_at.getTime()).toBe(60 * SECOND);

  // the request the SDK sent is a valid OpenAI chat completion request with the structured-output schema
  const sent = h.openai!.requests.at(-1)!;
  expect(validateAgainstOpenApi('CreateChatCompletionRequest', sent.body)).toEqual([]);

  // to 5 s before the send instant on the test server's clock (which also runs in real time: a fixed
  // 59 s skip flaked on a loaded machine once more than 1 s had passed since the draft was made)
  await advance(held!.send_at!.getTime() - (await h.env!.currentTimeMs()) - 5 * SECOND);
  expect(await aiMessages(id)).toHaveLength(0);
  expect((await suggestionsOf(id))[0]!.status).toBe('scheduled');

  await advance(6 * SECOND);
  const [message] = await h.waitFor(async () => {
    const rows = await aiMessages(id);
    return rows.length > 0 ? rows : undefined;
  }, 'the AI message');
  expect(message).toMatchObject({
    author_type: 'ai',
    author_id: 'ai-assistant',
    text: 'Auto reply 1: ships tomorrow.',
    direction: 'outbound',
  });
  await h.waitFor(async () => twilioSendsOf('Auto reply 1: ships tomorrow.').length === 1, 'the Twilio send');
  const [resolved] = await suggestionsWhen(id, (r) => r[0]?.status === 'auto_sent', 'the suggestion marked auto_sent');
  expect(resolved).toMatchObject({ message_id: message!.id, resolved_by: 'ai-assistant' });
  expect((await conversationRow(id)).status).toBe('pending');
});

test('a staff reply during the delay cancels the AI send and stores a training pair', async () => {
  await configure({ autoSendDelay: 60 });
  answerWith({ reply: 'Auto reply 2.' });
  const id = await receive(randomPhone(), 'Can I change my address?');
  const [held] = await suggestionsWhen(id, (r) => r[0]?.status === 'scheduled', 'a scheduled suggestion');

  const reply = await api().post(`/v1/conversations/${id}/messages`, { text: 'Yes, send me the new address.' });
  expect(reply.status).toBe(201);
  await advance(5 * 60 * SECOND);
  expect(await aiMessages(id)).toHaveLength(0);
  expect(twilioSendsOf('Auto reply 2.')).toHaveLength(0);
  expect((await suggestionsOf(id))[0]).toMatchObject({ status: 'answered', message_id: reply.body.id });
  const pair = await h.db.selectFrom('ai_training_pairs').selectAll().where('suggestion_id', '=', held!.id).executeTakeFirstOrThrow();
  expect(pair).toMatchObject({ draft: 'Auto reply 2.', sent: 'Yes, send me the new address.', edited: true, staff_user_id: h.org.adminId });

  const exported = await api().get('/v1/ai-assistant/training-pairs');
  expect(exported.status).toBe(200);
  const lines = exported.text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { suggestionId: string; edited: boolean });
  expect(lines.find((l) => l.suggestionId === held!.id)).toMatchObject({ edited: true });
});

test('an assignment during the delay cancels the AI send; the draft stays and staff send it edited', async () => {
  await configure({ autoSendDelay: 60 });
  answerWith({ reply: 'Auto reply 3.' });
  const id = await receive(randomPhone(), 'Do you ship to Norway?');
  const [held] = await suggestionsWhen(id, (r) => r[0]?.status === 'scheduled', 'a scheduled suggestion');

  expect((await api().post(`/v1/conversations/${id}/assign`, { assigneeId: h.org.agentId })).status).toBe(200);
  await advance(3 * 60 * SECOND);
  expect(await aiMessages(id)).toHaveLength(0);
  const view = await api().get(`/v1/conversations/${id}`);
  expect(view.body.pendingSuggestion).toMatchObject({ id: held!.id, status: 'pending', sendAt: null });

  const sent = await api(h.tokens.agent).post(`/v1/conversations/${id}/suggestions/${held!.id}/send`, { text: 'Yes, we ship to Norway.' });
  expect(sent.status).toBe(201);
  expect(sent.body).toMatchObject({ authorType: 'staff', authorId: h.org.agentId, text: 'Yes, we ship to Norway.' });
  const list = await api().get(`/v1/conversations/${id}/suggestions`);
  expect(list.body.data[0]).toMatchObject({ id: held!.id, status: 'sent', messageId: sent.body.id, resolvedBy: h.org.agentId });
  const pair = await h.db.selectFrom('ai_training_pairs').selectAll().where('suggestion_id', '=', held!.id).executeTakeFirstOrThrow();
  expect(pair).toMatchObject({ draft: 'Auto reply 3.', sent: 'Yes, we ship to Norway.', edited: true });

  // it is no longer pending: a second send or a dismissal is a 409
  const again = await api().post(`/v1/conversations/${id}/suggestions/${held!.id}/send`);
  expect(again.status).toBe(409);
  expect(again.body.error.code).toBe('suggestion_not_pending');
  expect((await api().post(`/v1/conversations/${id}/suggestions/${held!.id}/dismiss`)).status).toBe(409);
});

test('dismissing a held auto-send cancels it', async () => {
  await configure({ autoSendDelay: 30 });
  answerWith({ reply: 'Auto reply 4.' });
  const id = await receive(randomPhone(), 'Hello?');
  const [held] = await suggestionsWhen(id, (r) => r[0]?.status === 'scheduled', 'a scheduled suggestion');
  const res = await api().post(`/v1/conversations/${id}/suggestions/${held!.id}/dismiss`);
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ id: held!.id, status: 'dismissed' });
  await advance(2 * 60 * SECOND);
  expect(await aiMessages(id)).toHaveLength(0);
});

test('a new customer message supersedes the pending suggestion and a fresh draft is made', async () => {
  await configure({ mode: 'suggest' });
  let n = 0;
  h.openai!.respondWith(() => ({ status: 200, body: draftBody({ reply: `Draft ${++n}` }) }));
  const from = randomPhone();
  const id = await receive(from, 'First question');
  await suggestionsWhen(id, (r) => r[0]?.status === 'pending', 'the first suggestion');
  await receive(from, 'Second question');
  const rows = await suggestionsWhen(id, (r) => r.length === 2 && r[1]!.status === 'pending', 'the second suggestion');
  expect(rows.map((r) => [r.reply, r.status])).toEqual([
    ['Draft 1', 'superseded'],
    ['Draft 2', 'pending'],
  ]);
  expect(rows[1]!.reasons).toEqual(['mode_suggest']);
  // the second request carried both customer messages as context
  const last = h.openai!.requests.at(-1)!.body as { messages: { role: string; content: string }[] };
  expect(last.messages.filter((m) => m.role === 'user').map((m) => m.content)).toEqual(['First question', 'Second question']);
  const view = await api().get(`/v1/conversations/${id}`);
  expect(view.body.pendingSuggestion).toMatchObject({ id: rows[1]!.id, reply: 'Draft 2' });
  expect(await aiMessages(id)).toHaveLength(0);
});

test('a VIP contact always gets a suggestion, never an auto-send', async () => {
  await configure({ autoSendDelay: 0 });
  answerWith();
  const phone = randomPhone();
  const contact = await api().post('/v1/contacts', { phone, name: 'Very Important', vip: true });
  expect(contact.status).toBe(201);
  const id = await receive(phone, 'Hi, quick question');
  const [row] = await suggestionsWhen(id, (r) => r.length === 1, 'the suggestion');
  expect(row).toMatchObject({ decision: 'suggest', status: 'pending', reasons: ['vip_contact'] });
  expect(await aiMessages(id)).toHaveLength(0);
});

test('the channel allow-list: off by default outside it; switched on per conversation it only suggests', async () => {
  await configure({ channels: ['whatsapp'], autoSendDelay: 0 });
  answerWith();
  const from = randomPhone();
  const id = await receive(from, 'Message one');
  await h.waitFor(() => assistantIdle(id), 'the assistant idle');
  expect(await suggestionsOf(id)).toHaveLength(0);
  expect(h.openai!.requests).toHaveLength(0);
  expect((await api().get(`/v1/conversations/${id}`)).body).toMatchObject({ aiAssist: false, aiAssistSetting: null });

  const patched = await api().patch(`/v1/conversations/${id}`, { aiAssist: true });
  expect(patched.status).toBe(200);
  expect(patched.body).toMatchObject({ aiAssist: true, aiAssistSetting: true });
  await receive(from, 'Message two');
  const [row] = await suggestionsWhen(id, (r) => r.length === 1, 'the suggestion');
  expect(row).toMatchObject({ decision: 'suggest', reasons: ['channel_not_allowed'] });
  expect(await aiMessages(id)).toHaveLength(0);
});

test('thresholds: confidence exactly at the threshold auto-sends (delay 0 = at once); just below, or too complex, suggests', async () => {
  await configure({ autoSendConfidence: 0.8, maxAutoSendComplexity: 'medium', autoSendDelay: 0 });
  answerWith({ reply: 'Edge: exactly at threshold.', confidence: 0.8, complexity: 'medium' });
  const atThreshold = await receive(randomPhone(), 'Edge one');
  await h.waitFor(async () => (await aiMessages(atThreshold)).length === 1, 'the immediate AI send');
  const [sentAtOnce] = await suggestionsWhen(atThreshold, (r) => r[0]?.status === 'auto_sent', 'the suggestion marked auto_sent');
  expect(sentAtOnce).toMatchObject({ decision: 'auto_send', reply: 'Edge: exactly at threshold.' });

  answerWith({ reply: 'Edge: below.', confidence: 0.79, complexity: 'low' });
  const below = await receive(randomPhone(), 'Edge two');
  expect((await suggestionsWhen(below, (r) => r.length === 1, 'suggestion'))[0]).toMatchObject({ reasons: ['low_confidence'] });

  answerWith({ reply: 'Edge: complex.', confidence: 0.99, complexity: 'high' });
  const complex = await receive(randomPhone(), 'Edge three');
  expect((await suggestionsWhen(complex, (r) => r.length === 1, 'suggestion'))[0]).toMatchObject({ reasons: ['too_complex'] });
  expect(await aiMessages(below)).toHaveLength(0);
  expect(await aiMessages(complex)).toHaveLength(0);
});

test('hand-off: the conversation opens for a human with needsHuman and the reason as an internal note', async () => {
  await configure({});
  answerWith({ reply: '', handoff: true, handoffReason: 'The customer asks for a manager', intent: 'escalation', complexity: 'high' });
  const from = randomPhone();
  const id = await receive(from, 'I want to talk to a manager now');
  await h.waitFor(async () => (await conversationRow(id)).needs_human, 'needs_human');
  expect((await suggestionsOf(id))[0]).toMatchObject({
    decision: 'hand_off',
    status: 'handed_off',
    reasons: ['The customer asks for a manager'],
  });
  const note = (await messagesOf(id)).find((m) => m.is_internal_note);
  expect(note).toMatchObject({ author_type: 'ai', author_id: 'ai-assistant' });
  expect(note!.text).toContain('The customer asks for a manager');

  const listed = await api().get('/v1/conversations?needsHuman=true');
  expect(listed.body.data.map((c: { id: string }) => c.id)).toContain(id);
  expect((await api().get(`/v1/conversations/${id}`)).body).toMatchObject({ status: 'open', needsHuman: true });

  // a handed-off conversation gets no new drafts until a human replies; the reply clears the marker
  const requests = h.openai!.requests.length;
  await receive(from, 'Hello??');
  await h.waitFor(() => assistantIdle(id), 'assistant idle');
  expect(h.openai!.requests.length).toBe(requests);
  expect((await api().post(`/v1/conversations/${id}/messages`, { text: 'Hi, I am the manager.' })).status).toBe(201);
  expect((await conversationRow(id)).needs_human).toBe(false);
});

test('OpenAI 429 then success: the draft activity retries with back-off and the suggestion arrives', async () => {
  await configure({ mode: 'suggest' });
  h.openai!.respondNext(429, rateLimitErrorBody());
  answerWith({ reply: 'After the rate limit.' });
  const id = await receive(randomPhone(), 'Rate limited?');
  const [row] = await suggestionsWhen(id, (r) => r.length === 1, 'the suggestion after a retry');
  expect(row!.reply).toBe('After the rate limit.');
  const statuses = h.openai!.requests.map((r) => r.responseStatus);
  expect(statuses).toEqual([429, 200]);
});

test('OpenAI down: after the retries a failed suggestion (unavailable) records it for staff; messages are recorded and the conversation waits for a human', async () => {
  await configure({ mode: 'auto', autoSendDelay: 0 });
  h.openai!.respondWith(() => ({
    status: 503,
    body: { error: { message: 'The server is overloaded', type: 'server_error', param: null, code: null } },
  }));
  const from = randomPhone();
  const id = await receive(from, 'Anyone there?');
  // a second message while the drafts are failing is still recorded at once
  await receive(from, 'Hello?');
  await advance(10 * 60 * SECOND);
  await h.waitFor(() => assistantIdle(id), 'the assistant gave up');
  const rows = await suggestionsWhen(id, (r) => r.length > 0, 'the failed suggestion');
  // the second message superseded the first draft request: one failure, for the latest message
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatchObject({ decision: 'failed', status: 'failed', reasons: ['unavailable'], reply: '' });
  expect(rows[0]!.error_message).toMatch(/overloaded|503/i);
  const listed = await api().get(`/v1/conversations/${id}/suggestions`);
  expect(listed.body.data[0]).toMatchObject({
    decision: 'failed',
    status: 'failed',
    reasons: ['unavailable'],
    errorMessage: expect.any(String),
  });
  expect((await api().get(`/v1/conversations/${id}`)).body.pendingSuggestion).toBeNull();
  expect(await aiMessages(id)).toHaveLength(0);
  expect(h.openai!.requests.length).toBeGreaterThanOrEqual(6);
  expect(h.openai!.requests.every((r: OpenAiStandInRequest & { responseStatus: number }) => r.responseStatus === 503)).toBe(true);
  const row = await conversationRow(id);
  expect(row).toMatchObject({ status: 'open', unread_count: 2 });
  // humans carry on as usual
  expect((await api().post(`/v1/conversations/${id}/messages`, { text: 'Yes, how can I help?' })).status).toBe(201);
});

/** postmark-inbound.json from a fresh customer to the org's address, with a fresh Message-ID. */
function newEmail(text: string): Record<string, unknown> {
  const from = `kim-${randomBytes(4).toString('hex')}@mail.example.net`;
  return Object.assign(inboundEmail(from, h.org.emailAddress), {
    FromFull: { Email: from, Name: 'Kim Lee', MailboxHash: '' },
    Subject: 'Cancel my subscription',
    TextBody: text,
    StrippedTextReply: text,
    HtmlBody: `<p>${text}</p>`,
  });
}

test('agent loop: the model calls reply_to_inbox then close_inbox_item; the reply is sent and the conversation ends closed', async () => {
  await configure({ agentTools: { enabled: true, maxSteps: 5 } });
  let conversationId = '';
  h.openai!.respondWith((req) => {
    const messages = (req.body as { messages: { role: string }[] }).messages;
    const toolResults = messages.filter((m) => m.role === 'tool').length;
    if (toolResults === 0) {
      return {
        status: 200,
        body: chatCompletionBody({
          model: MODEL,
          toolCalls: [{ name: 'reply_to_inbox', arguments: { id: conversationId, text: 'Your subscription is cancelled.' } }],
        }),
      };
    }
    if (toolResults === 1) {
      return {
        status: 200,
        body: chatCompletionBody({
          model: MODEL,
          toolCalls: [{ name: 'close_inbox_item', arguments: { id: conversationId, resolutionNote: 'Cancelled on request' } }],
        }),
      };
    }
    return { status: 200, body: chatCompletionBody({ model: MODEL, content: 'Done.' }) };
  });
  const mail = newEmail('Please cancel my subscription.');
  const res = await h.postmarkWebhook('/webhooks/postmark/inbound', mail);
  expect(res.status).toBe(200);
  conversationId = (res.body as { conversationId: string }).conversationId;

  await h.waitFor(
    async () =>
      (await h.db.selectFrom('conversations').select('status').where('id', '=', conversationId).executeTakeFirst())?.status === 'closed',
    'the conversation closed by the agent',
  );
  const messages = await messagesOf(conversationId);
  const reply = messages.find((m) => m.direction === 'outbound' && !m.is_internal_note);
  expect(reply).toMatchObject({ author_type: 'ai', author_id: 'ai-assistant', text: 'Your subscription is cancelled.' });
  expect(messages.find((m) => m.is_internal_note)).toMatchObject({ author_type: 'ai', text: 'Cancelled on request' });
  await h.waitFor(
    async () =>
      h.postmark.requests.some((r) => (r.body as { TextBody?: string } | null)?.TextBody?.includes('Your subscription is cancelled.')),
    'the email sent through Postmark',
  );
  // three model steps: two tool calls and the final answer; every request is a valid chat completion request with tools
  await h.waitFor(async () => h.openai!.requests.length === 3, 'the final model step');
  for (const r of h.openai!.requests) expect(validateAgainstOpenApi('CreateChatCompletionRequest', r.body)).toEqual([]);
  expect(await suggestionsOf(conversationId)).toHaveLength(0);
});

test('agent tools only act in auto mode: in suggest mode an email gets a plain suggestion and no tool calls', async () => {
  await configure({ mode: 'suggest', agentTools: { enabled: true } });
  answerWith({ reply: 'Suggested for the email.' });
  const res = await h.postmarkWebhook('/webhooks/postmark/inbound', newEmail('Can you help me with my invoice?'));
  expect(res.status).toBe(200);
  const id = (res.body as { conversationId: string }).conversationId;
  const [row] = await suggestionsWhen(id, (r) => r.length === 1, 'the suggestion');
  expect(row).toMatchObject({ decision: 'suggest', status: 'pending', reply: 'Suggested for the email.' });
  expect(h.openai!.requests.every((r) => (r.body as { tools?: unknown }).tools === undefined)).toBe(true);
});

test('a pending suggestion survives its run ending: a fresh run reloads it from Postgres and staff can still send it', async () => {
  await configure({ mode: 'suggest' });
  answerWith({ reply: 'Still here after a restart.' });
  const id = await receive(randomPhone(), 'Is my refund done?');
  const [row] = await suggestionsWhen(id, (r) => r[0]?.status === 'pending', 'the suggestion');
  await h.client.workflow.getHandle(conversationWorkflowId(id)).terminate('operator reset');
  const sent = await api().post(`/v1/conversations/${id}/suggestions/${row!.id}/send`);
  expect(sent.status).toBe(201);
  expect(sent.body).toMatchObject({ text: 'Still here after a restart.', authorType: 'staff' });
  expect((await suggestionsOf(id))[0]).toMatchObject({ status: 'sent', message_id: sent.body.id });
});
