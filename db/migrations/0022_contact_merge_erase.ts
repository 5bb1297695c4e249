import { type Kysely, sql } from 'kysely';

/**
 * Contact erase (`DELETE /v1/contacts/:id`, issue 11): `contacts.erased_at` (timestamptz, null) marks
 * the anonymous stand-in an erased contact's conversations point at (the erased contact's row and
 * identities are deleted; the conversations keep a contact because `conversations.contact_id` is
 * `NOT NULL` with a foreign key). Stand-ins are left out of the contact list and lookups; a carrier
 * message to a conversation whose contact is a stand-in finds or creates a fresh contact.
 * Merge needs no schema change.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table contacts add column erased_at timestamptz`.execute(db);
}

/** Drops `contacts.erased_at` (stand-ins stay as nameless contacts without identities). */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table contacts drop column if exists erased_at`.execute(db);
}
