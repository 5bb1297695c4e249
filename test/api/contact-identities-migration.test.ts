/**
 * Migration 0009_contact_identities on real data: a database built at 0008 and filled with contacts
 * (phone only, WhatsApp only, phone + WhatsApp, email, all three, none) in two orgs is migrated; every
 * address survives as an identity of its contact (phone → sms), the columns are gone, the bounce flag
 * stays, and the unique rule still holds. Migrating down restores the columns from the identities.
 */
import { randomUUID } from 'node:crypto';
import { Migrator, sql } from 'kysely';
import { Pool } from 'pg';
import { createDatabaseIfMissing, createDb, type Db, migrateToLatest } from '../../db/client';
import { migrations } from '../../db/migrations';
import { globalResources } from '../support/global-resources';

const dbName = `switchboard_identities_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
let db: Db;
let migrator: Migrator;

/** Contacts as 0008 stores them: id → the three address columns. */
interface OldContact {
  id: string;
  org: string;
  phone: string | null;
  whatsapp: string | null;
  email: string | null;
  bounced?: boolean;
}

const orgA = randomUUID();
const orgB = randomUUID();
const CONTACTS: OldContact[] = [
  { id: randomUUID(), org: orgA, phone: '+15551230001', whatsapp: null, email: null },
  { id: randomUUID(), org: orgA, phone: null, whatsapp: '+447700900001', email: null },
  { id: randomUUID(), org: orgA, phone: '+15551230002', whatsapp: '+15551230002', email: null },
  { id: randomUUID(), org: orgA, phone: null, whatsapp: null, email: 'ada@example.test', bounced: true },
  { id: randomUUID(), org: orgA, phone: '+15551230003', whatsapp: '+447700900003', email: 'grace@example.test' },
  { id: randomUUID(), org: orgA, phone: null, whatsapp: null, email: null },
  // the same addresses in another org are another contact's
  { id: randomUUID(), org: orgB, phone: '+15551230001', whatsapp: '+447700900001', email: 'ada@example.test' },
];

/** What 0009 must make of them: every non-null column as an identity (phone → sms). */
function expectedIdentities(c: OldContact): { kind: string; address: string }[] {
  return [
    ...(c.phone ? [{ kind: 'sms', address: c.phone }] : []),
    ...(c.whatsapp ? [{ kind: 'whatsapp', address: c.whatsapp }] : []),
    ...(c.email ? [{ kind: 'email', address: c.email }] : []),
  ];
}

beforeAll(async () => {
  const url = new URL(globalResources().databaseUrl);
  url.pathname = `/${dbName}`;
  await createDatabaseIfMissing(url.toString());
  db = createDb(url.toString(), { max: 2 });
  migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const to0008 = await migrator.migrateTo('0008_email_hardening');
  expect(to0008.error).toBeUndefined();
  for (const org of [orgA, orgB]) await sql`insert into orgs (id, name) values (${org}, 'Migration org')`.execute(db);
  for (const c of CONTACTS) {
    await sql`
      insert into contacts (id, org_id, name, phone, whatsapp, email, email_bounced_at, email_bounce_reason)
      values (${c.id}, ${c.org}, 'Someone', ${c.phone}, ${c.whatsapp}, ${c.email},
              ${c.bounced ? sql`now()` : null}, ${c.bounced ? 'HardBounce: gone' : null})
    `.execute(db);
  }
});

afterAll(async () => {
  await db?.destroy();
  const url = new URL(globalResources().databaseUrl);
  url.pathname = '/postgres';
  const pool = new Pool({ connectionString: url.toString(), max: 1 });
  await pool.query(`drop database if exists "${dbName}" with (force)`);
  await pool.end();
});

test('0009 moves every address into contact_identities, drops the columns and keeps the bounce flag', async () => {
  expect(await migrateToLatest(db)).toContain('0009_contact_identities');
  const rows = await db
    .selectFrom('contact_identities')
    .select(['org_id', 'contact_id', 'kind', 'address'])
    .orderBy('contact_id')
    .orderBy('kind')
    .execute();
  expect(rows).toHaveLength(CONTACTS.reduce((n, c) => n + expectedIdentities(c).length, 0));
  for (const c of CONTACTS) {
    const mine = rows.filter((r) => r.contact_id === c.id).map((r) => ({ org: r.org_id, kind: r.kind, address: r.address }));
    expect(mine.sort((a, b) => a.kind.localeCompare(b.kind))).toEqual(
      expectedIdentities(c)
        .map((i) => ({ org: c.org, ...i }))
        .sort((a, b) => a.kind.localeCompare(b.kind)),
    );
  }
  const columns = await sql<{ column_name: string }>`
    select column_name from information_schema.columns where table_name = 'contacts'
  `.execute(db);
  const names = columns.rows.map((r) => r.column_name);
  expect(names).not.toEqual(expect.arrayContaining(['phone']));
  expect(names.filter((n) => ['phone', 'whatsapp', 'email'].includes(n))).toEqual([]);
  expect(names).toEqual(expect.arrayContaining(['email_bounced_at', 'email_bounce_reason']));
  const bounced = await db.selectFrom('contacts').select(['id', 'email_bounce_reason']).where('email_bounced_at', 'is not', null).execute();
  expect(bounced).toEqual([{ id: CONTACTS[3]!.id, email_bounce_reason: 'HardBounce: gone' }]);
});

test('an address stays unique per org and kind; deleting a contact deletes its identities', async () => {
  await expect(
    db
      .insertInto('contact_identities')
      .values({ org_id: orgA, contact_id: CONTACTS[1]!.id, kind: 'sms', address: '+15551230001' })
      .execute(),
  ).rejects.toThrow(/contact_identities_org_kind_address_key/);
  await db.deleteFrom('contacts').where('id', '=', CONTACTS[5]!.id).execute();
  await db.deleteFrom('contacts').where('id', '=', CONTACTS[0]!.id).execute();
  expect(await db.selectFrom('contact_identities').select('id').where('contact_id', '=', CONTACTS[0]!.id).execute()).toEqual([]);
});

test('down restores the three columns from the identities', async () => {
  const down = await migrator.migrateTo('0008_email_hardening');
  expect(down.error).toBeUndefined();
  const rows = await sql<{ id: string; phone: string | null; whatsapp: string | null; email: string | null }>`
    select id, phone, whatsapp, email from contacts
  `.execute(db);
  for (const c of CONTACTS.filter((c) => c.id !== CONTACTS[0]!.id && c.id !== CONTACTS[5]!.id)) {
    expect(rows.rows.find((r) => r.id === c.id)).toEqual({ id: c.id, phone: c.phone, whatsapp: c.whatsapp, email: c.email });
  }
  // 0009 again, and every later migration (applied to the database after its `down`)
  expect(await migrateToLatest(db)).toEqual(Object.keys(migrations).filter((name) => name >= '0009'));
});
