/**
 * The AI assistant as one more participant of the conversation workflow.
 *
 * A coroutine beside the main loop: every new customer message queues a draft request; the
 * coroutine asks OpenAI (activity `draftReply`, or the agent loop with inbox tools on kinds with
 * `capabilities.aiAgentTools`: email), then,
 * under the conversation lock, applies the pure decision (`decideAiAction`): suggest (stored for
 * staff), hand off (status open + `needsHuman` + an internal note), or auto-send — held for
 * `autoSendDelay` on a durable timer and sent as an `ai` message through the same outbox as staff
 * replies. Every step is an activity, timer or log line in the run's history (Temporal UI).
 *
 * Ordering guarantees (nothing here ever interleaves an AI send with a human send):
 * - decisions and sends happen under the same lock as staff commands, so a staff reply is either
 *   recorded before the AI's (which then sees it and drops its draft) or after it;
 * - a newer customer message supersedes the pending suggestion and any draft still in flight;
 * - a staff reply, assignment, status change or dismissal cancels a held auto-send (the draft
 *   stays available as a suggestion unless the reply answered it or the conversation closed).
 * OpenAI failures retry with back-off (activity retry policy); when retries run out, the model
 * refuses or its output is unusable, a `failed` suggestion (reason `unavailable`, `refusal` or
 * `invalid_output`) records it for staff and the conversation waits for a human.
 *
 * A human owns the conversation — it is assigned to a staff member, or a staff member replied since it
 * was (re)opened — → the assistant never sends by itself there: drafts are suggestions (`human_owner`)
 * and the agent loop does not run.
 *
 * The org's settings live in the run's state ({@link AssistantCarry}): loaded once per run (carried
 * across continue-as-new), replaced by the `aiSettingsChanged` signal (highest version wins). A customer
 * message on a conversation whose assistant is off (org switch, channel, `aiAssist`, no OpenAI key)
 * therefore runs no AI activity at all. Deterministic: no I/O outside activities.
 *
 * Versioning (`patched`): `ai-settings-in-state` (load at run start, skip when off),
 * `ai-human-owner` (the owner rule), `ai-failure-trace` (failed suggestions): histories recorded
 * before them replay unchanged.
 */
import { ActivityFailure, ApplicationFailure, condition, log, patched, proxyActivities, setHandler, uuid4 } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { AiSuggestionUpdate } from '../../activities/ai-suggestions';
import {
  AI_ASSISTANT_AUTHOR_ID,
  type AiAssistantConfig,
  type AiDecision,
  type AiDraft,
  type AiFailureReason,
  assistantActive,
  decideAiAction,
  effectiveAiAssist,
  AI_REFUSAL,
  INVALID_AGENT_STEP,
  INVALID_AI_DRAFT,
} from '../../domain/ai-assistant';
import type { AgentMessage } from '../../domain/ai-agent-tools';
import { isFreeFormReplyAllowed, kindSpec } from '../../domain/channels';
import type { ConversationState } from '../../domain/conversation';
import { DomainError } from '../../domain/errors';
import type { MessageRecord } from '../../domain/message';
import {
  type AiSettingsSnapshot,
  type AssistantCarry,
  type AssistantState,
  type DismissSuggestionCommand,
  type PendingSuggestion,
  type SendSuggestionCommand,
  aiSettingsSignal,
} from './contract';

/** Patch: the org's settings are kept in the run (loaded at start); an inbound message on an assistant-off conversation runs no AI activity. */
const SETTINGS_IN_STATE_PATCH = 'ai-settings-in-state';
/** Patch: no auto-send (and no agent loop) while a human owns the conversation. */
const HUMAN_OWNER_PATCH = 'ai-human-owner';
/** Patch: refusals, unusable output and exhausted retries are recorded as `failed` suggestions. */
const FAILURE_TRACE_PATCH = 'ai-failure-trace';
/** Longest error message stored on a failed suggestion. */
const MAX_FAILURE_MESSAGE_LENGTH = 2_000;

/**
 * Classifies a failed draft / agent-step activity for staff (failure types from domain/ai-assistant.ts,
 * thrown by activities/ai-draft.ts, ai-agent.ts and openai-thread.ts).
 * @returns `null` for anything that is not an activity failure (a bug: rethrown)
 */
function failureOf(err: unknown): { reason: AiFailureReason; message: string } | null {
  if (!(err instanceof ActivityFailure)) return null;
  const cause = err.cause;
  const message = (cause?.message || err.message).slice(0, MAX_FAILURE_MESSAGE_LENGTH);
  if (cause instanceof ApplicationFailure && cause.type === AI_REFUSAL) return { reason: 'refusal', message };
  if (cause instanceof ApplicationFailure && (cause.type === INVALID_AI_DRAFT || cause.type === INVALID_AGENT_STEP)) {
    return { reason: 'invalid_output', message };
  }
  // retries ran out (429 / 5xx / timeouts), or OpenAI rejected the request (bad key, unknown model, …)
  return { reason: 'unavailable', message };
}

/** Drafts retry transient OpenAI failures (429, 5xx, timeouts) 6 times over about a minute, then give up. */
const drafting = proxyActivities<Pick<Activities, 'draftReply' | 'agentStep'>>({
  startToCloseTimeout: '90 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 6 },
});
/** Tool calls run updates on conversations; a few retries, then the model is told it failed. */
const tools = proxyActivities<Pick<Activities, 'runAgentTool'>>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 5 },
});
const aiStore = proxyActivities<Pick<Activities, 'loadAiContext' | 'loadAiSettings' | 'insertAiSuggestion' | 'updateAiSuggestion'>>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** What the conversation workflow lends the assistant. */
export interface AssistantHost {
  /** The live conversation state. */
  state(): ConversationState;
  /** Runs `fn` under the conversation lock, after recording queued customer messages. */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * Records a reply (under the lock: call from inside {@link exclusive}) and queues it in the
   * outbox. Throws an `ApplicationFailure` typed by the domain code when the rules refuse it
   * (e.g. `whatsapp_session_expired`).
   */
  sendReply(reply: { text: string; authorType: 'staff' | 'ai'; authorId: string }): Promise<MessageRecord>;
  /** Hands the conversation off (under the lock): status open, `needsHuman`, `note` stored as an internal note by the AI. */
  handOff(note: string): Promise<void>;
}

/** A queued draft request: the customer message it answers and what had happened by then. */
interface DraftRequest {
  generation: number;
  triggerMessageId: string;
  humanActions: number;
}

/** The assistant of one run; see the file comment. */
export interface Assistant {
  /** Live state for the `getAssistantState` query. */
  view(): AssistantState;
  /** Nothing queued or in progress (a held auto-send is carried across continue-as-new). */
  idle(): boolean;
  /**
   * The customer message whose draft is queued or in flight, if any: a run that continues as new
   * before the assistant is idle (past the urgent bound) hands it to the next run.
   */
  owedTrigger(): string | null;
  /** The open suggestion, carried across continue-as-new. */
  pending(): PendingSuggestion | null;
  /** Settings and ownership, carried across continue-as-new. */
  carry(): AssistantCarry;
  /** Adopts the open suggestion stored in Postgres (a fresh run after the previous one ended). */
  restore(stored: PendingSuggestion | null): void;
  /** A new customer message was stored (under the lock): supersede the pending suggestion, queue a fresh draft. */
  onCustomerMessage(messageId: string): Promise<void>;
  /** A staff reply was recorded (under the lock): it answers the pending suggestion (training pair) and any draft in flight. */
  onStaffReply(message: MessageRecord, actorId: string): Promise<void>;
  /** The assistant's own agent tools replied (under the lock): the draft in flight is moot. */
  onAiReply(): void;
  /**
   * Someone assigned the conversation, changed its status or switched AI assist off (under the lock):
   * cancels a held auto-send; closing ends the pending suggestion. `human: false` = the assistant's own agent tools.
   */
  onHumanAction(input: { closed: boolean; human?: boolean }): Promise<void>;
  /** Rejects (as a non-retryable failure, 409 `suggestion_not_pending`) unless `suggestionId` is the pending one. */
  assertPending(suggestionId: string): void;
  /** Sends the pending suggestion as a staff reply (under the lock). */
  sendSuggestion(command: SendSuggestionCommand): Promise<MessageRecord>;
  /** Dismisses the pending suggestion (under the lock). */
  dismissSuggestion(command: DismissSuggestionCommand): Promise<{ suggestionId: string; status: 'dismissed' }>;
  /** The coroutine: drafts, decides, waits out held auto-sends. Never returns. */
  run(): Promise<never>;
}

const ms = (iso: string | null): number | null => (iso === null ? null : Date.parse(iso));

/** Turns a domain rule violation into the non-retryable failure an update answers with. */
function ruleViolation(err: DomainError): ApplicationFailure {
  return ApplicationFailure.create({ type: err.code, message: err.message, nonRetryable: true, details: err.details ? [err.details] : [] });
}

/**
 * Builds the assistant of one run (and registers the `aiSettingsChanged` signal handler);
 * `initialPending` is the suggestion and `carried` the settings / ownership carried from the previous run.
 */
export function createAssistant(host: AssistantHost, initialPending: PendingSuggestion | null, carried?: AssistantCarry): Assistant {
  let pending: PendingSuggestion | null = initialPending;
  /** The org's settings as this run knows them; `null` until loaded (or in a run recorded before they were kept). */
  let settings: AiSettingsSnapshot | null = carried?.settings ?? null;
  /** A staff reply since the conversation was (re)opened; `null` = unknown (derived from the state). */
  let staffRepliedSinceOpen: boolean | null = carried?.staffRepliedSinceOpen ?? null;
  const adoptSettings = (next: AiSettingsSnapshot): void => {
    if (settings === null || next.version >= settings.version) settings = next;
  };
  setHandler(aiSettingsSignal, (next) => {
    adoptSettings(next);
    log.info('AI settings updated', { version: next.version, enabled: next.config.enabled });
  });
  /**
   * The settings this run was sent no longer allow a held auto-send: the assistant is off for this
   * conversation, or the org switched to mode `suggest` (only ever true after a settings load or signal).
   */
  const holdRevoked = (): boolean => {
    if (settings === null) return false;
    const state = host.state();
    return settings.config.mode !== 'auto' || !assistantActive(settings.config, settings.available, state.channelKind, state.aiAssist);
  };
  /** A human owns the conversation: assigned to staff, or a staff reply since it was (re)opened. */
  const humanOwned = (): boolean => {
    const state = host.state();
    const replied = staffRepliedSinceOpen ?? (state.status !== 'closed' && state.hasStaffReplied);
    return state.assigneeId !== null || replied;
  };
  /** Customer messages stored by this run (a draft answers the generation it was requested for). */
  let generation = 0;
  let request: DraftRequest | null = null;
  /** The latest generation a reply (staff or AI) answered. */
  let answeredGeneration = -1;
  /** Human assignments, status changes and dismissals so far. */
  let humanActions = 0;
  let busy = false;
  /** The draft request being handled (set while `busy` with a draft). */
  let current: DraftRequest | null = null;
  /** The latest generation a staff reply answered (the agent loop stops when a human takes over). */
  let staffAnsweredGeneration = -1;

  /**
   * Writes a suggestion's status; never throws (a failed bookkeeping write must not fail an update,
   * block inbound handling or stop the coroutine: it is logged, the row may be stale).
   */
  const recordSuggestion = async (update: AiSuggestionUpdate): Promise<void> => {
    try {
      await aiStore.updateAiSuggestion(update);
    } catch (err) {
      log.error('AI suggestion status could not be stored', { suggestionId: update.id, status: update.status, error: String(err) });
    }
  };

  const resolve = async (
    status: 'answered' | 'sent' | 'auto_sent' | 'dismissed' | 'superseded' | 'cancelled',
    extra: Omit<AiSuggestionUpdate, 'id' | 'status'> = {},
  ): Promise<void> => {
    if (!pending) return;
    const id = pending.id;
    // forget it first: whatever happens to the row, this run never sends it again
    pending = null;
    await recordSuggestion({ id, status, ...extra });
    log.info('AI suggestion resolved', { suggestionId: id, status });
  };

  /** Sends the held draft as the AI (under the lock); a refused send leaves it as a suggestion. */
  const autoSend = async (): Promise<void> => {
    if (!pending) return;
    let message: MessageRecord;
    try {
      message = await host.sendReply({ text: pending.reply, authorType: 'ai', authorId: AI_ASSISTANT_AUTHOR_ID });
    } catch (err) {
      if (!(err instanceof ApplicationFailure)) throw err;
      log.warn('AI auto-send refused; kept as a suggestion', { suggestionId: pending.id, reason: err.type });
      pending = { ...pending, status: 'pending', sendAt: null };
      await recordSuggestion({ id: pending.id, status: 'pending' });
      return;
    }
    await resolve('auto_sent', { messageId: message.id, resolvedBy: AI_ASSISTANT_AUTHOR_ID });
    answeredGeneration = generation;
  };

  /** Applies a draft's decision (under the lock). */
  const apply = async (
    req: DraftRequest,
    config: AiAssistantConfig,
    contact: { vip: boolean; emailBounced: boolean },
    draft: AiDraft,
  ): Promise<void> => {
    if (req.generation !== generation) return log.info('AI draft superseded by a newer customer message');
    if (answeredGeneration >= req.generation) return log.info('AI draft dropped: the customer was already answered');
    const state = host.state();
    if (state.status === 'closed') return log.info('AI draft dropped: the conversation was closed');
    const nowMs = Date.now();
    const decision: AiDecision = decideAiAction({
      config,
      conversationAiAssist: effectiveAiAssist(config, state.channelKind, state.aiAssist),
      contactVip: contact.vip,
      contactEmailBounced: contact.emailBounced,
      channelKind: state.channelKind,
      whatsappWindowOpen: isFreeFormReplyAllowed(state.channelKind, ms(state.sessionExpiresAt), nowMs),
      humanActive: humanActions !== req.humanActions,
      humanOwner: patched(HUMAN_OWNER_PATCH) && humanOwned(),
      draft,
    });
    log.info('AI decision', { ...decision, confidence: draft.confidence, complexity: draft.complexity, intent: draft.intent });
    if (decision.action === 'none') return;
    const id = uuid4();
    const base = {
      id,
      orgId: state.orgId,
      conversationId: state.conversationId,
      triggerMessageId: req.triggerMessageId,
      draft,
      model: config.model,
      createdAt: new Date(nowMs).toISOString(),
    };
    switch (decision.action) {
      case 'hand_off':
        await aiStore.insertAiSuggestion({ ...base, decision: 'hand_off', status: 'handed_off', reasons: [decision.reason], sendAt: null });
        await host.handOff(`AI assistant handed this conversation to a human: ${decision.reason}`);
        return;
      case 'suggest':
        await aiStore.insertAiSuggestion({ ...base, decision: 'suggest', status: 'pending', reasons: decision.reasons, sendAt: null });
        pending = { id, status: 'pending', reply: draft.reply, intent: draft.intent, sendAt: null };
        return;
      case 'auto_send': {
        const sendAt = new Date(nowMs + decision.sendAtDelaySeconds * 1000).toISOString();
        await aiStore.insertAiSuggestion({ ...base, decision: 'auto_send', status: 'scheduled', reasons: [], sendAt });
        pending = { id, status: 'scheduled', reply: draft.reply, intent: draft.intent, sendAt };
        if (decision.sendAtDelaySeconds === 0) await autoSend();
        return;
      }
    }
  };

  /**
   * A draft or agent step failed for good: records a `failed` suggestion (reason and message, for staff)
   * if the request is still the current one; otherwise (or for a non-activity error) rethrows.
   */
  const recordFailure = async (req: DraftRequest, model: string, err: unknown): Promise<void> => {
    const failure = failureOf(err);
    if (failure === null || !patched(FAILURE_TRACE_PATCH)) throw err;
    log.warn('AI assistant failed on this turn; recorded for staff', { reason: failure.reason, error: failure.message });
    if (req.generation !== generation || answeredGeneration >= req.generation) return;
    const state = host.state();
    try {
      await aiStore.insertAiSuggestion({
        id: uuid4(),
        orgId: state.orgId,
        conversationId: state.conversationId,
        triggerMessageId: req.triggerMessageId,
        decision: 'failed',
        status: 'failed',
        reasons: [failure.reason],
        draft: null,
        errorMessage: failure.message,
        model,
        sendAt: null,
        createdAt: new Date(Date.now()).toISOString(),
      });
    } catch (insertErr) {
      log.error('failed AI suggestion could not be stored', { error: String(insertErr) });
    }
  };

  /** The agent loop with inbox tools (kinds with `capabilities.aiAgentTools`: email): model step → tool calls → results, at most `maxSteps` steps. */
  const runAgentLoop = async (req: DraftRequest, config: AiAssistantConfig): Promise<void> => {
    const state = host.state();
    const transcript: AgentMessage[] = [];
    /** A newer customer message (a new loop runs for it) or a human took over: stop acting. */
    const stopReason = (): string | null =>
      req.generation !== generation
        ? 'a newer customer message arrived'
        : staffAnsweredGeneration >= req.generation || humanActions !== req.humanActions
          ? 'a human took over'
          : host.state().aiAssist === false
            ? 'AI assist was switched off'
            : null;
    for (let step = 1; step <= config.agentTools.maxSteps; step++) {
      const before = stopReason();
      if (before) return log.info(`agent loop stopped: ${before}`);
      let result: Awaited<ReturnType<typeof drafting.agentStep>>;
      try {
        result = await drafting.agentStep({
          orgId: state.orgId,
          conversationId: state.conversationId,
          model: config.model,
          instructions: config.instructions,
          // bound to this conversation, listing the inbox is pointless (it would be refused): not offered
          tools:
            config.agentTools.scope === 'conversation'
              ? config.agentTools.tools.filter((t) => t !== 'list_inbox')
              : config.agentTools.tools,
          transcript,
        });
      } catch (err) {
        return recordFailure(req, config.model, err);
      }
      if (!result.available) return;
      transcript.push(result.message);
      if (result.kind === 'final') return log.info('agent loop finished', { steps: step });
      for (const call of result.calls) {
        const stop = stopReason();
        if (stop) return log.info(`agent loop stopped before ${call.name}: ${stop}`);
        try {
          const outcome = await tools.runAgentTool({
            orgId: state.orgId,
            actingConversationId: state.conversationId,
            tools: config.agentTools.tools,
            scope: config.agentTools.scope,
            call,
          });
          log.info('agent tool called', { tool: call.name, ok: outcome.ok });
          transcript.push({ role: 'tool', tool_call_id: outcome.toolCallId, content: outcome.content });
        } catch (err) {
          // retries ran out (Temporal or the database unreachable): tell the model, let it decide
          log.warn('agent tool failed', { tool: call.name, error: String(err instanceof ActivityFailure ? err.cause : err) });
          const content = JSON.stringify({
            error: { code: 'tool_unavailable', message: 'The tool could not run now; try later or stop.' },
          });
          transcript.push({ role: 'tool', tool_call_id: call.id, content });
        }
      }
    }
    log.warn('agent loop reached its step limit', { maxSteps: config.agentTools.maxSteps });
  };

  const handle = async (req: DraftRequest): Promise<void> => {
    const state = host.state();
    if (
      settings !== null &&
      patched(SETTINGS_IN_STATE_PATCH) &&
      !assistantActive(settings.config, settings.available, state.channelKind, state.aiAssist)
    ) {
      return log.info('AI assistant off for this conversation; nothing to do', { settingsVersion: settings.version });
    }
    const { available, config, contactVip, contactEmailBounced } = await aiStore.loadAiContext({
      orgId: state.orgId,
      contactId: state.contactId,
    });
    // (a context recorded before `contactEmailBounced` existed has none: not bounced, as then)
    const emailBounced = contactEmailBounced === true;
    if (!available) return log.info('AI assistant unavailable (no OPENAI_API_KEY)');
    if (!config.enabled || !effectiveAiAssist(config, state.channelKind, state.aiAssist)) return;
    if (req.generation !== generation || answeredGeneration >= req.generation) return;
    // The agent acts by itself, so only where an auto-send could happen: mode auto, not a VIP, no human owner.
    if (
      kindSpec(state.channelKind).capabilities.aiAgentTools &&
      config.agentTools.enabled &&
      config.mode === 'auto' &&
      !contactVip &&
      !emailBounced &&
      !(patched(HUMAN_OWNER_PATCH) && humanOwned())
    ) {
      return runAgentLoop(req, config);
    }
    let result: Awaited<ReturnType<typeof drafting.draftReply>>;
    try {
      result = await drafting.draftReply({
        conversationId: state.conversationId,
        instructions: config.instructions,
        model: config.model,
      });
    } catch (err) {
      return recordFailure(req, config.model, err);
    }
    if (!result.available) return;
    await host.exclusive(() => apply(req, config, { vip: contactVip, emailBounced }, result.draft));
  };

  /**
   * Waits for the held auto-send's time; sends unless a human acted, a message superseded it, it was
   * dismissed, or new settings revoked it (then it stays as a suggestion).
   */
  const waitForAutoSend = async (held: PendingSuggestion): Promise<void> => {
    const stillHeld = () => pending?.id === held.id && pending.status === 'scheduled';
    const untilMs = Math.max(1, (ms(held.sendAt) ?? Date.now()) - Date.now());
    const interrupted = await condition(() => !stillHeld() || request !== null || holdRevoked(), untilMs);
    if (interrupted) {
      if (request === null && stillHeld() && holdRevoked()) {
        await host.exclusive(async () => {
          if (!stillHeld() || !pending) return;
          pending = { ...pending, status: 'pending', sendAt: null };
          log.info('AI auto-send cancelled by new settings; kept as a suggestion', { suggestionId: pending.id });
          await recordSuggestion({ id: pending.id, status: 'pending' });
        });
      }
      return;
    }
    busy = true; // the run must not continue-as-new in the middle of the send
    try {
      await host.exclusive(async () => {
        if (stillHeld()) await autoSend();
      });
    } finally {
      busy = false;
    }
  };

  return {
    view: () => ({ busy: busy || request !== null, pending }),
    idle: () => !busy && request === null,
    owedTrigger: () => request?.triggerMessageId ?? current?.triggerMessageId ?? null,
    pending: () => pending,
    carry: () => ({ settings, staffRepliedSinceOpen }),
    restore(stored) {
      if (pending === null) pending = stored;
    },

    async onCustomerMessage(messageId) {
      generation++;
      if (pending) await resolve('superseded');
      const state = host.state();
      // switched off for this conversation, or handed off: humans own it until they reply
      if (state.aiAssist === false || state.needsHuman) return;
      request = { generation, triggerMessageId: messageId, humanActions };
    },

    async onStaffReply(message, actorId) {
      staffRepliedSinceOpen = true;
      answeredGeneration = generation;
      staffAnsweredGeneration = generation;
      request = null;
      if (!pending) return;
      const draft = pending;
      await resolve('answered', {
        messageId: message.id,
        resolvedBy: actorId,
        trainingPair: {
          draft: draft.reply,
          sent: message.text,
          intent: draft.intent,
          staffUserId: actorId,
          messageId: message.id,
          createdAt: message.createdAt,
        },
      });
    },

    onAiReply() {
      answeredGeneration = generation;
      request = null;
    },

    async onHumanAction({ closed, human = true }) {
      if (human) humanActions++;
      if (closed) {
        // the next customer message (or staff action) reopens it: nobody owns it by a reply yet
        staffRepliedSinceOpen = false;
        request = null;
        await resolve('cancelled');
        return;
      }
      if (pending?.status === 'scheduled') {
        pending = { ...pending, status: 'pending', sendAt: null };
        log.info('AI auto-send cancelled by a human action; kept as a suggestion', { suggestionId: pending.id });
        await recordSuggestion({ id: pending.id, status: 'pending' });
      }
    },

    assertPending(suggestionId) {
      if (pending?.id === suggestionId) return;
      throw ruleViolation(
        new DomainError('suggestion_not_pending', 'This suggestion is no longer pending (sent, dismissed, answered or superseded)', 409, {
          suggestionId,
          pendingSuggestionId: pending?.id ?? null,
        }),
      );
    },

    async sendSuggestion(command) {
      this.assertPending(command.suggestionId);
      const draft = pending!;
      const message = await host.sendReply({ text: command.text ?? draft.reply, authorType: 'staff', authorId: command.actorId });
      staffRepliedSinceOpen = true;
      humanActions++;
      answeredGeneration = generation;
      staffAnsweredGeneration = generation;
      request = null;
      await resolve('sent', {
        messageId: message.id,
        resolvedBy: command.actorId,
        trainingPair: {
          draft: draft.reply,
          sent: message.text,
          intent: draft.intent,
          staffUserId: command.actorId,
          messageId: message.id,
          createdAt: message.createdAt,
        },
      });
      return message;
    },

    async dismissSuggestion(command) {
      this.assertPending(command.suggestionId);
      humanActions++;
      await resolve('dismissed', { resolvedBy: command.actorId });
      return { suggestionId: command.suggestionId, status: 'dismissed' };
    },

    async run(): Promise<never> {
      if (settings === null && patched(SETTINGS_IN_STATE_PATCH)) {
        try {
          adoptSettings(await aiStore.loadAiSettings({ orgId: host.state().orgId }));
        } catch (err) {
          // unreachable in practice (the activity retries until Postgres answers); drafts then load per message as before
          log.warn('AI settings could not be loaded', { error: String(err) });
        }
      }
      for (;;) {
        await condition(() => request !== null || pending?.status === 'scheduled');
        // Nothing may escape this loop: an error here would fail the workflow task and stall the
        // whole conversation. The assistant gives up on this turn and the conversation waits for a human.
        try {
          if (request === null && pending?.status === 'scheduled') {
            await waitForAutoSend(pending);
            continue;
          }
          const req = request!;
          request = null;
          busy = true;
          current = req;
          await handle(req);
        } catch (err) {
          const cause = err instanceof ActivityFailure ? err.cause : err;
          log.warn('AI assistant gave up on this turn; the conversation waits for a human', { error: String(cause) });
        } finally {
          busy = false;
          current = null;
        }
      }
    },
  };
}
