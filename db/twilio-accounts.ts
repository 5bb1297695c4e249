/**
 * The Twilio (sub-)account an org connected (`twilio_accounts`, migration 0015; at most one per org):
 * its credentials sealed with the keyring (AES-256-GCM, AAD = the row id, `config/keyring.ts`), never
 * returned by the API nor logged. Connecting and re-checking it are audited (`twilio_account.connect`,
 * without secrets).
 */
import { randomUUID } from 'node:crypto';
import { HttpError } from '../api/errors';
import { TwilioCredentials } from '../channels/credentials';
import type { Keyring } from '../config/keyring';
import { type AuditActor, recordAudit } from './audit-log';
import type { Db } from './client';
import type { TwilioAccountRow } from './schema';

/** A Twilio account as Twilio described it at the last check. */
export interface TwilioAccountFacts {
  /** Twilio's `friendly_name`, or `null`. */
  friendlyName: string | null;
  /** Twilio's account status: `active`, `suspended` or `closed`. */
  status: string;
}

/** What the audit log keeps of the account (no credentials). */
function auditState(row: TwilioAccountRow): Record<string, unknown> {
  return { accountSid: row.account_sid, friendlyName: row.friendly_name, status: row.status, credentialsKeyId: row.credentials_key_id };
}

/** The org's connected Twilio account, or `undefined`. */
export async function findTwilioAccount(db: Db, orgId: string): Promise<TwilioAccountRow | undefined> {
  return db.selectFrom('twilio_accounts').selectAll().where('org_id', '=', orgId).executeTakeFirst();
}

/**
 * Connects (or re-connects, replacing) the org's Twilio account: seals `credentials` for the row
 * (AAD = its id) and records `twilio_account.connect` in the same transaction.
 * @returns the stored row
 * @throws ZodError when the credentials do not match `TwilioCredentials` (the route validates first);
 *   HttpError 409 `twilio_setup_conflict` when another setup of the same org committed meanwhile
 */
export async function connectTwilioAccount(
  db: Db,
  keyring: Keyring,
  input: { orgId: string; credentials: TwilioCredentials; facts: TwilioAccountFacts },
  actor: AuditActor,
): Promise<TwilioAccountRow> {
  const credentials = TwilioCredentials.parse(input.credentials);
  try {
    return await db.transaction().execute(async (trx) => {
      const existing = await trx.selectFrom('twilio_accounts').selectAll().where('org_id', '=', input.orgId).forUpdate().executeTakeFirst();
      const id = existing?.id ?? randomUUID();
      const sealed = keyring.seal(credentials, id);
      const values = {
        account_sid: credentials.accountSid,
        credentials_ciphertext: sealed.ciphertext,
        credentials_key_id: sealed.keyId,
        friendly_name: input.facts.friendlyName,
        status: input.facts.status,
      };
      const row = existing
        ? await trx
            .updateTable('twilio_accounts')
            .set({ ...values, updated_at: new Date() })
            .where('id', '=', id)
            .returningAll()
            .executeTakeFirstOrThrow()
        : await trx
            .insertInto('twilio_accounts')
            .values({ id, org_id: input.orgId, ...values })
            .returningAll()
            .executeTakeFirstOrThrow();
      await recordAudit(trx, {
        orgId: input.orgId,
        actor,
        action: 'twilio_account.connect',
        targetType: 'twilio_account',
        targetId: id,
        before: existing ? auditState(existing) : null,
        after: auditState(row),
      });
      return row;
    });
  } catch (err) {
    const e = err as { code?: unknown } | null;
    if (e?.code === '23505') throw new HttpError(409, 'twilio_setup_conflict', 'Another Twilio setup of this org finished first; retry');
    throw err;
  }
}

/**
 * Opens the account's credentials.
 * @throws DecryptionError (config/keyring.ts) when the key is missing from the ring or the row was altered;
 *   ZodError when the opened value is not `TwilioCredentials`
 */
export function openTwilioAccountCredentials(keyring: Keyring, row: TwilioAccountRow): TwilioCredentials {
  return TwilioCredentials.parse(keyring.open({ ciphertext: row.credentials_ciphertext, keyId: row.credentials_key_id }, row.id));
}

/** Records what Twilio said of the account at a re-check (friendly name and status). */
export async function updateTwilioAccountFacts(db: Db, id: string, facts: TwilioAccountFacts): Promise<TwilioAccountRow> {
  return db
    .updateTable('twilio_accounts')
    .set({ friendly_name: facts.friendlyName, status: facts.status, updated_at: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}
