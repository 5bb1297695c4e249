/**
 * The fan-out of a change of an org's AI assistant settings (`PUT /v1/ai-assistant`) to its running
 * conversation workflows, run by `aiSettingsBroadcastWorkflow` (so it is durable: it survives an API
 * or worker crash and retries until every conversation was reached).
 *
 * Which conversations: found in Postgres — every conversation of the org that is not closed, plus the
 * closed ones updated in the last {@link RECENTLY_CLOSED_HOURS} hours (a closed conversation's run
 * lingers for its grace period, then ends; the next run loads the settings itself). Postgres rather
 * than a visibility query because visibility is eventually consistent and the test server's support
 * for it is limited; a conversation whose run has ended is skipped (nothing is started).
 * Each one gets `aiSettingsChanged` with the settings read NOW (the newest, whatever version triggered
 * the broadcast), so repeated or reordered broadcasts are harmless: a run keeps the highest version.
 */
import { Context } from '@temporalio/activity';
import type { SignalDefinition } from '@temporalio/common';
import { sql } from 'kysely';
import type { Db } from '../db/client';
import { loadVersionedAiAssistantConfig } from '../db/ai-assistant-settings';
import { type AiSettingsSnapshot, aiSettingsSignal } from '../workflows/conversation/contract';

/** Closed conversations updated within this many hours are signalled too (their run may still be open). */
const RECENTLY_CLOSED_HOURS = 24;
/** Conversations read per page. */
const PAGE_SIZE = 500;
/** Signals in flight at once. */
const CONCURRENCY = 16;

/** Signals a conversation's open run (structurally satisfied by workflows/conversation/client's ConversationClient). */
export interface ConversationSignaller {
  /**
   * Sends `signal` to the conversation's open run; never starts one.
   * @returns `false` when no run is open
   * @throws on infrastructure errors (Temporal unreachable): retryable
   */
  signalIfRunning<Arg>(conversationId: string, signal: SignalDefinition<[Arg]>, arg: Arg): Promise<boolean>;
}

/** Result of a settings broadcast (`broadcastAiSettings`, `broadcastSlaSettings`). */
export interface SettingsBroadcastResult {
  /** The settings version sent. */
  version: number;
  /** Conversations whose run got the signal. */
  signalled: number;
  /** Conversations without an open run (skipped). */
  notRunning: number;
}

/** Result of `broadcastAiSettings`. */
export type AiSettingsBroadcastResult = SettingsBroadcastResult;

/** Builds the broadcast activity; `openAiAvailable` is sent along (the worker's OpenAI key). */
export function createAiSettingsBroadcastActivities(deps: { db: Db; openAiAvailable: boolean; signaller: ConversationSignaller }) {
  const { db, signaller } = deps;
  return {
    /**
     * Sends the org's current settings to its running conversations (see the file comment). Heartbeats
     * the last conversation id done, so a retried attempt resumes there.
     * @throws database / Temporal infrastructure errors (retryable)
     */
    async broadcastAiSettings(input: { orgId: string }): Promise<SettingsBroadcastResult> {
      const { version, config } = await loadVersionedAiAssistantConfig(db, input.orgId);
      const snapshot: AiSettingsSnapshot = { version, config, available: deps.openAiAvailable };
      const { signalled, notRunning } = await signalRunningConversations(
        { db, signaller },
        input.orgId,
        version,
        aiSettingsSignal,
        snapshot,
      );
      return { version, signalled, notRunning };
    },
  };
}

/**
 * Sends `signal(arg)` to every conversation of the org whose run may be open (see the file comment:
 * not closed, or closed within {@link RECENTLY_CLOSED_HOURS} h), {@link CONCURRENCY} at a time, in
 * pages of {@link PAGE_SIZE} by id. Call it from an activity: it heartbeats the last id done with
 * `version`, and a retried attempt of the same version resumes there. Shared by every settings broadcast.
 * @throws database / Temporal infrastructure errors (retryable)
 */
export async function signalRunningConversations<Arg>(
  deps: { db: Db; signaller: ConversationSignaller },
  orgId: string,
  version: number,
  signal: SignalDefinition<[Arg]>,
  arg: Arg,
): Promise<{ signalled: number; notRunning: number }> {
  const { db, signaller } = deps;
  const resumed = Context.current().info.heartbeatDetails as { afterId?: string; version?: number } | undefined;
  let afterId = resumed?.version === version ? (resumed.afterId ?? null) : null;
  let signalled = 0;
  let notRunning = 0;
  for (;;) {
    let q = db
      .selectFrom('conversations')
      .select('id')
      .where('org_id', '=', orgId)
      .where((eb) =>
        eb.or([eb('status', '!=', 'closed'), eb('updated_at', '>', sql<Date>`now() - make_interval(hours => ${RECENTLY_CLOSED_HOURS})`)]),
      )
      .orderBy('id')
      .limit(PAGE_SIZE);
    if (afterId !== null) q = q.where('id', '>', afterId);
    const rows = await q.execute();
    if (rows.length === 0) break;
    for (let i = 0; i < rows.length; i += CONCURRENCY) {
      const results = await Promise.all(rows.slice(i, i + CONCURRENCY).map((r) => signaller.signalIfRunning(r.id, signal, arg)));
      for (const ok of results)
        if (ok) signalled++;
        else notRunning++;
    }
    afterId = rows.at(-1)!.id;
    Context.current().heartbeat({ afterId, version });
  }
  return { signalled, notRunning };
}
