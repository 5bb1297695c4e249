/**
 * The conversation workflow: one long-running workflow per conversation owns its lifecycle.
 *
 * - Signals (`inboundMessage`, `deliveryReport`) are queued by their handlers and drained by the
 *   main loop; updates (`reply`, `setStatus`, `assign`, `updateAttributes`) validate first, then
 *   run one at a time under a mutex and answer with the stored result; `getState` is a query.
 * - Timers are deadlines derived from state (snooze wake-up, session-window end, SLA due): the main
 *   loop waits `condition(hasWork, untilNextDeadline)` and applies what is due.
 * - Outbound sends are an outbox: the update records the message (`queued`), the loop sends it.
 * - Continue-as-new when the server suggests it (after all handlers finish), carrying only small
 *   state; a closed, idle conversation's run ends after a grace period, and the next inbound
 *   message starts a new run that reloads the state from Postgres.
 * All rules live in `domain/conversation.ts`; this file only sequences them. Deterministic: no I/O.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import { Mutex } from 'async-mutex';
import type { Activities } from '../../activities';
import {
  applyAttributes,
  applyDueDeadlines,
  applyHandOff,
  applyInboundMessage,
  applyStaffReply,
  applyStatusChange,
  assertCanReply,
  assertValidAttributes,
  newConversationState,
  assertValidStatusChange,
  type ConversationState,
  nextDeadline,
  previewOf,
} from '../../domain/conversation';
import { messageProviderOf } from '../../channels/kinds';
import { AI_ASSISTANT_AUTHOR_ID } from '../../domain/ai-assistant';
import { DomainError } from '../../domain/errors';
import type { Attachment, EmailRecipients, MessageRecord, Provider, TemplateUse } from '../../domain/message';
import { createAssistant } from './assistant';
import { DEFAULT_SLA_POLICY, type SlaEvent, type SlaSettings, applySla, nextClockDeadline, slaViewOf } from '../../domain/sla';
import { RecentKeys } from '../dedupe';
import { type ScheduledSend, assertValidSchedule, nextScheduledSendAt } from '../../domain/scheduled';
import {
  type ConversationWorkflowInput,
  type DeliveryReport,
  type InboundMessage,
  type QueuedInboundMessage,
  type ReplyCommand,
  assignUpdate,
  cancelScheduledUpdate,
  contactChangedUpdate,
  contactErasedUpdate,
  deleteNoteUpdate,
  deliveryReportSignal,
  editMessageUpdate,
  dismissSuggestionUpdate,
  getAssistantStateQuery,
  getStateQuery,
  inboundMessageSignal,
  inboundEditSignal,
  type InboundEdit,
  readyUpdate,
  replyUpdate,
  retryMessageUpdate,
  sendSuggestionUpdate,
  setStatusUpdate,
  slaSettingsSignal,
  updateAttributesUpdate,
} from './contract';
import { AssigneeIdSA, ChannelSA, NeedsHumanSA, OrgIdSA, OverdueSA, PrioritySA, StatusSA } from './search-attributes';

const store = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Sends retry transient carrier errors 12 times (about 6 minutes of back-off), then the message is marked failed. */
const SEND_OPTIONS = {
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 12 },
} as const;
const carrier = proxyActivities<Pick<Activities, 'sendMessage'>>(SEND_OPTIONS);
/**
 * The same, heartbeating: a worker that dies mid-send is noticed after 10 s (the activity beats every
 * 2 s), and the retry reconciles with the carrier before sending again. Patch `send-heartbeat`.
 */
const heartbeatingCarrier = proxyActivities<Pick<Activities, 'sendMessage'>>({ ...SEND_OPTIONS, heartbeatTimeout: '10 seconds' });

/** Media imports (fetching MMS media with the account's credentials) retry for about 10 minutes. */
const media = proxyActivities<Pick<Activities, 'importInboundMedia'>>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 10 },
});

/** How many provider message ids the run remembers for dedupe (Postgres dedupes beyond that). */
const SEEN_CAPACITY = 500;
/** At most this many customer messages are stored by one `recordInboundMessages` activity… */
const INBOUND_BATCH_MAX_MESSAGES = 500;
/** …and at most about this many bytes of them (JSON), well under Temporal's 2 MB payload limit. */
const INBOUND_BATCH_MAX_BYTES = 512 * 1024;
/**
 * Unrecorded signals carried into the next run are bounded by this many bytes (JSON) of input; the
 * oldest beyond it are recorded first (Temporal fails a payload above 2 MB).
 */
const MAX_CARRIED_BYTES = 1024 * 1024;
/**
 * The main loop records at most this many queued customer messages before it looks again at
 * continue-as-new, so a backlog under a steady stream never keeps a run from continuing as new.
 */
const MAIN_LOOP_DRAIN_LIMIT = 1_000;
/**
 * Our own continue-as-new guard, besides the server's suggestion (which a dev server gives only at
 * its 10,240-event warning): a run stays well inside Temporal's limits — 51,200 events / 50 MB of
 * history, which terminate it, and 10,000 signals per run, past which new signals (webhooks) are
 * refused. Sources: docs.temporal.io/workflow-execution/limits, docs.temporal.io/cloud/limits
 * ("per workflow execution signal limit").
 */
const CONTINUE_AS_NEW_AT_EVENTS = 5_000;
const CONTINUE_AS_NEW_AT_BYTES = 5 * 1024 * 1024;
/**
 * Early, because under a steady stream a continue-as-new only goes through in a gap between
 * signals (see `windDownAndContinueAsNew`); the room up to 10,000 is time to find one.
 */
const CONTINUE_AS_NEW_AT_SIGNALS = 2_000;
/** Past these, continue as new as soon as running updates finish, without waiting for sends or drafts. */
const URGENT_CONTINUE_AS_NEW_AT_EVENTS = 20_000;
const URGENT_CONTINUE_AS_NEW_AT_BYTES = 20 * 1024 * 1024;
const URGENT_CONTINUE_AS_NEW_AT_SIGNALS = 8_000;
/** Patch ids (`patched()`): behaviour added after runs already existed. */
const PATCH_BATCHED_INBOUND = 'batched-inbound-recording';
const PATCH_CONTINUE_AS_NEW_UNDER_LOAD = 'continue-as-new-under-load';
/**
 * SLA clocks in business time with warning (`atRisk`) and resolution targets, pausing and priority
 * overrides (domain/sla.ts `applySla`), settings signalled by `slaSettingsChanged`. Runs without the
 * marker keep the wall-clock response deadline (`slaDueAt`).
 */
const PATCH_SLA_BUSINESS_HOURS = 'sla-business-hours';
/**
 * Send later (issue 11): replies held until `sendAt`, cancellation, and the collision guard. Marked
 * when a command first uses them; histories without these commands issue no new command (an empty
 * `scheduled` list adds no deadline, no activity), so they replay unchanged.
 */
const PATCH_SCHEDULED_REPLIES = 'scheduled-replies';

/** Approximate JSON size in bytes of a value (deterministic; for payload bounds only). */
/** An inbound attachment still to fetch: a carrier URL or a carrier file id, not stored yet. */
function needsImport(a: Attachment): boolean {
  return (Boolean(a.url) || Boolean(a.providerFileId)) && !a.attachmentId;
}

/** Whether two states have the same SLA clocks and flags (a state without clocks = no clocks). */
function sameSla(a: ConversationState, b: ConversationState): boolean {
  const none = { response: null, resolution: null };
  return (
    a.slaDueAt === b.slaDueAt && a.overdue === b.overdue && JSON.stringify(a.slaClocks ?? none) === JSON.stringify(b.slaClocks ?? none)
  );
}

/** The earlier of two optional instants (epoch ms). */
function earliest(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}

function jsonBytes(value: unknown): number {
  return JSON.stringify(value)?.length ?? 0;
}
const DEFAULT_CLOSED_RUN_GRACE_MS = 10 * 60 * 1000;

/** Why a run ended (continue-as-new does not return). */
export interface ConversationRunResult {
  /** `erased`: the contact was erased (`contactErased` update); the next carrier message starts afresh. */
  endedBecause: 'closed' | 'erased';
  state: ConversationState;
}

/** The provider that carries a channel's messages (`null`: none yet, e.g. web chat): the kind registry's. */
function providerOf(kind: ConversationState['channelKind']): Provider | null {
  return messageProviderOf(kind);
}

/** Runs a domain rule; a DomainError becomes a non-retryable ApplicationFailure typed by its code. */
function enforce<T>(rule: () => T): T {
  try {
    return rule();
  } catch (err) {
    if (err instanceof DomainError) {
      throw ApplicationFailure.create({
        type: err.code,
        message: err.message,
        nonRetryable: true,
        details: err.details === undefined ? [] : [err.details],
      });
    }
    throw err;
  }
}

/** The conversation workflow (type name `conversationWorkflow`). */
export async function conversationWorkflow(input: ConversationWorkflowInput): Promise<ConversationRunResult> {
  const lock = new Mutex();
  // Take the lock for the initial load before any handler exists: update handlers (registered
  // below, before the first await) queue behind it instead of seeing the placeholder state.
  const loadLock = lock.acquire();
  let ready = false;
  let state: ConversationState = input.state ?? newConversationState(input.conversation, Date.now());
  let sla: SlaSettings = input.sla ?? DEFAULT_SLA_POLICY;
  // Decided once per run, at its first activation (a history-only path): see PATCH_SLA_BUSINESS_HOURS.
  const slaOn = patched(PATCH_SLA_BUSINESS_HOURS);
  /** New SLA settings arrived (or the run just started): recompute the clocks under the lock. */
  let slaDirty = slaOn;
  /** The state after the SLA rules for `event` (unchanged in runs without {@link PATCH_SLA_BUSINESS_HOURS}). */
  const withSla = (s: ConversationState, event: SlaEvent): ConversationState => (slaOn ? applySla(s, sla, event, Date.now()) : s);
  const seen = new RecentKeys(input.seenProviderMessageIds ?? [], SEEN_CAPACITY);
  const closedRunGraceMs = input.closedRunGraceMs ?? DEFAULT_CLOSED_RUN_GRACE_MS;
  /** Customer messages with the workflow time they arrived (stamped by the signal handler). */
  const inbox: QueuedInboundMessage[] = [...(input.pendingInbound ?? [])];
  const reports: DeliveryReport[] = [...(input.pendingReports ?? [])];
  /** Customer edits of stored messages, applied once the messages before them are recorded. */
  const edits: InboundEdit[] = [...(input.pendingEdits ?? [])];
  const outbox: string[] = [...(input.outbox ?? [])];
  /** Send later: replies held until their `sendAt` (see {@link PATCH_SCHEDULED_REPLIES}). */
  const scheduled: ScheduledSend[] = [...(input.scheduled ?? [])];
  /** True while the sender is inside a send (the head of `outbox` is being sent). */
  let sending = false;
  /** Inbound messages whose carrier media still have to be fetched and stored. */
  const mediaQueue: string[] = [...(input.mediaQueue ?? [])];
  /**
   * The erased stand-in this conversation's contact replaced (a customer writing again after an erase:
   * the recording's `replacedStandInId`): a `contactErased` naming it as its stand-in
   * is that erase's, now stale (see its handler). State only, no command.
   */
  let replacedStandInId: string | null = input.replacedStandInId ?? null;
  /**
   * Set while this run is winding down to continue as new: customer messages are still recorded (so
   * commands keep their causal order) but the assistant is not asked for new drafts; the newest
   * such message is handed to the next run's assistant (`assistantTrigger`).
   */
  let windingDown = false;
  let assistantOwed: string | null = null;
  let importing = false;
  let stateChanged = false;
  let published: Record<string, string | boolean | null> = {};

  /** Keeps the typed search attributes in step with the state (only upserting what changed). */
  const publish = (): void => {
    const next: Record<string, string | boolean | null> = {
      [OrgIdSA.name]: state.orgId,
      [ChannelSA.name]: state.channelKind,
      [StatusSA.name]: state.status,
      [AssigneeIdSA.name]: state.assigneeId,
      [PrioritySA.name]: state.priority,
      [OverdueSA.name]: state.overdue,
      [NeedsHumanSA.name]: state.needsHuman,
    };
    const changed = Object.keys(next).filter((k) => next[k] !== published[k]);
    if (changed.length === 0) return;
    upsertSearchAttributes([
      { key: OrgIdSA, value: state.orgId },
      { key: ChannelSA, value: state.channelKind },
      { key: StatusSA, value: state.status },
      { key: AssigneeIdSA, value: state.assigneeId },
      { key: PrioritySA, value: state.priority },
      { key: OverdueSA, value: state.overdue },
      { key: NeedsHumanSA, value: state.needsHuman },
    ]);
    published = next;
  };

  /** Replaces the state (already persisted by the caller) and wakes the main loop. */
  const commit = (next: ConversationState): ConversationState => {
    state = next;
    stateChanged = true;
    publish();
    return state;
  };

  /**
   * Runs a command under the lock, after recording the customer messages Temporal delivered before
   * it, so commands see the conversation in causal order (e.g. a reply right after the customer's
   * first WhatsApp message sees the open session window).
   */
  const exclusive = <T>(command: () => Promise<T>): Promise<T> =>
    lock.runExclusive(async () => {
      await drainInbox();
      return command();
    });
  /** No load, customer message or command is in progress: validators may judge on `state`. */
  const settled = (): boolean => ready && inbox.length === 0 && !lock.isLocked();

  /** Carrier signals this run received (Temporal refuses signals past its per-run limit). */
  let signalsReceived = 0;
  setHandler(inboundMessageSignal, (message: InboundMessage) => {
    signalsReceived++;
    inbox.push({ ...message, receivedAtMs: Date.now() });
  });
  setHandler(inboundEditSignal, (edit) => {
    signalsReceived++;
    edits.push(edit);
  });
  setHandler(deliveryReportSignal, (report) => {
    signalsReceived++;
    reports.push(report);
  });
  setHandler(slaSettingsSignal, (next) => {
    // the highest version wins (broadcasts may repeat or arrive out of order)
    if ((next.version ?? 0) <= (sla.version ?? 0)) return;
    sla = next;
    slaDirty = slaOn;
  });
  setHandler(getStateQuery, () => state);
  setHandler(readyUpdate, () => lock.runExclusive(async () => state));

  /** Records a reply or internal note (call under the lock) and queues a reply for sending. */
  const recordReply = async (input: {
    text: string;
    isInternalNote: boolean;
    authorType: 'staff' | 'ai';
    authorId: string;
    attachments?: Attachment[];
    template?: TemplateUse | null;
    emailRecipients?: EmailRecipients | null;
  }): Promise<MessageRecord> => {
    const nowMs = Date.now();
    const replied = applyStaffReply(state, {
      text: input.text,
      isInternalNote: input.isInternalNote,
      sentAtMs: nowMs,
      subject: input.template?.subject,
    });
    const next = input.isInternalNote ? replied : withSla(replied, { type: 'staffReply' });
    const message = await store.recordOutboundMessage({
      state: next,
      message: {
        id: uuid4(),
        authorType: input.authorType,
        authorId: input.authorId,
        text: input.text,
        isInternalNote: input.isInternalNote,
        provider: providerOf(state.channelKind),
        attachments: input.attachments ?? [],
        template: input.template ?? null,
        emailRecipients: input.emailRecipients ?? null,
        createdAt: new Date(nowMs).toISOString(),
      },
    });
    commit(next);
    if (!input.isInternalNote) outbox.push(message.id);
    log.info('reply recorded', { messageId: message.id, author: input.authorType, internalNote: input.isInternalNote });
    return message;
  };

  const assistant = createAssistant(
    {
      state: () => state,
      exclusive: (fn) => exclusive(fn),
      sendReply: async (reply) => {
        enforce(() => assertCanReply(state, { text: reply.text, isInternalNote: false, nowMs: Date.now() }));
        return recordReply({ ...reply, isInternalNote: false });
      },
      handOff: async (note) => {
        const next = withSla(applyHandOff(state), { type: 'sync' });
        await store.recordOutboundMessage({
          state: next,
          message: {
            id: uuid4(),
            authorType: 'ai',
            authorId: AI_ASSISTANT_AUTHOR_ID,
            text: note,
            isInternalNote: true,
            provider: null,
            attachments: [],
            template: null,
            createdAt: new Date(Date.now()).toISOString(),
          },
        });
        log.info('handed off to a human', { note });
        commit(next);
      },
    },
    input.pendingSuggestion ?? null,
    input.assistant,
  );
  setHandler(getAssistantStateQuery, () => assistant.view());

  /** 409 `message_not_scheduled`: the message is not a reply held for sending. */
  const notScheduled = (messageId: string): DomainError =>
    new DomainError(
      'message_not_scheduled',
      'The message is not a scheduled reply waiting to be sent (already sent, or never scheduled)',
      409,
      {
        messageId,
      },
    );
  /** The held reply `command.messageId` of the caller. @throws 409 `message_not_scheduled`, 403 `not_your_message` */
  const scheduledEntryFor = (command: { messageId: string; actorId: string }): ScheduledSend => {
    const entry = scheduled.find((e) => e.messageId === command.messageId);
    if (!entry) throw notScheduled(command.messageId);
    if (entry.authorId !== command.actorId) {
      throw new DomainError('not_your_message', 'Only the staff member who scheduled this reply may change it', 403, {
        messageId: command.messageId,
      });
    }
    return entry;
  };

  /**
   * Send later: stores the reply `scheduled` (the conversation state does not change: it is not a
   * reply until it is sent) and holds it until `sendAt`. Call under the lock.
   */
  const scheduleReply = async (command: ReplyCommand & { sendAt: string }): Promise<MessageRecord> => {
    const message = await store.recordOutboundMessage({
      state,
      message: {
        id: uuid4(),
        authorType: 'staff',
        authorId: command.authorId,
        text: command.text,
        isInternalNote: false,
        provider: providerOf(state.channelKind),
        attachments: command.attachments ?? [],
        template: command.template ?? null,
        emailRecipients: command.emailRecipients ?? null,
        sendAt: new Date(Date.parse(command.sendAt)).toISOString(),
        cancelIfCustomerReplies: command.cancelIfCustomerReplies === true,
        createdAt: new Date(Date.now()).toISOString(),
      },
    });
    scheduled.push({
      messageId: message.id,
      sendAt: new Date(Date.parse(command.sendAt)).toISOString(),
      authorId: command.authorId,
      cancelIfCustomerReplies: command.cancelIfCustomerReplies === true,
      preview: previewOf(command.text),
      subject: command.template?.subject ?? null,
      isTemplate: command.template != null,
    });
    // wake the main loop: its deadline now includes this send
    stateChanged = true;
    log.info('reply scheduled', { messageId: message.id, sendAt: command.sendAt });
    return message;
  };

  /**
   * Collision guard (`ifNoNewActivitySince`), under the lock after the customer messages received so
   * far were recorded: this workflow writes every message of the conversation, so nothing new can be
   * stored between the check and the reply.
   */
  const assertNoNewActivity = async (command: ReplyCommand): Promise<void> => {
    if (!command.ifNoNewActivitySince) return;
    const { found, messageIds } = await store.newActivitySince({
      conversationId: state.conversationId,
      sinceMessageId: command.ifNoNewActivitySince,
      authorId: command.authorId,
    });
    enforce(() => {
      if (!found) {
        throw new DomainError('message_not_found', '`ifNoNewActivitySince` is not a message of this conversation', 404, {
          messageId: command.ifNoNewActivitySince,
        });
      }
      if (messageIds.length > 0) {
        throw new DomainError('conversation_changed', 'New messages arrived since the one you saw: read them before replying', 409, {
          messageIds,
        });
      }
    });
  };

  setHandler(
    replyUpdate,
    (command) =>
      exclusive(async () => {
        if (command.sendAt || command.ifNoNewActivitySince) patched(PATCH_SCHEDULED_REPLIES);
        if (command.sendAt) {
          enforce(() => {
            assertValidSchedule(
              { sendAt: command.sendAt!, isInternalNote: command.isInternalNote, authorType: command.authorType },
              Date.now(),
            );
            if (command.text.trim() === '') throw new DomainError('empty_message', 'Message text must not be empty', 400);
          });
          await assertNoNewActivity(command);
          return scheduleReply({ ...command, sendAt: command.sendAt });
        }
        enforce(() => assertCanReply(state, { ...command, isTemplate: command.template != null, nowMs: Date.now() }));
        await assertNoNewActivity(command);
        const authorType = command.authorType ?? 'staff';
        const message = await recordReply({ ...command, authorType });
        if (!command.isInternalNote) {
          if (authorType === 'ai') assistant.onAiReply();
          else await assistant.onStaffReply(message, command.authorId);
        }
        return message;
      }),
    {
      // Reject early only when the state is settled; with customer messages still being recorded
      // (they may open the session window) the handler decides, after recording them.
      validator: (command) => {
        // a scheduled reply is checked against the window when it is sent, not now
        if (command.sendAt) {
          enforce(() =>
            assertValidSchedule(
              { sendAt: command.sendAt!, isInternalNote: command.isInternalNote, authorType: command.authorType },
              Date.now(),
            ),
          );
          return;
        }
        if (settled()) enforce(() => assertCanReply(state, { ...command, isTemplate: command.template != null, nowMs: Date.now() }));
      },
    },
  );

  // Send later: cancel a held reply (its row becomes `canceled`); only its author may.
  setHandler(
    cancelScheduledUpdate,
    (command) =>
      exclusive(async () => {
        patched(PATCH_SCHEDULED_REPLIES);
        const entry = enforce(() => scheduledEntryFor(command));
        scheduled.splice(scheduled.indexOf(entry), 1);
        stateChanged = true;
        const message = await store.settleScheduledMessage({
          conversationId: state.conversationId,
          messageId: entry.messageId,
          status: 'canceled',
          errorCode: 'canceled_by_staff',
          errorMessage: 'Canceled by staff before it was sent',
        });
        log.info('scheduled reply canceled', { messageId: entry.messageId, actorId: command.actorId });
        return enforce(() => {
          if (message === null) throw notScheduled(command.messageId);
          return message;
        });
      }),
    { validator: (command) => (settled() ? void enforce(() => scheduledEntryFor(command)) : undefined) },
  );

  /** The domain error of a refused edit / delete of a staff member's own message. */
  const ownMessageError = (outcome: string, messageId: string): DomainError => {
    switch (outcome) {
      case 'not_found':
        return new DomainError('message_not_found', 'No such message in this conversation', 404, { messageId });
      case 'not_yours':
        return new DomainError('not_your_message', 'Only its author may change this message', 403, { messageId });
      case 'not_scheduled':
        return notScheduled(messageId);
      default:
        return new DomainError('message_not_editable', 'Customer messages and template replies are never edited', 409, { messageId });
    }
  };

  // Edits of staff's own internal notes and scheduled replies (not sent yet): one writer, under the lock.
  setHandler(
    editMessageUpdate,
    (command) =>
      exclusive(async () => {
        patched(PATCH_SCHEDULED_REPLIES);
        const entry = scheduled.find((e) => e.messageId === command.messageId);
        if (entry) enforce(() => scheduledEntryFor(command));
        const { outcome, message } = await store.editOwnMessage({
          conversationId: state.conversationId,
          messageId: command.messageId,
          actorId: command.actorId,
          text: command.text,
          scheduled: entry !== undefined,
          editedAt: new Date(Date.now()).toISOString(),
        });
        if (outcome !== 'edited' || message === null) {
          return enforce(() => {
            throw ownMessageError(outcome, command.messageId);
          });
        }
        if (entry) entry.preview = previewOf(command.text);
        log.info('message edited by its author', { messageId: command.messageId, scheduled: entry !== undefined });
        return message;
      }),
    {
      validator: (command) =>
        enforce(() => {
          if (command.text.trim() === '') throw new DomainError('empty_message', 'Message text must not be empty', 400);
          if (settled() && scheduled.some((e) => e.messageId === command.messageId)) scheduledEntryFor(command);
        }),
    },
  );

  setHandler(deleteNoteUpdate, (command) =>
    exclusive(async () => {
      patched(PATCH_SCHEDULED_REPLIES);
      const { outcome, message } = await store.deleteOwnNote({
        conversationId: state.conversationId,
        messageId: command.messageId,
        actorId: command.actorId,
        deletedAt: new Date(Date.now()).toISOString(),
      });
      if (outcome !== 'deleted' || message === null) {
        return enforce(() => {
          throw ownMessageError(outcome, command.messageId);
        });
      }
      log.info('internal note deleted by its author', { messageId: command.messageId });
      return message;
    }),
  );

  // A human's retry of a send that was not confirmed (`unknown`) or failed: back into the outbox.
  setHandler(retryMessageUpdate, (command) =>
    exclusive(async () => {
      const message = await store.requeueMessage({ conversationId: state.conversationId, messageId: command.messageId });
      if (message === null) {
        enforce(() => {
          throw new DomainError(
            'message_not_retryable',
            'Only an outbound message whose send was not confirmed or failed can be retried',
            409,
            {
              messageId: command.messageId,
            },
          );
        });
      }
      outbox.push(command.messageId);
      log.info('message send retried by staff', { messageId: command.messageId, actorId: command.actorId });
      return message!;
    }),
  );

  setHandler(sendSuggestionUpdate, (command) => exclusive(() => assistant.sendSuggestion(command)), {
    validator: (command) => (settled() ? assistant.assertPending(command.suggestionId) : undefined),
  });

  setHandler(dismissSuggestionUpdate, (command) => exclusive(() => assistant.dismissSuggestion(command)), {
    validator: (command) => (settled() ? assistant.assertPending(command.suggestionId) : undefined),
  });

  setHandler(
    setStatusUpdate,
    (command) =>
      exclusive(async () => {
        enforce(() => assertValidStatusChange(command, Date.now()));
        const next = withSla(applyStatusChange(state, command), { type: 'sync' });
        if (command.status === 'closed' && command.resolutionNote) {
          // the resolution note is an internal note recorded with the close, in one transaction
          await store.recordOutboundMessage({
            state: next,
            message: {
              id: uuid4(),
              authorType: command.actorType ?? 'staff',
              authorId: command.actorId,
              text: command.resolutionNote,
              isInternalNote: true,
              provider: null,
              attachments: [],
              template: null,
              createdAt: new Date(Date.now()).toISOString(),
            },
          });
        } else {
          await store.saveConversation(next);
        }
        log.info('status changed', { from: state.status, to: next.status, until: next.snoozedUntil, by: command.actorType ?? 'staff' });
        commit(next);
        // a human's status change cancels a held AI send; closing (by anyone) ends the pending suggestion
        const human = command.actorType !== 'ai';
        if (human || next.status === 'closed') await assistant.onHumanAction({ closed: next.status === 'closed', human });
        return state;
      }),
    { validator: (command) => enforce(() => assertValidStatusChange(command, Date.now())) },
  );

  setHandler(
    assignUpdate,
    (command) =>
      exclusive(async () => {
        if (command.assigneeId !== undefined && command.assigneeId !== null) {
          const member = await store.isOrgMember({ orgId: state.orgId, staffUserId: command.assigneeId });
          if (!member) {
            enforce(() => {
              throw new DomainError('assignee_not_member', 'The assignee is not a member of this organisation', 422, {
                assigneeId: command.assigneeId,
              });
            });
          }
        }
        // only commands that carry a team ask for it: runs recorded before teams replay unchanged
        if (command.teamId !== undefined && command.teamId !== null) {
          const team = await store.isOrgTeam({ orgId: state.orgId, teamId: command.teamId });
          if (!team) {
            enforce(() => {
              throw new DomainError('team_not_found', 'The team is not a team of this organisation', 422, { teamId: command.teamId });
            });
          }
        }
        const next = applyAttributes(state, { assigneeId: command.assigneeId, teamId: command.teamId });
        await store.saveConversation(next);
        commit(next);
        await assistant.onHumanAction({ closed: false });
        return state;
      }),
    { validator: (command) => enforce(() => assertValidAttributes({ assigneeId: command.assigneeId, teamId: command.teamId })) },
  );

  setHandler(
    updateAttributesUpdate,
    (command) =>
      exclusive(async () => {
        const changed = applyAttributes(state, {
          tags: command.tags,
          priority: command.priority,
          subject: command.subject,
          aiAssist: command.aiAssist,
        });
        // a new priority may have other targets
        const next = withSla(changed, { type: 'sync' });
        await store.saveConversation(next);
        commit(next);
        // switching the assistant off stops a held AI send (the draft stays as a suggestion)
        if (command.aiAssist === false) await assistant.onHumanAction({ closed: false });
        return state;
      }),
    { validator: (command) => enforce(() => assertValidAttributes(command)) },
  );

  // Contact merge (issue 11): the row already points at the new contact; the run adopts it. A new
  // update type: histories recorded before it never carry it, so their command sequences are unchanged.
  setHandler(contactChangedUpdate, (command) =>
    lock.runExclusive(async () => {
      if (state.contactId !== command.fromContactId) return state;
      await store.reassignCustomerMessages({
        conversationId: state.conversationId,
        fromContactId: command.fromContactId,
        toContactId: command.toContactId,
      });
      log.info('contact changed by a merge', { actorId: command.actorId });
      return commit({ ...state, contactId: command.toContactId });
    }),
  );

  // Contact erase (issue 11, GDPR): Postgres is erased already; the run forgets what it holds of the
  // person and ends once idle. A new update type: old histories never carry it (no `patched` needed).
  let erased = false;
  setHandler(contactErasedUpdate, (command) =>
    lock.runExclusive(async () => {
      // (a repeated erase after the conversation got a fresh contact is not about this run's person)
      if (state.contactId !== command.contactId && state.contactId !== command.standInContactId) return state;
      // The erase whose stand-in this run's contact replaced: the customer wrote again after it (its
      // broadcast arrives late, or again) and the fresh contact may have the erased one's id (carrier
      // contacts' ids derive from their address): nothing of this run is the erased person's.
      if (command.standInContactId === replacedStandInId) return state;
      // received but not recorded: the erased person's messages and edits are dropped unrecorded. With
      // the erase's instant (`erasedAt`, Postgres time vs. workflow receipt times: within the clock skew
      // either side), messages received after it are a person writing again: they stay queued (recorded
      // next, on the sender's fresh contact), and so do the edits of those messages only. Without it
      // (updates recorded before `erasedAt` existed) everything goes, as then: old histories replay.
      const erasedAtMs = command.erasedAt === undefined ? Number.NaN : Date.parse(command.erasedAt);
      const kept = Number.isNaN(erasedAtMs) ? [] : inbox.filter((m) => m.receivedAtMs >= erasedAtMs);
      const keptKeys = new Set(kept.map((m) => `${m.provider}:${m.providerMessageId}`));
      const keptEdits = edits.filter((e) => keptKeys.has(`${e.provider}:${e.providerMessageId}`));
      inbox.splice(0, inbox.length, ...kept);
      edits.splice(0, edits.length, ...keptEdits);
      // unsent replies (their rows are canceled) and media imports not started; the head of each
      // queue may be in flight (its coroutine shifts it when done)
      outbox.splice(sending ? 1 : 0);
      mediaQueue.splice(importing ? 1 : 0);
      scheduled.splice(0, scheduled.length);
      await assistant.onHumanAction({ closed: true, human: true });
      const next: ConversationState = { ...state, contactId: command.standInContactId, subject: null, lastMessagePreview: null };
      await store.saveConversation(next);
      erased = true;
      log.info('contact erased: run state purged', { actorId: command.actorId, keptInbound: kept.length });
      return commit(next);
    }),
  );

  /** Signals the main loop must handle. */
  const hasWork = (): boolean => inbox.length > 0 || reports.length > 0 || edits.length > 0 || slaDirty;
  /** Nothing queued, nothing being sent: the run may continue-as-new or end. */
  const idle = (): boolean =>
    !hasWork() && outbox.length === 0 && !sending && mediaQueue.length === 0 && !importing && assistant.idle() && scheduled.length === 0;

  /** Records queued customer messages (dedupe in memory, then by the database's unique key). */
  const drainInbox = async (limit = inbox.length): Promise<void> => {
    if (patched(PATCH_BATCHED_INBOUND)) return drainInboxBatched(limit);
    return drainInboxOneByOne();
  };

  /**
   * Applies the queued customer edits (call under the lock) once every customer message received
   * before them is recorded (an edit follows its message). No edits = no activity (runs without
   * any replay unchanged).
   */
  const drainEdits = async (): Promise<void> => {
    if (edits.length === 0 || inbox.length > 0) return;
    const batch = edits.splice(0, edits.length);
    const { applied } = await store.applyInboundEdits({ conversationId: state.conversationId, orgId: state.orgId, edits: batch });
    log.info('customer edits applied', { edits: batch.length, applied });
  };

  /** Hands a stored customer message to the assistant, or to the next run's while winding down. */
  const triggerAssistant = async (messageId: string): Promise<void> => {
    if (windingDown) assistantOwed = messageId;
    else await assistant.onCustomerMessage(messageId);
  };

  /**
   * `s` with the contact the recording activity moved the conversation to (`moved.contactId`: a customer
   * writing again after an erase, see `adoptSenderAfterErase` in activities/conversation-store.ts), and
   * the stand-in it replaced remembered; `s` itself otherwise. State only, no command: histories whose
   * activity results lack `contactId` replay unchanged.
   */
  const withContact = (s: ConversationState, moved: { contactId?: string; replacedStandInId?: string }): ConversationState => {
    if (moved.contactId === undefined) return s;
    if (moved.replacedStandInId !== undefined) replacedStandInId = moved.replacedStandInId;
    return moved.contactId === s.contactId ? s : { ...s, contactId: moved.contactId };
  };

  /** The state after one more customer message. */
  const applyQueued = (from: ConversationState, queued: { message: QueuedInboundMessage; autoReply: boolean }): ConversationState => {
    const next = applyInboundMessage(from, {
      text: queued.message.text,
      receivedAtMs: queued.message.receivedAtMs,
      sla,
      subject: queued.message.email?.subject,
      autoReply: queued.autoReply,
    });
    // an automatic reply (out-of-office) starts no SLA clock
    return queued.autoReply ? next : withSla(next, { type: 'customerMessage', atMs: queued.message.receivedAtMs });
  };

  /**
   * Records the `limit` oldest queued customer messages (those queued when it was called, so it ends
   * under a steady stream) in batches of one `recordInboundMessages` activity each.
   */
  const drainInboxBatched = async (limit: number): Promise<void> => {
    let left = Math.min(limit, inbox.length);
    /** After a batch the database refused for good: its messages go again one at a time, so only the bad one is lost. */
    let oneByOne = 0;
    while (left > 0) {
      const batch: { message: QueuedInboundMessage; id: string; key: string; autoReply: boolean }[] = [];
      const keys = new Set<string>();
      const maxMessages = oneByOne > 0 ? 1 : INBOUND_BATCH_MAX_MESSAGES;
      if (oneByOne > 0) oneByOne--;
      let bytes = 0;
      let next = state;
      while (left > 0 && batch.length < maxMessages) {
        const message = inbox[0]!;
        const size = jsonBytes(message);
        if (batch.length > 0 && bytes + size > INBOUND_BATCH_MAX_BYTES) break;
        inbox.shift();
        left--;
        const key = `${message.provider}:${message.providerMessageId}`;
        if (seen.has(key) || keys.has(key)) continue;
        keys.add(key);
        bytes += size;
        // RFC 3834 auto-replies: no reopen / SLA / assistant (patched: histories from before kept them)
        const queued = { message, id: uuid4(), key, autoReply: message.autoReply === true && patched('email-auto-replies') };
        batch.push(queued);
        next = applyQueued(next, queued);
      }
      if (batch.length === 0) continue;
      let inserted: boolean[];
      /** Set when the conversation moved to another contact (a customer writing again after an erase). */
      let moved: { contactId?: string; replacedStandInId?: string };
      try {
        ({ inserted, ...moved } = await store.recordInboundMessages({
          state: next,
          messages: batch.map(({ message, id }) => ({
            message: {
              id,
              provider: message.provider,
              providerMessageId: message.providerMessageId,
              text: message.text,
              attachments: message.attachments,
              email: message.email ?? null,
              truncated: message.truncated ?? false,
              ...(message.from ? { from: message.from } : {}),
              createdAt: new Date(message.receivedAtMs).toISOString(),
            },
            profileName: message.profileName ?? null,
          })),
        }));
      } catch (err) {
        // Only permanent database errors get here (transient ones are retried without limit):
        // record the loss loudly rather than failing the whole conversation.
        if (!(err instanceof ActivityFailure)) throw err;
        if (batch.length > 1) {
          log.warn('a batch of inbound messages was refused: recording them one at a time', { error: String(err.cause) });
          inbox.unshift(...batch.map((b) => b.message));
          left += batch.length;
          oneByOne = batch.length;
          continue;
        }
        log.error('inbound messages could not be stored', {
          providerMessageIds: batch.map((b) => b.message.providerMessageId),
          error: String(err.cause),
        });
        for (const b of batch) seen.add(b.key);
        continue;
      }
      for (const b of batch) seen.add(b.key);
      const stored = batch.filter((_, i) => inserted[i]);
      if (stored.length < batch.length) {
        log.info('duplicate inbound messages ignored', {
          providerMessageIds: batch.filter((_, i) => !inserted[i]).map((b) => b.message.providerMessageId),
        });
        // the activity did not write the state: derive it from the messages actually stored
        next = state;
        for (const queued of stored) next = applyQueued(next, queued);
        if (stored.length > 0) await store.saveConversation(next);
      }
      if (stored.length === 0) continue;
      commit(withContact(next, moved));
      if (stored.some((b) => !b.autoReply)) markCustomerReplied();
      for (const b of stored) if (b.message.attachments.some(needsImport)) mediaQueue.push(b.id);
      // one draft answers the newest message (each newer message supersedes the previous draft)
      const newest = stored.filter((b) => !b.autoReply).at(-1);
      if (newest) await triggerAssistant(newest.id);
    }
  };

  /** Before {@link PATCH_BATCHED_INBOUND}: one `recordInboundMessage` activity per message (replay of older runs). */
  const drainInboxOneByOne = async (): Promise<void> => {
    while (inbox.length > 0) {
      const message = inbox.shift()!;
      const key = `${message.provider}:${message.providerMessageId}`;
      if (seen.has(key)) continue;
      const nowMs = message.receivedAtMs;
      const messageId = uuid4();
      // RFC 3834 auto-replies: no reopen / SLA / assistant (patched: histories from before kept them)
      const autoReply = message.autoReply === true && patched('email-auto-replies');
      const next = applyInboundMessage(state, { text: message.text, receivedAtMs: nowMs, sla, subject: message.email?.subject, autoReply });
      let inserted: boolean;
      let moved: { contactId?: string; replacedStandInId?: string };
      try {
        ({ inserted, ...moved } = await store.recordInboundMessage({
          state: next,
          message: {
            id: messageId,
            provider: message.provider,
            providerMessageId: message.providerMessageId,
            text: message.text,
            attachments: message.attachments,
            email: message.email ?? null,
            truncated: message.truncated ?? false,
            ...(message.from ? { from: message.from } : {}),
            createdAt: new Date(nowMs).toISOString(),
          },
          profileName: message.profileName ?? null,
        }));
      } catch (err) {
        if (!(err instanceof ActivityFailure)) throw err;
        log.error('inbound message could not be stored', { providerMessageId: message.providerMessageId, error: String(err.cause) });
        seen.add(key);
        continue;
      }
      seen.add(key);
      if (inserted && message.attachments.some(needsImport)) mediaQueue.push(messageId);
      if (inserted) {
        commit(withContact(next, moved));
        if (!autoReply) markCustomerReplied();
        if (!autoReply) await assistant.onCustomerMessage(messageId);
      } else log.info('duplicate inbound message ignored', { providerMessageId: message.providerMessageId });
    }
  };

  /**
   * Fires the deadlines that are due (snooze wake-up, session lapse, SLA at risk / overdue) and, with
   * {@link PATCH_SLA_BUSINESS_HOURS}, applies new SLA settings; saves only when something changed.
   */
  const applyDeadlines = async (): Promise<void> => {
    const due = applyDueDeadlines(state, Date.now());
    slaDirty = false;
    // a snooze wake-up resumes paused clocks at the wake-up instant itself, not when the timer was handled
    const woke = state.status === 'snoozed' && due.status === 'open' && state.snoozedUntil !== null;
    const at = woke ? Math.min(Date.now(), Date.parse(state.snoozedUntil!)) : Date.now();
    const next = slaOn ? applySla(due, sla, { type: 'sync' }, at) : due;
    if (next === state || (due === state && sameSla(next, state))) return;
    await store.saveConversation(next);
    log.info('deadline reached', {
      status: next.status,
      sessionExpired: next.sessionExpired,
      overdue: next.overdue,
      ...(slaOn ? { atRisk: slaViewOf(next.slaClocks).atRisk } : {}),
    });
    commit(next);
  };

  /** A customer message was recorded: scheduled replies with `cancelIfCustomerReplies` are to be canceled. */
  const markCustomerReplied = (): void => {
    for (const entry of scheduled) if (entry.cancelIfCustomerReplies) entry.customerReplied = true;
  };

  /**
   * Send later (call under the lock): cancels the held replies a customer message answered
   * (`cancelIfCustomerReplies`), and releases the due ones to the outbox — the WhatsApp window is
   * checked now (a free-form reply whose window lapsed fails `whatsapp_session_expired`), and only
   * now does the reply count as one (state `pending`, SLA `staffReply`, the assistant told).
   * No scheduled replies = no commands.
   */
  const processScheduled = async (): Promise<void> => {
    for (const entry of [...scheduled]) {
      const nowMs = Date.now();
      const canceled = entry.cancelIfCustomerReplies && entry.customerReplied === true;
      if (!canceled && Date.parse(entry.sendAt) > nowMs) continue;
      scheduled.splice(scheduled.indexOf(entry), 1);
      stateChanged = true;
      if (canceled) {
        await store.settleScheduledMessage({
          conversationId: state.conversationId,
          messageId: entry.messageId,
          status: 'canceled',
          errorCode: 'customer_replied',
          errorMessage: 'Canceled: the customer wrote before it was sent',
        });
        log.info('scheduled reply canceled: the customer replied', { messageId: entry.messageId });
        continue;
      }
      try {
        assertCanReply(state, { text: entry.preview || '.', isInternalNote: false, nowMs, isTemplate: entry.isTemplate });
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        await store.settleScheduledMessage({
          conversationId: state.conversationId,
          messageId: entry.messageId,
          status: 'failed',
          errorCode: err.code,
          errorMessage: err.message,
        });
        log.warn('scheduled reply not sent', { messageId: entry.messageId, reason: err.code });
        continue;
      }
      const next = withSla(
        applyStaffReply(state, { text: entry.preview, isInternalNote: false, sentAtMs: nowMs, subject: entry.subject }),
        { type: 'staffReply' },
      );
      const message = await store.releaseScheduledMessage({ state: next, messageId: entry.messageId });
      if (message === null) continue;
      commit(next);
      outbox.push(message.id);
      log.info('scheduled reply released for sending', { messageId: message.id });
      await assistant.onStaffReply(message, entry.authorId);
    }
  };

  const drainReports = async (): Promise<void> => {
    while (reports.length > 0) {
      const report = reports.shift()!;
      try {
        await store.applyDeliveryReport(report);
      } catch (err) {
        if (!(err instanceof ActivityFailure)) throw err;
        log.error('delivery report could not be stored', { messageId: report.messageId, error: String(err.cause) });
      }
    }
  };

  /** Sends one queued message; any failure is recorded on the message and does not stop the outbox. */
  const sendOne = async (messageId: string): Promise<void> => {
    try {
      const result = await (patched('send-heartbeat') ? heartbeatingCarrier : carrier).sendMessage({ messageId });
      log.info('message sent', {
        messageId,
        providerMessageId: result.providerMessageId,
        alreadySent: result.alreadySent,
        unconfirmed: result.unconfirmed === true,
      });
    } catch (err) {
      const failure = err instanceof ActivityFailure ? err.cause : err;
      const permanent = failure instanceof ApplicationFailure && failure.nonRetryable;
      log.warn('message send failed', { messageId, permanent, error: String(failure) });
      // A no-op when the activity already marked it failed with the carrier's code (never moves backwards).
      await store
        .markMessageFailed({
          messageId,
          errorCode: permanent ? 'send_failed' : 'send_retries_exhausted',
          errorMessage: permanent
            ? `The message could not be sent: ${failure instanceof Error ? failure.message : String(failure)}`
            : 'The carrier could not be reached; the message was not sent. Try again.',
        })
        .catch((markErr: unknown) => log.error('could not mark message failed', { messageId, error: String(markErr) }));
    }
  };

  /**
   * The outbox sender, a coroutine beside the main loop: sends queued replies one at a time, in
   * order, so a slow or retrying carrier never delays timers or customer messages.
   */
  const runSender = async (): Promise<never> => {
    for (;;) {
      // no new send starts while the run winds down to continue as new (the queue is carried)
      await condition(() => outbox.length > 0 && !windingDown);
      sending = true;
      try {
        await sendOne(outbox[0]!);
      } finally {
        outbox.shift();
        sending = false;
      }
    }
  };

  /** Media importer coroutine: fetches inbound carrier media one message at a time. */
  const runMediaImporter = async (): Promise<never> => {
    for (;;) {
      await condition(() => mediaQueue.length > 0 && !windingDown);
      importing = true;
      const messageId = mediaQueue[0]!;
      try {
        const { imported } = await media.importInboundMedia({ messageId });
        log.info('inbound media imported', { messageId, imported });
      } catch (err) {
        log.warn('inbound media could not be imported; the carrier URLs are kept', { messageId, error: String(err) });
      } finally {
        mediaQueue.shift();
        importing = false;
      }
    }
  };

  /** The server suggests continue-as-new, or the history or the signal count passed our own bound. */
  const continueAsNewDue = (): boolean => {
    const info = workflowInfo();
    return (
      info.continueAsNewSuggested ||
      info.historyLength >= CONTINUE_AS_NEW_AT_EVENTS ||
      (info.historySize ?? 0) >= CONTINUE_AS_NEW_AT_BYTES ||
      signalsReceived >= CONTINUE_AS_NEW_AT_SIGNALS
    );
  };
  const continueAsNewUrgent = (): boolean => {
    const info = workflowInfo();
    return (
      info.historyLength >= URGENT_CONTINUE_AS_NEW_AT_EVENTS ||
      (info.historySize ?? 0) >= URGENT_CONTINUE_AS_NEW_AT_BYTES ||
      signalsReceived >= URGENT_CONTINUE_AS_NEW_AT_SIGNALS
    );
  };

  /** What every next run gets: the state, SLA policy, dedupe ids, the open suggestion and the assistant's carry. */
  const nextRunInput = (): ConversationWorkflowInput => ({
    conversation: input.conversation,
    state,
    sla,
    seenProviderMessageIds: seen.toArray(),
    closedRunGraceMs,
    pendingSuggestion: assistant.pending(),
    assistant: assistant.carry(),
    ...(scheduled.length > 0 ? { scheduled: scheduled.map((e) => ({ ...e })) } : {}),
    ...(replacedStandInId !== null ? { replacedStandInId } : {}),
  });

  /**
   * Continue-as-new that also works under a steady stream of customer messages: no new drafts are
   * started, running updates and the send / media import / draft in flight finish (or, past the
   * urgent bound, only the updates), then the signals not yet recorded (bounded by
   * {@link MAX_CARRIED_BYTES}, order kept), the queued sends and media imports and the newest
   * message still owed a draft go into the next run's input.
   */
  const windDownAndContinueAsNew = async (): Promise<never> => {
    windingDown = true;
    // In flight: running updates and the send always finish (a send cut off could go out twice); the
    // media import and the draft too, unless past the urgent bound (then the draft is owed to the next run).
    await condition(() => allHandlersFinished() && !sending && ((!importing && assistant.idle()) || continueAsNewUrgent()));
    const carriedBytes = (): number => jsonBytes(inbox) + jsonBytes(reports) + jsonBytes(edits);
    // Temporal rejects a continue-as-new whose workflow task saw new signals arrive, and replays the
    // run with them (temporalio/temporal#1289): the bound is checked again right before each attempt.
    // From the last check to `continueAsNew` nothing awaits, and nobody holds the lock, so no
    // coroutine (an auto-send, a command) can be half-way through recording messages it took.
    for (;;) {
      await condition(() => allHandlersFinished() && !lock.isLocked() && !sending);
      if (!allHandlersFinished() || lock.isLocked() || sending) continue;
      if (carriedBytes() <= MAX_CARRIED_BYTES) break;
      await lock.runExclusive(async () => {
        while (inbox.length > 0 && carriedBytes() > MAX_CARRIED_BYTES) await drainInboxBatched(INBOUND_BATCH_MAX_MESSAGES);
      });
      if (carriedBytes() > MAX_CARRIED_BYTES) {
        await drainReports();
        await lock.runExclusive(drainEdits);
      }
    }
    log.info('continuing as new', {
      historyLength: workflowInfo().historyLength,
      historySize: workflowInfo().historySize,
      carriedMessages: inbox.length,
      carriedReports: reports.length,
      queuedSends: outbox.length,
    });
    return continueAsNew<typeof conversationWorkflow>({
      ...nextRunInput(),
      pendingInbound: [...inbox],
      pendingReports: [...reports],
      ...(edits.length > 0 ? { pendingEdits: [...edits] } : {}),
      outbox: [...outbox],
      mediaQueue: [...mediaQueue],
      assistantTrigger: assistantOwed ?? assistant.owedTrigger(),
    });
  };

  const releaseLoadLock = await loadLock;
  if (!input.state || !input.sla) {
    const loaded = await store.loadConversation(input.conversation);
    state = loaded.state;
    sla = loaded.sla;
    assistant.restore(loaded.pendingSuggestion);
    // (histories from before send later have no `scheduled` in the activity result)
    if (!input.scheduled && loaded.scheduled) scheduled.push(...loaded.scheduled);
  }
  ready = true;
  releaseLoadLock();
  publish();
  void runSender();
  void runMediaImporter();
  void assistant.run();
  if (input.assistantTrigger) {
    const messageId = input.assistantTrigger;
    await lock.runExclusive(() => assistant.onCustomerMessage(messageId));
  }
  for (;;) {
    stateChanged = false;
    await lock.runExclusive(async () => {
      await drainInbox(MAIN_LOOP_DRAIN_LIMIT);
      await drainEdits();
      await applyDeadlines();
      await processScheduled();
    });
    await drainReports();

    const underLoad = patched(PATCH_CONTINUE_AS_NEW_UNDER_LOAD);
    if (underLoad) {
      if (continueAsNewDue()) return windDownAndContinueAsNew();
    } else if (workflowInfo().continueAsNewSuggested) {
      // Let running updates finish and queued replies go out: the next run starts clean.
      await condition(() => allHandlersFinished() && (idle() || hasWork()));
      if (idle()) {
        log.info('continuing as new', { historyLength: workflowInfo().historyLength });
        return continueAsNew<typeof conversationWorkflow>(nextRunInput());
      }
      continue;
    }
    if (hasWork() || stateChanged) continue;
    if (erased) {
      // (only runs that handled `contactErased` get here: no command in older histories)
      await condition(() => allHandlersFinished() && (idle() || hasWork()));
      if (idle()) {
        log.info('contact erased: ending run');
        return { endedBecause: 'erased', state };
      }
      continue;
    }

    // (runs from before the patch woke only on the server's suggestion: replay them the same way)
    const wake = (): boolean => hasWork() || stateChanged || (underLoad ? continueAsNewDue() : workflowInfo().continueAsNewSuggested);
    const deadline = earliest(
      earliest(nextDeadline(state), slaOn ? nextClockDeadline(state.slaClocks) : null),
      nextScheduledSendAt(scheduled),
    );
    if (state.status === 'closed') {
      // A closed conversation still records its session lapse; once idle for the grace period
      // (no customer message, command or send), its run ends.
      const graceEnd = Date.now() + closedRunGraceMs;
      const until = deadline === null ? graceEnd : Math.min(deadline, graceEnd);
      const woke = await condition(wake, Math.max(1, until - Date.now()));
      if (!woke && Date.now() >= graceEnd && state.status === 'closed' && scheduled.length === 0) {
        await condition(() => allHandlersFinished() && (idle() || hasWork()));
        if (idle() && state.status === 'closed') {
          log.info('closed conversation idle: ending run');
          return { endedBecause: 'closed', state };
        }
      }
      continue;
    }
    if (deadline === null) await condition(wake);
    else await condition(wake, Math.max(1, deadline - Date.now()));
  }
}
