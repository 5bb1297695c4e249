/**
 * Contract test of the AI-draft activity (activities/ai-draft.ts): the real `openai` SDK against the
 * OpenAI stand-in (scripts/openai-standin.ts), real Postgres and a real conversation built through the
 * harness (inbound SMS via the Twilio webhook, then a staff internal note and a staff reply through
 * `POST /v1/conversations/:id/messages`). `draftReply` is called directly (not through a workflow):
 *  - the request the SDK sends validates as `CreateChatCompletionRequest`, carries the customer text and
 *    the staff reply but never the internal note, and asks for the `ai_draft` JSON schema;
 *  - the stand-in's scripted draft comes back parsed;
 *  - 429 → the SDK error is rethrown (retryable); invalid JSON → non-retryable `InvalidAiDraft`;
 *    401 → non-retryable `OpenAiRejected` with the status; no client → `{ available: false }`, no request.
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { RateLimitError } from 'openai';
import request from 'supertest';
import { AI_REFUSAL, createAiDraftActivities, INVALID_AI_DRAFT, OPENAI_REJECTED } from '../../activities/ai-draft';
import { createOpenAiClient } from '../../activities/openai-client';
import { AI_DRAFT_JSON_SCHEMA, type AiDraft } from '../../domain/ai-assistant';
import {
  chatCompletionBody,
  openAiErrorBody,
  rateLimitErrorBody,
  startOpenAiStandIn,
  type OpenAiStandIn,
} from '../../scripts/openai-standin';
import { createHarness, type Harness, randomPhone } from '../support/harness';
import { validateAgainstOpenApi } from '../support/openai-contract';
import { captureError } from '../support/capture-error';

const API_KEY = 'test';
const MODEL = 'gpt-4o-mini';
const INSTRUCTIONS = 'You are the support assistant of Acme Shoes.';
const CUSTOMER_TEXT = `Where is my order 4821? ${randomUUID()}`;
const NOTE_TEXT = `INTERNAL: customer flagged for fraud review ${randomUUID()}`;
const REPLY_TEXT = `Checking on order 4821 for you now. ${randomUUID()}`;

let h: Harness;
let standIn: OpenAiStandIn;
let conversationId: string;

function activities(apiKey = API_KEY) {
  return createAiDraftActivities({ db: h.db, openai: createOpenAiClient({ apiKey, baseURL: standIn.url, maxRetries: 0 }) });
}

const input = () => ({ conversationId, instructions: INSTRUCTIONS, model: MODEL });

beforeAll(async () => {
  h = await createHarness();
  standIn = await startOpenAiStandIn({ apiKey: API_KEY });

  const from = randomPhone();
  conversationId = h.conversationIdOf(from);
  const res = await h.inbound({ from, body: CUSTOMER_TEXT });
  expect(res.status).toBeLessThan(300);
  await h.waitFor(
    () => h.db.selectFrom('messages').select('id').where('conversation_id', '=', conversationId).executeTakeFirst(),
    'the inbound message',
  );

  const post = (body: object) =>
    request(h.app).post(`/v1/conversations/${conversationId}/messages`).set('Authorization', h.auth).send(body);
  expect((await post({ text: NOTE_TEXT, isInternalNote: true })).status).toBe(201);
  expect((await post({ text: REPLY_TEXT })).status).toBe(201);
  const patched = await request(h.app)
    .patch(`/v1/conversations/${conversationId}`)
    .set('Authorization', h.auth)
    .send({ tags: ['shipping'] });
  expect(patched.status).toBe(200);

  await h.waitFor(async () => {
    const rows = await h.db.selectFrom('messages').select('id').where('conversation_id', '=', conversationId).execute();
    const conv = await h.db.selectFrom('conversations').select('tags').where('id', '=', conversationId).executeTakeFirst();
    return rows.length >= 3 && conv?.tags.includes('shipping');
  }, 'the note, the reply and the tag stored');

  const conv = await h.db.selectFrom('conversations').select('contact_id').where('id', '=', conversationId).executeTakeFirstOrThrow();
  await h.db.updateTable('contacts').set({ name: 'Amara Okafor', vip: true }).where('id', '=', conv.contact_id).execute();
});

afterAll(async () => {
  await standIn?.stop();
  await h?.close();
});

beforeEach(() => standIn.reset());

describe('draftReply', () => {
  it('sends a contract-valid request with the thread (no internal notes) and returns the scripted draft', async () => {
    const draft: AiDraft = {
      reply: 'Order 4821 ships tomorrow.',
      confidence: 0.91,
      complexity: 'low',
      intent: 'order_status',
      handoff: false,
      handoffReason: null,
    };
    standIn.respondWith(() => ({ status: 200, body: chatCompletionBody({ model: MODEL, content: JSON.stringify(draft) }) }));

    await expect(activities().draftReply(input())).resolves.toEqual({ available: true, draft });

    expect(standIn.requests).toHaveLength(1);
    const req = standIn.requests[0];
    expect(req).toMatchObject({ method: 'POST', path: '/v1/chat/completions', apiKey: API_KEY, responseStatus: 200 });
    expect(validateAgainstOpenApi('CreateChatCompletionRequest', req?.body)).toEqual([]);

    const body = req?.body as {
      model: string;
      messages: Array<{ role: string; content: string }>;
      response_format: unknown;
    };
    expect(body.model).toBe(MODEL);
    expect(body.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'ai_draft', strict: true, schema: JSON.parse(JSON.stringify(AI_DRAFT_JSON_SCHEMA)) as unknown },
    });
    expect(req?.rawBody).not.toContain(NOTE_TEXT);
    expect(req?.rawBody).not.toContain('fraud review');

    const [system, ...thread] = body.messages;
    expect(system?.role).toBe('system');
    expect(system?.content).toContain(INSTRUCTIONS);
    expect(system?.content).toContain('Amara Okafor');
    expect(system?.content).toContain('"vip":true');
    expect(system?.content).toContain('"channel":"sms"');
    expect(system?.content).toContain('shipping');
    expect(thread).toEqual([
      { role: 'user', content: CUSTOMER_TEXT },
      { role: 'assistant', content: REPLY_TEXT },
    ]);
  });

  it('maxMessages keeps only the most recent messages', async () => {
    await activities().draftReply({ ...input(), maxMessages: 1 });
    const body = standIn.requests[0]?.body as { messages: Array<{ role: string; content: string }> };
    expect(body.messages.slice(1)).toEqual([{ role: 'assistant', content: REPLY_TEXT }]);
  });

  it('429 → the SDK error is rethrown (retryable, not an ApplicationFailure)', async () => {
    standIn.respondNext(429, rateLimitErrorBody(MODEL));
    const err = await captureError(activities().draftReply(input()));
    expect(err).toBeInstanceOf(RateLimitError);
    expect(err).not.toBeInstanceOf(ApplicationFailure);
    expect(standIn.requests.map((r) => r.responseStatus)).toEqual([429]);
  });

  it('500 → rethrown (retryable)', async () => {
    standIn.respondNext(500, openAiErrorBody('The server had an error', 'server_error'));
    const err = await captureError(activities().draftReply(input()));
    expect(err).not.toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ status: 500 });
  });

  it('content that is not JSON → non-retryable InvalidAiDraft', async () => {
    standIn.respondNext(200, chatCompletionBody({ model: MODEL, content: 'Sure! Here is a reply: {' }));
    const err = await captureError(activities().draftReply(input()));
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: INVALID_AI_DRAFT, nonRetryable: true });
  });

  it('JSON that breaks the draft shape → non-retryable InvalidAiDraft', async () => {
    standIn.respondNext(200, chatCompletionBody({ model: MODEL, content: JSON.stringify({ reply: 'Hi', confidence: 2 }) }));
    const err = await captureError(activities().draftReply(input()));
    expect(err).toMatchObject({ type: INVALID_AI_DRAFT, nonRetryable: true });
  });

  it('a refusal → non-retryable AiRefusal (recorded as a failed suggestion with reason refusal)', async () => {
    const body = chatCompletionBody({ model: MODEL, content: null });
    const choice = (body.choices as Array<{ message: { refusal: string | null } }>)[0];
    if (choice) choice.message.refusal = "I'm sorry, I can't help with that.";
    standIn.respondNext(200, body);
    const err = await captureError(activities().draftReply(input()));
    expect(err).toMatchObject({ type: AI_REFUSAL, nonRetryable: true });
  });

  it('401 (wrong key) → non-retryable OpenAiRejected with the status', async () => {
    const err = await captureError(activities('sk-wrong-key').draftReply(input()));
    expect(err).toBeInstanceOf(ApplicationFailure);
    const failure = err as ApplicationFailure;
    expect(failure).toMatchObject({ type: OPENAI_REJECTED, nonRetryable: true });
    expect(failure.details?.[0]).toMatchObject({ status: 401 });
    expect(failure.message).not.toContain('sk-wrong-key');
    expect(standIn.requests.map((r) => r.responseStatus)).toEqual([401]);
  });

  it('no client → { available: false } and no request', async () => {
    const none = createAiDraftActivities({ db: h.db, openai: undefined });
    await expect(none.draftReply(input())).resolves.toEqual({ available: false });
    expect(standIn.requests).toHaveLength(0);
  });
});
