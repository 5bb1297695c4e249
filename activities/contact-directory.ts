/**
 * Finds or creates the contact behind a customer's address (called by the conversation workflow's
 * `loadConversation` activity, so a carrier webhook needs no Postgres), race-free: concurrent first
 * messages of a new contact converge on one row (db/contacts.ts `findOrCreateContactByIdentity`).
 */
import { type ChannelKind, isChannelKind, kindSpec } from '../channels/kinds';
import type { Db } from '../db/client';
import { findOrCreateContactByIdentity } from '../db/contacts';

/**
 * The id of the org's contact for an address on `kind`, looked up by the kind's contact fields in
 * preference order (a WhatsApp sender: its `whatsapp` identity, else the contact with that phone
 * number, which gets the `whatsapp` identity: same person). A new contact takes `profileName` (the
 * WhatsApp `ProfileName`) as its name and every identity of those fields.
 */
export async function findOrCreateContactByPhone(
  db: Db,
  orgId: string,
  kind: ChannelKind,
  phone: string,
  profileName: string | null,
): Promise<string> {
  const kinds = kindSpec(kind).identityKinds.filter(isChannelKind);
  return findOrCreateContactByIdentity(db, orgId, kind, phone, { name: profileName, alsoKinds: kinds });
}
