/**
 * `passwordResetEmailWorkflow`: sends one password-reset email to a staff user. Started by
 * `POST /v1/auth/forgot-password` (workflow id `password-reset-<request id>`), it runs the
 * `sendPasswordResetEmail` activity, which creates the token and emails it, so the secret never
 * enters this workflow's input or history. Retries follow the activity's rules (only when Postmark
 * answered and refused; never after an unconfirmed send). Deterministic: no I/O outside the activity.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { PasswordResetEmailInput, PasswordResetEmailResult } from '../activities/staff-email';

const email = proxyActivities<Pick<Activities, 'sendPasswordResetEmail'>>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 8 },
});

/** Registered workflow type name. */
export const PASSWORD_RESET_EMAIL_WORKFLOW_TYPE = 'passwordResetEmailWorkflow';

/** Workflow id of one reset request. */
export function passwordResetEmailWorkflowId(requestId: string): string {
  return `password-reset-${requestId}`;
}

/** Emails the staff user a password-reset link from their org's email channel (see the module comment). */
export async function passwordResetEmailWorkflow(input: PasswordResetEmailInput): Promise<PasswordResetEmailResult> {
  return email.sendPasswordResetEmail(input);
}
