/**
 * `npm run api`: the API half for deployment (requires TEMPORAL_ADDRESS, DATABASE_URL, JWT_SECRET).
 * Does not migrate: migrations are a separate step (`npm run migrate`; the `migrate` one-shot
 * service in docker-compose.yml), so an API restarted while Postgres is down starts and serves
 * (`/healthz` 503 `degraded`, inbound Twilio webhooks accepted into Temporal) instead of
 * crash-looping. When the database is reachable at start and migrations are pending, it logs a
 * warning. Stops on SIGINT / SIGTERM.
 */
import { Migrator } from 'kysely';
import { loadConfig } from '../config';
import { createLogger, type Logger } from '../config/logger';
import { onShutdownSignal } from '../config/shutdown';
import { createDb, type Db } from '../db/client';
import { migrations } from '../db/migrations';
import { startApi } from './server';

/** Logs a warning when the schema is behind the code (never throws; silent if Postgres is down). */
async function warnIfMigrationsPending(db: Db, logger: Logger): Promise<void> {
  try {
    const known = await new Migrator({ db, provider: { getMigrations: async () => migrations } }).getMigrations();
    const pending = known.filter((m) => m.executedAt === undefined).map((m) => m.name);
    if (pending.length > 0) logger.warn({ pending }, 'database migrations are pending: run `npm run migrate`');
  } catch (err) {
    logger.warn({ err: String(err) }, 'could not check database migrations (Postgres unreachable?)');
  }
}

async function main(): Promise<void> {
  const config = loadConfig(process.env, { deployment: true });
  const logger = createLogger(config.logLevel, 'switchboard-api');
  const db = createDb(config.databaseUrl, { logger });
  const api = await startApi(config, config.temporalAddress!, logger, { db });
  logger.info({ url: api.url }, 'API listening');
  void warnIfMigrationsPending(db, logger);
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
