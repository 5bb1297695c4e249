/**
 * Messages as the API and activities see them.
 */
import type { DeliveryStatus } from './delivery';

export const MESSAGE_DIRECTIONS = ['inbound', 'outbound'] as const;
export type MessageDirection = (typeof MESSAGE_DIRECTIONS)[number];

export const AUTHOR_TYPES = ['customer', 'staff', 'ai', 'system'] as const;
/** Who wrote a message: the customer, a staff user, the AI assistant, or Switchboard itself. */
export type AuthorType = (typeof AUTHOR_TYPES)[number];

/** A file attached to a message. MMS media keep the carrier URL; `size` is in bytes when known. */
export interface Attachment {
  url: string;
  contentType: string;
  name?: string;
  size?: number;
}

/** Providers that carry messages. */
export type Provider = 'twilio' | 'postmark';

/** A stored message (JSON shape returned by the API; timestamps ISO-8601 UTC). */
export interface MessageRecord {
  id: string;
  orgId: string;
  conversationId: string;
  direction: MessageDirection;
  authorType: AuthorType;
  authorId: string | null;
  text: string;
  attachments: Attachment[];
  isInternalNote: boolean;
  provider: Provider | null;
  providerMessageId: string | null;
  deliveryStatus: DeliveryStatus | null;
  errorCode: string | null;
  errorMessage: string | null;
  createdAt: string;
}
