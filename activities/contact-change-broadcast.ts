/**
 * The fan-out of a contact merge (`POST /v1/contacts/:id/merge`) or erase (`DELETE /v1/contacts/:id`)
 * to the open runs of the affected conversations, run by `contactChangeBroadcastWorkflow` (so it is
 * durable: it survives an API or worker crash and retries through Temporal or Postgres outages until
 * every conversation was reached; the settings broadcasts in ./ai-settings-broadcast.ts work the same
 * way).
 *
 * Which conversations: those the change's audit row lists (`contact.merge` `movedConversationIds`,
 * `contact.erase` `conversationIds`), read from Postgres by the row's id, so the workflow input holds
 * ids only (the Temporal UI shows inputs). Each one's open run gets the update the route used to send
 * itself (`contactChanged` / `contactErased`, under the run's lock); a conversation without an open run
 * is skipped (a run started later loads its contact from the row, which the change already wrote).
 * Both updates are harmless when repeated or late: a run whose contact is not the one the command
 * names changes nothing (see their docs in workflows/conversation/contract.ts).
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { UpdateDefinition } from '@temporalio/common';
import type { Db } from '../db/client';
import { previousErase } from '../db/contact-erase';
import { previousMerge } from '../db/contact-merge';
import { contactChangedUpdate, contactErasedUpdate } from '../workflows/conversation/contract';

/** Updates in flight at once. */
const CONCURRENCY = 8;

/** Runs updates on a conversation's open run (structurally satisfied by workflows/conversation/client's ConversationClient). */
export interface ConversationUpdater {
  /**
   * Runs `definition` on the conversation's open run and waits for it (at most `UPDATE_DEADLINE_MS`,
   * 20 s); never starts one.
   * @returns `false` when no run is open
   * @throws on infrastructure errors (Temporal unreachable, deadline passed): retryable
   */
  updateIfRunning<Ret, Arg>(conversationId: string, definition: UpdateDefinition<Ret, [Arg]>, arg: Arg): Promise<boolean>;
}

/**
 * Input of `contactChangeBroadcastWorkflow` / `broadcastContactChange`: ids only (no names or
 * addresses: the Temporal UI shows it). `auditId` is the change's `audit_log` row (of the org).
 */
export type ContactChangeBroadcastInput =
  | {
      change: 'merge';
      orgId: string;
      auditId: string;
      /** The merged-away (deleted) contact. */
      fromContactId: string;
      /** The kept contact. */
      toContactId: string;
      /** The staff user who merged (logged by the runs). */
      actorId: string;
    }
  | {
      change: 'erase';
      orgId: string;
      auditId: string;
      /** The erased contact. */
      contactId: string;
      /** The anonymous contact its conversations point at now. */
      standInContactId: string;
      /** The staff user who erased (logged by the runs). */
      actorId: string;
    };

/** Result of `broadcastContactChange`. */
export interface ContactChangeBroadcastResult {
  /** Conversations the change affected. */
  conversations: number;
  /** Conversations whose open run took the update. */
  updated: number;
  /** Conversations without an open run (skipped). */
  notRunning: number;
}

/** Heartbeat details: progress through the sorted conversation ids, kept by a retried attempt. */
interface Progress {
  auditId: string;
  /** The last id of the sorted list done (every id up to it is done). */
  afterId: string;
  updated: number;
  notRunning: number;
}

/** Builds the contact-change broadcast activity. */
export function createContactChangeBroadcastActivities(deps: { db: Db; updater: ConversationUpdater }) {
  const { db, updater } = deps;

  /**
   * The conversations the change's audit row lists (sorted) and, for an erase, the row's `created_at`
   * (ISO-8601); a non-retryable failure when the row is missing.
   */
  async function affectedConversations(input: ContactChangeBroadcastInput): Promise<{ ids: string[]; erasedAt?: string }> {
    const recorded =
      input.change === 'merge'
        ? await previousMerge(db, input.orgId, input.toContactId, input.fromContactId, input.auditId)
        : await previousErase(db, input.orgId, input.contactId, input.auditId);
    if (!recorded) {
      // the route starts the broadcast after the change's transaction committed: this is a bug, not an outage
      throw ApplicationFailure.nonRetryable(
        `no contact.${input.change} audit row ${input.auditId} in org ${input.orgId}`,
        'ContactChangeNotFound',
      );
    }
    const ids = 'movedConversationIds' in recorded ? recorded.movedConversationIds : recorded.conversationIds;
    return { ids: [...new Set(ids)].sort(), ...('erasedAt' in recorded ? { erasedAt: recorded.erasedAt } : {}) };
  }

  /** Sends the change's update to one conversation's open run (`erasedAt`: the erase's instant, see `ContactErasedCommand`). */
  function tell(input: ContactChangeBroadcastInput, conversationId: string, erasedAt: string | undefined): Promise<boolean> {
    return input.change === 'merge'
      ? updater.updateIfRunning(conversationId, contactChangedUpdate, {
          fromContactId: input.fromContactId,
          toContactId: input.toContactId,
          actorId: input.actorId,
        })
      : updater.updateIfRunning(conversationId, contactErasedUpdate, {
          contactId: input.contactId,
          standInContactId: input.standInContactId,
          actorId: input.actorId,
          ...(erasedAt !== undefined ? { erasedAt } : {}),
        });
  }

  return {
    /**
     * Sends `contactChanged` (merge) or `contactErased` (erase) to the open run of every conversation
     * the change affected (see the file comment), {@link CONCURRENCY} at a time in id order. Heartbeats
     * its progress after each batch; a retried attempt resumes after the last batch done (a batch
     * interrupted midway is sent again: harmless, see the file comment).
     * @throws ApplicationFailure `ContactChangeNotFound` (non-retryable) when the org has no such audit row;
     *   database / Temporal infrastructure errors (retryable)
     */
    async broadcastContactChange(input: ContactChangeBroadcastInput): Promise<ContactChangeBroadcastResult> {
      const { ids, erasedAt } = await affectedConversations(input);
      const resumed = Context.current().info.heartbeatDetails as Progress | undefined;
      const progress: Progress =
        resumed?.auditId === input.auditId ? { ...resumed } : { auditId: input.auditId, afterId: '', updated: 0, notRunning: 0 };
      const todo = ids.filter((id) => id > progress.afterId);
      for (let i = 0; i < todo.length; i += CONCURRENCY) {
        const batch = todo.slice(i, i + CONCURRENCY);
        const results = await Promise.all(batch.map((id) => tell(input, id, erasedAt)));
        for (const ok of results)
          if (ok) progress.updated++;
          else progress.notRunning++;
        progress.afterId = batch.at(-1)!;
        Context.current().heartbeat(progress);
      }
      return { conversations: ids.length, updated: progress.updated, notRunning: progress.notRunning };
    },
  };
}
