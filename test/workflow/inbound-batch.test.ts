/**
 * The conversation workflow's inbound recording on its own (time-skipping test server, the workflow
 * bundle, `jest.fn` activities — no Postgres): customer messages queued together are recorded in one
 * `recordInboundMessages` batch, and a batch the database refuses for good is recorded again one
 * message at a time, so only the bad message is lost.
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { InboundMessageInput } from '../../activities/conversation-store';
import { DEFAULT_AI_ASSISTANT_CONFIG } from '../../domain/ai-assistant';
import { type ConversationState, type NewConversation, newConversationState } from '../../domain/conversation';
import { DEFAULT_SLA_POLICY } from '../../domain/sla';
import {
  CONVERSATION_WORKFLOW_TYPE,
  conversationWorkflowId,
  getStateQuery,
  inboundMessageSignal,
} from '../../workflows/conversation/contract';
import { globalResources } from '../support/global-resources';
import { createTimeSkippingEnvironment } from '../support/time-skipping';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await createTimeSkippingEnvironment();
}, 60_000);
afterAll(async () => {
  await env?.teardown();
});

type Batch = { state: ConversationState; messages: { message: InboundMessageInput }[] };

/** Runs one conversation with stand-in activities; `record` decides what the database does with a batch. */
async function runConversation(record: (batch: Batch) => Promise<{ inserted: boolean[] }>, texts: string[], expectUnread: number) {
  const taskQueue = `inbound-batch-${randomUUID()}`;
  const conversation: NewConversation = {
    conversationId: randomUUID(),
    orgId: randomUUID(),
    channelId: randomUUID(),
    channelKind: 'sms',
    contactId: randomUUID(),
  };
  const recordInboundMessages = jest.fn(record);
  const saveConversation = jest.fn(async () => undefined);
  const activities = {
    loadConversation: async () => ({
      state: newConversationState(conversation, Date.now()),
      sla: DEFAULT_SLA_POLICY,
      pendingSuggestion: null,
    }),
    loadAiSettings: async () => ({ version: 0, config: DEFAULT_AI_ASSISTANT_CONFIG, available: false }),
    recordInboundMessages,
    saveConversation,
  };
  // every message is queued before a worker runs: the run sees them all at once
  const workflowId = conversationWorkflowId(conversation.conversationId);
  for (const [i, text] of texts.entries()) {
    await env.client.workflow.signalWithStart(CONVERSATION_WORKFLOW_TYPE, {
      workflowId,
      taskQueue,
      args: [{ conversation }],
      signal: inboundMessageSignal,
      signalArgs: [{ provider: 'twilio', providerMessageId: `SM${i}`, text, attachments: [] }],
    });
  }
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: globalResources().workflowBundlePath },
    activities,
  });
  const state = await worker.runUntil(async () => {
    const handle = env.client.workflow.getHandle(workflowId);
    for (let i = 0; i < 200; i++) {
      const s = await handle.query(getStateQuery);
      if (s.unreadCount >= expectUnread && recordInboundMessages.mock.calls.length > 0) return s;
      await new Promise((r) => setTimeout(r, 50));
    }
    return handle.query(getStateQuery);
  });
  return { recordInboundMessages, saveConversation, state };
}

test('messages queued together are recorded by one recordInboundMessages activity, in order', async () => {
  const texts = ['one', 'two', 'three', 'four'];
  const { recordInboundMessages, state } = await runConversation(async (b) => ({ inserted: b.messages.map(() => true) }), texts, 4);
  expect(recordInboundMessages).toHaveBeenCalledTimes(1);
  const batch = recordInboundMessages.mock.calls[0]![0];
  expect(batch.messages.map((m) => m.message.text)).toEqual(texts);
  // the state written with the batch is the state after all of them
  expect(batch.state).toMatchObject({ unreadCount: 4, lastMessagePreview: 'four' });
  expect(state).toMatchObject({ unreadCount: 4, lastMessagePreview: 'four' });
});

test('a batch the database refuses for good is recorded again one message at a time: only the bad message is lost', async () => {
  const record = async (b: Batch) => {
    if (b.messages.some((m) => m.message.text === 'bad')) {
      throw ApplicationFailure.nonRetryable('database rejected the write: invalid byte sequence', 'DatabaseConstraintViolation');
    }
    return { inserted: b.messages.map(() => true) };
  };
  const { recordInboundMessages, state } = await runConversation(record, ['first', 'bad', 'third'], 2);
  const calls = recordInboundMessages.mock.calls.map(([b]) => b.messages.map((m) => m.message.text));
  expect(calls).toEqual([['first', 'bad', 'third'], ['first'], ['bad'], ['third']]);
  expect(state).toMatchObject({ unreadCount: 2, lastMessagePreview: 'third' });
});

test('duplicates the database already holds are not counted: the state is derived from the stored ones and saved', async () => {
  const { recordInboundMessages, saveConversation, state } = await runConversation(
    async (b) => ({ inserted: b.messages.map((m) => m.message.text !== 'seen before') }),
    ['new one', 'seen before', 'new two'],
    2,
  );
  expect(recordInboundMessages).toHaveBeenCalledTimes(1);
  expect(saveConversation).toHaveBeenCalledWith(expect.objectContaining({ unreadCount: 2, lastMessagePreview: 'new two' }));
  expect(state).toMatchObject({ unreadCount: 2, lastMessagePreview: 'new two' });
});
