/**
 * Web chat: carried by Switchboard itself (provider `internal`). Nothing is sent through a carrier yet:
 * no delivery statuses, no session window. Pure data: workflow-safe.
 */
import type { ChannelKindSpec } from '../types';

/** Longest web-chat visitor id we accept, in characters. */
const MAX_VISITOR_ID = 200;

/** A web-chat visitor id: trimmed, non-empty, printable, at most 200 characters. */
function normalizeVisitorId(raw: string): string | null {
  const id = raw.trim();
  return id.length > 0 && id.length <= MAX_VISITOR_ID && !/[\s\p{Cc}]/u.test(id) ? id : null;
}

/** Web chat (internal): no window, no carrier, no templates yet. */
export const CHAT_KIND: ChannelKindSpec<'chat', 'internal'> = {
  kind: 'chat',
  provider: 'internal',
  label: 'Web chat',
  sessionWindowMs: null,
  freeFormNeedsOpenWindow: false,
  capabilities: {
    media: false,
    templates: false,
    templateSubject: false,
    typing: false,
    maxTextLength: null,
    maxCaptionLength: null,
    threading: false,
    copyRecipients: false,
    addressBounces: false,
    aiAgentTools: false,
  },
  addressLabel: 'visitor id',
  identityKinds: [],
  normalizeAddress: normalizeVisitorId,
  validateAddress: (raw) => normalizeVisitorId(raw) !== null,
  providerStatuses: [],
  fromProviderStatus: () => null,
};
