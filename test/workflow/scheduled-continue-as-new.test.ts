/**
 * Send later across continue-as-new, on a real dev server told to suggest it early
 * (`limit.historyCount.suggestContinueAsNew`): the replies held for later are carried into the next
 * run, which sends the due one at its instant and still honours a cancel of the other.
 */
import request from 'supertest';
import { conversationWorkflowId } from '../../workflows/conversation/contract';
import { type EarlyContinueAsNewHarness, harnessWithEarlyContinueAsNew } from '../support/early-continue-as-new';
import { type Harness, randomPhone } from '../support/harness';

let env: EarlyContinueAsNewHarness | undefined;
let h: Harness;
beforeAll(async () => {
  env = await harnessWithEarlyContinueAsNew();
  h = env.h;
});
afterAll(async () => {
  await env?.close();
});

test('scheduled replies survive continue-as-new: the next run sends one at its instant and cancels the other', async () => {
  const from = randomPhone();
  const id = h.conversationIdOf(from);
  const handle = h.client.workflow.getHandle(conversationWorkflowId(id));
  const message = (mid: string) => h.db.selectFrom('messages').selectAll().where('id', '=', mid).executeTakeFirstOrThrow();
  expect((await h.inbound({ from, body: 'first' })).status).toBe(200);
  await h.waitFor(async () => (await h.db.selectFrom('messages').select('id').where('conversation_id', '=', id).execute()).length === 1);
  const post = (body: object) => request(h.app).post(`/v1/conversations/${id}/messages`).set('Authorization', h.auth).send(body);
  const sendAtMs = Date.now() + 12_000;
  const due = await post({ text: 'scheduled across runs', sendAt: new Date(sendAtMs).toISOString() });
  const held = await post({ text: 'held for tomorrow', sendAt: new Date(Date.now() + 24 * 3_600_000).toISOString() });
  expect([due.status, held.status]).toEqual([201, 201]);
  const firstRunId = (await handle.describe()).runId;

  // push the history past the suggestion threshold
  for (let i = 1; i <= 20 && (await handle.describe()).runId === firstRunId; i++) {
    expect((await h.inbound({ from, body: `message ${i}` })).status).toBe(200);
  }
  await h.waitFor(async () => (await handle.describe()).runId !== firstRunId, 'continue-as-new', 30_000);
  expect((await message(due.body.id)).delivery_status).toBe('scheduled');
  // the next run's input carries both (ids and previews)
  const started = (await handle.fetchHistory()).events?.[0]?.workflowExecutionStartedEventAttributes;
  const input = JSON.stringify(started?.input?.payloads?.map((p) => Buffer.from(p.data ?? []).toString()) ?? []);
  expect(input).toContain(due.body.id);
  expect(input).toContain(held.body.id);

  const canceled = await request(h.app).delete(`/v1/conversations/${id}/messages/${held.body.id}`).set('Authorization', h.auth);
  expect(canceled.status).toBe(200);
  expect(canceled.body.deliveryStatus).toBe('canceled');
  await h.waitFor(async () => (await message(due.body.id)).provider_message_id, 'sent by the next run', 30_000);
  const sent = await message(due.body.id);
  expect(sent.delivery_status).not.toBe('scheduled');
  expect(h.twilioStub!.requests.filter((r) => r.form.Body === 'scheduled across runs')).toHaveLength(1);
  expect(h.twilioStub!.requests.filter((r) => r.form.Body === 'held for tomorrow')).toHaveLength(0);
}, 60_000);
