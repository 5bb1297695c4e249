/**
 * Database activities of the conversation workflow: the only code that writes conversation and
 * message rows ("one writer per conversation": each is called by that conversation's workflow).
 */
import { randomBytes } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import { sql, type Transaction } from 'kysely';
import { type ChannelKind, kindSpec } from '../channels/kinds';
import type { Db } from '../db/client';
import type { Database, MessageRow } from '../db/schema';
import { findOrCreateContactByEmail, identityAddress } from '../db/contacts';
import { wasSaid } from '../db/message-filters';
import { conversationColumns, conversationStateFromRow, messageRecordFromRow } from '../db/mappers';
import { type ConversationState, type NewConversation, customerAddressOf, newConversationState, previewOf } from '../domain/conversation';
import { type DeliveryStatus, deliveryUpdateApplies } from '../domain/delivery';
import type { Attachment, AuthorType, EmailDetails, EmailRecipients, MessageRecord, Provider, TemplateUse } from '../domain/message';
import type { SlaSettings } from '../domain/sla';
import { loadSlaSettingsForRun } from '../db/sla-settings';
import type { InboundEdit, InboundSender, PendingSuggestion } from '../workflows/conversation/contract';
import type { ScheduledSend } from '../domain/scheduled';
import { findOrCreateContactByPhone } from './contact-directory';

/** What a run starts from: the stored state (created if missing), the org's SLA policy and the open AI suggestion. */
export interface LoadedConversation {
  state: ConversationState;
  /** The org's SLA settings (the full settings since migration 0017; older histories hold only the two targets). */
  sla: SlaSettings;
  /** The newest `pending` / `scheduled` AI suggestion, if any (a run that ended left it open). */
  pendingSuggestion: PendingSuggestion | null;
  /** Send later: the conversation's `scheduled` replies, earliest first (absent in histories from before). */
  scheduled?: ScheduledSend[];
}

/** An inbound message to store (`createdAt` ISO-8601, workflow time). */
export interface InboundMessageInput {
  id: string;
  provider: Provider;
  providerMessageId: string;
  text: string;
  attachments: Attachment[];
  /** Email envelope and bodies (email channel); its `messageId` also dedupes (unique per org). */
  email?: EmailDetails | null;
  /** `text` is shorter than received (the full body is one of `attachments`); default false. */
  truncated?: boolean;
  /**
   * The sender's address on the conversation's kind (the signal's `InboundMessage.from`: SMS / WhatsApp
   * E.164, Telegram chat id); read only when the stored contact is an erased stand-in (see
   * `adoptSenderAfterErase`). Absent in histories from before it.
   */
  from?: InboundSender | null;
  createdAt: string;
}

/** An outbound message or internal note to store (`createdAt` ISO-8601, workflow time). */
export interface OutboundMessageInput {
  id: string;
  authorType: Exclude<AuthorType, 'customer'>;
  authorId: string | null;
  text: string;
  isInternalNote: boolean;
  provider: Provider | null;
  attachments: Attachment[];
  template: TemplateUse | null;
  /** Email replies: extra `cc` / `bcc` staff asked for (read by the send); default none. */
  emailRecipients?: EmailRecipients | null;
  /** Send later: stored `scheduled` (not `queued`) until this ISO-8601 instant; default none. */
  sendAt?: string | null;
  /** With `sendAt`: a customer message before the instant cancels it; default false. */
  cancelIfCustomerReplies?: boolean;
  createdAt: string;
}

/** A delivery report to apply to a stored outbound message. */
export interface DeliveryUpdate {
  messageId: string;
  /**
   * This report is final (a permanent bounce): it applies even after `delivered` (email can bounce
   * after acceptance). Reports whose `errorCode` is `bounce_…` are final anyway (see `deliveryUpdateApplies`).
   */
  force?: boolean;
  status: DeliveryStatus;
  errorCode: string | null;
  errorMessage: string | null;
  providerMessageId?: string;
}

/** Delivery statuses a human may retry (with no carrier id): the send was not confirmed, or it failed. */
const RETRYABLE_DELIVERY_STATUSES: readonly DeliveryStatus[] = ['unknown', 'failed'];

/**
 * Sets a message's delivery status only if it is progress and the stored outcome is not final (see
 * `deliveryUpdateApplies`: a hard bounce / spam complaint is never undone), in a compare-and-set
 * loop so concurrent reports cannot move it backwards. Records `providerMessageId` if none is stored.
 * @returns true when the row changed
 */
export async function applyDeliveryUpdate(db: Db, update: DeliveryUpdate): Promise<boolean> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const row = await db
      .selectFrom('messages')
      .select(['delivery_status', 'provider_message_id', 'error_code'])
      .where('id', '=', update.messageId)
      .executeTakeFirst();
    if (!row) return false;
    const setProviderId = update.providerMessageId !== undefined && row.provider_message_id === null;
    // The send marks a message `sending` before calling the carrier; the carrier's answer (Twilio:
    // `queued` = accepted) then replaces it together with the provider id.
    // (also from `unknown`: a send we could not confirm turns out to have been accepted)
    const acceptedByCarrier = setProviderId && (row.delivery_status === 'sending' || row.delivery_status === 'unknown');
    // a hard bounce / spam complaint is final: no later report (delivery, open, click) undoes it
    const progress =
      acceptedByCarrier ||
      deliveryUpdateApplies(
        { status: row.delivery_status, errorCode: row.error_code },
        { status: update.status, errorCode: update.errorCode, nextFinal: update.force },
      );
    if (!progress && !setProviderId) return false;
    let query = db
      .updateTable('messages')
      .set({
        updated_at: sql`now()`,
        ...(setProviderId ? { provider_message_id: update.providerMessageId } : {}),
        ...(progress ? { delivery_status: update.status, error_code: update.errorCode, error_message: update.errorMessage } : {}),
      })
      .where('id', '=', update.messageId);
    query =
      row.delivery_status === null ? query.where('delivery_status', 'is', null) : query.where('delivery_status', '=', row.delivery_status);
    query = row.error_code === null ? query.where('error_code', 'is', null) : query.where('error_code', '=', row.error_code);
    const result = await query.executeTakeFirst();
    if (result.numUpdatedRows > 0n) return true;
  }
  return false;
}

/**
 * Postgres errors that cannot succeed on retry: SQLSTATE class 22 (data exception) and 23
 * (integrity constraint violation, e.g. a foreign key to a deleted staff user). They become
 * non-retryable failures so an update fails with an answer instead of retrying forever; every
 * other error (connection lost, serialization failure, …) is retried by Temporal.
 */
export function asActivityFailure(err: unknown): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^2[23]/.test(code)) {
    return ApplicationFailure.nonRetryable(`database rejected the write: ${(err as Error).message}`, 'DatabaseConstraintViolation', {
      sqlState: code,
    });
  }
  return err;
}

/** Wraps every activity so permanent database errors are non-retryable (see {@link asActivityFailure}). */
function withPermanentErrors<T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T): T {
  return Object.fromEntries(
    Object.entries(activities).map(([name, fn]) => [
      name,
      async (...args: never[]) => {
        try {
          return await fn(...args);
        } catch (err) {
          throw asActivityFailure(err);
        }
      },
    ]),
  ) as T;
}

/**
 * A new unguessable reply token for an email conversation's Reply-To address: `t_` + 24 lower-case
 * hex digits (96 random bits). Lower case only, so an MTA that folds the address's case keeps it.
 */
export function newReplyToken(): string {
  return `t_${randomBytes(12).toString('hex')}`;
}

/** What {@link recordInboundBatch} stored. */
export interface RecordedInbound {
  /** `inserted[i]` for `messages[i]` (`false`: already stored). */
  inserted: boolean[];
  /**
   * Set only when the conversation's contact changed (a customer writing again after an erase, see
   * {@link adoptSenderAfterErase}): `conversations.contact_id` is this id now; the run adopts it.
   */
  contactId?: string;
  /**
   * With `contactId`: the erased stand-in the conversation pointed at before (the erase's
   * `standInContactId`). The run keeps it: a `contactErased` update naming it comes from that erase and
   * is stale (the sender's contact may have the erased contact's id again: carrier contacts' ids derive
   * from their address).
   */
  replacedStandInId?: string;
}

/** Who sent an inbound message, as {@link adoptSenderAfterErase} finds their contact. */
interface MessageSender {
  kind: ChannelKind;
  /** Normalised address on `kind` (an email address as received: `findOrCreateContactByEmail` folds it). */
  address: string;
  /** Display name for a contact created now (email `FromName`, WhatsApp `ProfileName`, Telegram name). */
  name: string | null;
}

/**
 * The sender of an inbound message on the conversation's kind `kind`: `from` (Twilio / Telegram
 * webhooks), else an email's `email.from`; `null` when the message does not say (signals from before
 * `from`, web chat) or names another kind.
 */
function senderOf(kind: ChannelKind, m: { message: InboundMessageInput; profileName?: string | null }): MessageSender | null {
  const from = m.message.from;
  if (from) return from.kind === kind && from.address !== '' ? { kind, address: from.address, name: m.profileName ?? null } : null;
  const email = m.message.email?.from;
  if (email?.email && kind === 'email') return { kind, address: email.email, name: email.name ?? null };
  return null;
}

/**
 * A customer writing again after an erase (`DELETE /v1/contacts/:id`, db/contact-erase.ts): when the
 * conversation's STORED contact (`conversations.contact_id`, read here) is an erased stand-in
 * (`erased_at` set), the sender of the first newly stored message that names one (see {@link senderOf}:
 * SMS / WhatsApp / Telegram `from`, email `email.from`) is a person who wrote again: their contact is
 * found or created by that address (`findOrCreateContactByEmail` / `findOrCreateContactByPhone`, as for
 * a new conversation) and becomes the conversation's contact (compare-and-set on the stored value), and
 * the newly stored messages (`inserted`) are authored by it; the erased messages keep the stand-in.
 * Whatever the run's contact (`state.contactId`) is: the stand-in (the run got `contactErased`, was
 * started after the erase by a staff command, or by this very message: `resolveContact` keeps a stored
 * conversation's contact) or still the erased contact's id (the erase committed, its broadcast has not
 * reached the run yet). Nothing happens for messages already stored (a redelivery of an erased message
 * brings nobody back), nor for messages without a sender (signals from before `from`: they stay with
 * the stand-in). Runs inside the recording transaction `tx`.
 * @returns the sender's contact id and the stand-in it replaced when the conversation moved, else `undefined`
 */
async function adoptSenderAfterErase(
  tx: Transaction<Database>,
  state: ConversationState,
  messages: { message: InboundMessageInput; profileName?: string | null }[],
  inserted: boolean[],
): Promise<{ contactId: string; replacedStandInId: string } | undefined> {
  const sender = messages.map((m, i) => (inserted[i] ? senderOf(state.channelKind, m) : null)).find((s) => s !== null);
  if (!sender) return undefined;
  const stored = await tx
    .selectFrom('conversations')
    .innerJoin('contacts', 'contacts.id', 'conversations.contact_id')
    .select(['conversations.contact_id', 'contacts.erased_at'])
    .where('conversations.id', '=', state.conversationId)
    .executeTakeFirst();
  if (!stored || stored.erased_at === null) return undefined;
  const contactId =
    sender.kind === 'email'
      ? await findOrCreateContactByEmail(tx, state.orgId, sender.address, sender.name)
      : await findOrCreateContactByPhone(tx, state.orgId, sender.kind, sender.address, sender.name);
  const moved = await tx
    .updateTable('conversations')
    .set({ contact_id: contactId, updated_at: sql`now()` })
    .where('id', '=', state.conversationId)
    .where('contact_id', '=', stored.contact_id)
    .executeTakeFirst();
  if (Number(moved.numUpdatedRows) === 0) return undefined;
  const ids = messages.filter((_, i) => inserted[i]).map((m) => m.message.id);
  await tx.updateTable('messages').set({ author_id: contactId }).where('id', 'in', ids).execute();
  return { contactId, replacedStandInId: stored.contact_id };
}

/**
 * Stores a batch of inbound messages of one conversation (oldest first) in one transaction, and
 * `state` (the state after all of them) when every one of them is new. Dedupe: any unique key
 * (`(org_id, provider, provider_message_id)`, an email's Message-ID), `ON CONFLICT DO NOTHING`.
 * A new email from the contact's address clears its hard-bounce flag (`contacts.email_bounced_at`);
 * a new customer message (not an automatic reply) unarchives the conversation (`archived_at`);
 * a profile name (WhatsApp `ProfileName`, email `FromName`) fills a contact without a name.
 * A message with a sender (`from`, an email's `email.from`) into a conversation whose stored contact
 * is an erased stand-in gets the sender's contact (see {@link adoptSenderAfterErase}).
 * @returns `inserted[i]` for `messages[i]`; when any is `false` (already stored), the state was
 *   NOT written: the workflow recomputes it from the inserted ones and saves it. `contactId` (and
 *   `replacedStandInId`) only when the conversation's contact changed (its row points at it now): the
 *   run adopts it.
 */
async function recordInboundBatch(
  db: Db,
  input: {
    state: ConversationState;
    messages: { message: InboundMessageInput; profileName?: string | null }[];
  },
): Promise<RecordedInbound> {
  if (input.messages.length === 0) return { inserted: [] };
  // A contact merge may delete the sender's contact found by `adoptSenderAfterErase` before the
  // conversation's foreign-key check sees it (as in `loadConversation`): the whole transaction again,
  // the address now belongs to the merged contact.
  for (let attempt = 0; ; attempt++) {
    try {
      return await recordInboundTransaction(db, input);
    } catch (err) {
      if ((err as { code?: unknown } | null)?.code !== '23503' || attempt >= 2) throw err;
    }
  }
}

/** One attempt of {@link recordInboundBatch}. */
async function recordInboundTransaction(
  db: Db,
  input: {
    state: ConversationState;
    messages: { message: InboundMessageInput; profileName?: string | null }[];
  },
): Promise<RecordedInbound> {
  return db.transaction().execute(async (tx) => {
    const rows = await tx
      .insertInto('messages')
      .values(
        input.messages.map(({ message }) => ({
          id: message.id,
          org_id: input.state.orgId,
          conversation_id: input.state.conversationId,
          direction: 'inbound' as const,
          author_type: 'customer' as const,
          author_id: input.state.contactId,
          text: message.text,
          text_truncated: message.truncated === true,
          attachments: JSON.stringify(message.attachments),
          is_internal_note: false,
          provider: message.provider,
          provider_message_id: message.providerMessageId,
          delivery_status: null,
          email: message.email ? JSON.stringify(message.email) : null,
          email_message_id: message.email?.messageId ?? null,
          created_at: message.createdAt,
        })),
      )
      .onConflict((oc) => oc.doNothing())
      .returning('id')
      .execute();
    const stored = new Set(rows.map((r) => r.id));
    const inserted = input.messages.map(({ message }) => stored.has(message.id));
    const adopted = await adoptSenderAfterErase(tx, input.state, input.messages, inserted);
    const contactId = adopted?.contactId ?? input.state.contactId;
    if (inserted.every(Boolean)) {
      await tx
        .updateTable('conversations')
        .set({ ...conversationColumns(input.state), updated_at: sql`now()` })
        .where('id', '=', input.state.conversationId)
        .execute();
    }
    // a new customer message brings an archived conversation back (issue 11); an automatic reply
    // (out-of-office) does not, as it does not reopen a closed one. `archived_at` is the API's column:
    // only this clears it, the state writes above never touch it.
    if (input.messages.some((m, i) => inserted[i] && m.message.email?.autoReply !== true)) {
      await tx
        .updateTable('conversations')
        .set({ archived_at: null })
        .where('id', '=', input.state.conversationId)
        .where('archived_at', 'is not', null)
        .execute();
    }
    // mail from a hard-bounced address proves it works again: clear the flag
    const senders = [
      ...new Set(
        input.messages.flatMap((m, i) =>
          inserted[i] && m.message.email?.from.email ? [m.message.email.from.email.trim().toLowerCase()] : [],
        ),
      ),
    ];
    if (senders.length > 0) {
      await tx
        .updateTable('contacts')
        .set({ email_bounced_at: null, email_bounce_reason: null, updated_at: sql`now()` })
        .where('id', '=', contactId)
        .where('email_bounced_at', 'is not', null)
        .where(sql<string>`lower(${identityAddress('email', 'contacts.id')})`, 'in', senders)
        .execute();
    }
    const profileName = input.messages.filter((m, i) => inserted[i] && m.profileName).at(-1)?.profileName;
    if (profileName) {
      await tx
        .updateTable('contacts')
        .set({ name: profileName, updated_at: sql`now()` })
        .where('id', '=', contactId)
        .where('name', 'is', null)
        .execute();
    }
    return adopted === undefined ? { inserted } : { inserted, ...adopted };
  });
}

/** The conversation's `scheduled` replies (send later) as the workflow holds them, earliest first. */
async function loadScheduled(db: Db, conversationId: string): Promise<ScheduledSend[]> {
  const rows = await db
    .selectFrom('messages')
    .select(['id', 'send_at', 'author_id', 'cancel_if_customer_replies', 'text', 'template'])
    .where('conversation_id', '=', conversationId)
    .where('delivery_status', '=', 'scheduled')
    .orderBy('send_at')
    .execute();
  return rows.map((r) => ({
    messageId: r.id,
    sendAt: (r.send_at ?? new Date(0)).toISOString(),
    authorId: r.author_id ?? '',
    cancelIfCustomerReplies: r.cancel_if_customer_replies,
    preview: previewOf(r.text),
    subject: r.template?.subject ?? null,
    isTemplate: r.template !== null,
  }));
}

/** Why a staff member may not edit / delete a message (see `editOwnMessage`, `deleteOwnNote`). */
export type OwnMessageOutcome = 'not_found' | 'not_editable' | 'not_scheduled' | 'not_yours';

/**
 * Whether `actorId` may change the message `row`: their own internal note, or (`scheduled`: the
 * workflow still holds it for sending) their own scheduled reply. `null` = allowed.
 */
function ownMessageRefusal(
  row:
    | { direction: string; is_internal_note: boolean; author_type: string; author_id: string | null; delivery_status: string | null }
    | undefined,
  actorId: string,
  scheduled: boolean,
): OwnMessageOutcome | null {
  if (!row) return 'not_found';
  if (row.direction === 'inbound') return 'not_editable';
  if (!row.is_internal_note && !(scheduled && row.delivery_status === 'scheduled')) return 'not_scheduled';
  if (row.author_type !== 'staff' || row.author_id !== actorId) return 'not_yours';
  return null;
}

/** The message `messageId` of the conversation, locked for the rest of transaction `tx` (`undefined` if none). */
function lockMessage(tx: Transaction<Database>, conversationId: string, messageId: string): Promise<MessageRow | undefined> {
  return tx
    .selectFrom('messages')
    .selectAll()
    .where('id', '=', messageId)
    .where('conversation_id', '=', conversationId)
    .forUpdate()
    .executeTakeFirst();
}

/** Keeps the text `row` had before an edit or a deletion in `message_edits` (`at`: ISO-8601, workflow time). */
async function recordMessageEdit(
  tx: Transaction<Database>,
  row: MessageRow,
  action: 'edit' | 'delete',
  actorId: string,
  at: string,
): Promise<void> {
  await tx
    .insertInto('message_edits')
    .values({
      org_id: row.org_id,
      conversation_id: row.conversation_id,
      message_id: row.id,
      action,
      previous_text: row.text,
      edited_by: actorId,
      edited_at: at,
    })
    .execute();
}

/** Builds the database activities over a kysely handle. */
export function createConversationStoreActivities(db: Db) {
  /**
   * The contact of a conversation started by a carrier webhook (`customer`, no `contactId`): the
   * stored conversation's contact if the row exists, else the customer's contact, found or created.
   * A stored conversation whose contact was erased keeps its stand-in here: the message that started
   * the run moves it to the sender's contact when it is recorded, unless it is a redelivery of an
   * erased message (see `adoptSenderAfterErase`).
   */
  const resolveContact = async (input: NewConversation): Promise<string> => {
    const existing = await db.selectFrom('conversations').select('contact_id').where('id', '=', input.conversationId).executeTakeFirst();
    if (existing) return existing.contact_id;
    if (!input.customer) {
      throw ApplicationFailure.nonRetryable('a new conversation needs a contactId or a customer', 'InvalidConversationInput');
    }
    const address = customerAddressOf(input.customer);
    if (address === null) {
      throw ApplicationFailure.nonRetryable('the customer of a new conversation has no address', 'InvalidConversationInput');
    }
    return findOrCreateContactByPhone(db, input.orgId, input.customer.kind, address, input.customer.profileName ?? null);
  };

  /** Inserts the conversation's row (status `open`) for `contactId` unless it exists. */
  const insertConversation = async (input: NewConversation, contactId: string): Promise<void> => {
    const fresh = newConversationState({ ...input, contactId }, Date.now());
    await db
      .insertInto('conversations')
      .values({
        id: input.conversationId,
        org_id: input.orgId,
        channel_id: input.channelId,
        channel_kind: input.channelKind,
        contact_id: contactId,
        ...conversationColumns(fresh),
        // threaded kinds (email) route answers by the Reply-To token
        reply_token: kindSpec(input.channelKind).capabilities.threading ? newReplyToken() : null,
        status: fresh.status,
        priority: fresh.priority,
        tags: fresh.tags,
        unread_count: 0,
        last_activity_at: fresh.lastActivityAt,
        session_expired: false,
        overdue: false,
        has_staff_replied: false,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  };

  return withPermanentErrors({
    /**
     * Loads a conversation's state, creating its row (status `open`) if this is its first run.
     * Without `contactId` (carrier webhooks) it first finds or creates the contact from
     * `input.customer`. Idempotent under retries and concurrent calls (`ON CONFLICT DO NOTHING`);
     * while Postgres is down it fails and Temporal retries it until the database is back.
     */
    async loadConversation(input: NewConversation): Promise<LoadedConversation> {
      // A contact merge may delete the contact resolved here before the insert commits (the merge
      // locks the contact row: the insert's foreign-key check waits for it, then fails): resolve again,
      // the address now belongs to the merged contact.
      for (let attempt = 0; ; attempt++) {
        try {
          await insertConversation(input, input.contactId ?? (await resolveContact(input)));
          break;
        } catch (err) {
          const fkViolation = (err as { code?: unknown } | null)?.code === '23503';
          if (!fkViolation || input.contactId !== undefined || attempt >= 2) throw err;
        }
      }
      const row = await db.selectFrom('conversations').selectAll().where('id', '=', input.conversationId).executeTakeFirstOrThrow();
      // the org's SLA settings (org_sla_settings, else the orgs targets)
      const sla = await loadSlaSettingsForRun(db, input.orgId);
      const open = await db
        .selectFrom('ai_suggestions')
        .select(['id', 'status', 'reply', 'intent', 'send_at'])
        .where('conversation_id', '=', input.conversationId)
        .where('status', 'in', ['pending', 'scheduled'])
        .orderBy('created_at', 'desc')
        .limit(1)
        .executeTakeFirst();
      return {
        pendingSuggestion:
          open && (open.status === 'pending' || open.status === 'scheduled')
            ? {
                id: open.id,
                status: open.status === 'scheduled' && open.send_at ? 'scheduled' : 'pending',
                reply: open.reply,
                intent: open.intent,
                sendAt: open.status === 'scheduled' && open.send_at ? open.send_at.toISOString() : null,
              }
            : null,
        state: conversationStateFromRow(row),
        sla,
        scheduled: await loadScheduled(db, input.conversationId),
      };
    },

    /**
     * Stores an inbound message and, if it is new, the conversation state that follows from it, in
     * one transaction (a batch of one: see {@link recordInboundMessages}). Kept for runs recorded
     * before batching (they replay this activity).
     * @returns `inserted: false` when the provider message id was already stored (state untouched);
     *   `contactId` and `replacedStandInId` when the conversation's contact changed (a customer writing
     *   again after an erase, see {@link RecordedInbound})
     */
    async recordInboundMessage(input: {
      state: ConversationState;
      message: InboundMessageInput;
      profileName?: string | null;
    }): Promise<{ inserted: boolean; contactId?: string; replacedStandInId?: string }> {
      const { inserted, ...moved } = await recordInboundBatch(db, { state: input.state, messages: [input] });
      return { inserted: inserted[0] === true, ...moved };
    },

    /**
     * Stores a batch of inbound messages of one conversation (oldest first) in one transaction, and
     * `state` (the state after all of them) when every one of them is new. Dedupe: any unique key
     * (`(org_id, provider, provider_message_id)`, an email's Message-ID), `ON CONFLICT DO NOTHING`.
     * The workflow keeps a batch within Temporal's payload limit (see `INBOUND_BATCH_*` there).
     * A message with a sender (`from`: SMS / WhatsApp / Telegram; an email's `email.from`) into a
     * conversation whose stored contact is an erased stand-in moves the conversation to the sender's
     * contact, found or created by address (`contactId` in the result: the run adopts it; see
     * `adoptSenderAfterErase`).
     * @returns `inserted[i]` for `messages[i]`; when any is `false` (already stored), the state was
     *   NOT written: the workflow recomputes it from the inserted ones and saves it. `contactId` and
     *   `replacedStandInId` only when the conversation's contact changed.
     */
    async recordInboundMessages(input: {
      state: ConversationState;
      messages: { message: InboundMessageInput; profileName?: string | null }[];
    }): Promise<RecordedInbound> {
      return recordInboundBatch(db, input);
    },

    /**
     * Applies customer edits to their stored inbound messages of the conversation (matched by
     * provider and provider message id): `text` and `edited_at` change, unless the stored edit is as
     * new or newer (a redelivered or out-of-order edit changes nothing). An edit of a message that was
     * never stored (sent before the channel was connected) is skipped, and so is an edit of an erased
     * message (its author is an erased stand-in, `contacts.erased_at` set: the erase keeps carrier ids,
     * so a later edit would otherwise write the person's words back over the tombstone).
     * @returns how many messages changed
     */
    async applyInboundEdits(input: { conversationId: string; orgId: string; edits: InboundEdit[] }): Promise<{ applied: number }> {
      let applied = 0;
      for (const edit of input.edits) {
        const result = await db
          .updateTable('messages')
          .set({ text: edit.text.replaceAll('\u0000', ''), edited_at: edit.editedAt, updated_at: sql`now()` })
          .where('org_id', '=', input.orgId)
          .where('conversation_id', '=', input.conversationId)
          .where('direction', '=', 'inbound')
          .where('provider', '=', edit.provider)
          .where('provider_message_id', '=', edit.providerMessageId)
          .where((eb) => eb.or([eb('edited_at', 'is', null), eb('edited_at', '<', new Date(edit.editedAt))]))
          .where(sql<boolean>`not exists (select 1 from contacts ec where ec.id::text = messages.author_id and ec.erased_at is not null)`)
          .executeTakeFirst();
        applied += Number(result.numUpdatedRows);
      }
      return { applied };
    },

    /**
     * Stores an outbound message (`delivery_status = queued`) or internal note and the new
     * conversation state in one transaction. Idempotent on the workflow-minted message id.
     * @returns the stored message
     */
    async recordOutboundMessage(input: { state: ConversationState; message: OutboundMessageInput }): Promise<MessageRecord> {
      return db.transaction().execute(async (tx) => {
        await tx
          .insertInto('messages')
          .values({
            id: input.message.id,
            org_id: input.state.orgId,
            conversation_id: input.state.conversationId,
            direction: 'outbound',
            author_type: input.message.authorType,
            author_id: input.message.authorId,
            text: input.message.text,
            attachments: JSON.stringify(input.message.attachments),
            template: input.message.template ? JSON.stringify(input.message.template) : null,
            is_internal_note: input.message.isInternalNote,
            provider: input.message.isInternalNote ? null : input.message.provider,
            provider_message_id: null,
            delivery_status: input.message.isInternalNote ? null : input.message.sendAt ? 'scheduled' : 'queued',
            ...(input.message.sendAt
              ? { send_at: input.message.sendAt, cancel_if_customer_replies: input.message.cancelIfCustomerReplies === true }
              : {}),
            email_recipients: input.message.emailRecipients ? JSON.stringify(input.message.emailRecipients) : null,
            created_at: input.message.createdAt,
          })
          .onConflict((oc) => oc.column('id').doNothing())
          .execute();
        await tx
          .updateTable('conversations')
          .set({ ...conversationColumns(input.state), updated_at: sql`now()` })
          .where('id', '=', input.state.conversationId)
          .execute();
        const row = await tx.selectFrom('messages').selectAll().where('id', '=', input.message.id).executeTakeFirstOrThrow();
        return messageRecordFromRow(row);
      });
    },

    /**
     * Send later, at the instant: moves a `scheduled` reply to `queued` (one conditional UPDATE, only
     * from `scheduled`) and writes `state` (the state after the reply) in one transaction.
     * @returns the queued message, or `null` if it was no longer scheduled (nothing written)
     */
    async releaseScheduledMessage(input: { state: ConversationState; messageId: string }): Promise<MessageRecord | null> {
      return db.transaction().execute(async (tx) => {
        const row = await tx
          .updateTable('messages')
          .set({ delivery_status: 'queued', updated_at: sql`now()` })
          .where('id', '=', input.messageId)
          .where('conversation_id', '=', input.state.conversationId)
          .where('delivery_status', '=', 'scheduled')
          .returningAll()
          .executeTakeFirst();
        if (!row) return null;
        await tx
          .updateTable('conversations')
          .set({ ...conversationColumns(input.state), updated_at: sql`now()` })
          .where('id', '=', input.state.conversationId)
          .execute();
        return messageRecordFromRow(row);
      });
    },

    /**
     * Send later: ends a `scheduled` reply without sending it, `canceled` (by staff, or a customer
     * message with `cancelIfCustomerReplies`) or `failed` (a rule at send time, e.g.
     * `whatsapp_session_expired`), with one conditional UPDATE from `scheduled`.
     * @returns the message, or `null` if it was no longer scheduled
     */
    async settleScheduledMessage(input: {
      conversationId: string;
      messageId: string;
      status: 'canceled' | 'failed';
      errorCode: string | null;
      errorMessage: string | null;
    }): Promise<MessageRecord | null> {
      const row = await db
        .updateTable('messages')
        .set({ delivery_status: input.status, error_code: input.errorCode, error_message: input.errorMessage, updated_at: sql`now()` })
        .where('id', '=', input.messageId)
        .where('conversation_id', '=', input.conversationId)
        .where('delivery_status', '=', 'scheduled')
        .returningAll()
        .executeTakeFirst();
      return row ? messageRecordFromRow(row) : null;
    },

    /**
     * Collision guard: the messages stored after `sinceMessageId` in the conversation that are
     * customer messages or replies (not internal notes, not scheduled / canceled) by someone other
     * than `authorId`, oldest first. Called by the workflow under its lock, after it recorded the
     * customer messages it received: every message row of a conversation is written by its
     * workflow, so nothing can be stored between this check and the reply.
     * @returns `found: false` when `sinceMessageId` is not a message of this conversation
     */
    async newActivitySince(input: {
      conversationId: string;
      sinceMessageId: string;
      authorId: string;
    }): Promise<{ found: boolean; messageIds: string[] }> {
      const since = await db
        .selectFrom('messages')
        .select('seq')
        .where('id', '=', input.sinceMessageId)
        .where('conversation_id', '=', input.conversationId)
        .executeTakeFirst();
      if (!since) return { found: false, messageIds: [] };
      const rows = await db
        .selectFrom('messages')
        .select('id')
        .where('conversation_id', '=', input.conversationId)
        .where('seq', '>', since.seq)
        .where((eb) =>
          eb.or([
            eb('direction', '=', 'inbound'),
            eb.and([
              eb('is_internal_note', '=', false),
              eb.or([eb('author_id', 'is', null), eb('author_id', '!=', input.authorId)]),
              wasSaid('delivery_status'),
            ]),
          ]),
        )
        .orderBy('seq')
        .limit(100)
        .execute();
      return { found: true, messageIds: rows.map((r) => r.id) };
    },

    /**
     * A staff member edits their own message: an internal note, or (`scheduled: true`, the workflow
     * still holds it) a scheduled reply not sent yet. In one transaction, with the row locked: the
     * previous text goes to `message_edits`, `text` and `edited_at` change.
     * @returns `outcome`: `edited` (with the message), `not_found`, `not_editable` (a customer message,
     *   or a template reply), `not_scheduled` (a reply no longer held), `not_yours` (another author's)
     */
    async editOwnMessage(input: {
      conversationId: string;
      messageId: string;
      actorId: string;
      text: string;
      scheduled: boolean;
      /** ISO-8601, workflow time. */
      editedAt: string;
    }): Promise<{ outcome: OwnMessageOutcome | 'edited'; message: MessageRecord | null }> {
      return db.transaction().execute(async (tx) => {
        const row = await lockMessage(tx, input.conversationId, input.messageId);
        const refused = ownMessageRefusal(row, input.actorId, input.scheduled);
        if (refused !== null) return { outcome: refused, message: null };
        if (row!.template !== null) return { outcome: 'not_editable', message: null };
        await recordMessageEdit(tx, row!, 'edit', input.actorId, input.editedAt);
        const updated = await tx
          .updateTable('messages')
          .set({ text: input.text.replaceAll('\u0000', ''), edited_at: input.editedAt, updated_at: sql`now()` })
          .where('id', '=', row!.id)
          .returningAll()
          .executeTakeFirstOrThrow();
        return { outcome: 'edited', message: messageRecordFromRow(updated) };
      });
    },

    /**
     * A staff member deletes their own internal note: the row is removed and its text kept in
     * `message_edits` (`action: delete`), in one transaction.
     * @returns `outcome`: `deleted` (with the message as it was), `not_found`, `not_editable` (a
     *   customer message), `not_scheduled` (a reply: cancel it instead), `not_yours`
     */
    async deleteOwnNote(input: {
      conversationId: string;
      messageId: string;
      actorId: string;
      /** ISO-8601, workflow time. */
      deletedAt: string;
    }): Promise<{ outcome: OwnMessageOutcome | 'deleted'; message: MessageRecord | null }> {
      return db.transaction().execute(async (tx) => {
        const row = await lockMessage(tx, input.conversationId, input.messageId);
        const refused = ownMessageRefusal(row, input.actorId, false);
        if (refused !== null) return { outcome: refused, message: null };
        await recordMessageEdit(tx, row!, 'delete', input.actorId, input.deletedAt);
        await tx.deleteFrom('messages').where('id', '=', row!.id).execute();
        return { outcome: 'deleted', message: messageRecordFromRow(row!) };
      });
    },

    /** Writes the conversation's state columns. */
    async saveConversation(state: ConversationState): Promise<void> {
      await db
        .updateTable('conversations')
        .set({ ...conversationColumns(state), updated_at: sql`now()` })
        .where('id', '=', state.conversationId)
        .execute();
    },

    /**
     * Contact merge: the conversation's customer messages stored with `fromContactId` as author get
     * `toContactId` (the merge moved the others already; this catches those a run stored meanwhile).
     */
    async reassignCustomerMessages(input: { conversationId: string; fromContactId: string; toContactId: string }): Promise<void> {
      await db
        .updateTable('messages')
        .set({ author_id: input.toContactId })
        .where('conversation_id', '=', input.conversationId)
        .where('author_type', '=', 'customer')
        .where('author_id', '=', input.fromContactId)
        .execute();
    },

    /** Whether `staffUserId` is a member of `orgId` (assignment rule). */
    async isOrgMember(input: { orgId: string; staffUserId: string }): Promise<boolean> {
      const row = await db
        .selectFrom('staff_users')
        .select('id')
        .where('org_id', '=', input.orgId)
        .where('id', '=', input.staffUserId)
        .executeTakeFirst();
      return row !== undefined;
    },

    /** Whether `teamId` is a team of `orgId` (team assignment rule). */
    async isOrgTeam(input: { orgId: string; teamId: string }): Promise<boolean> {
      const row = await db
        .selectFrom('teams')
        .select('id')
        .where('org_id', '=', input.orgId)
        .where('id', '=', input.teamId)
        .executeTakeFirst();
      return row !== undefined;
    },

    /** Applies a carrier delivery report (monotonic: never moves a status backwards). */
    async applyDeliveryReport(update: DeliveryUpdate): Promise<{ applied: boolean }> {
      return { applied: await applyDeliveryUpdate(db, update) };
    },

    /**
     * Puts an outbound message whose send was not confirmed or failed back in the queue, for a
     * human's explicit retry: only a message of this conversation, not an internal note, with no
     * carrier id, in `unknown` or `failed`. Resets it to `queued` (errors and attempt start cleared)
     * with one conditional UPDATE, so two concurrent retries cannot both succeed.
     * @returns the requeued message, or `null` if it is not in a retryable state (or not found)
     */
    async requeueMessage(input: { conversationId: string; messageId: string }): Promise<MessageRecord | null> {
      const row = await db
        .updateTable('messages')
        .set({ delivery_status: 'queued', error_code: null, error_message: null, send_started_at: null, updated_at: sql`now()` })
        .where('id', '=', input.messageId)
        .where('conversation_id', '=', input.conversationId)
        .where('direction', '=', 'outbound')
        .where('is_internal_note', '=', false)
        .where('provider_message_id', 'is', null)
        .where('delivery_status', 'in', RETRYABLE_DELIVERY_STATUSES)
        .returningAll()
        .executeTakeFirst();
      return row ? messageRecordFromRow(row) : null;
    },
  });
}
