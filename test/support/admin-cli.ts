/**
 * Running the admin CLI (`scripts/admin.ts`) from tests as a child process, and the fresh databases
 * some of those tests run it against (the CLI creates and migrates a missing database itself).
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Pool } from 'pg';
import { globalResources } from './global-resources';
import { JWT_SECRET, PUBLIC_BASE_URL } from './harness';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..');

/** What a CLI run printed, and its exit code (0 success, 2 usage error, …). */
export interface CliResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** How {@link runAdminCli} starts the CLI. */
export interface AdminCliOptions {
  /**
   * `'node'` (default): `node --import tsx scripts/admin.ts …`, what `npm run admin` runs, without npm;
   * `'npm'`: `npm run --silent admin -- …`, exactly as an operator types it.
   */
  via?: 'node' | 'npm';
  /** Kill the child after this many ms (default 60 000). */
  timeoutMs?: number;
}

/**
 * Runs the admin CLI with `args` against `databaseUrl` (env: the test's `NODE_ENV`, `PUBLIC_BASE_URL`
 * and `JWT_SECRET`). Never throws for a non-zero exit: the code is in the result.
 */
export async function runAdminCli(databaseUrl: string, args: string[], options: AdminCliOptions = {}): Promise<CliResult> {
  const [file, argv] =
    options.via === 'npm'
      ? ['npm', ['run', '--silent', 'admin', '--', ...args]]
      : [process.execPath, ['--import', 'tsx', 'scripts/admin.ts', ...args]];
  try {
    const { stdout, stderr } = await run(file, argv, {
      cwd: ROOT,
      env: { ...process.env, NODE_ENV: 'test', DATABASE_URL: databaseUrl, PUBLIC_BASE_URL, JWT_SECRET },
      timeout: options.timeoutMs ?? 60_000,
    });
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

/** A database name on the shared test server that does not exist yet; see {@link scratchDatabase}. */
export interface ScratchDatabase {
  /** `<prefix>_<12 hex>`. */
  name: string;
  /** Its URL on the shared server (same host, user and options as the suite's database). */
  url: string;
  /** Drops it (`with (force)`), if it exists. Call in `afterAll`. */
  drop(): Promise<void>;
}

/** A fresh database name and URL (nothing is created here: the CLI's first command creates and migrates it). */
export function scratchDatabase(prefix: string): ScratchDatabase {
  const name = `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const url = new URL(globalResources().databaseUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      const maintenance = new URL(globalResources().databaseUrl);
      maintenance.pathname = '/postgres';
      const pool = new Pool({ connectionString: maintenance.toString(), max: 1 });
      await pool.query(`drop database if exists "${name}" with (force)`);
      await pool.end();
    },
  };
}
