/**
 * Contacts (`contacts`): created and read by the API (not conversation state). Every lookup is
 * scoped by `org_id`: another org's contact is simply not found.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { v5 as uuidv5 } from 'uuid';
import { SWITCHBOARD_NAMESPACE } from '../domain/routing';
import type { Db } from './client';
import type { ContactRow } from './schema';

/** The org's contact with this id, or `undefined` if there is none (or it belongs to another org). */
export async function findContact(db: Db, orgId: string, contactId: string): Promise<ContactRow | undefined> {
  return db.selectFrom('contacts').selectAll().where('org_id', '=', orgId).where('id', '=', contactId).executeTakeFirst();
}

/** Fields of a new contact; addresses already normalised (E.164 phones, lower-cased email) or `null`. */
export interface NewContact {
  name: string | null;
  phone: string | null;
  email: string | null;
  whatsapp: string | null;
  vip: boolean | undefined;
}

/**
 * Inserts a contact with a fresh id. Returns the stored row, or `undefined` when a unique address
 * (phone, WhatsApp number or email within the org) is already taken: nothing is written then.
 */
export async function insertContact(db: Db, orgId: string, contact: NewContact): Promise<ContactRow | undefined> {
  return db
    .insertInto('contacts')
    .values({
      id: randomUUID(),
      org_id: orgId,
      name: contact.name,
      phone: contact.phone,
      email: contact.email,
      whatsapp: contact.whatsapp,
      vip: contact.vip,
    })
    .onConflict((oc) => oc.doNothing())
    .returningAll()
    .executeTakeFirst();
}

/**
 * The id of the org's contact with this email address (trimmed, lower-cased), creating it (with
 * `name`) if there is none. Race-free: the id is derived from org and address, a concurrent insert
 * is ignored and the row re-read. Throws only if the row vanished right after the insert.
 */
export async function findOrCreateContactByEmail(db: Db, orgId: string, email: string, name: string | null): Promise<string> {
  const address = email.trim().toLowerCase();
  const find = () => db.selectFrom('contacts').select('id').where('org_id', '=', orgId).where('email', '=', address).executeTakeFirst();
  const existing = await find();
  if (existing) return existing.id;
  await db
    .insertInto('contacts')
    .values({
      id: uuidv5(`${orgId}|contact|${address}`, SWITCHBOARD_NAMESPACE),
      org_id: orgId,
      email: address,
      name,
      phone: null,
      whatsapp: null,
    })
    .onConflict((oc) => oc.doNothing())
    .execute();
  const created = await find();
  if (!created) throw new Error('contact vanished after insert');
  return created.id;
}

/**
 * Flags a contact's email address as bounced (`email_bounced_at` = now, `email_bounce_reason`),
 * only if the contact's current email still equals `email` (case-insensitively); otherwise no-op.
 */
export async function markContactEmailBounced(db: Db, contactId: string, email: string, reason: string): Promise<void> {
  await db
    .updateTable('contacts')
    .set({ email_bounced_at: sql`now()`, email_bounce_reason: reason, updated_at: sql`now()` })
    .where('id', '=', contactId)
    .where(sql<string>`lower(email)`, '=', email.toLowerCase())
    .execute();
}
