/**
 * Channels and their session-window rules.
 *
 * Sources: WhatsApp Business Platform "customer service window" — a free-form (non-template)
 * reply is only allowed within 24 hours of the customer's last inbound message
 * (Twilio error 63016 otherwise). SMS has no carrier-enforced window; Switchboard treats an
 * SMS session as lasting 4 hours after the customer's last message (product rule).
 */

/** The kinds of channel a conversation can run on. */
export const CHANNEL_KINDS = ['sms', 'whatsapp', 'email', 'chat'] as const;
/** One of {@link CHANNEL_KINDS}; only `sms` and `whatsapp` (via Twilio) carry messages today. */
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

const HOUR_MS = 60 * 60 * 1000;

/** Session window length per channel in milliseconds; `null` = the channel has no session window. */
export const SESSION_WINDOW_MS: Record<ChannelKind, number | null> = {
  whatsapp: 24 * HOUR_MS,
  sms: 4 * HOUR_MS,
  email: null,
  chat: null,
};

/**
 * When the session opened by a customer message at `lastCustomerMessageAtMs` (epoch ms) ends.
 * @returns epoch ms, or `null` for channels without a session window.
 */
export function sessionExpiresAt(kind: ChannelKind, lastCustomerMessageAtMs: number): number | null {
  const windowMs = SESSION_WINDOW_MS[kind];
  return windowMs === null ? null : lastCustomerMessageAtMs + windowMs;
}

/**
 * Whether a free-form (non-template) outbound message is allowed at `nowMs`.
 * Only WhatsApp restricts free-form replies: allowed while `nowMs < sessionExpiresAtMs`
 * (the window is half-open: at exactly 24 h it is closed). SMS, email and chat always allow them.
 */
export function isFreeFormReplyAllowed(kind: ChannelKind, sessionExpiresAtMs: number | null, nowMs: number): boolean {
  if (kind !== 'whatsapp') return true;
  return sessionExpiresAtMs !== null && nowMs < sessionExpiresAtMs;
}
