/**
 * The caller's side of the conversation workflows, used by the API and by the worker's agent tools:
 * signal-with-start for carrier webhooks, and updates (starting the run first if it has ended) for
 * staff commands.
 *
 * Not workflow code (it does I/O through `@temporalio/client`): the workflow never imports it, and it
 * imports the workflow function for its type only, so the API does not load or bundle workflow code.
 */
import { type Client, type WorkflowHandle, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import type { NewConversation } from '../../domain/conversation';
import type { ConversationState } from '../../domain/conversation';
import type { SignalDefinition, UpdateDefinition } from '@temporalio/common';
import type { conversationWorkflow } from './workflow';
import {
  type InboundEdit,
  inboundEditSignal,
  CONVERSATION_WORKFLOW_TYPE,
  type ConversationWorkflowInput,
  type InboundMessage,
  conversationWorkflowId,
  inboundMessageSignal,
  readyUpdate,
} from './contract';

/**
 * How long a webhook waits for Temporal to accept a signal before answering 503 (ms). Below
 * Twilio's 15 s webhook timeout, so the carrier sees our 503 and retries.
 */
export const SIGNAL_DEADLINE_MS = 5_000;
/**
 * How long (ms) a webhook keeps retrying a signal refused at Temporal's per-run signal limit, within
 * Twilio's 15 s webhook timeout (twilio.com/docs/usage/webhooks/webhooks-connection-overrides).
 */
export const SIGNAL_LIMIT_RETRY_MS = 12_000;

/**
 * How long a REST command waits for its update (validation, recording, answer) before the API
 * answers 503 with `Retry-After` (ms). The update may still complete; a client that sent an
 * `Idempotency-Key` can retry safely (the update id derives from the key, see `api/idempotency.ts`),
 * others should re-read the conversation before retrying.
 */
export const UPDATE_DEADLINE_MS = 20_000;

/** Sends signals and updates to conversation workflows on one task queue. */
export class ConversationClient {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
  ) {}

  private startOptions(conversation: NewConversation) {
    const args: [ConversationWorkflowInput] = [{ conversation }];
    return { workflowId: conversationWorkflowId(conversation.conversationId), taskQueue: this.taskQueue, args };
  }

  /**
   * Delivers a customer message: signal-with-start, so the first message of a new contact starts
   * the workflow and retries land in the same one. Resolves once Temporal has accepted the signal.
   * @throws when Temporal did not accept it within {@link SIGNAL_DEADLINE_MS} (the webhook answers 503)
   */
  async deliverInbound(conversation: NewConversation, message: InboundMessage): Promise<void> {
    await this.signalWithStart(conversation, inboundMessageSignal, message);
  }

  /**
   * Delivers a customer's edit of a message they sent (signal-with-start, like
   * {@link deliverInbound}: the edit follows its message in the same workflow's signal order).
   * @throws when Temporal did not accept it within {@link SIGNAL_DEADLINE_MS} (the webhook answers 503)
   */
  async deliverInboundEdit(conversation: NewConversation, edit: InboundEdit): Promise<void> {
    await this.signalWithStart(conversation, inboundEditSignal, edit);
  }

  /**
   * Signal-with-start within {@link SIGNAL_DEADLINE_MS}. A run at Temporal's per-run signal limit is
   * about to continue as new (under a steady stream it only can once signals stop coming in,
   * temporalio/temporal#1289), so that refusal is retried (100 ms doubling to 1 s) for up to
   * {@link SIGNAL_LIMIT_RETRY_MS} in all.
   */
  private async signalWithStart<Arg>(conversation: NewConversation, signal: SignalDefinition<[Arg]>, arg: Arg): Promise<void> {
    const retryUntil = Date.now() + SIGNAL_LIMIT_RETRY_MS;
    for (let delay = 100; ; delay = Math.min(delay * 2, 1_000)) {
      try {
        await this.client.withDeadline(Math.min(Date.now() + SIGNAL_DEADLINE_MS, retryUntil), () =>
          this.client.workflow.signalWithStart<typeof conversationWorkflow, [Arg]>(CONVERSATION_WORKFLOW_TYPE, {
            ...this.startOptions(conversation),
            signal,
            signalArgs: [arg],
          }),
        );
        return;
      } catch (err) {
        if (!isSignalLimitError(err) || Date.now() + delay >= retryUntil) throw err;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  /**
   * Runs an update on the conversation's workflow and waits for its result. If no run is open
   * (a closed conversation's run ends), one is started first (`USE_EXISTING`: never a second run).
   * `opts.updateId` makes a retried command idempotent: Temporal answers a repeated update id of the
   * same run with the first result instead of running it again.
   * @throws WorkflowUpdateFailedError when the validator or handler rejected the command
   */
  async update<Ret, Arg>(
    conversation: NewConversation,
    definition: UpdateDefinition<Ret, [Arg]>,
    arg: Arg,
    opts: { updateId?: string } = {},
  ): Promise<Ret> {
    return this.withRun(conversation, (handle) =>
      handle.executeUpdate(definition, { args: [arg], ...(opts.updateId ? { updateId: opts.updateId } : {}) }),
    );
  }

  /** Starts the conversation's run if needed and returns its state once loaded (`ready` update). */
  async ensureStarted(conversation: NewConversation): Promise<ConversationState> {
    return this.withRun(conversation, (handle) => handle.executeUpdate(readyUpdate));
  }

  private async withRun<T>(conversation: NewConversation, call: (handle: WorkflowHandle) => Promise<T>): Promise<T> {
    const workflowId = conversationWorkflowId(conversation.conversationId);
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.client.withDeadline(Date.now() + UPDATE_DEADLINE_MS, () => call(this.client.workflow.getHandle(workflowId)));
      } catch (err) {
        if (!isNotRunning(err) || attempt >= 2) throw err;
        await this.client.workflow.start<typeof conversationWorkflow>(CONVERSATION_WORKFLOW_TYPE, {
          ...this.startOptions(conversation),
          workflowIdConflictPolicy: 'USE_EXISTING',
        });
      }
    }
  }

  /**
   * Runs an update on the conversation's open run and waits for it; never starts one (a run started
   * later loads its state from Postgres, which the caller already changed).
   * @returns `false` when no run is open
   */
  async updateIfRunning<Ret, Arg>(conversationId: string, definition: UpdateDefinition<Ret, [Arg]>, arg: Arg): Promise<boolean> {
    try {
      await this.client.withDeadline(Date.now() + UPDATE_DEADLINE_MS, () =>
        this.client.workflow.getHandle(conversationWorkflowId(conversationId)).executeUpdate(definition, { args: [arg] }),
      );
      return true;
    } catch (err) {
      if (isNotRunning(err)) return false;
      throw err;
    }
  }

  /**
   * Signals the conversation's open run; never starts one (AI settings broadcast).
   * @returns `false` when no run is open
   */
  async signalIfRunning<Arg>(conversationId: string, signal: SignalDefinition<[Arg]>, arg: Arg): Promise<boolean> {
    try {
      await this.client.withDeadline(Date.now() + SIGNAL_DEADLINE_MS, () =>
        this.client.workflow.getHandle(conversationWorkflowId(conversationId)).signal(signal, arg),
      );
      return true;
    } catch (err) {
      if (isNotRunning(err)) return false;
      throw err;
    }
  }

  /**
   * Starts a helper workflow on this task queue once per `workflowId` (an id already running or
   * completed is not an error: the first start wins; `ALLOW_DUPLICATE_FAILED_ONLY`, so an id starts
   * again only when its run failed, was terminated or timed out, or the namespace's retention has
   * dropped it). Used for the settings and contact-change broadcasts and the reset email.
   * @throws when Temporal did not accept the start within {@link SIGNAL_DEADLINE_MS}
   */
  async startOnce<Arg>(workflowType: string, workflowId: string, arg: Arg): Promise<void> {
    try {
      await this.client.withDeadline(Date.now() + SIGNAL_DEADLINE_MS, () =>
        this.client.workflow.start(workflowType, {
          workflowId,
          taskQueue: this.taskQueue,
          args: [arg],
          workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
        }),
      );
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return;
      throw err;
    }
  }

  /** Whether the Temporal frontend answers (health check). */
  async ping(): Promise<boolean> {
    try {
      await this.client.withDeadline(Date.now() + 2_000, () => this.client.connection.workflowService.getSystemInfo({}));
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * Whether the conversation has no open run: Temporal answers gRPC NOT_FOUND ("workflow execution
 * already completed" / "not found") to an update or signal, which the SDK throws as
 * {@link WorkflowNotFoundError}.
 */
function isNotRunning(err: unknown): boolean {
  return err instanceof WorkflowNotFoundError;
}

/**
 * Whether Temporal refused a signal because the run reached its signal limit (10,000 per run by
 * default: gRPC INVALID_ARGUMENT "exceeded workflow execution limit for signal events", wrapped by the
 * SDK in a `ServiceError`). The server sends no typed error detail for this refusal (unlike
 * `WorkflowExecutionAlreadyStartedFailure` or NOT_FOUND, which the SDK turns into classes), so the
 * message text is all there is to recognise it by.
 */
export function isSignalLimitError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; depth++) {
    if (/exceeded workflow execution limit for signal events/i.test(e.message)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
