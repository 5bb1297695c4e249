/**
 * Contact erase (GDPR, `DELETE /v1/contacts/:id`): the contact's personal data leaves Postgres in one
 * transaction (the contact row locked `FOR UPDATE`); the caller then deletes the attachment bytes from
 * the blob store and starts the durable broadcast that purges the running workflows' state
 * (`contactErased` update; workflows/contact-change-broadcast.ts).
 *
 * What is erased, in every conversation of the contact:
 * - every message's text becomes {@link ERASED_TEXT}, customer messages AND staff / AI replies and
 *   internal notes (a reply quotes names, addresses, order numbers as often as the customer does);
 *   attachments lists become empty, email envelopes / bodies (`email`, `email_recipients`) and carrier
 *   error messages `null`; edit history (`message_edits`) is deleted; replies not sent yet
 *   (`scheduled`, `queued`) become `canceled` (they would otherwise go out as the tombstone);
 * - the attachment rows those messages named get the name {@link ERASED_TEXT} and no `Content-ID`;
 *   their bytes' storage keys are returned for the caller to delete;
 * - AI drafts' text (`ai_suggestions.reply`, `handoff_reason`);
 * - the conversation's `subject` and `last_message_preview`;
 * - the names and addresses in the audit rows of merges into the contact (`contact.merge`: ids kept).
 * Kept: ids, timestamps, statuses, delivery states, provider message ids (carrier redeliveries of an
 * erased message must still be recognised as duplicates), tags, assignments: the metrics stay.
 *
 * The contact row and its identities are deleted. Its conversations must keep a contact
 * (`conversations.contact_id` is `NOT NULL` with a foreign key), so they move to a fresh anonymous
 * stand-in (random id, no name, no identities, `erased_at` set), one per erase. The erased id is not
 * kept: a later message from the same address (an SMS / WhatsApp / Telegram message, whose webhook
 * passes the sender's address as `InboundMessage.from`; an email reply routed into the erased thread)
 * finds no contact and creates a fresh one, which the conversation then points at: when the run records
 * it, whenever the conversation's stored contact is an erased stand-in, whether the run was started by
 * that message, by a staff command after the erase, or is still the one the erase's broadcast has not
 * reached (`adoptSenderAfterErase` in activities/conversation-store.ts). A redelivery of an erased
 * message is a duplicate and moves nothing. The fresh contact may get the erased id again (a carrier or
 * email contact's id derives from org and address): the run remembers the stand-in it left and ignores
 * this erase's `contactErased` arriving after that (workflows/conversation/contract.ts).
 */
import { randomUUID } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import type { Db } from './client';
import type { Database } from './schema';

/** The text an erased message keeps (and an erased attachment's name). */
export const ERASED_TEXT = '[erased]';

/** What an erase changed: the caller deletes `blobKeys` and tells the runs of `conversationIds`. */
export interface ErasedContact {
  contactId: string;
  /** The anonymous contact the conversations point at now. */
  standInContactId: string;
  conversationIds: string[];
  /** How many messages were tombstoned. */
  messageCount: number;
  /** Attachment ids whose rows were tombstoned. */
  attachmentIds: string[];
  /** Blob-store keys of those attachments' bytes (to delete after the commit). */
  blobKeys: string[];
}

/**
 * Erases org `orgId`'s contact `contactId` (see the module comment); `onErased` runs inside the
 * transaction (the audit row commits with the erase).
 * @returns `undefined` when the org has no such contact (or it is an erased stand-in): nothing changed
 */
export async function eraseContact(
  db: Db,
  orgId: string,
  contactId: string,
  onErased?: (trx: Transaction<Database>, erased: ErasedContact) => Promise<void>,
): Promise<ErasedContact | undefined> {
  return db.transaction().execute(async (trx) => {
    const locked = await trx
      .selectFrom('contacts')
      .select('id')
      .where('org_id', '=', orgId)
      .where('id', '=', contactId)
      .where('erased_at', 'is', null)
      .forUpdate()
      .executeTakeFirst();
    if (!locked) return undefined;

    const standInContactId = randomUUID();
    await trx
      .insertInto('contacts')
      .values({ id: standInContactId, org_id: orgId, name: null, erased_at: sql`now()` })
      .execute();
    const conversations = await trx
      .updateTable('conversations')
      .set({ contact_id: standInContactId, subject: null, last_message_preview: null, updated_at: sql`now()` })
      .where('org_id', '=', orgId)
      .where('contact_id', '=', contactId)
      .returning('id')
      .execute();
    const conversationIds = conversations.map((c) => c.id);

    let messageCount = 0;
    let attachmentIds: string[] = [];
    let blobKeys: string[] = [];
    if (conversationIds.length > 0) {
      const named = await trx
        .selectFrom('messages')
        .select(sql<string>`jsonb_array_elements(attachments) ->> 'attachmentId'`.as('attachment_id'))
        .where('conversation_id', 'in', conversationIds)
        .execute();
      const ids = [...new Set(named.map((r) => r.attachment_id).filter((id): id is string => typeof id === 'string'))];
      if (ids.length > 0) {
        const rows = await trx
          .updateTable('attachments')
          .set({ name: ERASED_TEXT, content_id: null })
          .where('org_id', '=', orgId)
          .where('id', 'in', ids)
          .returning(['id', 'storage_key'])
          .execute();
        attachmentIds = rows.map((r) => r.id);
        blobKeys = rows.map((r) => r.storage_key);
      }
      const erased = await trx
        .updateTable('messages')
        .set({
          text: ERASED_TEXT,
          attachments: '[]',
          email: null,
          email_recipients: null,
          error_message: null,
          author_id: sql`case when author_type = 'customer' then ${standInContactId}::uuid::text else author_id end`,
          delivery_status: sql`case when delivery_status in ('scheduled', 'queued') then 'canceled' else delivery_status end`,
          updated_at: sql`now()`,
        })
        .where('conversation_id', 'in', conversationIds)
        .executeTakeFirst();
      messageCount = Number(erased.numUpdatedRows);
      await trx.deleteFrom('message_edits').where('conversation_id', 'in', conversationIds).execute();
      await trx
        .updateTable('ai_suggestions')
        .set({ reply: ERASED_TEXT, handoff_reason: null })
        .where('conversation_id', 'in', conversationIds)
        .execute();
      // copies of drafts and sent replies (the training-pair export) and todo titles quote the customer too
      await trx
        .updateTable('ai_training_pairs')
        .set({ draft: ERASED_TEXT, sent: ERASED_TEXT })
        .where('org_id', '=', orgId)
        .where('conversation_id', 'in', conversationIds)
        .execute();
      await trx
        .updateTable('todos')
        .set({ title: ERASED_TEXT, updated_at: sql`now()` })
        .where('org_id', '=', orgId)
        .where('source_type', '=', 'inbox')
        .where('source_id', 'in', conversationIds)
        .execute();
    }
    // merges into this contact were audited with both contacts' names and addresses: keep ids only
    await trx
      .updateTable('audit_log')
      .set({
        before: sql`jsonb_build_object('contact', jsonb_build_object('id', target_id), 'other', jsonb_build_object('id', before -> 'other' -> 'id'))`,
        after: sql`jsonb_build_object('movedConversationIds', after -> 'movedConversationIds', 'erased', true)`,
      })
      .where('org_id', '=', orgId)
      .where('action', '=', 'contact.merge')
      .where('target_type', '=', 'contact')
      .where('target_id', '=', contactId)
      .execute();
    // identities go with the row (`on delete cascade`)
    await trx.deleteFrom('contacts').where('id', '=', contactId).execute();
    const erased: ErasedContact = { contactId, standInContactId, conversationIds, messageCount, attachmentIds, blobKeys };
    await onErased?.(trx, erased);
    return erased;
  });
}

/** An erase as its audit row (`contact.erase`) recorded it (ids only). */
export interface RecordedErase {
  /** The audit row's id: names this erase (the broadcast workflow's id derives from it). */
  auditId: string;
  /** The anonymous contact the conversations were moved to. */
  standInContactId: string;
  conversationIds: string[];
  /**
   * When the erase happened (ISO-8601): the audit row's `created_at`, Postgres `now()` of the erase's
   * transaction (which commits right after). The broadcast's `contactErased` carries it.
   */
  erasedAt: string;
}

/**
 * The erase of org `orgId`'s contact `contactId` that already happened, from its audit row
 * (`contact.erase`): the newest erase of that id, or the one of audit row `auditId` when given (a
 * contact id can be erased twice: a carrier contact's id derives from its address). A repeated
 * `DELETE` uses it to answer again and start the purge's broadcast it may not have started.
 * `undefined` when the org never erased that id.
 */
export async function previousErase(db: Db, orgId: string, contactId: string, auditId?: string): Promise<RecordedErase | undefined> {
  let q = db
    .selectFrom('audit_log')
    .select(['id', 'after', 'created_at'])
    .where('org_id', '=', orgId)
    .where('action', '=', 'contact.erase')
    .where('target_type', '=', 'contact')
    .where('target_id', '=', contactId);
  if (auditId !== undefined) q = q.where('id', '=', auditId);
  const row = await q.orderBy('created_at', 'desc').limit(1).executeTakeFirst();
  const after = row?.after;
  if (!row || !after || typeof after.standInContactId !== 'string' || !Array.isArray(after.conversationIds)) return undefined;
  return {
    auditId: row.id,
    standInContactId: after.standInContactId,
    conversationIds: after.conversationIds.filter((id): id is string => typeof id === 'string'),
    erasedAt: new Date(row.created_at).toISOString(),
  };
}
