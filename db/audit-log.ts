/**
 * The audit log of admin actions (`audit_log`, migration 0012): who did what to which object, when,
 * and the object's state before and after. Callers pass views without secrets (a channel's
 * `hasCredentials`, never its tokens); {@link recordAudit} also drops any key that names a secret,
 * as a second line of defence.
 */
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Db } from './client';
import { exactIso, splitPage } from './keyset';
import type { AuditActorType, Database } from './schema';

/** Who acted: a staff user, an API key (acting as the org), or the system (admin CLI). */
export interface AuditActor {
  type: AuditActorType;
  /** Staff user id or API key id; absent for `system`. */
  id?: string;
}

/** One admin action to record. */
export interface AuditEntry {
  orgId: string;
  actor: AuditActor;
  /** Dotted verb: `<target>.<verb>`, e.g. `channel.create`, `staff.update`, `team.delete`. */
  action: string;
  /** `channel`, `staff`, `team`, `api_key`, `org`, … */
  targetType: string;
  targetId?: string | null;
  /** The object before the action (absent on create). */
  before?: Record<string, unknown> | null;
  /** The object after the action (absent on delete). */
  after?: Record<string, unknown> | null;
}

/** Key names never written to the log, at any depth (case-insensitive substring match). */
const SECRET_KEY = /(token|secret|password|credential|ciphertext|hash|apikey|api_key_secret|authorization)/i;

/** A copy of `value` without keys that name secrets (see {@link SECRET_KEY}); `hasCredentials`-style booleans stay. */
export function withoutSecrets(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (SECRET_KEY.test(key) && typeof v !== 'boolean') continue;
    out[key] = v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date) ? withoutSecrets(v as Record<string, unknown>) : v;
  }
  return out;
}

/**
 * The actor of an API principal: an API key when the request authenticated with one, else the staff user.
 * @param principal `{ userId, apiKeyId? }` as `api/auth.ts` sets it
 */
export function auditActorOf(principal: { userId: string; apiKeyId?: string }): AuditActor {
  return principal.apiKeyId !== undefined ? { type: 'api_key', id: principal.apiKeyId } : { type: 'staff', id: principal.userId };
}

/**
 * Appends one entry. Pass the transaction that made the change so the entry commits with it.
 * @returns the entry's id (`audit_log.id`, a UUID)
 * @throws the database error (the caller's transaction then rolls back: no change without its entry)
 */
export async function recordAudit(db: Kysely<Database> | Transaction<Database>, entry: AuditEntry): Promise<string> {
  const row = await db
    .insertInto('audit_log')
    .values({
      org_id: entry.orgId,
      actor_type: entry.actor.type,
      actor_id: entry.actor.id ?? null,
      action: entry.action,
      target_type: entry.targetType,
      target_id: entry.targetId ?? null,
      before: entry.before ? JSON.stringify(withoutSecrets(entry.before)) : null,
      after: entry.after ? JSON.stringify(withoutSecrets(entry.after)) : null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Filters of {@link listAuditLog} (AND-combined; exact matches). */
export interface AuditLogFilters {
  action?: string;
  targetType?: string;
  targetId?: string;
  /** Staff user or API key id. */
  actorId?: string;
}

/** Keyset position in the newest-first order: `created_at` exact ISO-8601 UTC (µs) and the id. */
export interface AuditLogCursor {
  createdAt: string;
  id: string;
}

/** JSON view of one entry (the `AuditLogEntry` schema of `api/audit-log-schemas.ts`); `createdAt` ISO-8601 UTC. */
export interface AuditLogEntryJson {
  id: string;
  /** `name`: the staff user's name or the API key's name, when it still exists; absent for `system`. */
  actor: { type: AuditActorType; id: string | null; name?: string };
  action: string;
  target: { type: string; id: string | null };
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  createdAt: string;
}

/**
 * One page of org `orgId`'s audit log, newest first, keyset-paginated on the exact `(created_at, id)`
 * (the `audit_log_org_created_idx` order), with the actor's current name (staff user or API key).
 * @param page `limit` entries per page (the caller bounds it) and the cursor of the previous page
 * @returns up to `limit` entries and the cursor of the last one when more may follow (else `null`)
 */
export async function listAuditLog(
  db: Db,
  orgId: string,
  filters: AuditLogFilters,
  page: { limit: number; cursor?: AuditLogCursor },
): Promise<{ entries: AuditLogEntryJson[]; next: AuditLogCursor | null }> {
  let q = db
    .selectFrom('audit_log as a')
    .leftJoin('staff_users as s', (j) => j.onRef('s.id', '=', 'a.actor_id').on('a.actor_type', '=', 'staff').onRef('s.org_id', '=', 'a.org_id'))
    .leftJoin('api_keys as k', (j) => j.onRef('k.id', '=', 'a.actor_id').on('a.actor_type', '=', 'api_key').onRef('k.org_id', '=', 'a.org_id'))
    .select(['a.id', 'a.actor_type', 'a.actor_id', 'a.action', 'a.target_type', 'a.target_id', 'a.before', 'a.after', 'a.created_at'])
    .select([sql<string | null>`coalesce(s.name, k.name)`.as('actor_name'), exactIso('a.created_at').as('cursor_created_at')])
    .where('a.org_id', '=', orgId);
  if (filters.action !== undefined) q = q.where('a.action', '=', filters.action);
  if (filters.targetType !== undefined) q = q.where('a.target_type', '=', filters.targetType);
  if (filters.targetId !== undefined) q = q.where('a.target_id', '=', filters.targetId);
  if (filters.actorId !== undefined) q = q.where('a.actor_id', '=', filters.actorId);
  if (page.cursor) q = q.where(sql<boolean>`(a.created_at, a.id) < (${page.cursor.createdAt}::timestamptz, ${page.cursor.id}::uuid)`);
  const rows = await q
    .orderBy('a.created_at', 'desc')
    .orderBy('a.id', 'desc')
    .limit(page.limit + 1)
    .execute();
  const { page: pageRows, last } = splitPage(rows, page.limit);
  return {
    entries: pageRows.map((r) => ({
      id: r.id,
      actor: { type: r.actor_type, id: r.actor_id, ...(r.actor_name !== null ? { name: r.actor_name } : {}) },
      action: r.action,
      target: { type: r.target_type, id: r.target_id },
      before: r.before,
      after: r.after,
      createdAt: r.created_at.toISOString(),
    })),
    next: last ? { createdAt: last.cursor_created_at, id: last.id } : null,
  };
}
