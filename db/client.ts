import { Kysely, Migrator, PostgresDialect, sql } from 'kysely';
import { Pool } from 'pg';
import { migrations } from './migrations';
import type { Database } from './schema';

/** Typed database handle used everywhere (kysely over a `pg` pool). */
export type Db = Kysely<Database>;

/** Opens a pooled connection to `databaseUrl` (a `postgres://` URL). Call `db.destroy()` to close. */
export function createDb(databaseUrl: string, opts: { max?: number } = {}): Db {
  return new Kysely<Database>({
    dialect: new PostgresDialect({ pool: new Pool({ connectionString: databaseUrl, max: opts.max ?? 10 }) }),
  });
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

/** True when a trivial query succeeds (health checks). */
export async function pingDb(db: Db): Promise<boolean> {
  try {
    await sql`select 1`.execute(db);
    return true;
  } catch {
    return false;
  }
}
