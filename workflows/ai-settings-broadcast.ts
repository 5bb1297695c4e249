/**
 * `aiSettingsBroadcastWorkflow`: tells an org's running conversations that its AI assistant settings
 * changed. Started by `PUT /v1/ai-assistant` after the change is committed (workflow id
 * `ai-settings-<orgId>-v<version>`: one per version), it runs the `broadcastAiSettings` activity until
 * it succeeds, so the fan-out survives an API or worker crash and Temporal or Postgres outages.
 * Deterministic: no I/O outside the activity.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { AiSettingsBroadcastResult } from '../activities/ai-settings-broadcast';

const fanOut = proxyActivities<Pick<Activities, 'broadcastAiSettings'>>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Registered workflow type name. */
export const AI_SETTINGS_BROADCAST_WORKFLOW_TYPE = 'aiSettingsBroadcastWorkflow';

/** Workflow id of the broadcast of one settings version of an org. */
export function aiSettingsBroadcastWorkflowId(orgId: string, version: number): string {
  return `ai-settings-${orgId}-v${version}`;
}

/** Sends the org's current assistant settings to its running conversations; returns how many were reached. */
export async function aiSettingsBroadcastWorkflow(input: { orgId: string }): Promise<AiSettingsBroadcastResult> {
  return fanOut.broadcastAiSettings({ orgId: input.orgId });
}
