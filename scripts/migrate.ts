/**
 * `npm run migrate`: creates the database if missing and applies pending migrations, then exits
 * (0 = up to date). The one step that changes the schema: `npm run api` / `npm run worker` never
 * migrate (docker-compose.yml runs this as its one-shot `migrate` service before them).
 * Waits for Postgres while it is unreachable, up to `--wait <seconds>` (default 60), then exits 1.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { createDatabaseIfMissing, createDb, migrateToLatest, retryUntilReachable } from '../db/client';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { wait: { type: 'string', default: '60' } } });
  const waitSeconds = Number(values.wait);
  if (!Number.isFinite(waitSeconds) || waitSeconds < 0) throw new Error(`--wait must be a number of seconds, got "${values.wait}"`);
  const config = loadConfig();
  const onRetry = (err: unknown, delayMs: number): void =>
    console.warn(`Postgres not reachable (${err instanceof Error ? err.message : String(err)}); retrying in ${delayMs / 1000} s`);
  await retryUntilReachable(() => createDatabaseIfMissing(config.databaseUrl), { maxWaitMs: waitSeconds * 1000, onRetry });
  const db = createDb(config.databaseUrl);
  try {
    const applied = await retryUntilReachable(() => migrateToLatest(db), { maxWaitMs: waitSeconds * 1000, onRetry });
    console.log(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'database is up to date');
  } finally {
    await db.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
