/**
 * API keys (migration 0014): an org's integration keys, `Authorization: Bearer sb_…`, acting as the org.
 *
 * A key is `sb_` + 32 random bytes in unpadded base64url (46 characters). Only the SHA-256 hex of the
 * whole key is stored: a fast, unsalted hash is enough here because the key carries 256 bits of
 * randomness — there is no dictionary to try and brute force of the hash is infeasible, which is
 * what salts and slow hashes (argon2id, used for passwords) protect against. It also lets every request
 * find its key with one lookup on a unique index instead of an argon2 verification per request.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { type AuditActor, recordAudit } from './audit-log';
import type { Db } from './client';
import type { ApiKeyScope } from './schema';
import { tokenHash } from './staff-auth';

/** Every scope, weakest first: each includes the ones before it (see {@link effectiveScopes}). */
export const API_KEY_SCOPES = ['read', 'write', 'admin'] as const satisfies readonly ApiKeyScope[];

/** The start of every API key; a bearer token starting with it is looked up as a key, never as a JWT. */
export const API_KEY_MARKER = 'sb_';

/** Characters of a key kept in `prefix` and shown in lists (`sb_` + 9): enough to tell keys apart, far too few to guess the rest. */
export const API_KEY_PREFIX_LENGTH = 12;

/** `last_used_at` is written at most once per this interval per key (ms): 1 min. */
export const LAST_USED_WRITE_INTERVAL_MS = 60_000;

/** A new API key: `sb_` + 32 random bytes, unpadded base64url. */
export function newApiKey(): string {
  return `${API_KEY_MARKER}${randomBytes(32).toString('base64url')}`;
}

/** An `api_keys` row as the API shows it (no hash). */
export interface ApiKeyRow {
  id: string;
  org_id: string;
  name: string;
  prefix: string;
  scopes: ApiKeyScope[];
  created_by: string | null;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

/** JSON view of an API key (the `ApiKey` schema of `api/api-key-schemas.ts`); timestamps ISO-8601 UTC. */
export interface ApiKeyJson {
  id: string;
  name: string;
  /** The key's first characters, e.g. `sb_Ab12Cd34E` (display: `sb_Ab12Cd34E…`). */
  prefix: string;
  scopes: ApiKeyScope[];
  /** The staff user who created it; `null` when created by the admin CLI. */
  createdBy: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** The JSON view of `row` (also the audit log's before / after of a key). */
export function toApiKeyView(row: ApiKeyRow): ApiKeyJson {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
    lastUsedAt: row.last_used_at?.toISOString() ?? null,
    revokedAt: row.revoked_at?.toISOString() ?? null,
  };
}

/** `scopes` deduplicated, in {@link API_KEY_SCOPES} order. */
export function normalizeScopes(scopes: readonly ApiKeyScope[]): ApiKeyScope[] {
  return API_KEY_SCOPES.filter((s) => scopes.includes(s));
}

/**
 * What a key with `scopes` may do; scopes are cumulative levels: `admin` includes `write`, `write`
 * includes `read`. `read` = GET/HEAD only; `write` = every non-admin request; `admin` = admin routes too.
 */
export function effectiveScopes(scopes: readonly ApiKeyScope[]): { write: boolean; admin: boolean } {
  const admin = scopes.includes('admin');
  return { admin, write: admin || scopes.includes('write') };
}

const COLUMNS = ['id', 'org_id', 'name', 'prefix', 'scopes', 'created_by', 'created_at', 'last_used_at', 'revoked_at'] as const;

/**
 * Creates an API key of org `orgId` (in the caller's transaction when `db` is one).
 * @param input.createdBy the creating staff user, `null` from the admin CLI
 * @returns the row and the key, which is never stored or shown again
 */
export async function createApiKey(
  db: Db,
  input: { orgId: string; name: string; scopes: readonly ApiKeyScope[]; createdBy: string | null },
): Promise<{ row: ApiKeyRow; key: string }> {
  const key = newApiKey();
  const row = await db
    .insertInto('api_keys')
    .values({
      org_id: input.orgId,
      name: input.name,
      prefix: key.slice(0, API_KEY_PREFIX_LENGTH),
      key_hash: tokenHash(key),
      scopes: normalizeScopes(input.scopes),
      created_by: input.createdBy,
    })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
  return { row, key };
}

/**
 * Creates an API key (see {@link createApiKey}) and its audit row `api_key.create` (by `actor`; the
 * view, never the key or its hash) in one transaction: the route and the admin CLI both go through it.
 * @returns the row and the key, which is never stored or shown again
 */
export async function createAuditedApiKey(
  db: Db,
  input: { orgId: string; name: string; scopes: readonly ApiKeyScope[]; createdBy: string | null },
  actor: AuditActor,
): Promise<{ row: ApiKeyRow; key: string }> {
  return db.transaction().execute(async (trx) => {
    const made = await createApiKey(trx, input);
    await recordAudit(trx, {
      orgId: input.orgId,
      actor,
      action: 'api_key.create',
      targetType: 'api_key',
      targetId: made.row.id,
      after: { ...toApiKeyView(made.row) },
    });
    return made;
  });
}

/** Every API key of org `orgId`, revoked ones included, newest first. */
export async function listApiKeys(db: Db, orgId: string): Promise<ApiKeyRow[]> {
  return db
    .selectFrom('api_keys')
    .select(COLUMNS)
    .where('org_id', '=', orgId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
}

/**
 * Revokes key `id` of org `orgId` (at once: its next request is 401). Revoking a revoked key changes nothing.
 * @returns the key before and after, or `undefined` when org `orgId` has no key `id`
 */
export async function revokeApiKey(db: Db, orgId: string, id: string): Promise<{ before: ApiKeyRow; after: ApiKeyRow } | undefined> {
  const before = await db
    .selectFrom('api_keys')
    .select(COLUMNS)
    .where('id', '=', id)
    .where('org_id', '=', orgId)
    .forUpdate()
    .executeTakeFirst();
  if (!before) return undefined;
  if (before.revoked_at !== null) return { before, after: before };
  const after = await db
    .updateTable('api_keys')
    .set({ revoked_at: sql`now()` })
    .where('id', '=', id)
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
  return { before, after };
}

/** A live key as the auth middleware sees it. */
export interface ApiKeyPrincipalRow {
  id: string;
  org_id: string;
  scopes: ApiKeyScope[];
  last_used_at: Date | null;
  /**
   * The staff user requests made with the key act as: its creator, or for a key created by the admin
   * CLI the org's oldest active admin; `null` when the org has no active admin (then the key cannot be used).
   */
  acting_user_id: string | null;
  /** The creator's current role (`null` for a CLI-created key): a key never has more rights than its creator has now. */
  creator_role: 'admin' | 'agent' | null;
  /** Whether the creator is deactivated (`false` for a CLI-created key): their keys stop working with them. */
  creator_deactivated: boolean;
}

/**
 * Finds the live (not revoked) key `key` (one lookup on the unique `key_hash` index, plus the oldest
 * active admin for a CLI-created key), or `undefined` when it is unknown or revoked.
 */
export async function findLiveApiKey(db: Db, key: string): Promise<ApiKeyPrincipalRow | undefined> {
  return db
    .selectFrom('api_keys as k')
    .leftJoin('staff_users as creator', (j) => j.onRef('creator.id', '=', 'k.created_by').onRef('creator.org_id', '=', 'k.org_id'))
    .select(['k.id', 'k.org_id', 'k.scopes', 'k.last_used_at', 'creator.role as creator_role'])
    .select(sql<boolean>`coalesce(creator.deactivated_at is not null, false)`.as('creator_deactivated'))
    .select(
      sql<string | null>`coalesce(k.created_by, (
        select u.id from staff_users u
        where u.org_id = k.org_id and u.role = 'admin' and u.deactivated_at is null
        order by u.created_at, u.id limit 1))`.as('acting_user_id'),
    )
    .where('k.key_hash', '=', tokenHash(key))
    .where('k.revoked_at', 'is', null)
    .executeTakeFirst();
}

/**
 * Sets `last_used_at` of key `id` to now unless it was set less than {@link LAST_USED_WRITE_INTERVAL_MS}
 * ago (the condition in SQL, so several API processes do not each write it).
 */
export async function touchApiKey(db: Db, id: string): Promise<void> {
  await db
    .updateTable('api_keys')
    .set({ last_used_at: sql`now()` })
    .where('id', '=', id)
    .where((eb) =>
      eb.or([
        eb('last_used_at', 'is', null),
        eb('last_used_at', '<', sql<Date>`now() - make_interval(secs => ${LAST_USED_WRITE_INTERVAL_MS / 1000})`),
      ]),
    )
    .execute();
}
