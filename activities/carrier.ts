/**
 * Carrier activities: the send half of the outbox (docs/architecture.md "Outbox"), provider-neutral.
 * The at-most-once bookkeeping (`sending`, `send_started_at`, reconciliation of an earlier attempt,
 * `unknown` / `send_unconfirmed`) lives here; the carrier call is the channel adapter's
 * (`channels/index.ts` `adapterFor(kind)`: Twilio for SMS / WhatsApp, Postmark for email, Telegram),
 * built from the conversation's channel's own credentials when it has any (`channels/resolver.ts`).
 */
import { ApplicationFailure, Context, log } from '@temporalio/activity';
import { sql } from 'kysely';
import {
  type ChannelAdapter,
  type ChannelAdapters,
  type OutboundMessage,
  PermanentSendError,
  TransientSendError,
  type Reconciliation,
  type SendContext,
  contactAddressOf,
} from '../channels';
import { SEND_UNCONFIRMED } from '../channels/reconciliation';
import { createChannelAdapterResolver } from '../channels/resolver';
import { DecryptionError, type Keyring } from '../config/keyring';
import { mediaUrlFor } from '../db/media-urls';
import type { BlobStore } from '../db/blob-store';
import type { Db } from '../db/client';
import { identitiesOf } from '../db/contacts';
import { applyDeliveryUpdate } from './conversation-store';

/** What a send activity reports back to the workflow. */
export interface SendResult {
  /** The provider's message id (see the adapter); `null` for internal notes (nothing sent). */
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

/** `type` of the retryable failure thrown when the provider answered "not now" (nothing sent). */
export const TRANSIENT_CARRIER_ERROR = 'TransientCarrierError';

/** `type` of the non-retryable failure thrown for permanent carrier errors. */
export const PERMANENT_CARRIER_ERROR = 'PermanentCarrierError';

/** `error_code` of a message whose channel's own credentials cannot be decrypted (a key missing from the ring, an altered row). */
export const CHANNEL_CREDENTIALS_UNAVAILABLE = 'channel_credentials_unavailable';

/** Dependencies of the carrier activities. */
export interface CarrierDeps {
  db: Db;
  /** The channel adapters (`createChannelAdapters(config)`), one per provider: channels without their own credentials send with them. */
  channels: ChannelAdapters;
  /** Opens a channel's own credentials (`CREDENTIALS_ENCRYPTION_KEYS`): its sends use an adapter built from them. */
  keyring: Keyring;
  /** Where attachment bytes live (email attachments are read from it). */
  blobs: BlobStore;
  /** Public base URL (no trailing slash): status callbacks and signed media URLs. */
  publicBaseUrl: string;
  /** HMAC key of signed media URLs (`/media/:id?expires&signature`). */
  mediaUrlSecret: string;
}

/** The message to send with everything the adapters need (see {@link toOutbound}). */
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
      'ch.id as channelId',
      'ch.provider',
      'ch.credentials_ciphertext',
      'ch.credentials_key_id',
      'ch.updated_at as channelUpdatedAt',
      'ch.address as channelAddress',
      'ch.name as channelName',
      'ch.settings',
      identitiesOf('ct.id').as('identities'),
      'ct.name as contactName',
    ])
    .where('m.id', '=', messageId)
    .executeTakeFirst();
}
type OutboundRow = NonNullable<Awaited<ReturnType<typeof loadOutbound>>>;

/** The provider-neutral outbound message of a row: the contact's address of the row's kind. */
function toOutbound(row: OutboundRow): OutboundMessage {
  return {
    id: row.id,
    orgId: row.org_id,
    conversationId: row.conversation_id,
    kind: row.kind,
    text: row.text,
    attachments: row.attachments,
    template: row.template,
    emailRecipients: row.email_recipients,
    subject: row.subject,
    replyToken: row.reply_token,
    channel: { address: row.channelAddress, name: row.channelName, settings: row.settings },
    contact: {
      name: row.contactName,
      address: contactAddressOf(row.kind, row.identities),
    },
    createdAt: row.created_at,
    sendStartedAt: row.send_started_at,
  };
}

/** Builds the carrier activities. */
export function createCarrierActivities(deps: CarrierDeps) {
  const { db } = deps;
  const adapters = createChannelAdapterResolver({ channels: deps.channels, keyring: deps.keyring });
  /** The adapter of the row's channel: its own credentials, else the environment's. */
  const adapterOf = (row: OutboundRow) =>
    adapters.forRow({
      id: row.channelId,
      kind: row.kind,
      provider: row.provider,
      credentials_ciphertext: row.credentials_ciphertext,
      credentials_key_id: row.credentials_key_id,
      updated_at: row.channelUpdatedAt,
    });

  const fail = async (messageId: string, errorCode: string, errorMessage: string, details: object): Promise<never> => {
    await applyDeliveryUpdate(db, { messageId, status: 'failed', errorCode, errorMessage });
    throw ApplicationFailure.nonRetryable(errorMessage, PERMANENT_CARRIER_ERROR, { code: errorCode, ...details });
  };

  const ctx: SendContext = {
    db,
    blobs: deps.blobs,
    publicBaseUrl: deps.publicBaseUrl,
    mediaUrl: (attachmentId) => mediaUrlFor(deps.publicBaseUrl, attachmentId, deps.mediaUrlSecret),
  };

  /**
   * Asks the carrier whether an earlier attempt of `row` (left `sending`) was accepted (the adapter's
   * `reconcile`, see channels/reconciliation.ts). The window starts at the attempt's `send_started_at`
   * (rows from before migration 0005: the message's creation).
   */
  const reconcile = (row: OutboundRow, adapter: ChannelAdapter): Promise<Reconciliation> => adapter.reconcile(ctx, toOutbound(row));

  /**
   * The row's adapter, or why there is none: its channel's credentials do not decrypt (no retry can
   * help until an operator restores the key: the message is failed, or flagged `unknown` when an
   * earlier attempt may have reached the carrier).
   */
  const resolveAdapter = (row: OutboundRow): { adapter: ChannelAdapter } | { unavailable: string } => {
    try {
      return { adapter: adapterOf(row) };
    } catch (err) {
      if (!(err instanceof DecryptionError)) throw err;
      return { unavailable: `the channel's credentials cannot be decrypted (${err.message}); check CREDENTIALS_ENCRYPTION_KEYS` };
    }
  };

  /** The carrier call: records the provider's id and status, or fails the message on a permanent error. */
  const sendNow = async (row: OutboundRow, adapter: ChannelAdapter): Promise<string> => {
    try {
      const sent = await adapter.send(ctx, toOutbound(row));
      await applyDeliveryUpdate(db, {
        messageId: row.id,
        providerMessageId: sent.providerMessageId,
        status: sent.status,
        errorCode: null,
        errorMessage: null,
      });
      return sent.providerMessageId;
    } catch (err) {
      if (err instanceof PermanentSendError) return fail(row.id, err.code, err.message, err.details);
      if (err instanceof TransientSendError && err.options.notSent) {
        // the provider answered "not now": nothing was sent, so the retry needs no reconciliation
        await db
          .updateTable('messages')
          .set({ delivery_status: 'queued', updated_at: sql`now()` })
          .where('id', '=', row.id)
          .where('delivery_status', '=', 'sending')
          .where('provider_message_id', 'is', null)
          .execute();
        throw ApplicationFailure.create({
          message: err.message,
          type: TRANSIENT_CARRIER_ERROR,
          ...(err.options.retryAfterMs !== null ? { nextRetryDelay: err.options.retryAfterMs } : {}),
        });
      }
      throw err;
    }
  };

  /** Applies a reconciliation that is not `not_sent`: adopt the carrier's id, or flag `unknown`. */
  const settle = async (row: OutboundRow, result: Exclude<Reconciliation, { outcome: 'not_sent' }>): Promise<SendResult> => {
    if (result.outcome === 'sent') {
      log.info('adopted the carrier message of an earlier send attempt', {
        messageId: row.id,
        providerMessageId: result.providerMessageId,
      });
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
    const resolved = resolveAdapter(row);
    if ('unavailable' in resolved) {
      log.warn('send impossible: channel credentials unavailable', { messageId: row.id });
      if (row.delivery_status === 'sending') return settle(row, { outcome: 'undecided', reason: resolved.unavailable });
      return fail(row.id, CHANNEL_CREDENTIALS_UNAVAILABLE, `Not sent: ${resolved.unavailable}.`, {});
    }
    const { adapter } = resolved;
    if (row.delivery_status === 'sending') {
      // An earlier attempt reached the carrier call and did not record its outcome (crash, timeout,
      // transient error): the carrier's own records decide whether sending again is safe.
      const result = await reconcile(row, adapter);
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
    return { providerMessageId: await sendNow(row, adapter), alreadySent: false };
  };

  return {
    /**
     * Sends a queued outbound message through its channel's carrier, at most once per message unless
     * a human retries it. Heartbeats every {@link SEND_HEARTBEAT_INTERVAL_MS}.
     * - a message that already has a provider id, or is `unknown`, is not sent again;
     * - a message left `sending` by an earlier attempt is first reconciled with the carrier (the
     *   adapter's `reconcile`: Twilio message list / Postmark outbound search): a match is adopted (provider id + status, nothing
     *   sent); no match → sent now; undecidable → `unknown` / `send_unconfirmed`, not sent
     *   (`unconfirmed: true`);
     * - otherwise the row turns `sending` (with `send_started_at = now()`) before the carrier call.
     * What goes on the wire is the adapter's (`channels/<provider>/adapter.ts`).
     * @throws ApplicationFailure (non-retryable, type `PermanentCarrierError`, details `[{ code, status }]`)
     *   for permanent carrier errors (the adapter's `PermanentSendError`), after marking the message `failed` with the carrier's code,
     *   and when the channel's own credentials cannot be decrypted (`channel_credentials_unavailable`; a message an
     *   earlier attempt left `sending` is flagged `unknown` instead);
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
        const resolved = resolveAdapter(row);
        const result: Reconciliation =
          'unavailable' in resolved ? { outcome: 'undecided', reason: resolved.unavailable } : await reconcile(row, resolved.adapter);
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
