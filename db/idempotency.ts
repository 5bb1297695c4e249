/**
 * Storage of `Idempotency-Key`s (table `idempotency_keys`, migration 0006): a request claims its
 * key, runs, then stores its answer; a retry with the same key gets the stored answer back.
 * Keys are per org and live {@link IDEMPOTENCY_TTL_MS} (24 h); expired rows count as absent and
 * are deleted in batches by {@link purgeExpiredIdempotencyKeys}.
 */
import { randomUUID } from 'node:crypto';
import { type ColumnType, sql } from 'kysely';
import type { Db } from './client';

/** How long a key is kept after its first use (ms): 24 h. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * How long a claim protects a request in progress (ms). Longer than any command takes (the update
 * deadline is 20 s); a claim left behind by a crashed API process can be taken over after it.
 */
export const IDEMPOTENCY_LOCK_MS = 60_000;

/** `idempotency_keys` row (see migration 0006). */
export interface IdempotencyKeysTable {
  org_id: string;
  key: string;
  /** SHA-256 (hex) of the request the key was first used with. */
  fingerprint: string;
  /** Random id of the claim that owns the row (only the owner completes or releases it). */
  claim_id: string;
  state: 'in_progress' | 'completed';
  locked_until: ColumnType<Date, Date | string, Date | string>;
  response_status: number | null;
  /** The answer's JSON text. */
  response_body: string | null;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  expires_at: ColumnType<Date, Date | string, Date | string>;
}

/** The database handle with the `idempotency_keys` table typed (kept out of `db/schema.ts`'s `Database`). */
function keysDb(db: Db) {
  return db.withTables<{ idempotency_keys: IdempotencyKeysTable }>();
}

/**
 * Outcome of {@link claimIdempotencyKey}:
 * - `claimed`: the caller owns the key now and must {@link completeIdempotencyKey} or {@link releaseIdempotencyKey} it with `claimId`;
 * - `replay`: the key was used with the same request and has an answer (`status`, JSON `body`);
 * - `in_progress`: the same request is still running elsewhere;
 * - `mismatch`: the key was used with a different request.
 */
export type IdempotencyClaim =
  | { kind: 'claimed'; claimId: string }
  | { kind: 'replay'; status: number; body: unknown }
  | { kind: 'in_progress'; lockedUntil: Date }
  | { kind: 'mismatch' };

/**
 * Claims `(orgId, key)` for a request whose fingerprint is `fingerprint`. A new key, an expired one,
 * or an abandoned claim of the same request (past `locked_until`) is taken over atomically
 * (`insert … on conflict do update … where`), so two concurrent requests never both own a key.
 * @throws database errors (the API answers 503 when Postgres is unreachable)
 */
export async function claimIdempotencyKey(db: Db, orgId: string, key: string, fingerprint: string, attempt = 0): Promise<IdempotencyClaim> {
  const kdb = keysDb(db);
  const claimId = randomUUID();
  const now = Date.now();
  const lockedUntil = new Date(now + IDEMPOTENCY_LOCK_MS);
  const expiresAt = new Date(now + IDEMPOTENCY_TTL_MS);
  // a fresh claim: inserted as is, or written over an expired or abandoned one
  const claim = {
    fingerprint,
    claim_id: claimId,
    state: 'in_progress' as const,
    locked_until: lockedUntil,
    response_status: null,
    response_body: null,
    expires_at: expiresAt,
  };
  const claimed = await kdb
    .insertInto('idempotency_keys')
    .values({ org_id: orgId, key, ...claim })
    .onConflict((oc) =>
      oc
        .columns(['org_id', 'key'])
        .doUpdateSet({ ...claim, created_at: sql<Date>`now()` })
        .where((eb) =>
          eb.or([
            eb('idempotency_keys.expires_at', '<=', sql<Date>`now()`),
            eb.and([
              eb('idempotency_keys.state', '=', 'in_progress'),
              eb('idempotency_keys.locked_until', '<=', sql<Date>`now()`),
              eb('idempotency_keys.fingerprint', '=', fingerprint),
            ]),
          ]),
        ),
    )
    .returning('claim_id')
    .executeTakeFirst();
  if (claimed?.claim_id === claimId) return { kind: 'claimed', claimId };
  const row = await kdb.selectFrom('idempotency_keys').selectAll().where('org_id', '=', orgId).where('key', '=', key).executeTakeFirst();
  // deleted between the two statements (released after a 5xx, or purged): claim again
  if (!row)
    return attempt < 3 ? claimIdempotencyKey(db, orgId, key, fingerprint, attempt + 1) : { kind: 'in_progress', lockedUntil: new Date() };
  if (row.fingerprint !== fingerprint) return { kind: 'mismatch' };
  if (row.state === 'completed' && row.response_status !== null && row.response_body !== null)
    return { kind: 'replay', status: row.response_status, body: JSON.parse(row.response_body) as unknown };
  return { kind: 'in_progress', lockedUntil: row.locked_until };
}

/**
 * Stores the answer of a claimed request (`status`, JSON-serialisable `body`) for replay.
 * @returns false when the claim was lost meanwhile (taken over after {@link IDEMPOTENCY_LOCK_MS})
 */
export async function completeIdempotencyKey(
  db: Db,
  orgId: string,
  key: string,
  claimId: string,
  status: number,
  body: unknown,
): Promise<boolean> {
  const result = await keysDb(db)
    .updateTable('idempotency_keys')
    .set({ state: 'completed', response_status: status, response_body: JSON.stringify(body ?? null) })
    .where('org_id', '=', orgId)
    .where('key', '=', key)
    .where('claim_id', '=', claimId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Forgets a claimed key without an answer (the request failed transiently: a retry runs it again). */
export async function releaseIdempotencyKey(db: Db, orgId: string, key: string, claimId: string): Promise<void> {
  await keysDb(db)
    .deleteFrom('idempotency_keys')
    .where('org_id', '=', orgId)
    .where('key', '=', key)
    .where('claim_id', '=', claimId)
    .execute();
}

/**
 * Deletes up to `batch` expired keys (all orgs).
 * @returns how many were deleted
 */
export async function purgeExpiredIdempotencyKeys(db: Db, batch = 1_000): Promise<number> {
  const result = await sql`
    delete from idempotency_keys where ctid in (
      select ctid from idempotency_keys where expires_at <= now() limit ${batch}
    )`.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}
