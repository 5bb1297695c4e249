/**
 * Messages as the API and activities see them.
 */
import type { MessageProvider } from '../channels/kinds';
import type { DeliveryStatus } from './delivery';

/** `inbound` = from the customer; `outbound` = from staff, AI or the system (internal notes included). */
export const MESSAGE_DIRECTIONS = ['inbound', 'outbound'] as const;
/** One of {@link MESSAGE_DIRECTIONS}. */
export type MessageDirection = (typeof MESSAGE_DIRECTIONS)[number];

/** Every message author type (see {@link AuthorType}). */
export const AUTHOR_TYPES = ['customer', 'staff', 'ai', 'system'] as const;
/** Who wrote a message: the customer, a staff user, the AI assistant, or Switchboard itself. */
export type AuthorType = (typeof AUTHOR_TYPES)[number];

/**
 * A file attached to a message. Stored files carry `attachmentId` (bytes in the blob store,
 * `GET /v1/attachments/:id`) and `sha256`; MMS media also keep the carrier's `url`.
 * `size` is in bytes when known.
 */
export interface Attachment {
  attachmentId?: string;
  url?: string;
  /**
   * The carrier's id of a received file not fetched yet (Telegram `file_id`): the media import asks
   * the channel's adapter where to download it (no URL is stored: Telegram's embeds the bot token).
   */
  providerFileId?: string;
  contentType: string;
  name?: string;
  size?: number;
  sha256?: string;
  /** `Content-ID` of an inline email image (without `cid:`). */
  contentId?: string;
  /**
   * Set on a placeholder for a file that was NOT stored: `too_large` = an inbound email attachment
   * above `MAX_ATTACHMENT_BYTES` (the email and its other files are stored; this one keeps only
   * `name`, `contentType` and `size`, and has no `attachmentId`).
   */
  skipped?: 'too_large';
}

/** The template a message was sent from: rendered text is the message text. */
export interface TemplateUse {
  templateId: string;
  name: string;
  /** Twilio Content SID (`HX…`) of a WhatsApp template; the send uses it with `contentVariables`. */
  contentSid: string | null;
  /** Twilio `ContentVariables` JSON string (`{"1":"…"}`) for WhatsApp templates. */
  contentVariables: string | null;
  /** Rendered email subject, for email templates. */
  subject: string | null;
}

/** Providers that carry messages (every registered provider but `internal`; see channels/kinds.ts). */
export type Provider = MessageProvider;

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
  /** The provider's id (Twilio MessageSid); `null` for notes and until the carrier accepted the message. */
  providerMessageId: string | null;
  /** Outbound only; `null` for inbound messages and internal notes. */
  deliveryStatus: DeliveryStatus | null;
  /** Provider error code (e.g. Twilio `30007`) of a failed delivery, with a readable `errorMessage`. */
  errorCode: string | null;
  errorMessage: string | null;
  /** Envelope, bodies and thread ids (email channel only). */
  email: EmailDetails | null;
  /** The template the message was rendered from, if any. */
  template: TemplateUse | null;
  /**
   * `text` is shorter than what was received (an email body above the inline limit, 256 KiB): the
   * full body is kept as an attachment (`message.txt`). `false` when `text` is complete.
   */
  truncated: boolean;
  /**
   * When the customer last edited this message on the carrier (ISO-8601; Telegram edits); `text` is
   * the edited text. `null` = never edited. Absent in records from before edits existed.
   */
  editedAt?: string | null;
  /** Send later: when a `scheduled` reply goes out (ISO-8601); absent for every other message. */
  sendAt?: string | null;
  /** Send later: a customer message arriving before `sendAt` cancels it; absent for every other message. */
  cancelIfCustomerReplies?: boolean;
  createdAt: string;
}

/** One email address with its display name. */
export interface EmailAddress {
  email: string;
  name: string | null;
}

/**
 * What an email message carries besides its text (stored in `messages.email`). Source: Postmark
 * inbound webhook fields (postmarkapp.com/developer/webhooks/inbound-webhook) and RFC 5322 headers.
 */
export interface EmailDetails {
  from: EmailAddress;
  to: EmailAddress[];
  cc: EmailAddress[];
  subject: string;
  /** The `Date` header as sent (RFC 5322 date-time). */
  date: string | null;
  /** Full plain-text body (the message text shows `StrippedTextReply` when present). */
  textBody: string;
  htmlBody: string | null;
  /** RFC 5322 Message-ID of this email, without angle brackets. */
  messageId: string;
  /** Message-IDs this email replies to (`In-Reply-To`), without angle brackets. */
  inReplyTo: string[];
  /** The thread's Message-IDs (`References`), oldest first, without angle brackets. */
  references: string[];
  /** Blind copies of an email we sent (outbound only; absent on inbound email). */
  bcc?: EmailAddress[];
  /**
   * An automatic reply (RFC 3834: `Auto-Submitted` other than `no`, `X-Autoreply`, `X-Autorespond`,
   * `Precedence: auto_reply|bulk|junk`): recorded, but it does not reopen the conversation, restart
   * SLA clocks or trigger the AI assistant. Absent/`false` for a person's email.
   */
  autoReply?: boolean;
}

/** Extra recipients staff asked for on an email reply (`POST …/messages` `cc` / `bcc`). */
export interface EmailRecipients {
  cc: EmailAddress[];
  bcc: EmailAddress[];
}
