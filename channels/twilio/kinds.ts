/**
 * The kinds Twilio carries: SMS (and MMS) and WhatsApp. Pure data: workflow-safe.
 *
 * Sources: WhatsApp Business Platform "customer service window" — a free-form (non-template) reply is
 * only allowed within 24 hours of the customer's last inbound message (Twilio error 63016 otherwise).
 * SMS has no carrier-enforced window; Switchboard treats an SMS session as lasting 4 hours after the
 * customer's last message (product rule). Twilio's `Body` is at most 1600 characters
 * (twilio.com/docs/messaging/api/message-resource#create-a-message-resource).
 */
import { normalizePhone } from '../../domain/addresses';
import type { ChannelKindSpec } from '../types';
import { TWILIO_MESSAGE_STATUSES, fromTwilioStatus } from './status';

const HOUR_MS = 60 * 60 * 1000;
/** Twilio's limit on a message `Body`, in characters. */
const TWILIO_MAX_BODY = 1600;

const phoneAddress = {
  normalizeAddress: (raw: string) => normalizePhone(raw),
  validateAddress: (raw: string) => normalizePhone(raw) !== null,
  providerStatuses: TWILIO_MESSAGE_STATUSES,
  fromProviderStatus: fromTwilioStatus,
};

/** What SMS and WhatsApp over Twilio share: media, a 1600-character `Body`, nothing email-like. */
const twilioCapabilities = {
  media: true,
  templateSubject: false,
  typing: false,
  maxTextLength: TWILIO_MAX_BODY,
  maxCaptionLength: null,
  threading: false,
  copyRecipients: false,
  addressBounces: false,
  aiAgentTools: false,
} as const;

/** SMS / MMS over Twilio: 4 h session (product rule), free-form always allowed, media, rendered templates. */
export const SMS_KIND: ChannelKindSpec<'sms', 'twilio'> = {
  kind: 'sms',
  provider: 'twilio',
  label: 'SMS',
  sessionWindowMs: 4 * HOUR_MS,
  freeFormNeedsOpenWindow: false,
  capabilities: { ...twilioCapabilities, templates: 'rendered' },
  addressLabel: 'number',
  identityKinds: ['sms'],
  ...phoneAddress,
};

/** WhatsApp over Twilio: 24 h customer service window; outside it only approved Content templates. */
export const WHATSAPP_KIND: ChannelKindSpec<'whatsapp', 'twilio'> = {
  kind: 'whatsapp',
  provider: 'twilio',
  label: 'WhatsApp',
  sessionWindowMs: 24 * HOUR_MS,
  freeFormNeedsOpenWindow: true,
  capabilities: { ...twilioCapabilities, templates: 'approved' },
  addressLabel: 'number',
  identityKinds: ['whatsapp', 'sms'],
  ...phoneAddress,
};

/** The kinds Twilio carries (the channels its webhooks route to). */
export const TWILIO_KINDS = [SMS_KIND.kind, WHATSAPP_KIND.kind] as const;
