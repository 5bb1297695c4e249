/**
 * `slaSettingsBroadcastWorkflow`: tells an org's running conversations that its SLA settings changed.
 * Started by `PUT /v1/conversations/sla` after the change is committed (workflow id
 * `sla-settings-<orgId>-v<version>`: one per version), it runs the `broadcastSlaSettings` activity
 * until it succeeds (the same mechanism as `aiSettingsBroadcastWorkflow`). Deterministic.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { SlaSettingsBroadcastResult } from '../activities/sla-settings-broadcast';

const fanOut = proxyActivities<Pick<Activities, 'broadcastSlaSettings'>>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Registered workflow type name. */
export const SLA_SETTINGS_BROADCAST_WORKFLOW_TYPE = 'slaSettingsBroadcastWorkflow';

/** Workflow id of the broadcast of one SLA settings version of an org. */
export function slaSettingsBroadcastWorkflowId(orgId: string, version: number): string {
  return `sla-settings-${orgId}-v${version}`;
}

/** Sends the org's current SLA settings to its running conversations; returns how many were reached. */
export async function slaSettingsBroadcastWorkflow(input: { orgId: string }): Promise<SlaSettingsBroadcastResult> {
  return fanOut.broadcastSlaSettings({ orgId: input.orgId });
}
