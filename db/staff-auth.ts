/**
 * Staff sign-in storage (migration 0011): passwords, one-time set/reset-password tokens, rotating
 * refresh tokens (one family per login), token versions and deactivation. Tokens are random
 * 32-byte base64url strings handed out once; only their SHA-256 hex is stored.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import type { Db } from './client';
import type { Database, OneTimeTokenPurpose } from './schema';

/** Lifetime of a one-time set/reset-password token: 24 h (ms). */
export const ONE_TIME_TOKEN_TTL_MS = 24 * 60 * 60 * 1000;
/** Lifetime of an invite token (`POST /v1/staff`): 7 days (ms). */
export const INVITE_TOKEN_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/** Runs `fn` inside `db` when it is already a transaction (the caller's), else in a new transaction. */
function inTransaction<T>(db: Db, fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db as Transaction<Database>) : db.transaction().execute(fn);
}
/** Lifetime of a refresh token: 30 days (ms). Each refresh issues a new one. */
export const REFRESH_TOKEN_TTL_MS = 30 * 24 * 60 * 60 * 1000;

/** A new random token: 32 bytes, unpadded base64url (43 characters). */
export function newSecretToken(): string {
  return randomBytes(32).toString('base64url');
}

/** SHA-256 hex of a token: what the tables store and look tokens up by. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A staff user as sign-in sees them. */
export interface StaffSignInRow {
  id: string;
  org_id: string;
  email: string;
  role: 'admin' | 'agent';
  password_hash: string | null;
  deactivated_at: Date | null;
  token_version: number;
}

/**
 * The staff users whose email is `email` (case-insensitive; one per org), optionally only in org
 * `orgId`, oldest first; deactivated users included (the caller decides).
 */
export async function findStaffByEmail(db: Db, email: string, orgId?: string): Promise<StaffSignInRow[]> {
  let q = db
    .selectFrom('staff_users')
    .select(['id', 'org_id', 'email', 'role', 'password_hash', 'deactivated_at', 'token_version'])
    .where(sql<string>`lower(email)`, '=', email.toLowerCase());
  if (orgId !== undefined) q = q.where('org_id', '=', orgId);
  return q.orderBy('created_at').orderBy('id').execute();
}

/**
 * The `token_version` and `deactivated_at` of staff user `userId` in org `orgId` (one primary-key
 * lookup per request that carries a `tv` claim), or `undefined` when there is no such user.
 */
export async function findTokenState(
  db: Db,
  orgId: string,
  userId: string,
): Promise<{ token_version: number; deactivated_at: Date | null } | undefined> {
  return db
    .selectFrom('staff_users')
    .select(['token_version', 'deactivated_at'])
    .where('id', '=', userId)
    .where('org_id', '=', orgId)
    .executeTakeFirst();
}

/**
 * The link a user opens to set a password with one-time token `token` (an invite, or a reset email):
 * `${publicBaseUrl}/set-password?token=…`, served by the front end, which calls `POST /v1/auth/set-password`.
 */
export function setPasswordUrl(publicBaseUrl: string, token: string): string {
  return `${publicBaseUrl}/set-password?token=${encodeURIComponent(token)}`;
}

/**
 * Issues a one-time token of `purpose` for staff user `staffId`, valid `ttlMs` (default
 * {@link ONE_TIME_TOKEN_TTL_MS}); the user's earlier unused tokens stop working — all of them, or with
 * `replaces: 'same_purpose'` only those of `purpose` (the public forgot-password route: whoever knows an
 * email must not be able to void that user's invite). `db` may be the caller's transaction.
 * @returns the token (shown once) and its expiry
 */
export async function issueOneTimeToken(
  db: Db,
  staffId: string,
  purpose: OneTimeTokenPurpose,
  now = new Date(),
  ttlMs = ONE_TIME_TOKEN_TTL_MS,
  replaces: 'all' | 'same_purpose' = 'all',
): Promise<{ token: string; expiresAt: Date }> {
  const token = newSecretToken();
  const expiresAt = new Date(now.getTime() + ttlMs);
  await inTransaction(db, async (trx) => {
    let earlier = trx
      .updateTable('staff_one_time_tokens')
      .set({ used_at: now })
      .where('staff_id', '=', staffId)
      .where('used_at', 'is', null);
    if (replaces === 'same_purpose') earlier = earlier.where('purpose', '=', purpose);
    await earlier.execute();
    await trx
      .insertInto('staff_one_time_tokens')
      .values({ staff_id: staffId, purpose, token_hash: tokenHash(token), expires_at: expiresAt })
      .execute();
  });
  return { token, expiresAt };
}

/**
 * Uses one-time token `token` to set the password of its (active) staff user to `passwordHash`:
 * marks the token used, stores the hash, bumps `token_version` and revokes the user's refresh
 * tokens (a password change signs every session out).
 * @returns the staff user's id, or `undefined` when the token is unknown, used, expired or its
 *   user is deactivated (nothing changes then)
 */
export async function setPasswordWithToken(db: Db, token: string, passwordHash: string): Promise<string | undefined> {
  return db.transaction().execute(async (trx) => {
    const used = await trx
      .updateTable('staff_one_time_tokens as t')
      .set({ used_at: sql`now()` })
      .from('staff_users as u')
      .whereRef('u.id', '=', 't.staff_id')
      .where('t.token_hash', '=', tokenHash(token))
      .where('t.used_at', 'is', null)
      .where('t.expires_at', '>', sql<Date>`now()`)
      .where('u.deactivated_at', 'is', null)
      .returning('t.staff_id')
      .executeTakeFirst();
    if (!used) return undefined;
    await trx
      .updateTable('staff_users')
      .set({ password_hash: passwordHash, token_version: sql`token_version + 1` })
      .where('id', '=', used.staff_id)
      .execute();
    await revokeAllRefreshTokens(trx, used.staff_id);
    return used.staff_id;
  });
}

/** Revokes every live refresh token of staff user `staffId`. */
async function revokeAllRefreshTokens(db: Db, staffId: string): Promise<void> {
  await db
    .updateTable('staff_refresh_tokens')
    .set({ revoked_at: sql`now()` })
    .where('staff_id', '=', staffId)
    .where('revoked_at', 'is', null)
    .execute();
}

/**
 * Issues a refresh token for staff user `staffId` in family `familyId` (a new family = a new login),
 * valid {@link REFRESH_TOKEN_TTL_MS}.
 * @returns the token (shown once)
 */
export async function issueRefreshToken(db: Db, staffId: string, familyId: string = randomUUID()): Promise<string> {
  const token = newSecretToken();
  await db
    .insertInto('staff_refresh_tokens')
    .values({
      staff_id: staffId,
      family_id: familyId,
      token_hash: tokenHash(token),
      expires_at: new Date(Date.now() + REFRESH_TOKEN_TTL_MS),
    })
    .execute();
  return token;
}

/** What presenting a refresh token gave. */
export type RefreshOutcome =
  | { kind: 'rotated'; user: StaffSignInRow; refreshToken: string }
  /** The token was already used: its whole family is now revoked. */
  | { kind: 'reused' }
  /** Unknown, expired, revoked, or its user is deactivated. */
  | { kind: 'invalid' };

/**
 * Rotates refresh token `token`: when it is live, marks it used and issues the next token of its
 * family; when it was already used (a replay: stolen or raced), revokes the whole family.
 * Serialised per token by `select … for update`.
 */
export async function rotateRefreshToken(db: Db, token: string): Promise<RefreshOutcome> {
  return db.transaction().execute(async (trx): Promise<RefreshOutcome> => {
    const row = await trx
      .selectFrom('staff_refresh_tokens')
      .select(['id', 'staff_id', 'family_id', 'expires_at', 'used_at', 'revoked_at'])
      .where('token_hash', '=', tokenHash(token))
      .forUpdate()
      .executeTakeFirst();
    if (!row || row.revoked_at !== null) return { kind: 'invalid' };
    if (row.used_at !== null) {
      await revokeFamily(trx, row.family_id);
      return { kind: 'reused' };
    }
    if (row.expires_at.getTime() <= Date.now()) return { kind: 'invalid' };
    const user = await trx
      .selectFrom('staff_users')
      .select(['id', 'org_id', 'email', 'role', 'password_hash', 'deactivated_at', 'token_version'])
      .where('id', '=', row.staff_id)
      .executeTakeFirst();
    if (!user || user.deactivated_at !== null) return { kind: 'invalid' };
    await trx
      .updateTable('staff_refresh_tokens')
      .set({ used_at: sql`now()` })
      .where('id', '=', row.id)
      .execute();
    const refreshToken = await issueRefreshToken(trx, row.staff_id, row.family_id);
    return { kind: 'rotated', user, refreshToken };
  });
}

/** Revokes every token of refresh family `familyId`. */
async function revokeFamily(db: Db, familyId: string): Promise<void> {
  await db
    .updateTable('staff_refresh_tokens')
    .set({ revoked_at: sql`now()` })
    .where('family_id', '=', familyId)
    .where('revoked_at', 'is', null)
    .execute();
}

/**
 * Revokes the family of refresh token `token` (logout).
 * @returns false when the token is unknown
 */
export async function revokeRefreshFamily(db: Db, token: string): Promise<boolean> {
  const row = await db.selectFrom('staff_refresh_tokens').select('family_id').where('token_hash', '=', tokenHash(token)).executeTakeFirst();
  if (!row) return false;
  await revokeFamily(db, row.family_id);
  return true;
}

/**
 * Deactivates staff user `staffId` at once: sets `deactivated_at` (kept when already set), bumps
 * `token_version` (every access token with a `tv` claim fails its next request with 401) and revokes
 * every refresh token. Their conversations stay assigned. `db` may be the caller's transaction.
 * @returns false when there is no such user
 */
export async function deactivateStaff(db: Db, staffId: string): Promise<boolean> {
  return inTransaction(db, async (trx) => {
    const updated = await trx
      .updateTable('staff_users')
      .set({ deactivated_at: sql`coalesce(deactivated_at, now())`, token_version: sql`token_version + 1` })
      .where('id', '=', staffId)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) return false;
    await revokeAllRefreshTokens(trx, staffId);
    return true;
  });
}

/** Rows {@link deleteExpiredAuthTokens} deletes per table per call by default. */
export const AUTH_TOKEN_CLEANUP_BATCH = 200;

/**
 * Deletes, in one bounded batch per table (at most `limit` rows each), the sign-in tokens nobody can use
 * any more: one-time tokens that are used or expired, and refresh tokens past their expiry (used and
 * revoked ones are kept until then: a used one must still be recognised, so that replaying it revokes
 * its family). Cheap enough to call opportunistically (on every login); repeated calls catch up on a backlog.
 * @param now the cut-off (default: the database's `now()`)
 * @returns how many rows were deleted from each table
 */
export async function deleteExpiredAuthTokens(
  db: Db,
  opts: { limit?: number; now?: Date } = {},
): Promise<{ oneTimeTokens: number; refreshTokens: number }> {
  const limit = opts.limit ?? AUTH_TOKEN_CLEANUP_BATCH;
  const now = opts.now ?? sql<Date>`now()`;
  const oneTime = await db
    .deleteFrom('staff_one_time_tokens')
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('staff_one_time_tokens')
        .select('id')
        .where((w) => w.or([w('used_at', 'is not', null), w('expires_at', '<=', now)]))
        .limit(limit),
    )
    .executeTakeFirst();
  const refresh = await db
    .deleteFrom('staff_refresh_tokens')
    .where('id', 'in', (eb) => eb.selectFrom('staff_refresh_tokens').select('id').where('expires_at', '<=', now).limit(limit))
    .executeTakeFirst();
  return { oneTimeTokens: Number(oneTime.numDeletedRows), refreshTokens: Number(refresh.numDeletedRows) };
}
