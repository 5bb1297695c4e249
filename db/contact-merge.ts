/**
 * Contact merge (`POST /v1/contacts/:id/merge`): the other contact's identities, conversations and
 * customer messages move to the kept contact, and the other contact is deleted, in one transaction.
 *
 * Concurrency: both contact rows are locked `FOR UPDATE` (in id order, so two opposite merges cannot
 * deadlock) before anything moves. A webhook creating a conversation for the other contact at the
 * same moment inserts a `conversations` row whose foreign-key check takes `FOR KEY SHARE` on the other
 * contact's row, which conflicts with our lock:
 * - if the insert came first, our lock waits for its commit and the `UPDATE conversations` (a new
 *   snapshot per statement under READ COMMITTED) moves the new conversation too;
 * - if our lock came first, the insert waits for our commit and then fails the foreign key (the row is
 *   gone); the run's `loadConversation` activity resolves the address again (now the kept contact's
 *   identity) and inserts with it (activities/conversation-store.ts).
 * Identities move by `UPDATE`, so the org-wide unique `(org_id, kind, address)` never sees a duplicate
 * (two contacts of one org cannot share an address: there is nothing to de-duplicate).
 */
import { sql } from 'kysely';
import type { Transaction } from 'kysely';
import type { Db } from './client';
import { findContact } from './contacts';
import type { ContactRow, Database } from './schema';

/** The outcome of {@link mergeContacts}. */
export type MergeContactsResult =
  | {
      status: 'merged';
      /** Both contacts as they were before the merge. */
      before: { contact: ContactRow; other: ContactRow };
      /** The kept contact afterwards. */
      contact: ContactRow;
      /** Ids of the conversations that moved (their runs must adopt the new contact). */
      movedConversationIds: string[];
    }
  /** Either contact is not the org's (or does not exist): nothing changed. */
  | { status: 'not_found' };

/**
 * Merges org `orgId`'s contact `otherId` into `contactId` (the caller rejects `contactId === otherId`):
 * identities, conversations and the customer messages' `author_id` move; the kept contact keeps its
 * name (takes the other's when it has none), is VIP if either was; the other contact is deleted.
 * See the module comment for the locking.
 */
export async function mergeContacts(
  db: Db,
  orgId: string,
  contactId: string,
  otherId: string,
  /** Runs inside the transaction after the merge (the audit row commits with it). */
  onMerged?: (trx: Transaction<Database>, merged: Extract<MergeContactsResult, { status: 'merged' }>) => Promise<void>,
): Promise<MergeContactsResult> {
  return db.transaction().execute(async (trx) => {
    const locked = await trx
      .selectFrom('contacts')
      .select(['id', 'name', 'vip'])
      .where('org_id', '=', orgId)
      .where('id', 'in', [contactId, otherId])
      .orderBy('id')
      .forUpdate()
      .execute();
    if (locked.length !== 2) return { status: 'not_found' as const };
    const contactBefore = await findContact(trx, orgId, contactId);
    const otherBefore = await findContact(trx, orgId, otherId);
    if (!contactBefore || !otherBefore) return { status: 'not_found' as const };

    await trx.updateTable('contact_identities').set({ contact_id: contactId }).where('contact_id', '=', otherId).execute();
    const moved = await trx
      .updateTable('conversations')
      .set({ contact_id: contactId, updated_at: sql`now()` })
      .where('org_id', '=', orgId)
      .where('contact_id', '=', otherId)
      .returning('id')
      .execute();
    await trx
      .updateTable('messages')
      .set({ author_id: contactId })
      .where('org_id', '=', orgId)
      .where('author_type', '=', 'customer')
      .where('author_id', '=', otherId)
      .execute();
    await trx
      .updateTable('contacts')
      .set({
        name: contactBefore.name ?? otherBefore.name,
        vip: contactBefore.vip || otherBefore.vip,
        updated_at: sql`now()`,
      })
      .where('id', '=', contactId)
      .execute();
    await trx.deleteFrom('contacts').where('id', '=', otherId).execute();
    const contact = await findContact(trx, orgId, contactId);
    if (!contact) throw new Error('merged contact vanished inside its transaction');
    const merged = {
      status: 'merged' as const,
      before: { contact: contactBefore, other: otherBefore },
      contact,
      movedConversationIds: moved.map((r) => r.id),
    };
    await onMerged?.(trx, merged);
    return merged;
  });
}

/** A merge as its audit row (`contact.merge`) recorded it. */
export interface RecordedMerge {
  /** The audit row's id: names this merge (the broadcast workflow's id derives from it). */
  auditId: string;
  /** Ids of the conversations the merge moved. */
  movedConversationIds: string[];
}

/**
 * The merge of `otherId` into org `orgId`'s contact `contactId` that already happened, from its audit
 * row (`contact.merge`): the newest such merge, or the one of audit row `auditId` when given (the
 * contact-change broadcast reads exactly the merge it was started for). A repeated merge request uses
 * it to answer again and start the broadcast it may not have started. `undefined` when there was no
 * such merge. The row survives an erase of `contactId` (ids only, see db/contact-erase.ts).
 */
export async function previousMerge(
  db: Db,
  orgId: string,
  contactId: string,
  otherId: string,
  auditId?: string,
): Promise<RecordedMerge | undefined> {
  let q = db
    .selectFrom('audit_log')
    .select(['id', 'before', 'after'])
    .where('org_id', '=', orgId)
    .where('action', '=', 'contact.merge')
    .where('target_type', '=', 'contact')
    .where('target_id', '=', contactId);
  if (auditId !== undefined) q = q.where('id', '=', auditId);
  const rows = await q.orderBy('created_at', 'desc').execute();
  for (const { id, before, after } of rows) {
    const other = before?.other as { id?: unknown } | undefined;
    if (other?.id !== otherId || !Array.isArray(after?.movedConversationIds)) continue;
    return { auditId: id, movedConversationIds: after.movedConversationIds.filter((c): c is string => typeof c === 'string') };
  }
  return undefined;
}
