import { Kysely, Migrator, PostgresDialect, sql } from 'kysely';
import { Pool } from 'pg';
import { migrations } from './migrations';
import type { Database } from './schema';

/** Typed database handle used everywhere (kysely over a `pg` pool). */
export type Db = Kysely<Database>;

/** Something that can log a warning (a pino logger fits). */
export interface PoolErrorLogger {
  warn(obj: object, msg: string): void;
}

/** How long (ms) a new connection may take before the query fails (instead of hanging while Postgres is unreachable). */
export const CONNECT_TIMEOUT_MS = 5_000;

/**
 * Opens a pooled connection to `databaseUrl` (a `postgres://` URL). Call `db.destroy()` to close.
 *
 * Postgres going away never crashes the process: `pg` emits `error` on the pool (idle clients) and
 * on checked-out clients between queries (e.g. `57P01 terminating connection due to administrator
 * command` inside a transaction) — an `error` event without a listener is fatal in Node. Both get
 * a listener that logs (`opts.logger`, default `console.warn`); the broken client is dropped by
 * the pool and the next query opens a fresh connection. Queries in flight reject as usual.
 * Connecting gives up after {@link CONNECT_TIMEOUT_MS}.
 */
export function createDb(databaseUrl: string, opts: { max?: number; logger?: PoolErrorLogger } = {}): Db {
  const pool = new Pool({ connectionString: databaseUrl, max: opts.max ?? 10, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  const report = (err: Error, where: string): void => {
    const fields = { err: { message: err.message, code: (err as { code?: unknown }).code }, where };
    if (opts.logger) opts.logger.warn(fields, 'Postgres connection error (the connection is dropped; queries retry on a new one)');
    else console.warn(`Postgres connection error (${where}): ${err.message}`);
  };
  pool.on('error', (err) => report(err, 'idle client'));
  pool.on('connect', (client) => {
    client.on('error', (err) => report(err, 'client'));
  });
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/**
 * Creates the database named in `databaseUrl` if it does not exist (connecting to the
 * `postgres` maintenance database of the same server). Safe to run concurrently.
 * @returns true if it was created
 */
export async function createDatabaseIfMissing(databaseUrl: string): Promise<boolean> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_\-]+$/.test(name)) throw new Error(`Unsupported database name in DATABASE_URL: "${name}"`);
  url.pathname = '/postgres';
  const pool = new Pool({ connectionString: url.toString(), max: 1 });
  try {
    const found = await pool.query('select 1 from pg_database where datname = $1', [name]);
    if (found.rowCount && found.rowCount > 0) return false;
    try {
      await pool.query(`create database "${name}"`);
      return true;
    } catch (err) {
      // 42P04 duplicate_database: created concurrently by another process.
      if ((err as { code?: string }).code === '42P04') return false;
      throw err;
    }
  } finally {
    await pool.end();
  }
}

/**
 * Applies all pending migrations with kysely's Migrator.
 * @returns the names of the migrations applied now (empty when already up to date)
 * @throws the first migration error (the failing migration is rolled back by kysely)
 */
export async function migrateToLatest(db: Db): Promise<string[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** True when a trivial query succeeds within `timeoutMs` (health checks; never throws). */
export async function pingDb(db: Db, timeoutMs = 2_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const ping = sql`select 1`.execute(db).then(
    () => true,
    () => false,
  );
  try {
    return await Promise.race([ping, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Node socket error codes meaning "the server is not reachable right now". */
const CONNECTION_SOCKET_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

/** Messages of `pg` / `pg-pool` errors that carry no code but mean the connection was lost or never made. */
const PG_CONNECTION_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection refused|the database system is (starting up|shutting down|in recovery)/i;

/**
 * Whether `err` means Postgres could not be reached or dropped the connection (worth retrying
 * later), as opposed to a query error: SQLSTATE classes 08 (connection exception) and 57P
 * (operator intervention: shutdown, crash recovery), socket errors, and
 * `pg`'s own messages for a connect timeout or a connection closed mid-query.
 */
export function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (/^(08|57P)/.test(code) || CONNECTION_SOCKET_CODES.has(code))) return true;
  const message = err instanceof Error ? err.message : '';
  return PG_CONNECTION_MESSAGE.test(message);
}

/**
 * Runs `attempt` until it succeeds, waiting between failures (1 s doubling to 10 s), for at most
 * `maxWaitMs` in total (default: no limit). Used where a process needs Postgres before it can do
 * anything useful (`npm run migrate`, `npm start`): they wait for the database instead of exiting.
 * Only connection failures ({@link isConnectionError}) are retried; `onRetry` is told each one and
 * the delay (ms) before the next attempt.
 * @throws any other error at once, and the last connection error once `maxWaitMs` has passed
 */
export async function retryUntilReachable<T>(
  attempt: () => Promise<T>,
  opts: { maxWaitMs?: number; onRetry?: (err: unknown, delayMs: number) => void } = {},
): Promise<T> {
  const deadline = opts.maxWaitMs === undefined ? Infinity : Date.now() + opts.maxWaitMs;
  for (let delay = 1_000; ; delay = Math.min(delay * 2, 10_000)) {
    try {
      return await attempt();
    } catch (err) {
      if (!isConnectionError(err) || Date.now() + delay > deadline) throw err;
      opts.onRetry?.(err, delay);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
