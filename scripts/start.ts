/**
 * `npm start`: the whole inbox on one machine. Validates configuration, creates and migrates the
 * database (waiting for Postgres if it is not up yet), seeds the demo org (outside production), starts an embedded Temporal dev server with
 * its Web UI unless TEMPORAL_ADDRESS is set, then the worker and the API; prints the API URL, the
 * Temporal UI URL and a dev JWT; stops everything cleanly on SIGINT / SIGTERM.
 */
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { signStaffToken } from '../api/auth';
import { startApi } from '../api/server';
import { type Config, ConfigError, loadConfig } from '../config';
import { createLogger, type Logger } from '../config/logger';
import { onShutdownSignal } from '../config/shutdown';
import { createDatabaseIfMissing, createDb, migrateToLatest, retryUntilReachable } from '../db/client';
import { seedDemo } from '../db/seed';
import { startWorker } from '../worker/run';
import { startEmbeddedTemporal, type EmbeddedTemporal } from './embedded-temporal';
import { CHANNEL_ADAPTERS, type RunningStandIn } from '../channels';

const REPO_ROOT = path.resolve(__dirname, '..');

/**
 * Longest wait for one shutdown step (ms). The embedded dev server may already be exiting from the
 * same Ctrl-C / SIGTERM (it is in our process group), and its teardown then never resolves.
 */
const STOP_STEP_TIMEOUT_MS = 5_000;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Things started so far, stopped in reverse order (on a signal, or when start-up fails half-way). */
class Resources {
  private readonly stack: { name: string; stop: () => Promise<void> }[] = [];
  constructor(private readonly logger: Logger) {}

  add(name: string, stop: () => Promise<void>): void {
    this.stack.push({ name, stop });
  }

  /** Stops everything; each step runs even if an earlier one failed (e.g. the dev server got the same signal). */
  async stopAll(): Promise<void> {
    for (const { name, stop } of this.stack.splice(0).reverse()) {
      try {
        this.logger.debug({ step: name }, 'stopping');
        await withTimeout(stop(), STOP_STEP_TIMEOUT_MS, `stopping ${name}`);
      } catch (err) {
        this.logger.warn({ err, step: name }, 'error while stopping (ignored)');
      }
    }
  }
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const resources = new Resources(logger);
  try {
    await run(config, logger, resources, startedAt);
  } catch (err) {
    await resources.stopAll();
    throw err;
  }
}

async function run(config: Config, logger: Logger, resources: Resources, startedAt: number): Promise<void> {
  // Postgres not up yet (e.g. started together with it): wait for it rather than exit. Later
  // outages are survived: the pool logs its errors, activities retry, webhooks go to Temporal.
  const onRetry = (err: unknown, delayMs: number): void => logger.warn({ err: String(err), retryInMs: delayMs }, 'waiting for Postgres');
  await retryUntilReachable(() => createDatabaseIfMissing(config.databaseUrl), { onRetry });
  const db = createDb(config.databaseUrl, { logger });
  resources.add('database', () => db.destroy());
  const applied = await retryUntilReachable(() => migrateToLatest(db), { onRetry });
  logger.info({ applied }, 'database ready');
  const demo = config.env === 'production' ? undefined : await retryUntilReachable(() => seedDemo(db), { onRetry });

  let temporal: EmbeddedTemporal | undefined;
  let temporalAddress = config.temporalAddress;
  if (!temporalAddress) {
    const dataDir = config.dataDir ?? path.join(REPO_ROOT, '.data');
    mkdirSync(dataDir, { recursive: true });
    temporal = await startEmbeddedTemporal({
      port: config.temporalDevPort,
      uiPort: config.temporalUiPort,
      dbFilename: path.join(dataDir, 'temporal.sqlite'),
      namespace: config.temporalNamespace,
    });
    resources.add('temporal', () => temporal!.stop());
    temporalAddress = temporal.address;
    logger.info({ address: temporalAddress }, 'embedded Temporal dev server started');
  }

  // Development without a provider's credentials: its outbound messages go to a local stand-in (the
  // real SDK still builds every request) and are logged, so replies can be seen working.
  let runtimeConfig: Config = config;
  const summaries: string[] = [];
  for (const definition of CHANNEL_ADAPTERS) {
    const dev = definition.dev;
    if (!dev) continue;
    const standIn: RunningStandIn | null = await dev.start(config, logger);
    if (standIn) {
      resources.add(`${definition.provider} stand-in`, () => standIn.stop());
      runtimeConfig = dev.pointAt(runtimeConfig, standIn.url);
    }
    summaries.push(...dev.summary(config, standIn));
  }

  const worker = await startWorker(runtimeConfig, temporalAddress, { db });
  resources.add('worker', () => worker.shutdown());
  const api = await startApi(runtimeConfig, temporalAddress, logger, { db });
  resources.add('api', () => api.close());

  let stopping = false;
  const stop = async (reason: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason }, 'stopping');
    await resources.stopAll();
    console.log('Switchboard stopped cleanly');
    process.exit(0);
  };
  onShutdownSignal(stop);
  worker.done.catch((err: unknown) => {
    logger.error({ err }, 'worker crashed');
    void stop('worker-crash');
  });

  const lines = [
    '',
    `Switchboard is ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`,
    `  API:         ${api.url}  (OpenAPI: ${api.url}/openapi.json)`,
    `  Temporal UI: ${temporal?.uiUrl ?? `(external Temporal at ${temporalAddress})`}`,
    ...summaries,
  ];
  if (demo) {
    const token = signStaffToken(config.jwtSecret, { userId: demo.adminId, orgId: demo.orgId, role: 'admin' });
    lines.push(`  Demo SMS number ${demo.smsNumber}, WhatsApp sender whatsapp:${demo.whatsappNumber}, email ${demo.emailAddress}`);
    lines.push(`  Dev JWT (demo admin, 12 h):`, `    ${token}`);
    lines.push(`  Try: npm run simulate -- --from +15551234567 --body "Hi"`);
  }
  console.log(lines.join('\n') + '\n');
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
