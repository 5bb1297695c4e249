/**
 * Carrier activities: the send half of the outbox (ARCHITECTURE.md "Outbound sends are an outbox").
 * SMS / WhatsApp go through the real `twilio` SDK, email through the real `postmark` SDK.
 */
import { ApplicationFailure, Context, log } from '@temporalio/activity';
import { sql } from 'kysely';
import type { ServerClient } from 'postmark';
import type { Twilio } from 'twilio';
import { mediaUrlFor } from '../db/media-urls';
import type { BlobStore } from '../db/blob-store';
import type { Db } from '../db/client';
import { toTwilioAddress } from '../domain/addresses';
import { fromTwilioStatus, twilioErrorReason } from '../domain/delivery';
import { formatMessageIdHeader, outboundMessageId, replyAllCc, replySubject, replyToAddress, threadReferences } from '../domain/email';
import type { Attachment, EmailAddress, EmailDetails, TemplateUse } from '../domain/message';
import { applyDeliveryUpdate } from './conversation-store';
import { type Reconciliation, SEND_UNCONFIRMED, reconcilePostmark, reconcileTwilio } from './send-reconciliation';
import { isPermanentPostmarkError } from './postmark-client';

/** What a send activity reports back to the workflow. */
export interface SendResult {
  /** Carrier id (Twilio `SM…`/`MM…`, Postmark `MessageID`); `null` for internal notes (nothing sent). */
  providerMessageId: string | null;
  /** true when the message already had a provider id (a retried or repeated send: nothing sent). */
  alreadySent: boolean;
  /**
   * true when an earlier attempt's outcome could not be confirmed with the carrier: the message is
   * `unknown` / `send_unconfirmed` and was NOT sent again (a human may retry it).
   */
  unconfirmed?: boolean;
}

/** How often (ms) the send activity heartbeats; the workflow's heartbeat timeout is a few times this. */
const SEND_HEARTBEAT_INTERVAL_MS = 2_000;

/**
 * Heartbeats every `intervalMs` while a send runs, so a dead worker is noticed within the activity's
 * heartbeat timeout instead of its start-to-close timeout. A no-op outside an activity context.
 * @returns a function that stops the heartbeats
 */
function keepHeartbeating(intervalMs: number): () => void {
  let context: Context;
  try {
    context = Context.current();
  } catch {
    return () => undefined;
  }
  context.heartbeat();
  const timer = setInterval(() => context.heartbeat(), intervalMs);
  return () => clearInterval(timer);
}

/** `type` of the non-retryable failure thrown for permanent carrier errors. */
export const PERMANENT_CARRIER_ERROR = 'PermanentCarrierError';

interface TwilioErrorLike {
  status: number;
  code?: number;
  message: string;
}

function isTwilioRestError(err: unknown): err is TwilioErrorLike {
  return typeof err === 'object' && err !== null && typeof (err as { status?: unknown }).status === 'number';
}

/**
 * Whether a Twilio REST error can succeed on retry: 429 (rate limit), 5xx, and 408 are transient;
 * every other 4xx (invalid number 21211, opted out 21610, …) is permanent.
 * Source: twilio.com/docs/usage/twilios-response (HTTP status semantics).
 */
export function isPermanentTwilioError(status: number): boolean {
  return status >= 400 && status < 500 && status !== 429 && status !== 408;
}

/** Dependencies of the carrier activities. */
export interface CarrierDeps {
  db: Db;
  twilio: Twilio;
  postmark: ServerClient;
  /** Where attachment bytes live (email attachments are read from it). */
  blobs: BlobStore;
  /** Public base URL (no trailing slash): `StatusCallback` and signed MMS media URLs. */
  publicBaseUrl: string;
  /** HMAC key of signed media URLs (`/media/:id?expires&signature`). */
  mediaUrlSecret: string;
  /** Domain of our inbound email addresses; `undefined` = the email channel's own domain. */
  inboundEmailDomain: string | undefined;
}

/** The message to send with everything the carriers need. */
async function loadOutbound(db: Db, messageId: string) {
  return db
    .selectFrom('messages as m')
    .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
    .innerJoin('channels as ch', 'ch.id', 'c.channel_id')
    .innerJoin('contacts as ct', 'ct.id', 'c.contact_id')
    .select([
      'm.id',
      'm.org_id',
      'm.conversation_id',
      'm.text',
      'm.attachments',
      'm.template',
      'm.is_internal_note',
      'm.provider_message_id',
      'm.delivery_status',
      'm.send_started_at',
      'm.created_at',
      'm.email_recipients',
      'c.subject',
      'c.reply_token',
      'ch.kind',
      'ch.address as channelAddress',
      'ch.name as channelName',
      'ch.settings',
      'ct.phone',
      'ct.whatsapp',
      'ct.email as contactEmail',
      'ct.name as contactName',
    ])
    .where('m.id', '=', messageId)
    .executeTakeFirst();
}
type OutboundRow = NonNullable<Awaited<ReturnType<typeof loadOutbound>>>;

/** Builds the carrier activities. */
export function createCarrierActivities(deps: CarrierDeps) {
  const { db } = deps;

  const fail = async (messageId: string, errorCode: string, errorMessage: string, details: object): Promise<never> => {
    await applyDeliveryUpdate(db, { messageId, status: 'failed', errorCode, errorMessage });
    throw ApplicationFailure.nonRetryable(errorMessage, PERMANENT_CARRIER_ERROR, { code: errorCode, ...details });
  };

  /** The Twilio addresses of a message: `to`, and `from` or the channel's Messaging Service; `null` without a number. */
  const twilioAddresses = (row: OutboundRow & { kind: 'sms' | 'whatsapp' }) => {
    const phone = row.kind === 'whatsapp' ? (row.whatsapp ?? row.phone) : row.phone;
    if (phone === null) return null;
    const messagingServiceSid = typeof row.settings.messagingServiceSid === 'string' ? row.settings.messagingServiceSid : undefined;
    return {
      to: toTwilioAddress(row.kind, phone),
      from: messagingServiceSid ? undefined : toTwilioAddress(row.kind, row.channelAddress),
      messagingServiceSid,
    };
  };

  /** `POST /2010-04-01/Accounts/{Sid}/Messages.json` (free-form body + media, or a Content template). */
  const sendTwilio = async (row: OutboundRow & { kind: 'sms' | 'whatsapp' }, template: TemplateUse | null): Promise<string> => {
    const addresses = twilioAddresses(row);
    if (addresses === null) {
      return fail(row.id, 'no_address', `The contact has no ${row.kind === 'whatsapp' ? 'WhatsApp' : 'phone'} number.`, {});
    }
    const { to, from, messagingServiceSid } = addresses;
    const mediaUrl = row.attachments
      .map((a: Attachment) => (a.attachmentId ? mediaUrlFor(deps.publicBaseUrl, a.attachmentId, deps.mediaUrlSecret) : a.url))
      .filter((u): u is string => typeof u === 'string');
    const content =
      template?.contentSid != null
        ? { contentSid: template.contentSid, ...(template.contentVariables ? { contentVariables: template.contentVariables } : {}) }
        : { body: row.text, ...(mediaUrl.length > 0 ? { mediaUrl } : {}) };
    try {
      const sent = await deps.twilio.messages.create({
        to,
        ...(messagingServiceSid ? { messagingServiceSid } : { from }),
        ...content,
        statusCallback: `${deps.publicBaseUrl}/webhooks/twilio/status?messageId=${encodeURIComponent(row.id)}`,
      });
      await applyDeliveryUpdate(db, {
        messageId: row.id,
        providerMessageId: sent.sid,
        status: fromTwilioStatus(sent.status) ?? 'queued',
        errorCode: null,
        errorMessage: null,
      });
      return sent.sid;
    } catch (err) {
      if (isTwilioRestError(err) && isPermanentTwilioError(err.status)) {
        const code = err.code !== undefined ? String(err.code) : `http_${err.status}`;
        return fail(row.id, code, twilioErrorReason(code, err.message), { status: err.status });
      }
      throw err;
    }
  };

  /** Our Message-ID of an outbound email, at the inbound email domain (else the channel's own domain). */
  const ownMessageIdOf = (row: OutboundRow): string =>
    outboundMessageId(row.id, deps.inboundEmailDomain ?? row.channelAddress.split('@')[1] ?? 'switchboard.invalid');

  /**
   * Postmark `POST /email` from the channel's address, `Reply-To: <local>+<reply token>@<inbound domain>`,
   * `Subject: Re: …`, our own `Message-ID`, and `In-Reply-To` / `References` from the thread so the
   * customer's mail client threads it (RFC 5322 §3.6.4). Attachments are read from the blob store.
   */
  const sendEmail = async (row: OutboundRow, template: TemplateUse | null): Promise<string> => {
    if (row.contactEmail === null) return fail(row.id, 'no_address', 'The contact has no email address.', {});
    if (row.reply_token === null) return fail(row.id, 'no_reply_token', 'The email conversation has no reply token.', {});
    const thread = await db
      .selectFrom('messages')
      .select(['email_message_id', 'direction'])
      .where('conversation_id', '=', row.conversation_id)
      .where('email_message_id', 'is not', null)
      .where('id', '!=', row.id)
      .orderBy('seq')
      .execute();
    const references = threadReferences(thread.map((m) => m.email_message_id!));
    // In-Reply-To: the customer's latest email (the one this answers), else our latest in the thread
    const inReplyTo = [...thread].reverse().find((m) => m.direction === 'inbound')?.email_message_id ?? references.at(-1);
    const ownMessageId = ownMessageIdOf(row);
    // reply-all: the other people on the customer's latest email stay in Cc, plus the Cc staff asked for
    const latestInbound = await db
      .selectFrom('messages')
      .select([sql<EmailAddress[] | null>`email->'to'`.as('to'), sql<EmailAddress[] | null>`email->'cc'`.as('cc')])
      .where('conversation_id', '=', row.conversation_id)
      .where('direction', '=', 'inbound')
      .where('email', 'is not', null)
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    const cc = replyAllCc({
      thread: [...(latestInbound?.to ?? []), ...(latestInbound?.cc ?? [])],
      extra: row.email_recipients?.cc ?? [],
      to: row.contactEmail,
      channelAddress: row.channelAddress,
      inboundDomain: deps.inboundEmailDomain ?? null,
    });
    const bcc = row.email_recipients?.bcc ?? [];
    const formatAddress = (a: EmailAddress): string => (a.name ? `${a.name.replace(/["<>,]/g, '')} <${a.email}>` : a.email);
    const attachments = [];
    for (const a of row.attachments) {
      if (!a.attachmentId) continue;
      const bytes = await deps.blobs.get(`${row.org_id}/${a.attachmentId}`);
      if (!bytes) return fail(row.id, 'attachment_missing', `Attachment ${a.attachmentId} is no longer stored.`, {});
      attachments.push({
        Name: a.name ?? 'attachment',
        Content: bytes.toString('base64'),
        ContentType: a.contentType,
        ContentID: a.contentId ? `cid:${a.contentId}` : null,
      });
    }
    // a reply in a thread is "Re: <subject>" (even from a template: another subject would split the
    // thread in mail clients); the first email of a staff-started conversation is not a reply
    const subject =
      references.length > 0
        ? replySubject(row.subject ?? template?.subject ?? '')
        : (template?.subject ?? row.subject ?? `Message from ${row.channelName || row.channelAddress}`);
    try {
      const sent = await deps.postmark.sendEmail({
        From: row.channelName ? `${row.channelName.replace(/["<>]/g, '')} <${row.channelAddress}>` : row.channelAddress,
        To: row.contactName ? `${row.contactName.replace(/["<>]/g, '')} <${row.contactEmail}>` : row.contactEmail,
        ...(cc.length > 0 ? { Cc: cc.map(formatAddress).join(', ') } : {}),
        ...(bcc.length > 0 ? { Bcc: bcc.map(formatAddress).join(', ') } : {}),
        ReplyTo: replyToAddress(row.channelAddress, row.reply_token, deps.inboundEmailDomain ?? null),
        Subject: subject,
        TextBody: row.text,
        Headers: [
          { Name: 'Message-ID', Value: formatMessageIdHeader(ownMessageId) },
          ...(references.length > 0
            ? [
                { Name: 'In-Reply-To', Value: formatMessageIdHeader(inReplyTo ?? references.at(-1)!) },
                { Name: 'References', Value: references.map(formatMessageIdHeader).join(' ') },
              ]
            : []),
        ],
        ...(attachments.length > 0 ? { Attachments: attachments } : {}),
        MessageStream: 'outbound',
        Metadata: { conversation_id: row.conversation_id, message_id: row.id },
      });
      // the sent envelope, like an inbound email's (our Message-ID, To, Cc, Bcc, Subject, thread ids)
      const envelope: EmailDetails = {
        from: { email: row.channelAddress, name: row.channelName || null },
        to: [{ email: row.contactEmail, name: row.contactName }],
        cc,
        ...(bcc.length > 0 ? { bcc } : {}),
        subject,
        date: new Date().toUTCString(),
        textBody: row.text,
        htmlBody: null,
        messageId: ownMessageId,
        inReplyTo: references.length > 0 ? [inReplyTo ?? references.at(-1)!] : [],
        references,
      };
      await db
        .updateTable('messages')
        .set({ email_message_id: ownMessageId, email: JSON.stringify(envelope) })
        .where('id', '=', row.id)
        .execute();
      await applyDeliveryUpdate(db, {
        messageId: row.id,
        providerMessageId: sent.MessageID,
        status: 'sent',
        errorCode: null,
        errorMessage: null,
      });
      return sent.MessageID;
    } catch (err) {
      const permanent = isPermanentPostmarkError(err);
      if (permanent)
        return fail(row.id, String(permanent.code), `Postmark rejected the email: ${permanent.message}`, { status: permanent.status });
      throw err;
    }
  };

  /**
   * Asks the carrier whether an earlier attempt of `row` (left `sending`) was accepted; see
   * `send-reconciliation.ts`. The window starts at the attempt's `send_started_at` (rows from before
   * migration 0005: the message's creation).
   */
  const reconcile = async (row: OutboundRow): Promise<Reconciliation> => {
    const since = row.send_started_at ?? row.created_at;
    const kind = row.kind;
    if (kind === 'sms' || kind === 'whatsapp') {
      const addresses = twilioAddresses({ ...row, kind });
      if (addresses === null) return { outcome: 'not_sent' };
      const body = row.template?.contentSid != null ? null : row.text;
      return reconcileTwilio(deps, { messageId: row.id, ...addresses, body, since });
    }
    if (kind === 'email') {
      if (row.contactEmail === null) return { outcome: 'not_sent' };
      return reconcilePostmark(deps, { messageId: row.id, recipient: row.contactEmail });
    }
    return { outcome: 'not_sent' };
  };

  /** Applies a reconciliation that is not `not_sent`: adopt the carrier's id, or flag `unknown`. */
  const settle = async (row: OutboundRow, result: Exclude<Reconciliation, { outcome: 'not_sent' }>): Promise<SendResult> => {
    if (result.outcome === 'sent') {
      log.info('adopted the carrier message of an earlier send attempt', {
        messageId: row.id,
        providerMessageId: result.providerMessageId,
      });
      if (row.kind === 'email') {
        // what sendEmail records with a send: our Message-ID (later replies thread on it)
        await db
          .updateTable('messages')
          .set({ email_message_id: ownMessageIdOf(row) })
          .where('id', '=', row.id)
          .execute();
      }
      await applyDeliveryUpdate(db, {
        messageId: row.id,
        providerMessageId: result.providerMessageId,
        status: result.status,
        errorCode: null,
        errorMessage: null,
      });
      return { providerMessageId: result.providerMessageId, alreadySent: true };
    }
    log.warn('send not confirmed: flagged unknown, not re-sent', { messageId: row.id, reason: result.reason });
    await applyDeliveryUpdate(db, {
      messageId: row.id,
      status: 'unknown',
      errorCode: SEND_UNCONFIRMED,
      errorMessage: `An earlier send attempt may have reached the carrier, and the carrier could not confirm it (${result.reason}). It was not sent again; retry it if the customer did not get it.`,
    });
    return { providerMessageId: null, alreadySent: false, unconfirmed: true };
  };

  /** The send itself (see `sendMessage`). */
  const send = async (messageId: string): Promise<SendResult> => {
    const row = await loadOutbound(db, messageId);
    if (!row) throw ApplicationFailure.nonRetryable(`message ${messageId} not found`, 'MessageNotFound');
    if (row.is_internal_note) return { providerMessageId: null, alreadySent: true };
    if (row.provider_message_id !== null) return { providerMessageId: row.provider_message_id, alreadySent: true };
    if (row.delivery_status === 'unknown') return { providerMessageId: null, alreadySent: false, unconfirmed: true };
    if (row.delivery_status === 'sending') {
      // An earlier attempt reached the carrier call and did not record its outcome (crash, timeout,
      // transient error): the carrier's own records decide whether sending again is safe.
      const result = await reconcile(row);
      if (result.outcome !== 'not_sent') return settle(row, result);
      log.info('earlier send attempt not found at the carrier: sending', { messageId: row.id });
    }
    // a new attempt: `sending` since now (the window a later reconciliation looks at)
    const begun = await db
      .updateTable('messages')
      .set({ delivery_status: 'sending', send_started_at: sql`now()`, error_code: null, error_message: null, updated_at: sql`now()` })
      .where('id', '=', row.id)
      .where('provider_message_id', 'is', null)
      .where((eb) => eb.or([eb('delivery_status', 'is', null), eb('delivery_status', 'in', ['queued', 'sending'])]))
      .executeTakeFirst();
    if (begun.numUpdatedRows === 0n) {
      // a status callback recorded the carrier id meanwhile (it was sent), or another attempt or a
      // human moved the message on (`unknown`, `failed`): this attempt never sends
      const now = await db
        .selectFrom('messages')
        .select(['provider_message_id', 'delivery_status'])
        .where('id', '=', row.id)
        .executeTakeFirst();
      if (now?.provider_message_id) return { providerMessageId: now.provider_message_id, alreadySent: true };
      log.warn('send not started: the message changed meanwhile', { messageId: row.id, deliveryStatus: now?.delivery_status });
      return { providerMessageId: null, alreadySent: false, unconfirmed: now?.delivery_status === 'unknown' };
    }
    const template = row.template;
    const kind = row.kind;
    if (kind === 'sms' || kind === 'whatsapp')
      return { providerMessageId: await sendTwilio({ ...row, kind }, template), alreadySent: false };
    if (kind === 'email') return { providerMessageId: await sendEmail(row, template), alreadySent: false };
    return fail(row.id, 'unsupported_channel', `Sending on ${kind} is not supported yet.`, {});
  };

  return {
    /**
     * Sends a queued outbound message through its channel's carrier, at most once per message unless
     * a human retries it. Heartbeats every {@link SEND_HEARTBEAT_INTERVAL_MS}.
     * - a message that already has a provider id, or is `unknown`, is not sent again;
     * - a message left `sending` by an earlier attempt is first reconciled with the carrier (Twilio
     *   message list / Postmark outbound search): a match is adopted (provider id + status, nothing
     *   sent); no match → sent now; undecidable → `unknown` / `send_unconfirmed`, not sent
     *   (`unconfirmed: true`);
     * - otherwise the row turns `sending` (with `send_started_at = now()`) before the carrier call.
     * Twilio: `StatusCallback = <PUBLIC_BASE_URL>/webhooks/twilio/status?messageId=<id>`; WhatsApp
     * templates send `ContentSid` + `ContentVariables`; stored attachments go out as signed media URLs.
     * Email: Postmark with threading headers, attachments and `Metadata.message_id`.
     * @throws ApplicationFailure (non-retryable, type `PermanentCarrierError`, details `[{ code, status }]`)
     *   for permanent carrier errors, after marking the message `failed` with the carrier's code;
     *   any other error (429, 5xx, network) is thrown as is, so Temporal retries.
     */
    async sendMessage(input: { messageId: string }): Promise<SendResult> {
      const stop = keepHeartbeating(SEND_HEARTBEAT_INTERVAL_MS);
      try {
        return await send(input.messageId);
      } finally {
        stop();
      }
    },

    /**
     * Marks a message `failed` after its send retries ran out (`errorCode` e.g. `send_retries_exhausted`).
     * A message still `sending` (the last attempt did not record its outcome) is reconciled first: a
     * carrier match is adopted, an undecidable one becomes `unknown` / `send_unconfirmed`; only a
     * message the carrier does not have is marked failed.
     */
    async markMessageFailed(input: { messageId: string; errorCode: string; errorMessage: string }): Promise<void> {
      const row = await loadOutbound(db, input.messageId);
      if (row && row.provider_message_id === null && row.delivery_status === 'sending') {
        const result = await reconcile(row);
        if (result.outcome !== 'not_sent') {
          await settle(row, result);
          return;
        }
      }
      await applyDeliveryUpdate(db, {
        messageId: input.messageId,
        status: 'failed',
        errorCode: input.errorCode,
        errorMessage: input.errorMessage,
      });
    },
  };
}
