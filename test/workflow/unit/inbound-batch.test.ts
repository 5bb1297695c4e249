/**
 * The conversation workflow's inbound recording on its own (time-skipping test server, the workflow
 * bundle, `jest.fn` activities — no Postgres; see test/support/conversation-under-test.ts): customer
 * messages queued together are recorded in one `recordInboundMessages` batch, and a batch the database
 * refuses for good is recorded again one message at a time, so only the bad message is lost.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { InboundMessageInput } from '../../../activities/conversation-store';
import type { ConversationState } from '../../../domain/conversation';
import { eventually, startConversation } from '../../support/conversation-under-test';
import { createTimeSkippingEnvironment } from '../../support/time-skipping';

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
  const c = await startConversation(env, { activities: { recordInboundMessages: record } });
  // every message is queued before a worker runs: the run sees them all at once
  for (const text of texts) await c.inbound(text);
  const state = await c.run(async () => {
    await eventually(
      async () => (await c.state()).unreadCount >= expectUnread && c.activities.recordInboundMessages.mock.calls.length > 0,
      `${expectUnread} unread`,
    ).catch(() => undefined);
    return c.state();
  });
  return { recordInboundMessages: c.activities.recordInboundMessages, saveConversation: c.activities.saveConversation, state };
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
