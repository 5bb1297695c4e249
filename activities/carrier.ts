/**
 * Carrier activities: outbound sends through the real `twilio` SDK, as the send half of the
 * outbox (see ARCHITECTURE.md "Outbound sends are an outbox").
 */
import { ApplicationFailure, log } from '@temporalio/activity';
import type { Twilio } from 'twilio';
import type { Db } from '../db/client';
import { toTwilioAddress } from '../domain/addresses';
import { fromTwilioStatus, twilioErrorReason } from '../domain/delivery';
import { applyDeliveryUpdate } from './conversation-store';

/** What a send activity reports back to the workflow. */
export interface SendResult {
  /** Twilio Message SID (`SM…`/`MM…`); `null` for internal notes (nothing sent). */
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
  /** Public base URL (no trailing slash) for the `StatusCallback` URL. */
  publicBaseUrl: string;
}

/** Builds the carrier activities. */
export function createCarrierActivities({ db, twilio, publicBaseUrl }: CarrierDeps) {
  return {
    /**
     * Sends a queued outbound message through Twilio (`POST /2010-04-01/Accounts/{Sid}/Messages.json`)
     * with `StatusCallback = <PUBLIC_BASE_URL>/webhooks/twilio/status?messageId=<id>`.
     * Idempotent: a message that already has a provider message id is not sent again.
     * @throws ApplicationFailure (non-retryable, type `PermanentCarrierError`, details `[{ code, status }]`)
     *   for permanent Twilio errors, after marking the message `failed` with Twilio's code;
     *   any other error (429, 5xx, network) is thrown as is, so Temporal retries.
     */
    async sendMessage(input: { messageId: string }): Promise<SendResult> {
      const row = await db
        .selectFrom('messages as m')
        .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
        .innerJoin('channels as ch', 'ch.id', 'c.channel_id')
        .innerJoin('contacts as ct', 'ct.id', 'c.contact_id')
        .select([
          'm.id',
          'm.text',
          'm.attachments',
          'm.is_internal_note',
          'm.provider_message_id',
          'm.delivery_status',
          'ch.kind',
          'ch.address as channelAddress',
          'ch.settings',
          'ct.phone',
          'ct.whatsapp',
        ])
        .where('m.id', '=', input.messageId)
        .executeTakeFirst();
      if (!row) throw ApplicationFailure.nonRetryable(`message ${input.messageId} not found`, 'MessageNotFound');
      if (row.is_internal_note) return { providerMessageId: null, alreadySent: true };
      if (row.provider_message_id !== null) return { providerMessageId: row.provider_message_id, alreadySent: true };
      if (row.kind !== 'sms' && row.kind !== 'whatsapp') {
        throw ApplicationFailure.nonRetryable(`channel kind ${row.kind} is not sent through Twilio`, 'UnsupportedChannel');
      }
      const phone = row.kind === 'whatsapp' ? (row.whatsapp ?? row.phone) : row.phone;
      if (phone === null) {
        await applyDeliveryUpdate(db, {
          messageId: row.id,
          status: 'failed',
          errorCode: 'no_address',
          errorMessage: `The contact has no ${row.kind === 'whatsapp' ? 'WhatsApp' : 'phone'} number.`,
        });
        throw ApplicationFailure.nonRetryable('contact has no address for this channel', PERMANENT_CARRIER_ERROR);
      }
      const messagingServiceSid = typeof row.settings.messagingServiceSid === 'string' ? row.settings.messagingServiceSid : undefined;
      const mediaUrl = row.attachments.map((a) => a.url);
      if (row.delivery_status === 'sending') {
        // An earlier attempt reached the carrier call and did not record its outcome (crash or
        // timeout). If Twilio had accepted it, its status callback (which carries our message id)
        // records the MessageSid; until then this retry is at-least-once.
        log.warn('retrying a send whose previous attempt did not record a provider id', { messageId: row.id });
      } else {
        await applyDeliveryUpdate(db, { messageId: row.id, status: 'sending', errorCode: null, errorMessage: null });
      }
      try {
        const sent = await twilio.messages.create({
          to: toTwilioAddress(row.kind, phone),
          ...(messagingServiceSid ? { messagingServiceSid } : { from: toTwilioAddress(row.kind, row.channelAddress) }),
          body: row.text,
          ...(mediaUrl.length > 0 ? { mediaUrl } : {}),
          statusCallback: `${publicBaseUrl}/webhooks/twilio/status?messageId=${encodeURIComponent(row.id)}`,
        });
        await applyDeliveryUpdate(db, {
          messageId: row.id,
          providerMessageId: sent.sid,
          status: fromTwilioStatus(sent.status) ?? 'queued',
          errorCode: null,
          errorMessage: null,
        });
        return { providerMessageId: sent.sid, alreadySent: false };
      } catch (err) {
        if (isTwilioRestError(err) && isPermanentTwilioError(err.status)) {
          const code = err.code !== undefined ? String(err.code) : `http_${err.status}`;
          await applyDeliveryUpdate(db, {
            messageId: row.id,
            status: 'failed',
            errorCode: code,
            errorMessage: twilioErrorReason(code, err.message),
          });
          throw ApplicationFailure.nonRetryable(`Twilio rejected the message: ${err.message}`, PERMANENT_CARRIER_ERROR, {
            code,
            status: err.status,
          });
        }
        throw err;
      }
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
