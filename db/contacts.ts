/**
 * Contacts (`contacts`) and their addresses (`contact_identities`, one row per kind and address):
 * created and read by the API and the inbound paths (not conversation state). Every lookup is scoped
 * by `org_id`: another org's contact is simply not found.
 *
 * A contact's `phone` is its `sms` identity, `whatsapp` its `whatsapp` identity, `email` its `email`
 * identity (the earliest of each kind); {@link contactAddressColumns} derives them in a query.
 */
import { randomUUID } from 'node:crypto';
import { type ExpressionBuilder, type RawBuilder, sql } from 'kysely';
import { v5 as uuidv5 } from 'uuid';
import type { ChannelKind } from '../channels/kinds';
import { SWITCHBOARD_NAMESPACE } from '../domain/routing';
import type { Db } from './client';
import type { ContactIdentity, ContactRow, Database } from './schema';

/**
 * The earliest address of `kind` of the contact `contactIdRef` (a column reference such as `ct.id`), as
 * a scalar subquery; `null` when the contact has none.
 */
export function identityAddress(kind: ChannelKind, contactIdRef: string): RawBuilder<string | null> {
  return sql<
    string | null
  >`(select ci.address from contact_identities ci where ci.contact_id = ${sql.ref(contactIdRef)} and ci.kind = ${kind} order by ci.created_at, ci.address limit 1)`;
}

/** Every identity `{ kind, address }` of the contact `contactIdRef`, oldest first, as a json array subquery. */
export function identitiesOf(contactIdRef: string): RawBuilder<ContactIdentity[]> {
  return sql<
    ContactIdentity[]
  >`(select coalesce(json_agg(json_build_object('kind', ci.kind, 'address', ci.address) order by ci.created_at, ci.kind, ci.address), '[]'::json) from contact_identities ci where ci.contact_id = ${sql.ref(contactIdRef)})`;
}

/** The derived address columns of a contact query on `contactIdRef`: `phone` (sms), `whatsapp`, `email`. */
export function contactAddressColumns<P extends string = ''>(contactIdRef: string, prefix: P = '' as P) {
  return [
    identityAddress('sms', contactIdRef).as(`${prefix}phone` as `${P}phone`),
    identityAddress('whatsapp', contactIdRef).as(`${prefix}whatsapp` as `${P}whatsapp`),
    identityAddress('email', contactIdRef).as(`${prefix}email` as `${P}email`),
  ] as const;
}


/** `contacts` with the derived `phone`, `whatsapp`, `email` and `identities` (a {@link ContactRow} query). */
export function selectContacts(db: Db) {
  return db
    .selectFrom('contacts')
    .selectAll('contacts')
    .select([...contactAddressColumns('contacts.id'), identitiesOf('contacts.id').as('identities')]);
}

/** Restricts a `contacts` query to the contact with an identity `kind` = `address`. */
export function hasIdentity(kind: ChannelKind, address: string) {
  return (eb: ExpressionBuilder<Database, 'contacts'>) =>
    eb.exists(
      eb
        .selectFrom('contact_identities as ci')
        .select('ci.id')
        .whereRef('ci.contact_id', '=', 'contacts.id')
        .where('ci.kind', '=', kind)
        .where('ci.address', '=', address),
    );
}

/** The org's contact with this id, or `undefined` if there is none (or it belongs to another org). */
export async function findContact(db: Db, orgId: string, contactId: string): Promise<ContactRow | undefined> {
  return selectContacts(db).where('contacts.org_id', '=', orgId).where('contacts.id', '=', contactId).executeTakeFirst();
}

/** Fields of a new contact; addresses already normalised (E.164 phones, lower-cased email) or `null`. */
export interface NewContact {
  name: string | null;
  phone: string | null;
  email: string | null;
  whatsapp: string | null;
  vip: boolean | undefined;
}

/** Thrown inside the insert transaction when an address is taken (rolls the contact back). */
class AddressTaken extends Error {}

/**
 * Inserts a contact with a fresh id and its identities (`phone` → sms, `whatsapp`, `email`), in one
 * transaction. Returns the stored contact, or `undefined` when an address is already another
 * contact's within the org: nothing is written then.
 */
export async function insertContact(db: Db, orgId: string, contact: NewContact): Promise<ContactRow | undefined> {
  const id = randomUUID();
  const identities: ContactIdentity[] = [
    ...(contact.phone !== null ? [{ kind: 'sms' as const, address: contact.phone }] : []),
    ...(contact.whatsapp !== null ? [{ kind: 'whatsapp' as const, address: contact.whatsapp }] : []),
    ...(contact.email !== null ? [{ kind: 'email' as const, address: contact.email }] : []),
  ];
  try {
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('contacts').values({ id, org_id: orgId, name: contact.name, vip: contact.vip }).execute();
      for (const identity of identities) {
        const added = await trx
          .insertInto('contact_identities')
          .values({ org_id: orgId, contact_id: id, ...identity })
          .onConflict((oc) => oc.doNothing())
          .returning('id')
          .executeTakeFirst();
        if (!added) throw new AddressTaken();
      }
    });
  } catch (err) {
    if (err instanceof AddressTaken) return undefined;
    throw err;
  }
  return findContact(db, orgId, id);
}

/** The id of the org's contact with the identity `kind` = `address`, or `undefined`. */
async function contactIdByIdentity(db: Db, orgId: string, kind: ChannelKind, address: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('contact_identities')
    .select('contact_id')
    .where('org_id', '=', orgId)
    .where('kind', '=', kind)
    .where('address', '=', address)
    .executeTakeFirst();
  return row?.contact_id;
}

/**
 * Adds the identity `kind` = `address` to a contact unless the org already has it (on any contact).
 * @returns the id of the contact that holds the identity now
 */
export async function addContactIdentity(db: Db, orgId: string, contactId: string, kind: ChannelKind, address: string): Promise<string> {
  await db
    .insertInto('contact_identities')
    .values({ org_id: orgId, contact_id: contactId, kind, address })
    .onConflict((oc) => oc.doNothing())
    .execute();
  const holder = await contactIdByIdentity(db, orgId, kind, address);
  if (holder === undefined) throw new Error('contact identity vanished after insert');
  return holder;
}

/**
 * The id of the org's contact with the identity `kind` = `address`, trying `alsoKinds` next (a
 * WhatsApp sender already known by its phone number is the same person: its `sms` identity), and
 * creating the contact (with `name`) if there is none. The found contact gets the `kind` identity;
 * a created one gets `kind` and every `alsoKinds` identity of `address` (a new WhatsApp contact's
 * number is its phone number too). Race-free: a new contact's id is derived from org and address, so
 * concurrent first messages converge on one row (`ON CONFLICT DO NOTHING`, then re-read).
 */
export async function findOrCreateContactByIdentity(
  db: Db,
  orgId: string,
  kind: ChannelKind,
  address: string,
  opts: { name: string | null; alsoKinds?: readonly ChannelKind[] },
): Promise<string> {
  const alsoKinds = (opts.alsoKinds ?? []).filter((k) => k !== kind);
  for (const k of [kind, ...alsoKinds]) {
    const found = await contactIdByIdentity(db, orgId, k, address);
    if (found === undefined) continue;
    if (k !== kind) await addContactIdentity(db, orgId, found, kind, address);
    return found;
  }
  const id = uuidv5(`${orgId}|contact|${address}`, SWITCHBOARD_NAMESPACE);
  await db
    .insertInto('contacts')
    .values({ id, org_id: orgId, name: opts.name })
    .onConflict((oc) => oc.doNothing())
    .execute();
  const holder = await addContactIdentity(db, orgId, id, kind, address);
  if (holder !== id) {
    // another contact took the address meanwhile (e.g. created by the API): drop ours if it is bare
    await db
      .deleteFrom('contacts')
      .where('id', '=', id)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('contact_identities as ci')
              .select('ci.id')
              .where('ci.contact_id', '=', id)
              .union(selectFrom('conversations as cv').select('cv.id').where('cv.contact_id', '=', id)),
          ),
        ),
      )
      .execute();
  }
  for (const k of alsoKinds) await addContactIdentity(db, orgId, holder, k, address);
  return holder;
}

/**
 * The id of the org's contact with this email address (trimmed, lower-cased), creating it (with
 * `name`) if there is none. Race-free (see {@link findOrCreateContactByIdentity}).
 */
export async function findOrCreateContactByEmail(db: Db, orgId: string, email: string, name: string | null): Promise<string> {
  return findOrCreateContactByIdentity(db, orgId, 'email', email.trim().toLowerCase(), { name });
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
    .where(sql<string>`lower(${identityAddress('email', 'contacts.id')})`, '=', email.toLowerCase())
    .execute();
}
