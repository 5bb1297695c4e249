/**
 * The kind Postmark carries: email. Pure data: workflow-safe.
 *
 * Delivery statuses come from Postmark's webhook `RecordType`s (postmarkapp.com/developer/webhooks):
 * `Delivery` → delivered, `Open` / `Click` → read (the furthest progress there is), `Bounce` /
 * `SpamComplaint` → failed (the route stores only permanent bounces, see channels/postmark/webhooks.ts).
 */
import type { DeliveryStatus } from '../../domain/delivery';
import type { ChannelKindSpec } from '../types';

/** The webhook record types that report on an outbound email. */
export const POSTMARK_RECORD_TYPES = ['Delivery', 'Open', 'Click', 'Bounce', 'SpamComplaint'] as const;

/** A Postmark webhook `RecordType` → stored status; other record types → `null`. */
export function fromPostmarkRecordType(recordType: string): DeliveryStatus | null {
  switch (recordType) {
    case 'Delivery':
      return 'delivered';
    case 'Open':
    case 'Click':
      return 'read';
    case 'Bounce':
    case 'SpamComplaint':
      return 'failed';
    default:
      return null;
  }
}

/** `local@domain.tld`: no spaces, one `@`, a dot in the domain (a practical subset of RFC 5322 addr-spec). */
const EMAIL_ADDRESS = /^[^\s@<>,;"]+@[^\s@<>,;"]+\.[^\s@<>,;"]+$/;

/**
 * Normalises an email address: trimmed and lower-cased (how contacts are matched, db/contacts.ts).
 * @returns `null` when `raw` is not an `local@domain.tld` address.
 */
export function normalizeEmailAddress(raw: string): string | null {
  const address = raw.trim().toLowerCase();
  return EMAIL_ADDRESS.test(address) ? address : null;
}

/**
 * Email over Postmark: no session window, attachments, rendered templates with a subject, threading
 * headers, Cc / Bcc, hard-bounce flags, the assistant's agent tools.
 */
export const EMAIL_KIND: ChannelKindSpec<'email', 'postmark'> = {
  kind: 'email',
  provider: 'postmark',
  label: 'Email',
  sessionWindowMs: null,
  freeFormNeedsOpenWindow: false,
  capabilities: {
    media: true,
    templates: 'rendered',
    templateSubject: true,
    typing: false,
    maxTextLength: null,
    maxCaptionLength: null,
    threading: true,
    copyRecipients: true,
    addressBounces: true,
    aiAgentTools: true,
  },
  addressLabel: 'email address',
  identityKinds: ['email'],
  normalizeAddress: normalizeEmailAddress,
  validateAddress: (raw) => normalizeEmailAddress(raw) !== null,
  providerStatuses: POSTMARK_RECORD_TYPES,
  fromProviderStatus: fromPostmarkRecordType,
};
