/**
 * Continue-as-new on a real dev server told to suggest it early
 * (`limit.historyCount.suggestContinueAsNew`), and typed search attributes visible to operators.
 */
import request from 'supertest';
import { conversationWorkflowId, getStateQuery } from '../../workflows/conversation/contract';
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

test('state, dedupe memory and pending work survive continue-as-new', async () => {
  const from = randomPhone();
  const id = h.conversationIdOf(from);
  const handle = h.client.workflow.getHandle(conversationWorkflowId(id));
  expect((await h.inbound({ from, body: 'message 0', sid: `SM${'0'.repeat(31)}1` })).status).toBe(200);
  await h.waitFor(
    async () => (await h.db.selectFrom('conversations').select('id').where('id', '=', id).executeTakeFirst()) !== undefined,
    'conversation',
  );
  const firstRunId = (await handle.describe()).runId;
  const auth = h.auth;
  expect(
    (
      await request(h.app)
        .patch(`/v1/conversations/${id}`)
        .set('Authorization', auth)
        .send({ tags: ['returns'], priority: 'urgent' })
    ).status,
  ).toBe(200);
  expect(
    (await request(h.app).post(`/v1/conversations/${id}/assign`).set('Authorization', auth).send({ assigneeId: h.org.agentId })).status,
  ).toBe(200);

  for (let i = 1; i <= 12; i++) {
    expect((await h.inbound({ from, body: `message ${i}` })).status).toBe(200);
    if (i % 3 === 0)
      expect(
        (
          await request(h.app)
            .post(`/v1/conversations/${id}/messages`)
            .set('Authorization', auth)
            .send({ text: `reply ${i}` })
        ).status,
      ).toBe(201);
  }
  await h.waitFor(async () => (await handle.describe()).runId !== firstRunId, 'continue-as-new', 30_000);
  const first = await h.client.workflow.getHandle(conversationWorkflowId(id), firstRunId).describe();
  expect(first.status.name).toBe('CONTINUED_AS_NEW');

  // replay of an old provider message id after continue-as-new is still ignored
  expect((await h.inbound({ from, body: 'message 0 (retried)', sid: `SM${'0'.repeat(31)}1` })).status).toBe(200);
  expect((await h.inbound({ from, body: 'after can' })).status).toBe(200);
  await h.waitFor(async () => (await handle.query(getStateQuery)).lastMessagePreview === 'after can', 'latest message');

  const state = await handle.query(getStateQuery);
  expect(state).toMatchObject({ tags: ['returns'], priority: 'urgent', assigneeId: h.org.agentId, status: 'open', hasStaffReplied: true });
  const inbound = await h.db
    .selectFrom('messages')
    .select('text')
    .where('conversation_id', '=', id)
    .where('direction', '=', 'inbound')
    .execute();
  expect(inbound).toHaveLength(14);
  expect(inbound.filter((m) => m.text.startsWith('message 0'))).toHaveLength(1);
  await h.waitFor(async () => {
    const sent = h.twilioStub!.requests.filter((r) => typeof r.form.Body === 'string' && r.form.Body.startsWith('reply '));
    return sent.length === 4;
  }, 'all four replies sent exactly once');
  // the continued run's input carries no message bodies
  const history = await handle.fetchHistory();
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  const input = JSON.stringify(started?.input?.payloads?.map((p) => Buffer.from(p.data ?? []).toString()) ?? []);
  expect(input).not.toContain('message 5');
  expect(input).toContain('returns');
});

test('operators find conversations by typed search attributes (no personal data)', async () => {
  const from = randomPhone();
  const id = h.conversationIdOf(from);
  expect((await h.inbound({ from, body: 'Where is my parcel?' })).status).toBe(200);
  await h.waitFor(
    async () => (await h.db.selectFrom('conversations').select('id').where('id', '=', id).executeTakeFirst()) !== undefined,
    'conversation',
  );
  expect(
    (await request(h.app).post(`/v1/conversations/${id}/assign`).set('Authorization', h.auth).send({ assigneeId: h.org.adminId })).status,
  ).toBe(200);
  const query = `SwitchboardOrgId = "${h.org.orgId}" AND SwitchboardStatus = "open" AND SwitchboardAssigneeId = "${h.org.adminId}" AND SwitchboardChannel = "sms" AND SwitchboardOverdue = false`;
  const found = await h.waitFor(
    async () => {
      const ids: string[] = [];
      for await (const wf of h.client.workflow.list({ query })) ids.push(wf.workflowId);
      return ids.includes(conversationWorkflowId(id)) ? ids : undefined;
    },
    'visibility',
    20_000,
  );
  expect(found).toContain(conversationWorkflowId(id));
  const description = await h.client.workflow.getHandle(conversationWorkflowId(id)).describe();
  expect(JSON.stringify(description.typedSearchAttributes)).not.toContain(from.slice(1));
  expect(conversationWorkflowId(id)).not.toContain(from.slice(1));
});
