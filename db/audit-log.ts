/**
 * The audit log of admin actions (`audit_log`, migration 0012): who did what to which object, when,
 * and the object's state before and after. Callers pass views without secrets (a channel's
 * `hasCredentials`, never its tokens); {@link recordAudit} also drops any key that names a secret,
 * as a second line of defence.
 */
import type { Kysely, Transaction } from 'kysely';
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
 * @throws the database error (the caller's transaction then rolls back: no change without its entry)
 */
export async function recordAudit(db: Kysely<Database> | Transaction<Database>, entry: AuditEntry): Promise<void> {
  await db
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
    .execute();
}
