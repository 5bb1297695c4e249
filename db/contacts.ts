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
import { type ChannelKind, kindSpec } from '../channels/kinds';
import { SWITCHBOARD_NAMESPACE } from '../domain/routing';
import type { Db } from './client';
import { exactIso, splitPage } from './keyset';
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

/**
 * The org's contact with this id, or `undefined` if there is none (or it belongs to another org, or it
 * is an erased contact's anonymous stand-in: `erased_at` set, see db/contact-erase.ts).
 */
export async function findContact(db: Db, orgId: string, contactId: string): Promise<ContactRow | undefined> {
  return selectContacts(db)
    .where('contacts.org_id', '=', orgId)
    .where('contacts.id', '=', contactId)
    .where('contacts.erased_at', 'is', null)
    .executeTakeFirst();
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

/** Keyset position in the contact list order (newest first): `created_at` exact ISO-8601 UTC (µs) and the id. */
export interface ContactCursor {
  createdAt: string;
  id: string;
}

/**
 * The kinds a contact can have an identity of: every kind some kind's `identityKinds` names (every kind
 * but `chat`: web-chat visitors have no address). A test checks it against `CHANNEL_KIND_SPECS`.
 */
export const IDENTITY_KINDS = ['sms', 'whatsapp', 'email', 'telegram'] as const satisfies readonly ChannelKind[];
/** A kind a contact can have an identity of. */
export type IdentityKind = (typeof IDENTITY_KINDS)[number];

/** Phone kinds: a digits-only query matches their addresses as a substring (`5550143` → `+12025550143`). */
const PHONE_KINDS: readonly ChannelKind[] = ['sms', 'whatsapp'];

/** `value` as a `LIKE` / `ILIKE` literal (`\`, `%`, `_` escaped with Postgres' default escape `\`). */
function likeLiteral(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * The ids of org `orgId`'s contacts that a search for `q` (trimmed, non-empty) finds, as a subquery:
 * - the name contains `q`, case-insensitively (`ILIKE`; the trigram index serves 3+ characters); a
 *   Telegram contact's name carries `(@username)`, so `@username` finds it;
 * - an identity address contains `q`, case-insensitively (addresses are normalised: lower-cased email,
 *   E.164, Telegram chat ids);
 * - an identity equals `q` normalised by its kind (`+1 (202) 555-0143` → the `sms` / `whatsapp`
 *   identity `+12025550143`; `Ada@Example.COM` → the email; ` 123456 ` → the Telegram chat id);
 * - `q` looks like a phone number (digits, spaces, `+().-`) with 3+ digits: a phone identity
 *   containing its digits (`(202) 555-0143` → `+12025550143`).
 */
function contactIdsMatching(db: Db, orgId: string, q: string) {
  const pattern = `%${likeLiteral(q)}%`;
  const exact = IDENTITY_KINDS.flatMap((kind) => {
    const address = kindSpec(kind).normalizeAddress(q);
    return address === null ? [] : [{ kind, address }];
  });
  const digits = /^\+?[\d\s().-]+$/.test(q) ? q.replace(/\D/g, '') : '';
  return db
    .selectFrom('contacts as c')
    .select('c.id')
    .where('c.org_id', '=', orgId)
    .where('c.name', 'ilike', pattern)
    .union(
      db
        .selectFrom('contact_identities as ci')
        .select('ci.contact_id as id')
        .where('ci.org_id', '=', orgId)
        .where((eb) =>
          eb.or([
            eb('ci.address', 'ilike', pattern),
            ...exact.map(({ kind, address }) => eb.and([eb('ci.kind', '=', kind), eb('ci.address', '=', address)])),
            ...(digits.length >= 3 ? [eb.and([eb('ci.kind', 'in', PHONE_KINDS), eb('ci.address', 'like', `%${digits}%`)])] : []),
          ]),
        ),
    );
}

/**
 * One page of org `orgId`'s contacts (erased contacts' stand-ins left out), newest first, keyset-paginated on the exact `(created_at, id)`
 * (the `contacts_org_created_idx` order: pages stay stable while contacts are added), optionally only
 * those a search for `q` finds (see {@link contactIdsMatching}; a blank `q` = no search).
 * @param page `limit` contacts per page (the caller bounds it) and the cursor of the previous page
 * @returns up to `limit` contacts (as {@link findContact} reads them) and the cursor of the last one
 *   when more may follow (else `null`)
 */
export async function listContacts(
  db: Db,
  orgId: string,
  filters: { q?: string },
  page: { limit: number; cursor?: ContactCursor },
): Promise<{ contacts: ContactRow[]; next: ContactCursor | null }> {
  let query = selectContacts(db)
    .select(exactIso('contacts.created_at').as('cursor_created_at'))
    .where('contacts.org_id', '=', orgId)
    .where('contacts.erased_at', 'is', null);
  const q = filters.q?.trim() ?? '';
  if (q !== '') query = query.where('contacts.id', 'in', contactIdsMatching(db, orgId, q));
  if (page.cursor) {
    query = query.where(
      sql<boolean>`(contacts.created_at, contacts.id) < (${page.cursor.createdAt}::timestamptz, ${page.cursor.id}::uuid)`,
    );
  }
  const rows = await query
    .orderBy('contacts.created_at', 'desc')
    .orderBy('contacts.id', 'desc')
    .limit(page.limit + 1)
    .execute();
  const { page: pageRows, last } = splitPage(rows, page.limit);
  return {
    contacts: pageRows.map(({ cursor_created_at: _cursor, ...row }) => row),
    next: last ? { createdAt: last.cursor_created_at, id: last.id } : null,
  };
}

/** A change to a contact: only the given fields change. Identities already normalised by their kind. */
export interface ContactPatch {
  /** `null` clears the name. */
  name?: string | null;
  vip?: boolean;
  /** The complete new list (replace semantics), in priority order; duplicates are dropped. */
  identities?: readonly ContactIdentity[];
}

/** The outcome of {@link updateContact}. */
export type UpdateContactResult =
  | { status: 'updated'; contact: ContactRow }
  | { status: 'not_found' }
  /** `identity` belongs to the org's contact `contactId`: nothing was written. */
  | { status: 'identity_taken'; identity: ContactIdentity; contactId: string };

/** Thrown inside the update transaction when an identity is another contact's (rolls everything back). */
class IdentityTaken extends Error {
  constructor(
    readonly identity: ContactIdentity,
    readonly holder: string,
  ) {
    super('identity taken');
  }
}

/**
 * Updates org `orgId`'s contact `contactId` in one transaction (the contact row locked): `name`,
 * `vip`, and with `identities` its identities become exactly that list: identities not in it are
 * deleted, identities already held are kept as they are (their age too), new ones are inserted in list
 * order (so the first new address of a kind becomes the contact's `phone` / `whatsapp` / `email` when
 * it kept none of that kind). An empty list removes every identity. When the contact's `email` changes,
 * its bounce flag (`email_bounced_at`, `email_bounce_reason`) is cleared: it belonged to the old address.
 * `updated_at` is set to now.
 * @returns the updated contact; `not_found` when the org has no such contact; `identity_taken` when a
 *   new identity belongs to another contact of the org (the `(org_id, kind, address)` unique index):
 *   nothing is written then
 */
export async function updateContact(db: Db, orgId: string, contactId: string, patch: ContactPatch): Promise<UpdateContactResult> {
  try {
    return await db.transaction().execute(async (trx): Promise<UpdateContactResult> => {
      const locked = await trx
        .selectFrom('contacts')
        .select(['id', identityAddress('email', 'contacts.id').as('email')])
        .where('org_id', '=', orgId)
        .where('id', '=', contactId)
        .where('erased_at', 'is', null)
        .forUpdate()
        .executeTakeFirst();
      if (!locked) return { status: 'not_found' };
      await trx
        .updateTable('contacts')
        .set({
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          ...(patch.vip !== undefined ? { vip: patch.vip } : {}),
          updated_at: sql`now()`,
        })
        .where('id', '=', contactId)
        .execute();
      if (patch.identities !== undefined) {
        await replaceIdentities(trx, orgId, contactId, patch.identities);
        await trx
          .updateTable('contacts')
          .set({ email_bounced_at: null, email_bounce_reason: null })
          .where('id', '=', contactId)
          .where(sql<boolean>`${identityAddress('email', 'contacts.id')} is distinct from ${locked.email}`)
          .execute();
      }
      const contact = await findContact(trx, orgId, contactId);
      if (!contact) throw new Error('contact vanished inside its update transaction');
      return { status: 'updated', contact };
    });
  } catch (err) {
    if (err instanceof IdentityTaken) return { status: 'identity_taken', identity: err.identity, contactId: err.holder };
    throw err;
  }
}

/** A comparable key of an identity (its kind and address). */
const identityKey = (i: ContactIdentity) => JSON.stringify([i.kind, i.address]);

/**
 * Makes the contact's identities exactly `wanted` (see {@link updateContact}); inside its transaction.
 * @throws IdentityTaken when a new identity is another contact's
 */
async function replaceIdentities(trx: Db, orgId: string, contactId: string, wanted: readonly ContactIdentity[]): Promise<void> {
  const current = await trx
    .selectFrom('contact_identities')
    .select(['id', 'kind', 'address'])
    .where('contact_id', '=', contactId)
    .execute();
  const wantedKeys = new Set(wanted.map(identityKey));
  const removed = current.filter((i) => !wantedKeys.has(identityKey(i))).map((i) => i.id);
  if (removed.length > 0) await trx.deleteFrom('contact_identities').where('id', 'in', removed).execute();
  const held = new Set(current.map(identityKey));
  for (const identity of wanted) {
    const key = identityKey(identity);
    if (held.has(key)) continue;
    held.add(key);
    await insertNewIdentity(trx, orgId, contactId, identity);
  }
}

/**
 * Inserts the identity for the contact (`created_at` = `clock_timestamp()`, not `now()`: each new
 * identity of a transaction is younger than the one inserted before it).
 * @throws IdentityTaken when another contact of the org holds it (a concurrent holder's insert is
 *   waited for by the unique index; one whose row vanished meanwhile gets a second attempt)
 */
async function insertNewIdentity(trx: Db, orgId: string, contactId: string, identity: ContactIdentity): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const added = await trx
      .insertInto('contact_identities')
      .values({ org_id: orgId, contact_id: contactId, ...identity, created_at: sql`clock_timestamp()` })
      .onConflict((oc) => oc.doNothing())
      .returning('id')
      .executeTakeFirst();
    if (added) return;
    const holder = await contactIdByIdentity(trx, orgId, identity.kind, identity.address);
    if (holder !== undefined) throw new IdentityTaken(identity, holder);
  }
  throw new Error(`identity ${identity.kind} ${identity.address} neither inserted nor held`);
}
