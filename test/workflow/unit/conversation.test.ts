/**
 * The conversation workflow's sequencing on its own (time-skipping server, `jest.fn` activities, no
 * Postgres; see test/support/conversation-under-test.ts): commands run one at a time under the
 * conversation lock in the order Temporal accepted them, the outbox sends one reply at a time in
 * that order beside the lock, and a snooze wakes the conversation at its exact instant.
 */
import { WorkflowUpdateStage } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { conversationWorkflow } from '../../../workflows';
import { CONVERSATION_WORKFLOW_TYPE, type ReplyCommand, replyUpdate, setStatusUpdate } from '../../../workflows/conversation/contract';
import { type ConversationUnderTest, eventually, startConversation } from '../../support/conversation-under-test';
import { createTimeSkippingEnvironment } from '../../support/time-skipping';

const STAFF = '00000000-0000-4000-8000-000000000001';
const reply = (text: string): ReplyCommand => ({ text, isInternalNote: false, authorId: STAFF });
const sleepReal = (ms: number) => new Promise((r) => setTimeout(r, ms));

// A test server per test: time skipping is server-wide, so no test's timers or in-flight tasks affect another's clock.
let env: TestWorkflowEnvironment;
beforeEach(async () => {
  env = await createTimeSkippingEnvironment();
}, 60_000);
afterEach(async () => {
  await env?.teardown();
});

/** The timeline as `name:phase:what` (`what`: a message id or text, a state's status). */
function steps(c: ConversationUnderTest, names: string[]): string[] {
  return c.timeline
    .filter((t) => names.includes(t.name))
    .map((t) => {
      const input = t.input as { messageId?: string; message?: { text: string }; status?: string };
      return `${t.name}:${t.phase}:${input.messageId ?? input.message?.text ?? input.status ?? ''}`;
    });
}

test('the exported workflow function is the registered type name (histories and running workflows use it)', () => {
  expect(conversationWorkflow.name).toBe(CONVERSATION_WORKFLOW_TYPE);
});

test('two replies are recorded and sent one at a time, in the order accepted; a status change completes while a send is in flight', async () => {
  const c = await startConversation(env);
  const firstSend = c.hold('sendMessage');
  await c.run(async () => {
    await c.inbound('Where is my order?');
    const a = await c.handle.startUpdate(replyUpdate, { args: [reply('first')], waitForStage: WorkflowUpdateStage.ACCEPTED });
    const b = await c.handle.startUpdate(replyUpdate, { args: [reply('second')], waitForStage: WorkflowUpdateStage.ACCEPTED });
    const [first, second] = [await a.result(), await b.result()];
    expect(c.outbound.map((m) => m.text)).toEqual(['first', 'second']);

    // the first send is held in flight: a command still runs (the sender does not hold the lock)…
    await eventually(() => c.activities.sendMessage.mock.calls.length === 1, 'the first send');
    const state = await c.handle.executeUpdate(setStatusUpdate, { args: [{ status: 'open', actorId: STAFF }] });
    expect(state.status).toBe('open');
    await sleepReal(300);
    // …but the second reply waits for the first send to finish
    expect(c.activities.sendMessage.mock.calls.map(([input]) => input.messageId)).toEqual([first.id]);
    firstSend.open();
    await eventually(() => c.activities.sendMessage.mock.calls.length === 2, 'the second send');
    await eventually(() => c.timeline.filter((t) => t.name === 'sendMessage' && t.phase === 'end').length === 2, 'both sends done');
    expect(steps(c, ['sendMessage', 'saveConversation'])).toEqual([
      `sendMessage:start:${first.id}`,
      'saveConversation:start:open',
      'saveConversation:end:open',
      `sendMessage:end:${first.id}`,
      `sendMessage:start:${second.id}`,
      `sendMessage:end:${second.id}`,
    ]);
  });
});

test('the conversation lock: a command waits for the one in progress and sees its result', async () => {
  const c = await startConversation(env);
  const recording = c.hold('recordOutboundMessage');
  await c.run(async () => {
    await c.inbound('Hello?');
    await eventually(async () => (await c.state()).unreadCount === 1, 'the customer message');
    const answer = await c.handle.startUpdate(replyUpdate, { args: [reply('On it.')], waitForStage: WorkflowUpdateStage.ACCEPTED });
    await eventually(() => c.activities.recordOutboundMessage.mock.calls.length === 1, 'the reply being recorded');
    const snooze = await c.handle.startUpdate(setStatusUpdate, {
      args: [{ status: 'snoozed', until: null, actorId: STAFF }],
      waitForStage: WorkflowUpdateStage.ACCEPTED,
    });
    await sleepReal(300);
    expect(c.activities.saveConversation).not.toHaveBeenCalled(); // queued behind the lock
    recording.open();
    const [message, state] = [await answer.result(), await snooze.result()];
    // the status change ran after the reply and saw it (SLA stopped, unread reset)
    expect(state).toMatchObject({ status: 'snoozed', hasStaffReplied: true, unreadCount: 0, slaDueAt: null });
    expect(steps(c, ['recordOutboundMessage', 'saveConversation'])).toEqual([
      'recordOutboundMessage:start:On it.',
      'recordOutboundMessage:end:On it.',
      'saveConversation:start:snoozed',
      'saveConversation:end:snoozed',
    ]);
    expect(message.text).toBe('On it.');
  });
});

test('a snooze wakes the conversation at its exact instant, not before', async () => {
  const c = await startConversation(env);
  await c.run(async () => {
    await c.inbound('Call me back in three hours');
    await c.handle.executeUpdate(replyUpdate, { args: [reply('Will do.')] });
    // (time skips only while nothing is in flight: let the send finish first)
    await eventually(() => c.timeline.some((t) => t.name === 'sendMessage' && t.phase === 'end'), 'the reply sent');
    const untilMs = (await env.currentTimeMs()) + 3 * 60 * 60 * 1000;
    const until = new Date(untilMs).toISOString();
    const snoozed = await c.handle.executeUpdate(setStatusUpdate, { args: [{ status: 'snoozed', until, actorId: STAFF }] });
    expect(snoozed).toMatchObject({ status: 'snoozed', snoozedUntil: until });

    await env.sleep(3 * 60 * 60 * 1000 - 2_000);
    await sleepReal(200);
    expect((await c.state()).status).toBe('snoozed');
    expect(c.activities.saveConversation.mock.calls.map(([s]) => s.status)).toEqual(['snoozed']);

    await env.sleep(4_000);
    await eventually(async () => (await c.state()).status === 'open', 'the wake-up');
    expect(c.activities.saveConversation.mock.calls.map(([s]) => s.status)).toEqual(['snoozed', 'open']);
    expect(c.activities.saveConversation.mock.calls[1]![0]).toMatchObject({ status: 'open', snoozedUntil: null });

    // the timer the workflow started for the wake-up ends exactly at `until`
    const events = (await c.handle.fetchHistory()).events ?? [];
    const T = temporal.api.enums.v1.EventType;
    const timerEnds = events.flatMap((e, i) => {
      if (e.eventType !== T.EVENT_TYPE_TIMER_STARTED) return [];
      const taskStart = events
        .slice(0, i)
        .reverse()
        .find((p) => p.eventType === T.EVENT_TYPE_WORKFLOW_TASK_STARTED)!;
      const startedMs = Number(taskStart.eventTime!.seconds) * 1000 + Math.round((taskStart.eventTime!.nanos ?? 0) / 1e6);
      const timeout = e.timerStartedEventAttributes!.startToFireTimeout!;
      return [startedMs + Number(timeout.seconds) * 1000 + Math.round((timeout.nanos ?? 0) / 1e6)];
    });
    expect(timerEnds).toContain(untilMs);
  });
});
