/**
 * The channel adapter contract: what a messaging channel (SMS, WhatsApp, email, web chat, …) tells the
 * rest of Switchboard about itself. Two layers:
 *
 * - {@link ChannelKindSpec} — pure data and pure functions (no I/O, no SDK, no Node built-ins), safe to
 *   import from workflow code (`channels/kinds.ts` collects them). Session-window policy, address
 *   normalisation, the provider's delivery-status vocabulary, capabilities.
 * - {@link ChannelAdapterDefinition} / {@link ChannelAdapter} — the runtime side (worker and API): the
 *   provider's SDK client, outbound send, send reconciliation, error classification, inbound webhook
 *   routes, the local stand-in `npm start` runs without credentials (`channels/index.ts` collects them).
 *
 * Adding a channel = one folder `channels/<provider>/` exporting a definition (with its kind specs), one
 * line in `channels/kinds.ts` (kind specs) and one in `channels/index.ts` (adapter), and the migration
 * that admits the new kind / provider in the `channels` / `messages` check constraints.
 */
import type { Router } from 'express';
import type { ApiDeps } from '../api/deps';
import type { RouteSpec } from '../api/http/define-route';
import type { Config } from '../config';
import type { Logger } from '../config/logger';
import type { BlobStore } from '../db/blob-store';
import type { Db } from '../db/client';
import type { DeliveryStatus } from '../domain/delivery';
import type { Attachment, EmailRecipients, TemplateUse } from '../domain/message';

/**
 * How a kind's outbound templates are sent (`templates.channel` = the kind):
 * - `'rendered'`: Switchboard renders the body (and subject) with the merge-tag values and sends the
 *   result as an ordinary message (SMS, email); no approval step (`approvalStatus` is not looked at);
 * - `'approved'`: the provider sends a template it approved beforehand, named by its id
 *   (`templates.whatsapp_content_sid`, a Twilio Content SID) with numbered variables (WhatsApp, Meta's
 *   approval): only an `approved` template with an id may be sent, and it carries its own media (no
 *   attachments with it);
 * - `false`: the kind has no templates (web chat, Telegram).
 */
export type TemplateSupport = 'rendered' | 'approved' | false;

/** What a channel kind can carry; checked for consistency by test/channels/adapter-contract.test.ts. */
export interface ChannelCapabilities {
  /** Outbound attachments (MMS media URLs, email attachments). */
  media: boolean;
  /** Outbound templates: see {@link TemplateSupport}. */
  templates: TemplateSupport;
  /**
   * Templates of this kind have a subject, and must (email: the `Subject` header); the other kinds'
   * templates have none (`null`). Only with `templates`.
   */
  templateSubject: boolean;
  /** Typing indicators. */
  typing: boolean;
  /** Longest outbound text in characters the provider accepts (Twilio `Body` 1600; email: none → `null`). */
  maxTextLength: number | null;
  /**
   * Longest text in characters sent together with files, when shorter than `maxTextLength`
   * (Telegram: a caption, 1024); `null` = `maxTextLength` applies with files too.
   */
  maxCaptionLength: number | null;
  /** The provider threads messages itself (email `In-Reply-To` / `References`). */
  threading: boolean;
  /** Staff may copy extra recipients on a reply (`cc` / `bcc` of the send request: email); elsewhere 400. */
  copyRecipients: boolean;
  /**
   * The provider reports addresses that bounced permanently (email hard bounces and spam complaints,
   * stored as the contact's `email_bounced_at`): a reply to a flagged address is refused (422
   * `email_address_bounced`) unless forced, staff see a warning, the assistant never auto-sends there.
   * The flag belongs to the contact's email address, so such a kind's `identityKinds` include `email`.
   */
  addressBounces: boolean;
  /**
   * The AI assistant may run its agent loop with inbox tools (`agentTools`) on this kind, instead of
   * one drafted reply: email only (asynchronous, long-form replies; product rule, docs/ai-assistant.md).
   */
  aiAgentTools: boolean;
}

/**
 * One channel kind, as pure data and pure functions (workflow-safe).
 * @typeParam K the kind literal (`'sms'`), @typeParam P the provider literal (`'twilio'`).
 */
export interface ChannelKindSpec<K extends string = string, P extends string = string> {
  /** The kind stored in `channels.kind` / `conversations.channel_kind` (e.g. `sms`). */
  readonly kind: K;
  /** The provider carrying it, stored in `channels.provider` (`internal` = Switchboard itself, nothing sent). */
  readonly provider: P;
  /** Human label (`SMS`, `WhatsApp`, `Email`, `Web chat`). */
  readonly label: string;
  /**
   * Session window in ms after the customer's last message; `null` = no window. WhatsApp 24 h (Meta's
   * customer service window), SMS 4 h (product rule), email / chat none.
   */
  readonly sessionWindowMs: number | null;
  /**
   * A free-form (non-template) outbound message needs an open session window (WhatsApp: else Twilio
   * error 63016). Only meaningful with a `sessionWindowMs`.
   */
  readonly freeFormNeedsOpenWindow: boolean;
  readonly capabilities: ChannelCapabilities;
  /** What an address of this kind is called in messages to staff (`number`, `email address`). */
  readonly addressLabel: string;
  /**
   * The contact identity kinds (`contact_identities.kind`) holding this kind's address, preferred
   * first: WhatsApp `['whatsapp', 'sms']` (a WhatsApp number is a phone number: same person);
   * `[]` = contacts have no address of this kind (web chat visitors).
   */
  readonly identityKinds: readonly string[];
  /**
   * Normalises a customer / channel address of this kind: E.164 (`+15551234567`) for phone kinds
   * (libphonenumber-js; Twilio's `whatsapp:` prefix accepted), a trimmed lower-cased address for email.
   * @returns the normalised address, or `null` when `raw` is not a valid address of this kind.
   */
  normalizeAddress(raw: string): string | null;
  /** Whether `raw` is a valid address of this kind (`normalizeAddress(raw) !== null`). */
  validateAddress(raw: string): boolean;
  /**
   * The provider's delivery-status vocabulary for this kind (Twilio `MessageStatus` values, Postmark
   * webhook `RecordType`s): the domain of {@link fromProviderStatus}, for totality tests.
   */
  readonly providerStatuses: readonly string[];
  /**
   * Maps a provider status to a stored {@link DeliveryStatus} (ordered by `domain/delivery.ts`
   * `isDeliveryProgress`); `null` = not a delivery status we record (ignored).
   */
  fromProviderStatus(status: string): DeliveryStatus | null;
}

/** The outbound message a send / reconciliation works on, provider-neutral (loaded by activities/carrier.ts). */
export interface OutboundMessage {
  /** Our message id (UUID). */
  id: string;
  orgId: string;
  conversationId: string;
  /** The conversation's channel kind. */
  kind: string;
  /** Message text (the rendered template text for template sends). */
  text: string;
  attachments: Attachment[];
  template: TemplateUse | null;
  /** Extra Cc / Bcc staff asked for (email). */
  emailRecipients: EmailRecipients | null;
  /** The conversation's subject (email). */
  subject: string | null;
  /** The conversation's Reply-To token (email). */
  replyToken: string | null;
  /** The org's channel: its address (E.164 / email), display name and provider-specific settings. */
  channel: { address: string; name: string; settings: Record<string, unknown> };
  /**
   * The customer: display name and the address of this kind (see {@link ChannelKindSpec.identityKinds});
   * `address` is `null` when the contact has none (the send fails `no_address`, reconciliation finds nothing).
   */
  contact: { name: string | null; address: string | null };
  createdAt: Date;
  /** When the current send attempt began (`sending`); `null` for rows from before migration 0005. */
  sendStartedAt: Date | null;
}

/** What an adapter's send and reconcile may use besides its own SDK client. */
export interface SendContext {
  db: Db;
  /** Where attachment bytes live. */
  blobs: BlobStore;
  /** Public base URL (no trailing slash): status callbacks. */
  publicBaseUrl: string;
  /** A signed, expiring public URL of a stored attachment (`/media/:id?expires&signature`). */
  mediaUrl(attachmentId: string): string;
}

/** A provider accepted an outbound message. */
export interface SendOutcome {
  /** The provider's id (Twilio `SM…`/`MM…`, Postmark `MessageID`). */
  providerMessageId: string;
  /** Its delivery status now (`queued`, `sent`, …). */
  status: DeliveryStatus;
}

/**
 * A send that retrying cannot fix (invalid number, opted out, rejected email, no address): the carrier
 * activity marks the message `failed` with `code` / `message` and fails non-retryably.
 */
export class PermanentSendError extends Error {
  override readonly name = 'PermanentSendError';
  constructor(
    /** Stored `error_code`: the provider's code (`21211`, `300`), else ours (`no_address`, `http_404`). */
    readonly code: string,
    /** Stored `error_message`, readable by support staff. */
    message: string,
    /** Extra details for the failure (e.g. `{ status: 400 }`, the HTTP status). */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** What the provider says about an earlier send attempt (see channels/reconciliation.ts). */
/**
 * A send the provider refused for now and may accept later (rate limit, outage). With `notSent` the
 * provider answered, so nothing was sent: the carrier activity puts the message back to `queued`
 * (the retry sends without a reconciliation) and retries after `retryAfterMs` when the provider
 * named a delay (Telegram 429 `retry_after`). Without `notSent` it is like any other transient error.
 */
export class TransientSendError extends Error {
  override readonly name = 'TransientSendError';
  constructor(
    message: string,
    readonly options: {
      /** The provider answered the call: the message was certainly not sent. */
      notSent: boolean;
      /** The provider's own retry delay in ms (e.g. Telegram's `retry_after` × 1000); `null` = the retry policy's backoff. */
      retryAfterMs: number | null;
    },
  ) {
    super(message);
  }
}

/** Where a received file can be downloaded: the URL and the headers the request needs (credentials). */
export interface MediaDownload {
  url: string;
  headers: Record<string, string>;
}

export type Reconciliation =
  /** The provider has the message: adopt its id and status, send nothing. */
  | { outcome: 'sent'; providerMessageId: string; status: DeliveryStatus }
  /** The provider definitely has no such message: sending is safe. */
  | { outcome: 'not_sent' }
  /** Cannot tell (lookup unavailable, ambiguous): do not send; flag `unknown`. */
  | { outcome: 'undecided'; reason: string };

/**
 * A provider's runtime adapter, built with its SDK client (worker side).
 *
 * `send` is called at most once per attempt, after the message turned `sending`; it returns what the
 * provider accepted, or throws {@link PermanentSendError} (permanent), or any other error (retried by
 * Temporal). `reconcile` is called for a message left `sending` by an earlier attempt.
 */
export interface ChannelAdapter {
  readonly provider: string;
  readonly kinds: readonly ChannelKindSpec[];
  /**
   * Sends `outbound` (text, media, templates where the kind supports them) and records what the send
   * records besides delivery (e.g. the email's Message-ID and envelope).
   * @throws PermanentSendError for errors no retry fixes; anything else is transient.
   */
  send(ctx: SendContext, outbound: OutboundMessage): Promise<SendOutcome>;
  /**
   * Asks the provider whether an earlier attempt of `outbound` was accepted. A `sent` outcome has
   * already recorded what `send` records besides delivery (the carrier activity then applies the status).
   */
  reconcile(ctx: SendContext, outbound: OutboundMessage): Promise<Reconciliation>;
  /**
   * Where an inbound attachment can be downloaded (activities/media-import.ts): its `url` with the
   * headers the provider needs (Twilio: the account's credentials, only on Twilio's hosts), or where a
   * file the provider only named (`providerFileId`, e.g. a Telegram `file_id`) lives; `null` = it cannot
   * be downloaded (no URL or file id, no credentials: the attachment is kept as it is). Absent = the
   * provider's attachments carry their own public URL, fetched without credentials.
   * @throws any error from the provider's API (retried by the media import; `ApplicationFailure`
   *   non-retryable when no retry can help)
   */
  mediaDownload?(attachment: Attachment): Promise<MediaDownload | null>;
}

/** A local stand-in of a provider's API that `npm start` runs in development without credentials. */
export interface RunningStandIn {
  /** Base URL to point the SDK at (`http://127.0.0.1:<port>`). */
  url: string;
  stop(): Promise<void>;
}

/** What `npm start` runs for a provider in development when no credentials are configured. */
export interface DevStandIn {
  /**
   * Starts the provider's local stand-in (logging what it receives) when `config` is not production and
   * has neither an API base URL nor credentials for this provider; else resolves `null`.
   */
  start(config: Config, logger: Logger): Promise<RunningStandIn | null>;
  /** `config` with this provider's SDK pointed at a running stand-in's `url`. */
  pointAt(config: Config, url: string): Config;
  /** The provider's lines of the start-up summary (`  Twilio:      local stand-in at …`, webhook URLs). */
  summary(config: Config, standIn: RunningStandIn | null): string[];
}

/**
 * One provider's adapter definition: its kinds, how to build the runtime adapter from configuration,
 * and its inbound webhook routes (mounted at `/webhooks/<provider>` by the API).
 * @typeParam C the configuration slice `create` needs, keyed by provider (`{ twilio: {...} }`).
 */
export interface ChannelAdapterDefinition<C = unknown> {
  readonly provider: string;
  readonly kinds: readonly ChannelKindSpec[];
  /** Builds the runtime adapter (SDK client) from its configuration. */
  create(config: C): ChannelAdapter;
  /** Express router of the provider's inbound webhooks (verified, routed into workflows); none = no inbound. */
  webhooks?(deps: ApiDeps): Router;
  /** The declarations of those webhook routes (`defineRoute`), for the route registry and the OpenAPI document. */
  readonly webhookRoutes?: readonly { readonly spec: RouteSpec }[];
  /** Its local stand-in for `npm start` without credentials; none = nothing to stand in for. */
  readonly dev?: DevStandIn;
}
