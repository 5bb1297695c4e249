/**
 * `npm run api`: the API half for deployment (requires TEMPORAL_ADDRESS, DATABASE_URL, JWT_SECRET).
 * Creates the database if missing and runs migrations before listening. Stops on SIGINT / SIGTERM.
 */
import { loadConfig } from '../config';
import { createLogger } from '../config/logger';
import { createDatabaseIfMissing, createDb, migrateToLatest } from '../db/client';
import { startApi } from './server';

async function main(): Promise<void> {
  const config = loadConfig(process.env, { requireTemporalAddress: true });
  const logger = createLogger(config.logLevel, 'switchboard-api');
  await createDatabaseIfMissing(config.databaseUrl);
  const db = createDb(config.databaseUrl);
  const applied = await migrateToLatest(db);
  if (applied.length > 0) logger.info({ applied }, 'migrations applied');
  const api = await startApi(config, config.temporalAddress!, logger, { db });
  logger.info({ url: api.url }, 'API listening');
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      logger.info({ signal }, 'shutting down API');
      void api.close().then(() => db.destroy());
    });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
