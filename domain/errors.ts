/**
 * A business-rule violation raised by the pure domain rules.
 *
 * `code` is a stable machine-readable string (snake_case) that the API returns as
 * `error.code`; `httpStatus` is the status the API answers with (400 bad request,
 * 404 not found, 409 conflict, 422 rule violation). The workflow turns it into a
 * non-retryable `ApplicationFailure` whose `type` is the code, so the update caller
 * receives the same code.
 */
export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly httpStatus: 400 | 403 | 404 | 409 | 422 = 422,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

/** Every code a domain rule can reject with (returned verbatim as `error.code` by the API). */
export type DomainErrorCode =
  | 'whatsapp_session_expired'
  | 'template_required'
  | 'invalid_snooze'
  | 'invalid_status_change'
  | 'empty_message'
  | 'assignee_not_member'
  | 'team_not_found'
  | 'invalid_address'
  | 'invalid_attributes'
  | 'channel_not_supported'
  | 'template_variables_missing'
  | 'template_channel_mismatch'
  | 'template_not_approved'
  | 'template_not_found'
  | 'suggestion_not_pending'
  | 'message_not_retryable'
  // replies (issue 11): send later, collision guard, edits
  | 'invalid_send_at'
  | 'message_not_scheduled'
  | 'conversation_changed'
  | 'not_your_message'
  | 'message_not_editable'
  | 'message_not_found';

/** HTTP status of each domain error code; used where only the code survives (e.g. across Temporal). */
export const domainErrorStatus: Record<DomainErrorCode, 400 | 403 | 404 | 409 | 422> = {
  whatsapp_session_expired: 422,
  template_required: 422,
  invalid_snooze: 400,
  invalid_status_change: 422,
  empty_message: 400,
  assignee_not_member: 422,
  team_not_found: 422,
  invalid_address: 400,
  invalid_attributes: 400,
  channel_not_supported: 422,
  template_variables_missing: 422,
  template_channel_mismatch: 422,
  template_not_approved: 422,
  template_not_found: 404,
  suggestion_not_pending: 409,
  message_not_retryable: 409,
  invalid_send_at: 422,
  message_not_scheduled: 409,
  conversation_changed: 409,
  not_your_message: 403,
  message_not_editable: 409,
  message_not_found: 404,
};

/** True when `code` is one of the {@link DomainErrorCode}s. */
export function isDomainErrorCode(code: string | undefined): code is DomainErrorCode {
  return code !== undefined && Object.hasOwn(domainErrorStatus, code);
}
