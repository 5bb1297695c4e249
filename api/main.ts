/**
 * `npm run api`: the API half for deployment (requires TEMPORAL_ADDRESS, DATABASE_URL, JWT_SECRET).
 * Creates the database if missing and runs migrations before listening. Stops on SIGINT / SIGTERM.
 */
import { loadConfig } from '../config';
import { createLogger } from '../config/logger';
import { onShutdownSignal } from '../config/shutdown';
import { createDatabaseIfMissing, createDb, migrateToLatest } from '../db/client';
import { startApi } from './server';

async function main(): Promise<void> {
  const config = loadConfig(process.env, { deployment: true });
  const logger = createLogger(config.logLevel, 'switchboard-api');
  await createDatabaseIfMissing(config.databaseUrl);
  const db = createDb(config.databaseUrl);
  const applied = await migrateToLatest(db);
  if (applied.length > 0) logger.info({ applied }, 'migrations applied');
  const api = await startApi(config, config.temporalAddress!, logger, { db });
  logger.info({ url: api.url }, 'API listening');
  onShutdownSignal(async (signal) => {
    logger.info({ signal }, 'shutting down API');
    await api.close();
    await db.destroy();
  });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
