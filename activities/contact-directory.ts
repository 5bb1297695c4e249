/**
 * Finds or creates the contact behind a customer's phone number (called by the conversation
 * workflow's `loadConversation` activity, so a carrier webhook needs no Postgres), race-free: concurrent first
 * messages of a new contact converge on one row (unique `(org_id, phone)` / `(org_id, whatsapp)`,
 * `INSERT … ON CONFLICT DO NOTHING`, then re-read).
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../db/client';

/**
 * The id of the org's contact for an E.164 number on SMS or WhatsApp. A WhatsApp sender that is
 * already a contact by phone gets its `whatsapp` number filled in (same person); a new contact
 * takes the WhatsApp `ProfileName` as its name.
 */
export async function findOrCreateContactByPhone(
  db: Db,
  orgId: string,
  kind: 'sms' | 'whatsapp',
  phone: string,
  profileName: string | null,
): Promise<string> {
  const find = () =>
    db
      .selectFrom('contacts')
      .select('id')
      .where('org_id', '=', orgId)
      .where((eb) => (kind === 'whatsapp' ? eb.or([eb('whatsapp', '=', phone), eb('phone', '=', phone)]) : eb('phone', '=', phone)))
      .orderBy(sql`case when ${sql.ref(kind === 'whatsapp' ? 'whatsapp' : 'phone')} = ${phone} then 0 else 1 end`)
      .executeTakeFirst();
  const existing = await find();
  if (existing) {
    if (kind === 'whatsapp') {
      await db
        .updateTable('contacts')
        .set({ whatsapp: phone, updated_at: sql`now()` })
        .where('id', '=', existing.id)
        .where('whatsapp', 'is', null)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('contacts as other').select('other.id').where('other.org_id', '=', orgId).where('other.whatsapp', '=', phone),
            ),
          ),
        )
        .execute();
    }
    return existing.id;
  }
  await db
    .insertInto('contacts')
    .values({
      id: randomUUID(),
      org_id: orgId,
      name: profileName,
      phone,
      whatsapp: kind === 'whatsapp' ? phone : null,
      email: null,
    })
    .onConflict((oc) => oc.doNothing())
    .execute();
  const created = await find();
  if (!created) throw new Error('contact vanished after insert');
  return created.id;
}
