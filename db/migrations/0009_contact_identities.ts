import { type Kysely, sql } from 'kysely';

/**
 * Contact identities: a contact's addresses become rows of `contact_identities (kind, address)`, one
 * per channel kind and address, instead of the `contacts.phone` / `whatsapp` / `email` columns, so a
 * new channel kind needs no new contact column.
 *
 * - `contact_identities (id, org_id, contact_id → contacts on delete cascade, kind, address, created_at)`,
 *   `unique (org_id, kind, address)`: an address belongs to one contact of an org (as the three
 *   `contacts_org_*_key` constraints guaranteed); `address` is normalised (E.164, lower-cased email).
 * - every `phone` becomes an `sms` identity, every `whatsapp` a `whatsapp` identity, every `email` an
 *   `email` identity (with the contact's `created_at`); then the three columns and their unique
 *   constraints are dropped. `email_bounced_at` / `email_bounce_reason` stay on `contacts`.
 *
 * `down` restores the columns from the identities (a contact's earliest identity of each kind).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('contact_identities')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('contact_id', 'uuid', (c) => c.notNull().references('contacts.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull().check(sql`address <> ''`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('contact_identities_org_kind_address_key', ['org_id', 'kind', 'address'])
    .execute();
  await db.schema.createIndex('contact_identities_contact_idx').on('contact_identities').columns(['contact_id', 'kind']).execute();
  await sql`
    insert into contact_identities (org_id, contact_id, kind, address, created_at)
    select org_id, id, 'sms', phone, created_at from contacts where phone is not null
    union all
    select org_id, id, 'whatsapp', whatsapp, created_at from contacts where whatsapp is not null
    union all
    select org_id, id, 'email', email, created_at from contacts where email is not null
  `.execute(db);
  // dropping the columns drops their unique constraints (contacts_org_{phone,whatsapp,email}_key) too
  await db.schema.alterTable('contacts').dropColumn('phone').dropColumn('whatsapp').dropColumn('email').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('contacts').addColumn('phone', 'text').addColumn('email', 'text').addColumn('whatsapp', 'text').execute();
  for (const [kind, column] of [
    ['sms', 'phone'],
    ['whatsapp', 'whatsapp'],
    ['email', 'email'],
  ] as const) {
    await sql`
      update contacts c set ${sql.ref(column)} = (
        select i.address from contact_identities i
        where i.contact_id = c.id and i.kind = ${kind}
        order by i.created_at, i.address limit 1
      )
    `.execute(db);
  }
  await sql`
    alter table contacts
      add constraint contacts_org_phone_key unique (org_id, phone),
      add constraint contacts_org_whatsapp_key unique (org_id, whatsapp),
      add constraint contacts_org_email_key unique (org_id, email)
  `.execute(db);
  await db.schema.dropTable('contact_identities').execute();
}
