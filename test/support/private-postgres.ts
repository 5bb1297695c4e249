/**
 * A short-lived Postgres cluster of its own for fault tests: `initdb` into a temp directory, a free
 * port on 127.0.0.1, `pg_ctl start` / `stop` at will, and `destroy()` to stop it and delete
 * everything. Never touches the shared server on 5432. Postgres refuses to run as root, so when the
 * tests run as root the binaries run as the `postgres` OS user (`runuser`), which then owns the
 * directory. Binaries: `initdb` / `pg_ctl` on PATH, else the newest `/usr/lib/postgresql/<v>/bin`.
 */
import { freePort } from '../../scripts/free-port';
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/** A running (or stopped) private cluster. */
export interface PrivatePostgres {
  port: number;
  /** `postgres://postgres@127.0.0.1:<port>/<database>` (trust auth on the loopback only). */
  url(database: string): string;
  /** `pg_ctl stop -m fast` (waits until it is down). */
  stop(): void;
  /** `pg_ctl start` on the same port (waits until it accepts connections). */
  start(): void;
  /** Stops it (immediate mode, errors ignored) and removes its directory. Idempotent. */
  destroy(): void;
}

function pgBinDir(): string {
  const onPath = spawnSync('sh', ['-c', 'command -v pg_ctl'], { encoding: 'utf8' }).stdout.trim();
  if (onPath) return path.dirname(onPath);
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (existsSync(path.join(root, v, 'bin', 'pg_ctl'))) return path.join(root, v, 'bin');
  throw new Error('pg_ctl not found: install the PostgreSQL server binaries');
}

/** Creates and starts a private cluster (about 2 s). Call `destroy()` in `afterAll`. */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = pgBinDir();
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(path.join(tmpdir(), 'switchboard-pg-'));
  const data = path.join(dir, 'data');
  const log = path.join(dir, 'postgres.log');
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const run = (tool: string, args: string[], opts: { check?: boolean } = {}): void => {
    const file = path.join(bin, tool);
    const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args];
    const result = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 60_000 });
    if (opts.check !== false && result.status !== 0) {
      throw new Error(`${tool} ${args.join(' ')} failed (${result.status}): ${result.stderr || result.stdout}`);
    }
  };
  const port = await freePort();
  let destroyed = false;
  const start = (): void =>
    run('pg_ctl', [
      '-D',
      data,
      '-l',
      log,
      '-w',
      '-t',
      '30',
      '-o',
      `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off`,
      'start',
    ]);
  try {
    run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
    start();
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    port,
    url: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    stop: () => run('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop']),
    start,
    destroy: () => {
      if (destroyed) return;
      destroyed = true;
      run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', '-t', '30', 'stop'], { check: false });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
