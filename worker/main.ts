/**
 * `npm run worker`: the worker half for deployment (requires TEMPORAL_ADDRESS, DATABASE_URL, JWT_SECRET).
 * Stops cleanly on SIGINT / SIGTERM (finishes in-flight tasks). Starts and keeps running while
 * Postgres is down (database activities fail and Temporal retries them; pool errors are logged).
 */
import { loadConfig } from '../config';
import { createLogger } from '../config/logger';
import { onShutdownSignal } from '../config/shutdown';
import { startWorker } from './run';

async function main(): Promise<void> {
  const config = loadConfig(process.env, { deployment: true });
  const logger = createLogger(config.logLevel, 'switchboard-worker');
  const running = await startWorker(config, config.temporalAddress!, { logger });
  logger.info({ taskQueue: config.taskQueue, address: config.temporalAddress }, 'worker running');
  onShutdownSignal(async (signal) => {
    logger.info({ signal }, 'shutting down worker');
    await running.shutdown();
  });
  await running.done;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
