/**
 * Outbound delivery status and its monotonic ordering.
 *
 * Source: Twilio Messaging status values (`message_enum_status` in twilio_api_v2010.json:
 * queued, sending, sent, failed, delivered, undelivered, receiving, received, accepted,
 * scheduled, read, partially_delivered, canceled) and status-callback docs. Callbacks may arrive
 * late or out of order; a status never moves a message backwards (a late `sent` after
 * `delivered` is ignored).
 */
/**
 * Every stored outbound delivery status. Progress order (see {@link isDeliveryProgress}):
 * queued < sending < unknown < sent < undelivered = failed < delivered < read.
 *
 * `unknown`: a send attempt reached the carrier call but its outcome could not be confirmed (the
 * worker died mid-call and the carrier's message list could not settle it); error code
 * `send_unconfirmed`. It is never re-sent automatically; any carrier report moves it on.
 */
export const DELIVERY_STATUSES = ['queued', 'sending', 'unknown', 'sent', 'delivered', 'read', 'undelivered', 'failed'] as const;
/** The delivery statuses Switchboard stores for outbound messages. */
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

const RANK: Record<DeliveryStatus, number> = {
  queued: 0,
  sending: 1,
  unknown: 1.5,
  sent: 2,
  undelivered: 3,
  failed: 3,
  delivered: 4,
  read: 5,
};

/**
 * Maps a Twilio `MessageStatus` to a stored status (`accepted`/`scheduled` → queued,
 * `canceled` → failed, `partially_delivered` → delivered). Unknown values → `null` (ignored).
 */
export function fromTwilioStatus(status: string): DeliveryStatus | null {
  switch (status) {
    case 'accepted':
    case 'scheduled':
    case 'queued':
      return 'queued';
    case 'sending':
    case 'sent':
    case 'delivered':
    case 'read':
    case 'undelivered':
    case 'failed':
      return status;
    case 'partially_delivered':
      return 'delivered';
    case 'canceled':
      return 'failed';
    default:
      return null;
  }
}

/** Whether moving from `current` to `next` is progress (strictly later in the lifecycle). */
export function isDeliveryProgress(current: DeliveryStatus | null, next: DeliveryStatus): boolean {
  return current === null || RANK[next] > RANK[current];
}

/**
 * Whether a stored outcome is final: the message `failed` with a permanent email bounce or a spam
 * complaint (`errorCode` `bounce_<Postmark bounce Type>`, e.g. `bounce_HardBounce`,
 * `bounce_SpamComplaint`; soft bounces are never stored, see api/routes/postmark-webhooks.ts).
 * Postmark retries webhooks for hours, so a `Delivery`, `Open` or `Click` event may arrive after the
 * bounce: none of them may undo it.
 */
export function isFinalDeliveryFailure(status: DeliveryStatus | null, errorCode: string | null): boolean {
  return status === 'failed' && errorCode !== null && errorCode.startsWith('bounce_');
}

/**
 * Whether a delivery update changes a stored message's status (and error), in any arrival order:
 * - nothing changes a final outcome ({@link isFinalDeliveryFailure});
 * - a final outcome (`nextFinal`: a hard bounce or spam complaint) applies over anything else, even
 *   `delivered`/`read` (mail can bounce after the receiving server accepted it);
 * - otherwise only progress applies ({@link isDeliveryProgress}).
 */
export function deliveryUpdateApplies(
  current: { status: DeliveryStatus | null; errorCode: string | null },
  next: { status: DeliveryStatus; errorCode: string | null; nextFinal?: boolean },
): boolean {
  if (isFinalDeliveryFailure(current.status, current.errorCode)) return false;
  if (next.nextFinal === true || isFinalDeliveryFailure(next.status, next.errorCode)) {
    return current.status !== next.status || current.errorCode !== next.errorCode;
  }
  return isDeliveryProgress(current.status, next.status);
}

/**
 * Readable reasons for Twilio error codes support staff meet most.
 * Source: twilio.com/docs/api/errors (21211, 21408, 21610, 21614, 30003–30008, 63016).
 */
const TWILIO_ERROR_REASONS: Record<string, string> = {
  '21211': 'The recipient phone number is not valid.',
  '21408': 'Sending to this region is not enabled on the Twilio account.',
  '21610': 'The recipient has opted out (replied STOP); they must opt back in first.',
  '21614': 'The recipient number cannot receive SMS (not a mobile number).',
  '30003': 'The recipient handset is unreachable.',
  '30004': 'The message was blocked by the recipient or carrier.',
  '30005': 'The recipient number is unknown or no longer exists.',
  '30006': 'The recipient is a landline or the carrier cannot deliver to it.',
  '30007': 'The carrier filtered the message as spam.',
  '30008': 'The carrier could not deliver the message (unknown error).',
  '63016': 'WhatsApp rejected a free-form message sent outside the 24-hour customer service window; send an approved template instead.',
};

/** A readable reason for a Twilio error code, falling back to `fallback` or a generic text. */
export function twilioErrorReason(code: string | number, fallback?: string): string {
  const key = String(code);
  return (Object.hasOwn(TWILIO_ERROR_REASONS, key) ? TWILIO_ERROR_REASONS[key] : undefined) ?? fallback ?? `Twilio error ${code}.`;
}
