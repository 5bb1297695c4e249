/**
 * The fan-out of a change of an org's SLA settings (`PUT /v1/conversations/sla`) to its running
 * conversation workflows, run by `slaSettingsBroadcastWorkflow`: the same durable mechanism as the AI
 * settings' (`signalRunningConversations` in ./ai-settings-broadcast.ts). Each running conversation
 * gets `slaSettingsChanged` with the settings read NOW (a run keeps the highest version), and
 * recomputes its due and warning instants at once.
 */
import type { Db } from '../db/client';
import { loadSlaSettingsForRun } from '../db/sla-settings';
import { slaSettingsSignal } from '../workflows/conversation/contract';
import { type ConversationSignaller, type SettingsBroadcastResult, signalRunningConversations } from './ai-settings-broadcast';

/** Result of `broadcastSlaSettings`. */
export type SlaSettingsBroadcastResult = SettingsBroadcastResult;

/** Builds the SLA settings broadcast activity. */
export function createSlaSettingsBroadcastActivities(deps: { db: Db; signaller: ConversationSignaller }) {
  return {
    /**
     * Sends the org's current SLA settings to its running conversations (heartbeats; a retry resumes).
     * @throws database / Temporal infrastructure errors (retryable)
     */
    async broadcastSlaSettings(input: { orgId: string }): Promise<SlaSettingsBroadcastResult> {
      const settings = await loadSlaSettingsForRun(deps.db, input.orgId);
      const version = settings.version ?? 0;
      const { signalled, notRunning } = await signalRunningConversations(deps, input.orgId, version, slaSettingsSignal, settings);
      return { version, signalled, notRunning };
    },
  };
}
