/**
 * The kind Telegram carries: a private chat between a customer and the org's bot. Pure data:
 * workflow-safe.
 *
 * Source: core.telegram.org/bots/api — a bot may write to a user who started it at any time (no
 * session window, no templates); `sendMessage` text is 1–4096 characters; bots get no delivery or
 * read receipts (a sent message stays `sent`); `sendChatAction` shows "typing…".
 */
import type { ChannelKindSpec } from '../types';
import { TELEGRAM_MAX_CAPTION_LENGTH, TELEGRAM_MAX_TEXT_LENGTH } from './limits';

/** A Telegram chat id: a signed 52-bit integer, written in decimal (private chats: the user's id). */
function normalizeChatId(raw: string): string | null {
  const id = raw.trim();
  if (!/^-?\d{1,16}$/.test(id)) return null;
  const value = Number(id);
  return Number.isSafeInteger(value) && value !== 0 ? String(value) : null;
}

/** Telegram (Bot API): no session window, media, typing; no templates, no delivery receipts. */
export const TELEGRAM_KIND: ChannelKindSpec<'telegram', 'telegram'> = {
  kind: 'telegram',
  provider: 'telegram',
  label: 'Telegram',
  sessionWindowMs: null,
  freeFormNeedsOpenWindow: false,
  capabilities: {
    media: true,
    templates: false,
    templateSubject: false,
    typing: true,
    maxTextLength: TELEGRAM_MAX_TEXT_LENGTH,
    maxCaptionLength: TELEGRAM_MAX_CAPTION_LENGTH,
    threading: false,
    copyRecipients: false,
    addressBounces: false,
    aiAgentTools: false,
  },
  addressLabel: 'Telegram chat',
  identityKinds: ['telegram'],
  normalizeAddress: normalizeChatId,
  validateAddress: (raw) => normalizeChatId(raw) !== null,
  providerStatuses: ['sent'],
  fromProviderStatus: (status) => (status === 'sent' ? 'sent' : null),
};
