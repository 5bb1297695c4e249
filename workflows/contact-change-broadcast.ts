/**
 * `contactChangeBroadcastWorkflow`: tells the open runs of a merged or erased contact's conversations
 * (`contactChanged` / `contactErased` updates). Started once per change by `POST /v1/contacts/:id/merge`
 * and `DELETE /v1/contacts/:id` after the change is committed (workflow id from the change's audit row:
 * {@link contactMergeBroadcastWorkflowId}, {@link contactEraseBroadcastWorkflowId}), it runs the
 * `broadcastContactChange` activity until it succeeds, so the fan-out survives an API or worker crash
 * and Temporal or Postgres outages (the same mechanism as `slaSettingsBroadcastWorkflow`). Its input
 * holds ids only. Deterministic: no I/O outside the activity.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ContactChangeBroadcastInput, ContactChangeBroadcastResult } from '../activities/contact-change-broadcast';

const fanOut = proxyActivities<Pick<Activities, 'broadcastContactChange'>>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Registered workflow type name. */
export const CONTACT_CHANGE_BROADCAST_WORKFLOW_TYPE = 'contactChangeBroadcastWorkflow';

/**
 * Workflow id of the broadcast of one merge of org `orgId`: `contact-merge-<orgId>-<from>-<to>-<auditId>`
 * (`auditId`: the merge's `contact.merge` audit row, so a later merge of the same two ids, possible when
 * both were re-created after an erase since a carrier contact's id derives from its address, gets its own).
 */
export function contactMergeBroadcastWorkflowId(orgId: string, fromContactId: string, toContactId: string, auditId: string): string {
  return `contact-merge-${orgId}-${fromContactId}-${toContactId}-${auditId}`;
}

/**
 * Workflow id of the broadcast of one erase of org `orgId`: `contact-erase-<orgId>-<contactId>-<auditId>`
 * (`auditId`: the erase's `contact.erase` audit row; a contact id can be erased twice, see above).
 */
export function contactEraseBroadcastWorkflowId(orgId: string, contactId: string, auditId: string): string {
  return `contact-erase-${orgId}-${contactId}-${auditId}`;
}

/** Sends the change's update to the open runs of its conversations; returns how many were reached. */
export async function contactChangeBroadcastWorkflow(input: ContactChangeBroadcastInput): Promise<ContactChangeBroadcastResult> {
  return fanOut.broadcastContactChange(input);
}
