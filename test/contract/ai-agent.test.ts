/**
 * Contract test of the agent-loop activities (activities/ai-agent.ts): the real `openai` SDK against the
 * OpenAI stand-in (scripts/openai-standin.ts), real Postgres, and real email conversations built through
 * the harness (inbound Postmark webhooks, a staff internal note and reply through the REST API); tool
 * actions run as real updates on the conversations' workflows (the harness's `ConversationClient`).
 * The activities are called directly (not through a workflow):
 *  - `agentStep`: the request validates as `CreateChatCompletionRequest` (with `tools` and
 *    `parallel_tool_calls: false`), carries the thread but never the internal note, then the transcript;
 *    scripted tool calls and final answers come back; 429 → retryable SDK error, 400 → `OpenAiRejected`;
 *  - `runAgentTool`: every tool against the org's email conversations; other orgs' and non-email
 *    conversations, disabled / unknown tools, bad arguments and workflow rejections → `ok: false`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { RateLimitError } from 'openai';
import request from 'supertest';
import {
  type AgentToolResult,
  AI_CONVERSATION_NOT_FOUND,
  createAiAgentActivities,
  INBOX_ITEM_MESSAGE_TEXT_LENGTH,
  AI_REFUSAL,
  type InboxCommands,
  OPENAI_REJECTED,
} from '../../activities/ai-agent';
import { createOpenAiClient } from '../../activities/openai-client';
import { AGENT_SYSTEM_SUFFIX, type AgentMessage, MAX_AGENT_TOOL_RESULT_LENGTH, agentToolDefinitions } from '../../domain/ai-agent-tools';
import { AGENT_TOOLS, AI_ASSISTANT_AUTHOR_ID, type AgentToolName, type AgentToolScope } from '../../domain/ai-assistant';
import {
  chatCompletionBody,
  openAiErrorBody,
  rateLimitErrorBody,
  startOpenAiStandIn,
  type OpenAiStandIn,
} from '../../scripts/openai-standin';
import { captureError } from '../support/capture-error';
import { createHarness, createTestOrg, type Harness, randomPhone, type TestOrg } from '../support/harness';
import { validateAgainstOpenApi } from '../support/openai-contract';
import { SAMPLES_DIR } from '../support/contracts';

const API_KEY = 'test';
const MODEL = 'gpt-4o-mini';
const INSTRUCTIONS = 'You are the support assistant of Acme Outdoor.';
const ALL_TOOLS: AgentToolName[] = [...AGENT_TOOLS];

const unique = (text: string): string => `${text} [${randomBytes(4).toString('hex')}]`;
const CUSTOMER_TEXT = unique('I received size XL instead of M for order 4821.');
const NOTE_TEXT = unique('INTERNAL: customer flagged for fraud review');
const REPLY_TEXT = unique('Sorry about that! We are sending size M today.');

let h: Harness;
let standIn: OpenAiStandIn;
let otherOrg: TestOrg;
/** The acting email conversation: customer email, internal note, staff reply. */
let acting: string;
/** A second email conversation of the org (open). */
let second: string;
/** An SMS conversation of the org (not an inbox item). */
let sms: string;
/** An email conversation of another org. */
let foreign: string;

interface PostmarkHeader {
  Name: string;
  Value: string;
}
type InboundEmail = Record<string, unknown> & { Headers: PostmarkHeader[] };

/** postmark-inbound.json from a fresh customer to `to`, with a fresh Message-ID (so a new conversation). */
function newEmail(to: string, opts: { subject?: string; text?: string } = {}): InboundEmail {
  const mail = JSON.parse(readFileSync(path.join(SAMPLES_DIR, 'postmark-inbound.json'), 'utf8')) as InboundEmail;
  const from = `amara-${randomBytes(4).toString('hex')}@mail.example.net`;
  mail.From = from;
  mail.FromFull = { Email: from, Name: 'Amara Okafor', MailboxHash: '' };
  mail.To = to;
  mail.ToFull = [{ Email: to, Name: '', MailboxHash: '' }];
  mail.OriginalRecipient = to;
  mail.MessageID = randomUUID();
  if (opts.subject !== undefined) mail.Subject = opts.subject;
  if (opts.text !== undefined) {
    mail.TextBody = opts.text;
    mail.HtmlBody = `<p>${opts.text}</p>`;
  }
  mail.Headers = [
    ...mail.Headers.filter((x) => !['message-id', 'in-reply-to', 'references'].includes(x.Name.toLowerCase())),
    { Name: 'Message-ID', Value: `<CAF${randomBytes(6).toString('hex')}@mail.example.net>` },
  ];
  return mail;
}

/** Delivers an inbound email and waits until its message is stored; returns the conversation id. */
async function emailConversation(to = h.org.emailAddress, opts: { subject?: string; text?: string } = {}): Promise<string> {
  const res = await h.postmarkWebhook('/webhooks/postmark/inbound', newEmail(to, opts));
  expect(res.status).toBe(200);
  const id = (res.body as { conversationId: string }).conversationId;
  await h.waitFor(
    () => h.db.selectFrom('messages').select('id').where('conversation_id', '=', id).where('direction', '=', 'inbound').executeTakeFirst(),
    `the inbound email of ${id}`,
  );
  return id;
}

function activities(opts: { apiKey?: string; commands?: InboxCommands } = {}) {
  return createAiAgentActivities({
    db: h.db,
    openai: createOpenAiClient({ apiKey: opts.apiKey ?? API_KEY, baseURL: standIn.url, maxRetries: 0 }),
    commands: opts.commands ?? h.conversations,
  });
}

const stepInput = (over: { tools?: AgentToolName[]; transcript?: AgentMessage[]; orgId?: string } = {}) => ({
  orgId: over.orgId ?? h.org.orgId,
  conversationId: acting,
  model: MODEL,
  instructions: INSTRUCTIONS,
  tools: over.tools ?? ALL_TOOLS,
  transcript: over.transcript ?? [],
});

interface ChatRequestBody {
  model: string;
  messages: Array<{ role: string; content: string | null; tool_call_id?: string; tool_calls?: unknown[] }>;
  tools?: unknown[];
  parallel_tool_calls?: boolean;
}

/** Runs one tool call as the acting conversation's loop would. */
async function tool(
  name: string,
  args: unknown,
  opts: { tools?: AgentToolName[]; commands?: InboxCommands; scope?: AgentToolScope } = {},
): Promise<AgentToolResult & { body: unknown }> {
  const call = { id: `call_${randomBytes(6).toString('hex')}`, name, arguments: typeof args === 'string' ? args : JSON.stringify(args) };
  // these tests exercise the tools across the inbox (scope `inbox`) unless they say otherwise
  const result = await activities({ commands: opts.commands }).runAgentTool({
    orgId: h.org.orgId,
    actingConversationId: acting,
    tools: opts.tools ?? ALL_TOOLS,
    scope: opts.scope ?? 'inbox',
    call,
  });
  expect(result.toolCallId).toBe(call.id);
  expect(result.content.length).toBeLessThanOrEqual(MAX_AGENT_TOOL_RESULT_LENGTH);
  return { ...result, body: JSON.parse(result.content) as unknown };
}

/** Expects a tool error with `code`. */
function expectToolError(result: AgentToolResult & { body: unknown }, code: string): void {
  expect(result.ok).toBe(false);
  expect(result.body).toEqual({ error: { code, message: expect.any(String) } });
}

const conversationRow = (id: string) => h.db.selectFrom('conversations').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

beforeAll(async () => {
  h = await createHarness();
  standIn = await startOpenAiStandIn({ apiKey: API_KEY });
  otherOrg = await createTestOrg(h.db);

  acting = await emailConversation(h.org.emailAddress, { subject: 'Order 4821 - wrong size', text: CUSTOMER_TEXT });
  const post = (body: object) => request(h.app).post(`/v1/conversations/${acting}/messages`).set('Authorization', h.auth).send(body);
  expect((await post({ text: NOTE_TEXT, isInternalNote: true })).status).toBe(201);
  expect((await post({ text: REPLY_TEXT })).status).toBe(201);
  await h.waitFor(async () => {
    const rows = await h.db.selectFrom('messages').select('id').where('conversation_id', '=', acting).execute();
    return rows.length >= 3;
  }, 'the note and the reply stored');

  second = await emailConversation(h.org.emailAddress, { subject: 'Invoice copy', text: unique('Please send me a copy of my invoice.') });
  foreign = await emailConversation(otherOrg.emailAddress, { subject: 'Other org', text: unique('Hello other org') });
  const from = randomPhone();
  sms = h.conversationIdOf(from);
  expect((await h.inbound({ from, body: 'Hi by SMS' })).status).toBeLessThan(300);
  await h.waitFor(() => h.db.selectFrom('messages').select('id').where('conversation_id', '=', sms).executeTakeFirst(), 'the SMS');
});

afterAll(async () => {
  await standIn?.stop();
  await h?.close();
});

beforeEach(() => standIn.reset());

describe('agentStep', () => {
  it('sends a contract-valid request (tools, no internal notes) and returns the scripted tool calls', async () => {
    standIn.respondWith(() => ({
      status: 200,
      body: chatCompletionBody({ model: MODEL, toolCalls: [{ id: 'call_get_1', name: 'get_inbox_item', arguments: { id: second } }] }),
    }));

    const result = await activities().agentStep(stepInput());
    expect(result).toEqual({
      available: true,
      kind: 'tool_calls',
      message: {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_get_1', type: 'function', function: { name: 'get_inbox_item', arguments: JSON.stringify({ id: second }) } },
        ],
      },
      calls: [{ id: 'call_get_1', name: 'get_inbox_item', arguments: JSON.stringify({ id: second }) }],
    });

    expect(standIn.requests).toHaveLength(1);
    const req = standIn.requests[0];
    expect(req).toMatchObject({ method: 'POST', path: '/v1/chat/completions', apiKey: API_KEY, responseStatus: 200 });
    expect(validateAgainstOpenApi('CreateChatCompletionRequest', req?.body)).toEqual([]);
    const body = req?.body as ChatRequestBody;
    expect(body.model).toBe(MODEL);
    expect(body.tools).toEqual(JSON.parse(JSON.stringify(agentToolDefinitions(ALL_TOOLS))) as unknown);
    expect(body.tools).toHaveLength(AGENT_TOOLS.length);
    expect(body.parallel_tool_calls).toBe(false);
    expect(req?.rawBody).not.toContain(NOTE_TEXT);
    expect(req?.rawBody).not.toContain('fraud review');

    const [system, ...thread] = body.messages;
    expect(system?.role).toBe('system');
    expect(system?.content).toContain(INSTRUCTIONS);
    expect(system?.content).toContain(AGENT_SYSTEM_SUFFIX);
    expect(system?.content).toContain(`"id":"${acting}"`);
    expect(system?.content).toContain('"channel":"email"');
    expect(system?.content).toContain('Order 4821 - wrong size');
    expect(system?.content).toMatch(/"email":"amara-[0-9a-f]+@mail\.example\.net"/);
    expect(thread.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(thread[0]?.content).toContain(CUSTOMER_TEXT);
    expect(thread[1]?.content).toBe(REPLY_TEXT);
  });

  it('sends the transcript after the thread and returns a final answer', async () => {
    const transcript: AgentMessage[] = [
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_list_1', type: 'function', function: { name: 'list_inbox', arguments: '{"status":null,"limit":5}' } }],
      },
      { role: 'tool', tool_call_id: 'call_list_1', content: JSON.stringify({ items: [] }) },
    ];
    standIn.respondWith((r) => {
      const messages = (r.body as ChatRequestBody).messages;
      if (!messages.some((m) => m.role === 'tool')) return undefined;
      return { status: 200, body: chatCompletionBody({ model: MODEL, content: 'Nothing else needs doing.' }) };
    });

    const result = await activities().agentStep(stepInput({ transcript }));
    expect(result).toEqual({
      available: true,
      kind: 'final',
      message: { role: 'assistant', content: 'Nothing else needs doing.' },
      text: 'Nothing else needs doing.',
    });
    const req = standIn.requests[0];
    expect(validateAgainstOpenApi('CreateChatCompletionRequest', req?.body)).toEqual([]);
    const body = req?.body as ChatRequestBody;
    expect(body.messages.slice(-2)).toEqual(transcript);
    expect(body.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'assistant', 'tool']);
  });

  it('offers only the enabled tools, and no tools at all when none is enabled', async () => {
    await activities().agentStep(stepInput({ tools: ['list_inbox', 'create_todo'] }));
    await activities().agentStep(stepInput({ tools: [] }));
    const [some, none] = standIn.requests.map((r) => r.body as ChatRequestBody);
    expect(some?.tools?.map((t) => (t as { function: { name: string } }).function.name)).toEqual(['list_inbox', 'create_todo']);
    expect(none).not.toHaveProperty('tools');
    expect(none).not.toHaveProperty('parallel_tool_calls');
    for (const r of standIn.requests) expect(validateAgainstOpenApi('CreateChatCompletionRequest', r.body)).toEqual([]);
  });

  it('a call to a disabled tool is returned as a call (runAgentTool reports it)', async () => {
    standIn.respondNext(
      200,
      chatCompletionBody({ model: MODEL, toolCalls: [{ name: 'reply_to_inbox', arguments: { id: acting, text: 'Hi' } }] }),
    );
    const result = await activities().agentStep(stepInput({ tools: ['list_inbox'] }));
    expect(result).toMatchObject({ available: true, kind: 'tool_calls', calls: [{ name: 'reply_to_inbox' }] });
  });

  it('429 → the SDK error is rethrown (retryable, not an ApplicationFailure)', async () => {
    standIn.respondNext(429, rateLimitErrorBody(MODEL));
    const err = await captureError(activities().agentStep(stepInput()));
    expect(err).toBeInstanceOf(RateLimitError);
    expect(err).not.toBeInstanceOf(ApplicationFailure);
  });

  it('500 → rethrown (retryable)', async () => {
    standIn.respondNext(500, openAiErrorBody('The server had an error', 'server_error'));
    const err = await captureError(activities().agentStep(stepInput()));
    expect(err).not.toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ status: 500 });
  });

  it('400 → non-retryable OpenAiRejected with the status and code', async () => {
    standIn.respondNext(
      400,
      openAiErrorBody("Invalid schema for function 'list_inbox'", 'invalid_request_error', 'tools', 'invalid_function_parameters'),
    );
    const err = await captureError(activities().agentStep(stepInput()));
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: OPENAI_REJECTED, nonRetryable: true });
    expect((err as ApplicationFailure).details?.[0]).toEqual({ status: 400, code: 'invalid_function_parameters' });
  });

  it('a refusal → non-retryable AiRefusal (recorded as a failed suggestion with reason refusal)', async () => {
    const body = chatCompletionBody({ model: MODEL, content: null });
    const choice = (body.choices as Array<{ message: { refusal: string | null } }>)[0];
    if (choice) choice.message.refusal = "I'm sorry, I can't help with that.";
    standIn.respondNext(200, body);
    const err = await captureError(activities().agentStep(stepInput()));
    expect(err).toMatchObject({ type: AI_REFUSAL, nonRetryable: true });
  });

  it("another org's conversation → non-retryable AiConversationNotFound, nothing sent", async () => {
    const err = await captureError(activities().agentStep(stepInput({ orgId: otherOrg.orgId })));
    expect(err).toMatchObject({ type: AI_CONVERSATION_NOT_FOUND, nonRetryable: true });
    expect(standIn.requests).toHaveLength(0);
  });

  it('no client → { available: false } and no request', async () => {
    const none = createAiAgentActivities({ db: h.db, openai: undefined, commands: h.conversations });
    await expect(none.agentStep(stepInput())).resolves.toEqual({ available: false });
    expect(standIn.requests).toHaveLength(0);
  });
});

describe('runAgentTool', () => {
  it("list_inbox: the org's email conversations only, newest activity first", async () => {
    const result = await tool('list_inbox', { status: null, limit: 50 });
    expect(result.ok).toBe(true);
    const items = (result.body as { items: Array<{ id: string; lastActivityAt: string; isActingConversation: boolean }> }).items;
    const ids = items.map((i) => i.id);
    expect(ids).toEqual(expect.arrayContaining([acting, second]));
    expect(ids).not.toContain(sms);
    expect(ids).not.toContain(foreign);
    const times = items.map((i) => Date.parse(i.lastActivityAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(items.find((i) => i.id === acting)).toMatchObject({
      subject: 'Order 4821 - wrong size',
      status: 'pending',
      priority: 'normal',
      contact: { name: expect.any(String), email: expect.stringMatching(/@mail\.example\.net$/) },
      lastMessagePreview: expect.any(String),
      needsHuman: false,
      isActingConversation: true,
    });
    expect(items.find((i) => i.id === second)?.isActingConversation).toBe(false);

    const pending = await tool('list_inbox', { status: 'pending', limit: null });
    const pendingIds = (pending.body as { items: Array<{ id: string }> }).items.map((i) => i.id);
    expect(pendingIds).toContain(acting);
    expect(pendingIds).not.toContain(second);

    const one = await tool('list_inbox', { status: null, limit: 1 });
    expect((one.body as { items: unknown[] }).items).toHaveLength(1);
  });

  it('get_inbox_item: the item and its messages without internal notes', async () => {
    const result = await tool('get_inbox_item', { id: acting });
    expect(result.ok).toBe(true);
    const body = result.body as {
      item: { id: string; subject: string };
      messages: Array<{ direction: string; authorType: string; text: string; createdAt: string }>;
    };
    expect(body.item).toMatchObject({ id: acting, subject: 'Order 4821 - wrong size', status: 'pending', snoozedUntil: null });
    expect(body.messages.map((m) => [m.direction, m.authorType])).toEqual([
      ['inbound', 'customer'],
      ['outbound', 'staff'],
    ]);
    expect(body.messages[0]?.text).toContain(CUSTOMER_TEXT);
    expect(body.messages[1]?.text).toBe(REPLY_TEXT);
    expect(result.content).not.toContain(NOTE_TEXT);
  });

  it('get_inbox_item keeps its result within the size limit: long texts clipped, oldest messages dropped', async () => {
    const id = await emailConversation(h.org.emailAddress, { text: `Long story. ${'a'.repeat(6_000)}` });
    const replies = Array.from({ length: 5 }, (_, i) => unique(`Reply ${i + 1}: ${'b'.repeat(2_000)}`));
    for (const text of replies) {
      const res = await request(h.app).post(`/v1/conversations/${id}/messages`).set('Authorization', h.auth).send({ text });
      expect(res.status).toBe(201);
    }
    const result = await tool('get_inbox_item', { id });
    expect(result.ok).toBe(true);
    const body = result.body as { messages: Array<{ text: string }>; omittedOlderMessages?: number };
    expect(body.omittedOlderMessages).toBeGreaterThanOrEqual(1);
    expect(body.messages.length + (body.omittedOlderMessages ?? 0)).toBe(6);
    for (const m of body.messages) expect(m.text.length).toBeLessThanOrEqual(INBOX_ITEM_MESSAGE_TEXT_LENGTH);
    expect(body.messages.at(-1)?.text).toBe(`${replies[4]!.slice(0, INBOX_ITEM_MESSAGE_TEXT_LENGTH - 1)}…`);
  });

  it("another org's, an SMS or an unknown conversation → ok:false inbox_item_not_found", async () => {
    expectToolError(await tool('get_inbox_item', { id: foreign }), 'inbox_item_not_found');
    expectToolError(await tool('get_inbox_item', { id: sms }), 'inbox_item_not_found');
    expectToolError(await tool('get_inbox_item', { id: randomUUID() }), 'inbox_item_not_found');
    expectToolError(await tool('reply_to_inbox', { id: foreign, text: 'Hi' }), 'inbox_item_not_found');
    expectToolError(await tool('close_inbox_item', { id: sms, resolutionNote: null }), 'inbox_item_not_found');
    const foreignRow = await conversationRow(foreign);
    expect(foreignRow.status).toBe('open');
    const sent = await h.db
      .selectFrom('messages')
      .select('id')
      .where('conversation_id', '=', foreign)
      .where('direction', '=', 'outbound')
      .execute();
    expect(sent).toHaveLength(0);
  });

  it('reply_to_inbox records an outbound AI reply and Postmark receives it', async () => {
    const id = await emailConversation();
    const text = unique('Thanks for writing! Your replacement ships today.');
    const result = await tool('reply_to_inbox', { id, text });
    expect(result.ok).toBe(true);
    const { messageId, deliveryStatus } = result.body as { messageId: string; deliveryStatus: string };
    expect(messageId).toEqual(expect.any(String));
    expect(deliveryStatus).toBe('queued');

    const row = await h.db.selectFrom('messages').selectAll().where('id', '=', messageId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      conversation_id: id,
      direction: 'outbound',
      is_internal_note: false,
      text,
      author_id: AI_ASSISTANT_AUTHOR_ID,
    });
    expect(row.author_type).toBe('ai');

    await h.waitFor(
      async () => h.postmark.requests.find((r) => r.path === '/email' && (r.body as { TextBody?: string } | null)?.TextBody === text),
      'the Postmark send of the AI reply',
    );
    expect((await conversationRow(id)).status).toBe('pending');
  });

  it('a retried reply_to_inbox (same tool call) sends one reply: the update id dedupes it', async () => {
    const id = await emailConversation();
    const text = unique('Only once, please.');
    const call = { id: `call_${randomBytes(6).toString('hex')}`, name: 'reply_to_inbox', arguments: JSON.stringify({ id, text }) };
    const run = () =>
      activities().runAgentTool({ orgId: h.org.orgId, actingConversationId: acting, tools: ALL_TOOLS, scope: 'inbox', call });
    const first = await run();
    const second = await run();
    expect(second).toEqual(first);
    const rows = await h.db.selectFrom('messages').select('id').where('conversation_id', '=', id).where('text', '=', text).execute();
    expect(rows).toHaveLength(1);
  });

  it('close_inbox_item closes the item and keeps the resolution note as an internal note', async () => {
    const id = await emailConversation();
    const note = unique('Customer confirmed the replacement arrived.');
    const result = await tool('close_inbox_item', { id, resolutionNote: note });
    expect(result.ok).toBe(true);
    expect(result.body).toMatchObject({ id, status: 'closed', snoozedUntil: null });
    expect((await conversationRow(id)).status).toBe('closed');
    const stored = await h.db
      .selectFrom('messages')
      .selectAll()
      .where('conversation_id', '=', id)
      .where('text', '=', note)
      .executeTakeFirstOrThrow();
    expect(stored).toMatchObject({ is_internal_note: true, direction: 'outbound', author_id: AI_ASSISTANT_AUTHOR_ID });
    expect(stored.author_type).toBe('ai');
    expect(h.postmark.requests.some((r) => (r.body as { TextBody?: string } | null)?.TextBody === note)).toBe(false);
  });

  it('snooze_inbox_item: a past time → ok:false invalid_snooze (nothing changes); a future time snoozes', async () => {
    const id = await emailConversation();
    const past = await tool('snooze_inbox_item', { id, until: '2020-01-01T00:00:00Z' });
    expectToolError(past, 'invalid_snooze');
    expect((await conversationRow(id)).status).toBe('open');

    const until = new Date(Date.now() + 3 * 86_400_000).toISOString();
    const ok = await tool('snooze_inbox_item', { id, until });
    expect(ok.ok).toBe(true);
    expect(ok.body).toMatchObject({ id, status: 'snoozed', snoozedUntil: until });
    const row = await conversationRow(id);
    expect(row.status).toBe('snoozed');
    expect(row.snoozed_until?.toISOString()).toBe(until);
  });

  it('update_inbox_item changes priority, tags and status; needs at least one', async () => {
    const id = await emailConversation();
    const result = await tool('update_inbox_item', { id, status: 'pending', priority: 'high', tags: ['Billing', 'vip'] });
    expect(result.ok).toBe(true);
    expect(result.body).toEqual({ id, status: 'pending', snoozedUntil: null, priority: 'high', tags: ['billing', 'vip'] });
    const row = await conversationRow(id);
    expect(row).toMatchObject({ status: 'pending', priority: 'high', tags: ['billing', 'vip'] });

    const snoozed = await tool('update_inbox_item', { id, status: 'snoozed', priority: null, tags: null });
    expect(snoozed.body).toMatchObject({ status: 'snoozed', snoozedUntil: null, priority: 'high' });

    expectToolError(await tool('update_inbox_item', { id, status: null, priority: null, tags: null }), 'invalid_arguments');
  });

  it('create_todo inserts an open AI todo about an inbox item; not for another org', async () => {
    const title = unique('Check the replacement was delivered');
    const dueAt = '2030-05-01T09:00:00.000Z';
    const result = await tool('create_todo', { title, dueAt, sourceId: second });
    expect(result.ok).toBe(true);
    const todo = (result.body as { todo: { id: string } }).todo;
    expect(todo).toEqual({ id: expect.any(String), title, dueAt, sourceId: second, status: 'open' });
    const row = await h.db.selectFrom('todos').selectAll().where('id', '=', todo.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      org_id: h.org.orgId,
      title,
      source_type: 'inbox',
      source_id: second,
      status: 'open',
      created_by_type: 'ai',
      created_by: AI_ASSISTANT_AUTHOR_ID,
    });
    expect(row.due_at?.toISOString()).toBe(dueAt);

    const noDue = await tool('create_todo', { title: 'Follow up', dueAt: null, sourceId: acting });
    expect(noDue.body).toMatchObject({ todo: { dueAt: null, sourceId: acting } });

    const before = await h.db.selectFrom('todos').select('id').where('source_id', '=', foreign).execute();
    expectToolError(await tool('create_todo', { title: 'Nope', dueAt: null, sourceId: foreign }), 'inbox_item_not_found');
    expectToolError(await tool('create_todo', { title: 'Nope', dueAt: null, sourceId: sms }), 'inbox_item_not_found');
    expect(await h.db.selectFrom('todos').select('id').where('source_id', '=', foreign).execute()).toEqual(before);
  });

  it('scope conversation (the default): list_inbox and every call naming another item → out_of_scope, nothing read or changed', async () => {
    const before = await conversationRow(second);
    const scoped = { scope: 'conversation' as const };
    expectToolError(await tool('list_inbox', { status: null, limit: 5 }, scoped), 'out_of_scope');
    expectToolError(await tool('get_inbox_item', { id: second }, scoped), 'out_of_scope');
    expectToolError(await tool('close_inbox_item', { id: second, resolutionNote: 'Injected' }, scoped), 'out_of_scope');
    expectToolError(await tool('update_inbox_item', { id: second, status: 'closed', priority: null, tags: null }, scoped), 'out_of_scope');
    expectToolError(await tool('snooze_inbox_item', { id: second, until: '2099-01-01T00:00:00Z' }, scoped), 'out_of_scope');
    const text = unique('Never to the other customer');
    expectToolError(await tool('reply_to_inbox', { id: second, text }, scoped), 'out_of_scope');
    const title = unique('About another item');
    expectToolError(await tool('create_todo', { title, dueAt: null, sourceId: second }, scoped), 'out_of_scope');
    expect(await conversationRow(second)).toEqual(before);
    expect(await h.db.selectFrom('messages').select('id').where('text', '=', text).execute()).toHaveLength(0);
    expect(await h.db.selectFrom('todos').select('id').where('title', '=', title).execute()).toHaveLength(0);
    // the acting conversation itself is fine, and an input without `scope` is scoped too
    expect((await tool('get_inbox_item', { id: acting }, scoped)).ok).toBe(true);
    const call = { id: `call_${randomBytes(6).toString('hex')}`, name: 'get_inbox_item', arguments: JSON.stringify({ id: second }) };
    const unscoped = await activities().runAgentTool({ orgId: h.org.orgId, actingConversationId: acting, tools: ALL_TOOLS, call });
    expect(JSON.parse(unscoped.content)).toMatchObject({ error: { code: 'out_of_scope' } });
  });

  it('a disabled tool → ok:false tool_disabled, nothing done', async () => {
    const text = unique('Should never be sent');
    expectToolError(await tool('reply_to_inbox', { id: second, text }, { tools: ['list_inbox', 'get_inbox_item'] }), 'tool_disabled');
    expect(await h.db.selectFrom('messages').select('id').where('text', '=', text).execute()).toHaveLength(0);
  });

  it('an unknown tool or bad arguments → ok:false with the problems', async () => {
    expectToolError(await tool('delete_inbox_item', { id: second }), 'unknown_tool');
    const bad = await tool('snooze_inbox_item', { id: 'not-a-uuid', until: 'tomorrow' });
    expectToolError(bad, 'invalid_arguments');
    expect((bad.body as { error: { message: string } }).error.message).toMatch(/id must be a UUID.*until must be an ISO-8601/);
    expectToolError(await tool('get_inbox_item', '{"id": '), 'invalid_arguments');
  });

  it('an update rejected without a typed failure → ok:false update_rejected; infrastructure errors are thrown', async () => {
    const rejecting: InboxCommands = {
      update: () => Promise.reject(new WorkflowUpdateFailedError('Workflow Update failed', undefined)),
    };
    expectToolError(await tool('close_inbox_item', { id: second, resolutionNote: null }, { commands: rejecting }), 'update_rejected');

    const unreachable: InboxCommands = { update: () => Promise.reject(new Error('14 UNAVAILABLE: Temporal unreachable')) };
    const err = await captureError(tool('close_inbox_item', { id: second, resolutionNote: null }, { commands: unreachable }));
    expect(err).toMatchObject({ message: '14 UNAVAILABLE: Temporal unreachable' });
    expect((await conversationRow(second)).status).toBe('open');
  });
});
