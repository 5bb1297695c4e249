/**
 * Twilio delivery statuses and error reasons (pure).
 *
 * Source: Twilio Messaging status values (`message_enum_status` in test/contracts/twilio_api_v2010.json:
 * queued, sending, sent, failed, delivered, undelivered, receiving, received, accepted, scheduled,
 * read, partially_delivered, canceled) and twilio.com/docs/api/errors.
 */
import type { DeliveryStatus } from '../../domain/delivery';

/** Every outbound `MessageStatus` value Twilio reports (`receiving` / `received` are inbound-only). */
export const TWILIO_MESSAGE_STATUSES = [
  'accepted',
  'scheduled',
  'queued',
  'sending',
  'sent',
  'delivered',
  'read',
  'undelivered',
  'failed',
  'partially_delivered',
  'canceled',
] as const;

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

/**
 * Whether a Twilio REST error can succeed on retry: 429 (rate limit), 5xx, and 408 are transient;
 * every other 4xx (invalid number 21211, opted out 21610, …) is permanent.
 * Source: twilio.com/docs/usage/twilios-response (HTTP status semantics).
 */
export function isPermanentTwilioError(status: number): boolean {
  return status >= 400 && status < 500 && status !== 429 && status !== 408;
}
