/**
 * The assistant's run state across continue-as-new, on a real dev server told to suggest it early
 * (`limit.historyCount.suggestContinueAsNew`): the org's settings and "a staff member replied since the
 * conversation was opened" are carried in the next run's input, so the new run neither reloads the
 * settings nor forgets that a human owns the conversation.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import request from 'supertest';
import type { AiDraft } from '../../domain/ai-assistant';
import { chatCompletionBody } from '../../scripts/openai-standin';
import { type ConversationWorkflowInput, conversationWorkflowId } from '../../workflows/conversation/contract';
import { type EarlyContinueAsNewHarness, harnessWithEarlyContinueAsNew } from '../support/early-continue-as-new';
import { type Harness, randomPhone } from '../support/harness';

let env: EarlyContinueAsNewHarness | undefined;
let h: Harness;
beforeAll(async () => {
  env = await harnessWithEarlyContinueAsNew({ openai: true });
  h = env.h;
});
afterAll(async () => {
  await env?.close();
});

const MODEL = 'gpt-4o-mini';

test('settings and human ownership survive continue-as-new; the new run does not reload the settings', async () => {
  const auth = h.auth;
  const put = await request(h.app)
    .put('/v1/ai-assistant')
    .set('Authorization', auth)
    .send({
      enabled: true,
      mode: 'auto',
      channels: ['sms'],
      autoSendConfidence: 0.5,
      maxAutoSendComplexity: 'low',
      autoSendDelay: 0,
      model: MODEL,
    });
  expect(put.status).toBe(200);
  const version = (
    await h.db.selectFrom('ai_assistant_settings').select('version').where('org_id', '=', h.org.orgId).executeTakeFirstOrThrow()
  ).version;
  const draft: AiDraft = { reply: 'Carried.', confidence: 0.9, complexity: 'low', intent: 'other', handoff: false, handoffReason: null };
  h.openai!.respondWith(() => ({ status: 200, body: chatCompletionBody({ model: MODEL, content: JSON.stringify(draft) }) }));

  const from = randomPhone();
  const id = h.conversationIdOf(from);
  const handle = h.client.workflow.getHandle(conversationWorkflowId(id));
  expect((await h.inbound({ from, body: 'message 0' })).status).toBe(200);
  await h.waitFor(
    async () =>
      (await h.db.selectFrom('messages').select('id').where('conversation_id', '=', id).where('author_type', '=', 'ai').execute())
        .length === 1,
    'the first auto-send',
  );
  expect(
    (await request(h.app).post(`/v1/conversations/${id}/messages`).set('Authorization', auth).send({ text: 'Staff here.' })).status,
  ).toBe(201);

  // the run that recorded the staff reply (or a later one): the next continue-as-new must carry it
  const firstRunId = (await handle.describe()).runId;
  for (let i = 1; i <= 12 && (await handle.describe()).runId === firstRunId; i++) {
    expect((await h.inbound({ from, body: `message ${i}` })).status).toBe(200);
    await h.waitFor(
      async () => (await h.db.selectFrom('ai_suggestions').select('id').where('conversation_id', '=', id).execute()).length === i + 1,
      `the draft for message ${i}`,
    );
  }
  await h.waitFor(async () => (await handle.describe()).runId !== firstRunId, 'continue-as-new', 30_000);

  const history = await handle.fetchHistory();
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  const input = defaultPayloadConverter.fromPayload<ConversationWorkflowInput>(payload!);
  expect(input.assistant).toMatchObject({ staffRepliedSinceOpen: true, settings: { version, available: true, config: { mode: 'auto' } } });
  const loads = (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'loadAiSettings');
  expect(loads).toHaveLength(0);

  // a human still owns it in the new run: drafts are suggestions, never auto-sends
  const before = (await h.db.selectFrom('ai_suggestions').select('id').where('conversation_id', '=', id).execute()).length;
  expect((await h.inbound({ from, body: 'after continue-as-new' })).status).toBe(200);
  const rows = await h.waitFor(async () => {
    const all = await h.db.selectFrom('ai_suggestions').selectAll().where('conversation_id', '=', id).orderBy('created_at').execute();
    return all.length === before + 1 ? all : undefined;
  }, 'the draft after continue-as-new');
  expect(rows.at(-1)).toMatchObject({ decision: 'suggest', reasons: ['human_owner'] });
  const aiSent = await h.db.selectFrom('messages').select('id').where('conversation_id', '=', id).where('author_type', '=', 'ai').execute();
  expect(aiSent).toHaveLength(1);
});
