/**
 * The AI assistant inside the conversation workflow, on its own (time-skipping server, `jest.fn`
 * activities, no Postgres or OpenAI; see test/support/conversation-under-test.ts). What it counts:
 * - the held auto-send: a draft that may be auto-sent is held `autoSendDelaySeconds`, then sent as the
 *   AI through the outbox — unless a staff reply answers the customer first;
 * - `humanActions`: a human acting while a draft is in flight turns its auto-send into a suggestion
 *   (`human_active`);
 * - `generation`: a newer customer message supersedes the draft in flight (only the newest is answered);
 * - the hand-off: the conversation waits for a human (`needsHuman`, no more drafts) until staff reply.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { NewAiSuggestion } from '../../../activities/ai-suggestions';
import { AI_ASSISTANT_AUTHOR_ID } from '../../../domain/ai-assistant';
import { type ReplyCommand, getAssistantStateQuery, replyUpdate, setStatusUpdate } from '../../../workflows/conversation/contract';
import { type ConversationUnderTest, autoSendConfig, draft, eventually, startConversation } from '../../support/conversation-under-test';
import { createTimeSkippingEnvironment } from '../../support/time-skipping';

const STAFF = '00000000-0000-4000-8000-000000000002';
const HELD_MS = 600_000;
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

/** A conversation whose assistant auto-sends confident drafts after {@link HELD_MS}. */
const assisted = (opts: Parameters<typeof startConversation>[1] = {}) =>
  startConversation(env, { ai: { config: autoSendConfig({ autoSendDelaySeconds: HELD_MS / 1000 }), available: true }, ...opts });

/** The id the workflow gave the customer message with this text (from `recordInboundMessages`). */
const inboundIdOf = (c: ConversationUnderTest, text: string): string | undefined =>
  c.activities.recordInboundMessages.mock.calls.flatMap(([b]) => b.messages).find((m) => m.message.text === text)?.message.id;

const suggestions = (c: ConversationUnderTest): NewAiSuggestion[] => c.activities.insertAiSuggestion.mock.calls.map(([s]) => s);
const aiMessages = (c: ConversationUnderTest) => c.outbound.filter((m) => m.authorType === 'ai');

/** Waits until every started stand-in call has ended (time skips only while nothing is in flight). */
const quiet = (c: ConversationUnderTest) =>
  eventually(() => c.timeline.filter((t) => t.phase === 'start').length === c.timeline.filter((t) => t.phase === 'end').length, 'quiet');

test('an auto-send is held for autoSendDelay, then sent as the AI through the outbox', async () => {
  const c = await assisted();
  await c.run(async () => {
    await c.inbound('Is it shipped?');
    const held = await eventually(() => suggestions(c)[0], 'the held suggestion');
    expect(held).toMatchObject({
      decision: 'auto_send',
      status: 'scheduled',
      draft: draft(),
      triggerMessageId: inboundIdOf(c, 'Is it shipped?'),
    });
    expect(Date.parse(held.sendAt!) - Date.parse(held.createdAt)).toBe(HELD_MS);
    expect(await c.handle.query(getAssistantStateQuery)).toMatchObject({
      pending: { id: held.id, status: 'scheduled', sendAt: held.sendAt },
    });

    await quiet(c);
    await env.sleep(HELD_MS - 2_000);
    await sleepReal(200);
    expect(aiMessages(c)).toEqual([]);

    await env.sleep(4_000);
    const sent = await eventually(() => aiMessages(c)[0], 'the auto-send');
    expect(sent).toMatchObject({ text: draft().reply, authorId: AI_ASSISTANT_AUTHOR_ID, isInternalNote: false });
    await eventually(() => c.activities.sendMessage.mock.calls.some(([i]) => i.messageId === sent.id), 'the carrier send');
    await eventually(() => c.activities.updateAiSuggestion.mock.calls.length > 0, 'the suggestion resolved');
    expect(c.activities.updateAiSuggestion.mock.calls.map(([u]) => u)).toEqual([
      { id: held.id, status: 'auto_sent', messageId: sent.id, resolvedBy: AI_ASSISTANT_AUTHOR_ID },
    ]);
    expect((await c.handle.query(getAssistantStateQuery)).pending).toBeNull();
  });
});

test('a staff reply cancels the held auto-send: the draft is answered (training pair), never sent', async () => {
  const c = await assisted();
  await c.run(async () => {
    await c.inbound('Is it shipped?');
    const held = await eventually(() => suggestions(c)[0], 'the held suggestion');
    const staff = await c.handle.executeUpdate(replyUpdate, { args: [reply('Yes, this morning.')] });
    expect(c.activities.updateAiSuggestion.mock.calls.map(([u]) => u)).toEqual([
      expect.objectContaining({
        id: held.id,
        status: 'answered',
        messageId: staff.id,
        trainingPair: expect.objectContaining({ draft: draft().reply, sent: 'Yes, this morning.', staffUserId: STAFF }),
      }),
    ]);
    await quiet(c);
    await env.sleep(HELD_MS + 60_000);
    await sleepReal(300);
    expect(aiMessages(c)).toEqual([]);
    expect(c.activities.sendMessage.mock.calls.map(([i]) => i.messageId)).toEqual([staff.id]);
    expect((await c.handle.query(getAssistantStateQuery)).pending).toBeNull();
  });
});

test('a human action while the draft is in flight turns its auto-send into a suggestion (human_active)', async () => {
  const c = await assisted();
  const drafting = c.hold('draftReply');
  await c.run(async () => {
    await c.inbound('Is it shipped?');
    await eventually(() => c.activities.draftReply.mock.calls.length === 1, 'the draft requested');
    await c.handle.executeUpdate(setStatusUpdate, { args: [{ status: 'pending', actorId: STAFF }] });
    drafting.open();
    const suggestion = await eventually(() => suggestions(c)[0], 'the suggestion');
    expect(suggestion).toMatchObject({ decision: 'suggest', status: 'pending', reasons: ['human_active'], sendAt: null });
    await quiet(c);
    await env.sleep(HELD_MS + 60_000);
    await sleepReal(300);
    expect(aiMessages(c)).toEqual([]);
    expect(await c.handle.query(getAssistantStateQuery)).toMatchObject({ pending: { id: suggestion.id, status: 'pending' } });
  });
});

test('a newer customer message supersedes the draft in flight: only the newest message is answered', async () => {
  const c = await assisted();
  const firstDraft = c.hold('draftReply');
  await c.run(async () => {
    await c.inbound('Is it shipped?');
    await eventually(() => c.activities.draftReply.mock.calls.length === 1, 'the first draft requested');
    await c.inbound('Actually, can I change the address?');
    await eventually(() => inboundIdOf(c, 'Actually, can I change the address?'), 'the second message recorded');
    firstDraft.open();
    await eventually(() => c.activities.draftReply.mock.calls.length === 2, 'the second draft requested');
    const suggestion = await eventually(() => suggestions(c)[0], 'the suggestion');
    await quiet(c);
    expect(suggestions(c)).toHaveLength(1);
    expect(suggestion.triggerMessageId).toBe(inboundIdOf(c, 'Actually, can I change the address?'));
  });
});

test('a hand-off opens the conversation for a human and stops drafting until a staff reply', async () => {
  const c = await assisted({
    activities: { draftReply: async () => ({ available: true, draft: draft({ handoff: true, handoffReason: 'wants a refund' }) }) },
  });
  await c.run(async () => {
    await c.inbound('I want my money back');
    const handedOff = await eventually(() => suggestions(c)[0], 'the hand-off');
    expect(handedOff).toMatchObject({ decision: 'hand_off', status: 'handed_off', reasons: ['wants a refund'] });
    await eventually(() => aiMessages(c)[0], 'the hand-off note');
    expect(aiMessages(c)).toEqual([expect.objectContaining({ isInternalNote: true, text: expect.stringContaining('wants a refund') })]);
    expect(await c.state()).toMatchObject({ status: 'open', needsHuman: true });

    // handed off: the next customer message gets no draft
    await c.inbound('Hello??');
    await eventually(() => inboundIdOf(c, 'Hello??'), 'the second message recorded');
    await quiet(c);
    expect(c.activities.draftReply).toHaveBeenCalledTimes(1);

    // a staff reply takes it back (needsHuman cleared): the next customer message is drafted again
    await c.handle.executeUpdate(replyUpdate, { args: [reply('Refund on its way.')] });
    expect(await c.state()).toMatchObject({ needsHuman: false });
    await c.inbound('Thanks!');
    await eventually(() => c.activities.draftReply.mock.calls.length === 2, 'a draft again');
  });
});
