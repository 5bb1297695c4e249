/**
 * Send later (issue 11 "Replies"): the rules of a scheduled staff reply. Pure; the conversation
 * workflow holds the scheduled replies ({@link ScheduledSend}) in its state and sends each at its
 * instant through the outbox.
 */
import { DomainError } from './errors';

/** The latest a reply may be scheduled: 1 year (365 days) after now. */
export const MAX_SCHEDULE_AHEAD_MS = 365 * 24 * 60 * 60 * 1000;

/**
 * A reply the workflow holds until `sendAt`: the stored message (`delivery_status = scheduled`) and
 * what the workflow needs at send time without reading it back (preview and subject for the state,
 * whether it is a template for the WhatsApp window rule). Carried across continue-as-new.
 */
export interface ScheduledSend {
  messageId: string;
  /** ISO-8601: when it goes out. */
  sendAt: string;
  /** The staff user who scheduled it (only they may cancel or edit it). */
  authorId: string;
  /** A customer message arriving before `sendAt` cancels it. */
  cancelIfCustomerReplies: boolean;
  /** Set when a customer message was recorded after it was scheduled (cancels it if `cancelIfCustomerReplies`). */
  customerReplied?: boolean;
  /** The list preview of its text (≤ 140 chars) and the template's subject, for the state at send time. */
  preview: string;
  subject: string | null;
  /** Rendered from an approved template (WhatsApp accepts it outside the session window). */
  isTemplate: boolean;
}

/**
 * Checks a send-later request: staff replies only (not internal notes, not the AI), `sendAt` a valid
 * ISO-8601 instant strictly after `nowMs` and at most {@link MAX_SCHEDULE_AHEAD_MS} ahead.
 * @throws DomainError `invalid_send_at` (422)
 */
export function assertValidSchedule(input: { sendAt: string; isInternalNote: boolean; authorType?: 'staff' | 'ai' }, nowMs: number): void {
  if (input.isInternalNote) throw new DomainError('invalid_send_at', 'Internal notes cannot be scheduled', 422);
  if ((input.authorType ?? 'staff') !== 'staff') throw new DomainError('invalid_send_at', 'Only staff replies can be scheduled', 422);
  const at = Date.parse(input.sendAt);
  if (Number.isNaN(at)) throw new DomainError('invalid_send_at', '`sendAt` is not an ISO-8601 date-time', 422, { sendAt: input.sendAt });
  if (at <= nowMs) throw new DomainError('invalid_send_at', '`sendAt` must be in the future', 422, { sendAt: input.sendAt });
  if (at - nowMs > MAX_SCHEDULE_AHEAD_MS) {
    throw new DomainError('invalid_send_at', '`sendAt` must be at most one year ahead', 422, { sendAt: input.sendAt });
  }
}

/** The earliest `sendAt` (epoch ms) of `scheduled`, or `null` when there is none. */
export function nextScheduledSendAt(scheduled: readonly ScheduledSend[]): number | null {
  let min: number | null = null;
  for (const s of scheduled) {
    const at = Date.parse(s.sendAt);
    if (min === null || at < min) min = at;
  }
  return min;
}
