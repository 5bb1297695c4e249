/**
 * Helpers for the AI assistant's workflow tests: the org's settings through the API, the OpenAI
 * stand-in's answers, and the rows the assistant leaves in Postgres. The harness is read through a
 * getter, so the helpers can be made at module level before `beforeAll` creates it.
 */
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import type { AiDraft } from '../../domain/ai-assistant';
import { chatCompletionBody } from '../../scripts/openai-standin';
import { conversationWorkflowId, getAssistantStateQuery } from '../../workflows/conversation/contract';
import type { Harness } from './harness';

export const AI_MODEL = 'gpt-4o-mini';

/** The assistant settings `configure` saves under the test's own (API field names). */
export const BASE_AI_SETTINGS: Readonly<Record<string, unknown>> = {
  enabled: true,
  mode: 'auto',
  channels: ['sms', 'whatsapp', 'email', 'chat'],
  autoSendConfidence: 0.8,
  maxAutoSendComplexity: 'low',
  autoSendDelay: 60,
  model: AI_MODEL,
  agentTools: { enabled: false },
};

/** A chat completion whose content is the given draft (over a confident, simple default). */
export function draftBody(draft: Partial<AiDraft> = {}) {
  const full: AiDraft = {
    reply: 'Your order ships tomorrow.',
    confidence: 0.95,
    complexity: 'low',
    intent: 'order_status',
    handoff: false,
    handoffReason: null,
    ...draft,
  };
  return chatCompletionBody({ model: AI_MODEL, content: JSON.stringify(full) });
}

/**
 * The helpers over the harness `harness()` returns; `settings` are this file's defaults for
 * `configure`, over {@link BASE_AI_SETTINGS}.
 */
export function aiHelpers(harness: () => Harness, opts: { settings?: Record<string, unknown> } = {}) {
  const api = (token = harness().tokens.admin) => ({
    get: (p: string) => request(harness().app).get(p).set('Authorization', `Bearer ${token}`),
    post: (p: string, body: object = {}) => request(harness().app).post(p).set('Authorization', `Bearer ${token}`).send(body),
    put: (p: string, body: object) => request(harness().app).put(p).set('Authorization', `Bearer ${token}`).send(body),
    patch: (p: string, body: object) => request(harness().app).patch(p).set('Authorization', `Bearer ${token}`).send(body),
  });

  /** Saves the org's assistant settings (API field names) over the file's defaults. */
  async function configure(settings: Record<string, unknown>): Promise<void> {
    const res = await api().put('/v1/ai-assistant', { ...BASE_AI_SETTINGS, ...opts.settings, ...settings });
    expect(res.status).toBe(200);
  }

  /** Every draft request answers with `draft`. */
  function answerWith(draft: Partial<AiDraft> = {}): void {
    harness().openai!.respondWith(() => ({ status: 200, body: draftBody(draft) }));
  }

  const suggestionsOf = (conversationId: string) =>
    harness().db.selectFrom('ai_suggestions').selectAll().where('conversation_id', '=', conversationId).orderBy('created_at').execute();
  const messagesOf = (conversationId: string) =>
    harness().db.selectFrom('messages').selectAll().where('conversation_id', '=', conversationId).orderBy('seq').execute();
  const conversationRow = (id: string) =>
    harness().db.selectFrom('conversations').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  /** The AI's messages to the customer (internal notes left out). */
  const aiMessages = async (id: string) => (await messagesOf(id)).filter((m) => m.author_type === 'ai' && !m.is_internal_note);

  /** Posts an inbound SMS (or WhatsApp) and waits until it is stored; returns the conversation id. */
  async function receive(from: string, body: string, receiveOpts: { whatsapp?: boolean } = {}): Promise<string> {
    const h = harness();
    const id = h.conversationIdOf(from, receiveOpts.whatsapp ? 'whatsapp' : 'sms');
    const res = await h.inbound({ from, body, whatsapp: receiveOpts.whatsapp, sid: `SM${randomBytes(16).toString('hex')}` });
    expect(res.status).toBe(200);
    await h.waitFor(async () => (await messagesOf(id)).some((m) => m.direction === 'inbound' && m.text === body), `inbound "${body}"`);
    return id;
  }

  /** Waits for the conversation's suggestions to satisfy `probe`. */
  async function suggestionsWhen(id: string, probe: (rows: Awaited<ReturnType<typeof suggestionsOf>>) => boolean, what: string) {
    return harness().waitFor(async () => {
      const rows = await suggestionsOf(id);
      return probe(rows) ? rows : undefined;
    }, what);
  }

  /** The assistant is idle in the conversation's run (no draft queued or in flight). */
  async function assistantIdle(id: string): Promise<boolean> {
    const state = await harness().client.workflow.getHandle(conversationWorkflowId(id)).query(getAssistantStateQuery);
    return !state.busy;
  }

  return {
    api,
    configure,
    answerWith,
    suggestionsOf,
    messagesOf,
    conversationRow,
    aiMessages,
    receive,
    suggestionsWhen,
    assistantIdle,
  };
}
