/**
 * Contact identities (db/contacts.ts) on the test database: find-or-create by identity, the WhatsApp
 * sender known by its phone number, a new WhatsApp contact's phone identity, concurrent first
 * messages converging on one contact, and the derived addresses of a read contact.
 */
import { randomUUID } from 'node:crypto';
import { createDb, type Db } from '../../db/client';
import { findContact, findOrCreateContactByIdentity, insertContact } from '../../db/contacts';
import { globalResources } from '../support/global-resources';
import { createTestOrg, randomPhone, type TestOrg } from '../support/harness';

let db: Db;
let org: TestOrg;

beforeAll(async () => {
  db = createDb(globalResources().databaseUrl, { max: 4 });
  org = await createTestOrg(db);
});
afterAll(async () => {
  await db.destroy();
});

test('a WhatsApp sender known by phone is that contact, and gets the whatsapp identity', async () => {
  const phone = randomPhone();
  const created = await insertContact(db, org.orgId, { name: 'Known', phone, whatsapp: null, email: null, vip: undefined });
  const id = await findOrCreateContactByIdentity(db, org.orgId, 'whatsapp', phone, { name: 'Profile', alsoKinds: ['whatsapp', 'sms'] });
  expect(id).toBe(created!.id);
  const contact = await findContact(db, org.orgId, id);
  expect(contact).toMatchObject({ name: 'Known', phone, whatsapp: phone, email: null });
  expect(contact!.identities).toEqual(
    expect.arrayContaining([
      { kind: 'sms', address: phone },
      { kind: 'whatsapp', address: phone },
    ]),
  );
});

test('a new WhatsApp contact gets both identities of its number; an SMS one only sms', async () => {
  const wa = randomPhone();
  const waId = await findOrCreateContactByIdentity(db, org.orgId, 'whatsapp', wa, { name: 'Olivia', alsoKinds: ['whatsapp', 'sms'] });
  expect(await findContact(db, org.orgId, waId)).toMatchObject({ name: 'Olivia', phone: wa, whatsapp: wa });
  const sms = randomPhone();
  const smsId = await findOrCreateContactByIdentity(db, org.orgId, 'sms', sms, { name: null, alsoKinds: ['sms'] });
  expect((await findContact(db, org.orgId, smsId))!.identities).toEqual([{ kind: 'sms', address: sms }]);
});

test('concurrent first messages of one address converge on one contact', async () => {
  const email = `race-${randomUUID()}@example.test`;
  const ids = await Promise.all(
    Array.from({ length: 8 }, () => findOrCreateContactByIdentity(db, org.orgId, 'email', email, { name: 'Racer' })),
  );
  expect(new Set(ids).size).toBe(1);
  const holders = await db
    .selectFrom('contact_identities')
    .select('contact_id')
    .where('org_id', '=', org.orgId)
    .where('address', '=', email)
    .execute();
  expect(holders).toEqual([{ contact_id: ids[0] }]);
});

test('insertContact refuses an address another contact holds, writing nothing', async () => {
  const phone = randomPhone();
  expect(await insertContact(db, org.orgId, { name: 'First', phone, whatsapp: null, email: null, vip: undefined })).toBeDefined();
  const email = `second-${randomUUID()}@example.test`;
  expect(await insertContact(db, org.orgId, { name: 'Second', phone, whatsapp: null, email, vip: undefined })).toBeUndefined();
  const named = await db.selectFrom('contacts').select('id').where('org_id', '=', org.orgId).where('name', '=', 'Second').execute();
  expect(named).toEqual([]);
  expect(await db.selectFrom('contact_identities').select('id').where('address', '=', email).execute()).toEqual([]);
});
