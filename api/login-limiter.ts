/**
 * Failed-login limiter: rate-limiter-flexible's `RateLimiterPostgres` on the app's own database
 * (table `login_rate_limits`, created by migration 0011, so every API process shares the counts).
 * The store talks to Postgres through the app's kysely pool (an adapter exposing `query({ text,
 * values })` as `pg` does), so no second pool is opened.
 *
 * Policy: {@link LOGIN_MAX_FAILURES} failed logins per email within {@link LOGIN_FAILURE_WINDOW_S}
 * lock that email out until the window ends (429 `too_many_attempts` with `Retry-After`); a
 * successful login resets the count.
 */
import { CompiledQuery } from 'kysely';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { Db } from '../db/client';

/** Failed logins per email allowed within the window. */
export const LOGIN_MAX_FAILURES = 10;
/** The window, in seconds (15 min). */
export const LOGIN_FAILURE_WINDOW_S = 15 * 60;

/** The limiter's view of one email. */
export interface LoginLimiter {
  /** Seconds until `email` may try again (≥ 1), or 0 when it is not locked out. */
  lockedForSeconds(email: string): Promise<number>;
  /** Counts a failed login for `email`. */
  recordFailure(email: string): Promise<void>;
  /** Forgets the failures of `email` (after a successful login). */
  reset(email: string): Promise<void>;
}

/** A `pg`-like client (`query({ text, values })` → `{ rows, rowCount }`) over kysely's pool. */
function pgLikeClient(db: Db): { query(q: { text: string; values?: unknown[] }): Promise<{ rows: unknown[]; rowCount: number }> } {
  return {
    async query(q) {
      const result = await db.executeQuery(CompiledQuery.raw(q.text, q.values ?? []));
      return { rows: [...result.rows], rowCount: result.rows.length > 0 ? result.rows.length : Number(result.numAffectedRows ?? 0) };
    },
  };
}

/** A `RateLimiterPostgres` on `login_rate_limits` counting `points` per key (prefixed `keyPrefix`) per `durationS` seconds. */
function postgresLimiter(db: Db, keyPrefix: string, points: number, durationS: number): RateLimiterPostgres {
  return new RateLimiterPostgres({
    storeClient: pgLikeClient(db),
    storeType: 'pool',
    tableName: 'login_rate_limits',
    tableCreated: true,
    // expired rows are deleted lazily by the next upsert of their key; no background timer
    clearExpiredByTimeout: false,
    keyPrefix,
    points,
    duration: durationS,
  });
}

/**
 * The Postgres-backed login limiter.
 * @param opts.maxFailures failures allowed per window (default {@link LOGIN_MAX_FAILURES})
 * @param opts.windowSeconds window in s (default {@link LOGIN_FAILURE_WINDOW_S})
 */
export function postgresLoginLimiter(db: Db, opts: { maxFailures?: number; windowSeconds?: number } = {}): LoginLimiter {
  const maxFailures = opts.maxFailures ?? LOGIN_MAX_FAILURES;
  const limiter = postgresLimiter(db, 'login', maxFailures, opts.windowSeconds ?? LOGIN_FAILURE_WINDOW_S);
  const key = (email: string): string => email.trim().toLowerCase();
  return {
    async lockedForSeconds(email) {
      const res = await limiter.get(key(email));
      if (!res || res.consumedPoints < maxFailures) return 0;
      return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
    },
    async recordFailure(email) {
      try {
        await limiter.consume(key(email));
      } catch (err) {
        // a RateLimiterRes rejection = over the limit already (still counted); anything else is a store error
        if (!(err instanceof RateLimiterRes)) throw err;
      }
    },
    async reset(email) {
      await limiter.delete(key(email));
    },
  };
}

/** Password-reset emails per email address allowed within {@link RESET_WINDOW_S}. */
export const RESET_MAX_REQUESTS = 3;
/** The reset window, in seconds (1 h). */
export const RESET_WINDOW_S = 60 * 60;

/** A budget of requests per key (same Postgres store as the login limiter). */
export interface RequestBudget {
  /** Takes one request from `key`'s budget: `true` if it had one left, `false` when spent until the window ends. */
  take(key: string): Promise<boolean>;
}

/**
 * The Postgres-backed budget of password-reset requests per email address (RESET_MAX_REQUESTS per
 * RESET_WINDOW_S), so `POST /v1/auth/forgot-password` cannot be used to flood someone's inbox.
 */
export function postgresResetBudget(db: Db, opts: { maxRequests?: number; windowSeconds?: number } = {}): RequestBudget {
  const limiter = postgresLimiter(db, 'reset', opts.maxRequests ?? RESET_MAX_REQUESTS, opts.windowSeconds ?? RESET_WINDOW_S);
  return {
    async take(key) {
      try {
        await limiter.consume(key.trim().toLowerCase());
        return true;
      } catch (err) {
        if (err instanceof RateLimiterRes) return false;
        throw err;
      }
    },
  };
}
