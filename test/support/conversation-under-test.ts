/**
 * The conversation workflow on its own, for fast unit tests (the pattern of temporalio/samples-typescript
 * `sleep-for-days`): the time-skipping test server, the suite's workflow bundle, and every activity a
 * `jest.fn` stand-in — no Postgres, no carriers, no OpenAI. Tests drive the run with signals, updates
 * and `env.sleep`, and assert on the stand-ins' calls (order, arguments) and on query results.
 *
 * The stand-ins answer like the real activities on an empty database: the conversation loads as new,
 * every message inserts, sends succeed with a fresh carrier id. A test overrides any of them
 * (`activities: { draftReply: … }`), or holds the next call of one in flight with `hold(name)`.
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { Activities } from '../../activities';
import { type AiAssistantConfig, type AiDraft, DEFAULT_AI_ASSISTANT_CONFIG } from '../../domain/ai-assistant';
import { type ConversationState, type NewConversation, newConversationState } from '../../domain/conversation';
import type { ChannelKind } from '../../domain/channels';
import type { MessageRecord } from '../../domain/message';
import { DEFAULT_SLA_POLICY } from '../../domain/sla';
import {
  CONVERSATION_WORKFLOW_TYPE,
  type InboundMessage,
  conversationWorkflowId,
  getStateQuery,
  inboundMessageSignal,
} from '../../workflows/conversation/contract';
import type { conversationWorkflow } from '../../workflows/conversation/workflow';
import { globalResources } from './global-resources';

type ActivityName = keyof Activities;
/** A `jest.fn` with the signature of the activity `K`. */
export type ActivityMock<K extends ActivityName> = jest.Mock<ReturnType<Activities[K]>, Parameters<Activities[K]>>;
/** The stand-ins of the activities the conversation workflow and its assistant call. */
export type FakeActivities = { [K in UsedActivity]: ActivityMock<K> };
type UsedActivity =
  | 'loadConversation'
  | 'loadAiSettings'
  | 'recordInboundMessages'
  | 'saveConversation'
  | 'recordOutboundMessage'
  | 'sendMessage'
  | 'markMessageFailed'
  | 'requeueMessage'
  | 'isOrgMember'
  | 'applyDeliveryReport'
  | 'importInboundMedia'
  | 'loadAiContext'
  | 'draftReply'
  | 'insertAiSuggestion'
  | 'updateAiSuggestion';

/** A promise the test resolves by hand: `await g.wait` inside a stand-in holds it in flight until `g.open()`. */
export interface Gate {
  wait: Promise<void>;
  open(): void;
}
/** A closed {@link Gate}. */
export function gate(): Gate {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

/** An assistant configuration that auto-sends confident, simple drafts after `autoSendDelaySeconds`. */
export function autoSendConfig(overrides: Partial<AiAssistantConfig> = {}): AiAssistantConfig {
  return { ...DEFAULT_AI_ASSISTANT_CONFIG, enabled: true, mode: 'auto', autoSendConfidence: 0.8, autoSendDelaySeconds: 600, ...overrides };
}

/** A confident, simple draft (auto-sendable under {@link autoSendConfig}). */
export function draft(overrides: Partial<AiDraft> = {}): AiDraft {
  return {
    reply: 'Your order ships tomorrow.',
    confidence: 0.95,
    complexity: 'low',
    intent: 'order_status',
    handoff: false,
    handoffReason: null,
    ...overrides,
  };
}

/** Options of {@link startConversation}. */
export interface ConversationUnderTestOptions {
  channelKind?: ChannelKind;
  /** The assistant's settings (default: off, no OpenAI key). */
  ai?: { config: AiAssistantConfig; available: boolean };
  /** Overrides of the stand-ins' implementations. */
  activities?: Partial<{ [K in UsedActivity]: (...args: Parameters<Activities[K]>) => ReturnType<Activities[K]> }>;
}

/** A running conversation and its stand-ins; call everything inside {@link ConversationUnderTest.run}. */
export interface ConversationUnderTest {
  conversation: NewConversation;
  handle: WorkflowHandle<typeof conversationWorkflow>;
  activities: FakeActivities;
  /** Every stand-in call's start and end, in order (`name`, `phase`, its first argument). */
  timeline: { name: UsedActivity; phase: 'start' | 'end'; input: unknown }[];
  /** The next call of activity `name` waits (in flight) until the returned gate opens. */
  hold(name: UsedActivity): Gate;
  /** The messages `recordOutboundMessage` stored, in order. */
  outbound: MessageRecord[];
  /** Runs `fn` while the worker polls; then terminates the run and stops the worker. */
  run<T>(fn: () => Promise<T>): Promise<T>;
  /** Signals a customer message (`text`, a fresh carrier id). */
  inbound(text: string): Promise<void>;
  /** The live state (`getState` query). */
  state(): Promise<ConversationState>;
}

/** Polls `check` (real time, every 20 ms, up to `timeoutMs`) until it returns a truthy value. */
export async function eventually<T>(check: () => T | Promise<T>, what: string, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Starts a conversation's workflow on its own task queue with stand-in activities (the worker runs inside `run`). */
export async function startConversation(
  env: TestWorkflowEnvironment,
  opts: ConversationUnderTestOptions = {},
): Promise<ConversationUnderTest> {
  const taskQueue = `unit-${randomUUID()}`;
  const conversation: NewConversation = {
    conversationId: randomUUID(),
    orgId: randomUUID(),
    channelId: randomUUID(),
    channelKind: opts.channelKind ?? 'sms',
    contactId: randomUUID(),
  };
  const ai = opts.ai ?? { config: DEFAULT_AI_ASSISTANT_CONFIG, available: false };
  const timeline: ConversationUnderTest['timeline'] = [];
  const holds = new Map<UsedActivity, Gate[]>();
  const outbound: MessageRecord[] = [];
  let sent = 0;
  const defaults: { [K in UsedActivity]: (...args: Parameters<Activities[K]>) => ReturnType<Activities[K]> } = {
    loadConversation: async () => ({
      state: newConversationState(conversation, Date.now()),
      sla: DEFAULT_SLA_POLICY,
      pendingSuggestion: null,
    }),
    loadAiSettings: async () => ({ version: 1, config: ai.config, available: ai.available }),
    recordInboundMessages: async (input) => ({ inserted: input.messages.map(() => true) }),
    saveConversation: async () => undefined,
    recordOutboundMessage: async ({ message }) => {
      const record: MessageRecord = {
        id: message.id,
        orgId: conversation.orgId,
        conversationId: conversation.conversationId,
        direction: 'outbound',
        authorType: message.authorType,
        authorId: message.authorId,
        text: message.text,
        attachments: message.attachments,
        isInternalNote: message.isInternalNote,
        provider: message.provider,
        providerMessageId: null,
        deliveryStatus: message.isInternalNote ? null : 'queued',
        errorCode: null,
        errorMessage: null,
        email: null,
        template: message.template,
        truncated: false,
        createdAt: message.createdAt,
      };
      outbound.push(record);
      return record;
    },
    sendMessage: async () => ({ providerMessageId: `SM${++sent}`, alreadySent: false }),
    markMessageFailed: async () => undefined,
    requeueMessage: async () => null,
    isOrgMember: async () => true,
    applyDeliveryReport: async () => ({ applied: true }),
    importInboundMedia: async () => ({ imported: 0 }),
    loadAiContext: async () => ({ available: ai.available, config: ai.config, contactVip: false, contactEmailBounced: false }),
    draftReply: async () => ({ available: true, draft: draft() }),
    insertAiSuggestion: async () => undefined,
    updateAiSuggestion: async () => undefined,
  };
  const impl = { ...defaults, ...opts.activities };
  const activities = Object.fromEntries(
    (Object.keys(impl) as UsedActivity[]).map((name) => [
      name,
      jest.fn(async (input: unknown) => {
        timeline.push({ name, phase: 'start', input });
        const held = holds.get(name)?.shift();
        if (held) await held.wait;
        const result: unknown = await (impl[name] as (input: unknown) => Promise<unknown>)(input);
        timeline.push({ name, phase: 'end', input });
        return result;
      }),
    ]),
  ) as unknown as FakeActivities;

  const workflowId = conversationWorkflowId(conversation.conversationId);
  const handle = await env.client.workflow.start<typeof conversationWorkflow>(CONVERSATION_WORKFLOW_TYPE, {
    workflowId,
    taskQueue,
    args: [{ conversation }],
  });
  let carrierIds = 0;
  return {
    conversation,
    handle,
    activities,
    timeline,
    hold(name) {
      const g = gate();
      holds.set(name, [...(holds.get(name) ?? []), g]);
      return g;
    },
    outbound,
    async run(fn) {
      const worker = await Worker.create({
        connection: env.nativeConnection,
        taskQueue,
        workflowBundle: { codePath: globalResources().workflowBundlePath },
        activities,
      });
      // terminated while the worker still runs: no workflow task is left half-done by the worker's shutdown
      return worker.runUntil(async () => {
        try {
          return await fn();
        } finally {
          await handle.terminate('test over').catch(() => undefined);
        }
      });
    },
    async inbound(text) {
      const message: InboundMessage = {
        provider: 'twilio',
        providerMessageId: `SMin${++carrierIds}-${randomUUID()}`,
        text,
        attachments: [],
      };
      await handle.signal(inboundMessageSignal, message);
    },
    state: () => handle.query(getStateQuery),
  };
}
