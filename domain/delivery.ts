/**
 * Outbound delivery status and its monotonic ordering, provider-neutral (each channel kind maps its
 * provider's statuses onto these: `ChannelKindSpec.fromProviderStatus`). Reports may arrive late or
 * out of order; a status never moves a message backwards (a late `sent` after `delivered` is ignored).
 */
/**
 * Every stored outbound delivery status. Progress order (see {@link isDeliveryProgress}):
 * scheduled < queued < sending < unknown < sent < undelivered = failed < delivered < read < canceled.
 *
 * `scheduled`: a staff reply with `sendAt` (send later), held by the conversation workflow until
 * that instant, then `queued` (or `failed`, e.g. `whatsapp_session_expired` when the window lapsed).
 * `canceled`: a scheduled reply cancelled before its instant (by staff, or by a customer message with
 * `cancelIfCustomerReplies`); final, never sent. Both are set only by conditional updates from
 * `scheduled` (no carrier report ever carries them).
 *
 * `unknown`: a send attempt reached the carrier call but its outcome could not be confirmed (the
 * worker died mid-call and the carrier's message list could not settle it); error code
 * `send_unconfirmed`. It is never re-sent automatically; any carrier report moves it on.
 */
export const DELIVERY_STATUSES = [
  'queued',
  'sending',
  'unknown',
  'sent',
  'delivered',
  'read',
  'undelivered',
  'failed',
  'scheduled',
  'canceled',
] as const;
/** The delivery statuses Switchboard stores for outbound messages. */
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/**
 * Statuses of replies that have not gone to the carrier and may never: held for later (`scheduled`) or
 * canceled before their instant. Feeds and response-time statistics leave them out.
 */
export const UNSENT_DELIVERY_STATUSES = ['scheduled', 'canceled'] as const satisfies readonly DeliveryStatus[];

const RANK: Record<DeliveryStatus, number> = {
  scheduled: -1,
  queued: 0,
  sending: 1,
  unknown: 1.5,
  sent: 2,
  undelivered: 3,
  failed: 3,
  delivered: 4,
  read: 5,
  canceled: 6,
};

/** Whether moving from `current` to `next` is progress (strictly later in the lifecycle). */
export function isDeliveryProgress(current: DeliveryStatus | null, next: DeliveryStatus): boolean {
  return current === null || RANK[next] > RANK[current];
}

/**
 * Whether a stored outcome is final: the message `failed` with a permanent email bounce or a spam
 * complaint (`errorCode` `bounce_<Postmark bounce Type>`, e.g. `bounce_HardBounce`,
 * `bounce_SpamComplaint`; soft bounces are never stored, see channels/postmark/webhooks.ts).
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

