/**
 * Carrier activities: the send half of the outbox (ARCHITECTURE.md "Outbound sends are an outbox").
 * SMS / WhatsApp go through the real `twilio` SDK, email through the real `postmark` SDK.
 */
import { ApplicationFailure, log } from '@temporalio/activity';
import type { ServerClient } from 'postmark';
import type { Twilio } from 'twilio';
import { mediaUrlFor } from '../db/media-urls';
import type { BlobStore } from '../db/blob-store';
import type { Db } from '../db/client';
import { toTwilioAddress } from '../domain/addresses';
import { fromTwilioStatus, twilioErrorReason } from '../domain/delivery';
import { sql } from 'kysely';
import { formatMessageIdHeader, outboundMessageId, replyAllCc, replySubject, replyToAddress, threadReferences } from '../domain/email';
import type { Attachment, EmailAddress, EmailDetails, TemplateUse } from '../domain/message';
import { applyDeliveryUpdate } from './conversation-store';
import { isPermanentPostmarkError } from './postmark-client';

/** What a send activity reports back to the workflow. */
export interface SendResult {
  /** Carrier id (Twilio `SM…`/`MM…`, Postmark `MessageID`); `null` for internal notes (nothing sent). */
  providerMessageId: string | null;
  /** true when the message already had a provider id (a retried or repeated send: nothing sent). */
  alreadySent: boolean;
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

  /** `POST /2010-04-01/Accounts/{Sid}/Messages.json` (free-form body + media, or a Content template). */
  const sendTwilio = async (row: OutboundRow & { kind: 'sms' | 'whatsapp' }, template: TemplateUse | null): Promise<string> => {
    const phone = row.kind === 'whatsapp' ? (row.whatsapp ?? row.phone) : row.phone;
    if (phone === null) {
      return fail(row.id, 'no_address', `The contact has no ${row.kind === 'whatsapp' ? 'WhatsApp' : 'phone'} number.`, {});
    }
    const messagingServiceSid = typeof row.settings.messagingServiceSid === 'string' ? row.settings.messagingServiceSid : undefined;
    const mediaUrl = row.attachments
      .map((a: Attachment) => (a.attachmentId ? mediaUrlFor(deps.publicBaseUrl, a.attachmentId, deps.mediaUrlSecret) : a.url))
      .filter((u): u is string => typeof u === 'string');
    const content =
      template?.contentSid != null
        ? { contentSid: template.contentSid, ...(template.contentVariables ? { contentVariables: template.contentVariables } : {}) }
        : { body: row.text, ...(mediaUrl.length > 0 ? { mediaUrl } : {}) };
    try {
      const sent = await deps.twilio.messages.create({
        to: toTwilioAddress(row.kind, phone),
        ...(messagingServiceSid ? { messagingServiceSid } : { from: toTwilioAddress(row.kind, row.channelAddress) }),
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

  /**
   * Postmark `POST /email` from the channel's address, `Reply-To: <local>+<reply token>@<inbound domain>`,
   * `Subject: Re: …`, our own `Message-ID`, and `In-Reply-To` / `References` from the thread so the
   * customer's mail client threads it (RFC 5322 §3.6.4). Attachments are read from the blob store.
   */
  const sendEmail = async (row: OutboundRow, template: TemplateUse | null): Promise<string> => {
    if (row.contactEmail === null) return fail(row.id, 'no_address', 'The contact has no email address.', {});
    if (row.reply_token === null) return fail(row.id, 'no_reply_token', 'The email conversation has no reply token.', {});
    const domain = deps.inboundEmailDomain ?? row.channelAddress.split('@')[1] ?? 'switchboard.invalid';
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
    const ownMessageId = outboundMessageId(row.id, domain);
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

  return {
    /**
     * Sends a queued outbound message through its channel's carrier. Idempotent: a message that
     * already has a provider id is not sent again; the row is marked `sending` before the call.
     * Twilio: `StatusCallback = <PUBLIC_BASE_URL>/webhooks/twilio/status?messageId=<id>`; WhatsApp
     * templates send `ContentSid` + `ContentVariables`; stored attachments go out as signed media URLs.
     * Email: Postmark with threading headers and attachments.
     * @throws ApplicationFailure (non-retryable, type `PermanentCarrierError`, details `[{ code, status }]`)
     *   for permanent carrier errors, after marking the message `failed` with the carrier's code;
     *   any other error (429, 5xx, network) is thrown as is, so Temporal retries.
     */
    async sendMessage(input: { messageId: string }): Promise<SendResult> {
      const row = await loadOutbound(db, input.messageId);
      if (!row) throw ApplicationFailure.nonRetryable(`message ${input.messageId} not found`, 'MessageNotFound');
      if (row.is_internal_note) return { providerMessageId: null, alreadySent: true };
      if (row.provider_message_id !== null) return { providerMessageId: row.provider_message_id, alreadySent: true };
      if (row.delivery_status === 'sending') {
        // An earlier attempt reached the carrier call and did not record its outcome (crash or
        // timeout). Twilio's status callback (which carries our message id) records the MessageSid if
        // Twilio had accepted it; until then this retry is at-least-once.
        log.warn('retrying a send whose previous attempt did not record a provider id', { messageId: row.id });
      } else {
        await applyDeliveryUpdate(db, { messageId: row.id, status: 'sending', errorCode: null, errorMessage: null });
      }
      const template = row.template;
      const kind = row.kind;
      if (kind === 'sms' || kind === 'whatsapp')
        return { providerMessageId: await sendTwilio({ ...row, kind }, template), alreadySent: false };
      if (kind === 'email') return { providerMessageId: await sendEmail(row, template), alreadySent: false };
      return fail(row.id, 'unsupported_channel', `Sending on ${kind} is not supported yet.`, {});
    },

    /** Marks a message `failed` after its send retries ran out (`errorCode` e.g. `send_retries_exhausted`). */
    async markMessageFailed(input: { messageId: string; errorCode: string; errorMessage: string }): Promise<void> {
      await applyDeliveryUpdate(db, {
        messageId: input.messageId,
        status: 'failed',
        errorCode: input.errorCode,
        errorMessage: input.errorMessage,
      });
    },
  };
}
