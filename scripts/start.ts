/**
 * `npm start`: the whole inbox on one machine. Validates configuration, creates and migrates the
 * database, seeds the demo org (outside production), starts an embedded Temporal dev server with
 * its Web UI unless TEMPORAL_ADDRESS is set, then the worker and the API; prints the API URL, the
 * Temporal UI URL and a dev JWT; stops everything cleanly on SIGINT / SIGTERM.
 */
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { signStaffToken } from '../api/auth';
import { startApi } from '../api/server';
import { ConfigError, loadConfig } from '../config';
import { createLogger } from '../config/logger';
import { createDatabaseIfMissing, createDb, migrateToLatest } from '../db/client';
import { seedDemo } from '../db/seed';
import { startWorker } from '../worker/run';
import { startEmbeddedTemporal, type EmbeddedTemporal } from './embedded-temporal';
import { startTwilioStub } from './twilio-standin';

const REPO_ROOT = path.resolve(__dirname, '..');

async function main(): Promise<void> {
  const startedAt = Date.now();
  const config = loadConfig();
  const logger = createLogger(config.logLevel);

  await createDatabaseIfMissing(config.databaseUrl);
  const db = createDb(config.databaseUrl);
  const applied = await migrateToLatest(db);
  logger.info({ applied }, 'database ready');
  const demo = config.env === 'production' ? undefined : await seedDemo(db);

  let temporal: EmbeddedTemporal | undefined;
  let temporalAddress = config.temporalAddress;
  if (!temporalAddress) {
    const dataDir = process.env.SWITCHBOARD_DATA_DIR ?? path.join(REPO_ROOT, '.data');
    mkdirSync(dataDir, { recursive: true });
    temporal = await startEmbeddedTemporal({
      port: Number(process.env.TEMPORAL_DEV_PORT ?? 7233),
      uiPort: config.temporalUiPort,
      dbFilename: path.join(dataDir, 'temporal.sqlite'),
      namespace: config.temporalNamespace,
    });
    temporalAddress = temporal.address;
    logger.info({ address: temporalAddress }, 'embedded Temporal dev server started');
  }

  // Development without Twilio credentials: outbound messages go to a local Twilio stand-in
  // (the real SDK still builds every request) and are logged, so replies can be seen working.
  const useStandIn = config.env !== 'production' && !config.twilio.apiBaseUrl && !process.env.TWILIO_ACCOUNT_SID;
  const standIn = useStandIn
    ? await startTwilioStub({
        port: Number(process.env.TWILIO_STANDIN_PORT ?? 0),
        onRequest: (r) =>
          logger.info(
            { to: r.form.To, from: r.form.From, body: r.form.Body, status: r.responseStatus },
            'Twilio stand-in received an outbound message',
          ),
      })
    : undefined;
  const runtimeConfig = standIn ? { ...config, twilio: { ...config.twilio, apiBaseUrl: standIn.url } } : config;

  const worker = await startWorker(runtimeConfig, temporalAddress, { db });
  const api = await startApi(runtimeConfig, temporalAddress, logger, { db });

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    // Each step runs even if an earlier one failed (e.g. the dev server already got the same signal).
    const steps: [string, (() => Promise<void>) | undefined][] = [
      ['api', () => api.close()],
      ['worker', () => worker.shutdown()],
      ['temporal', temporal ? () => temporal.stop() : undefined],
      ['twilio stand-in', standIn ? () => standIn.stop() : undefined],
      ['database', () => db.destroy()],
    ];
    for (const [name, step] of steps) {
      try {
        await step?.();
      } catch (err) {
        logger.warn({ err, step: name }, 'error while stopping (ignored)');
      }
    }
    console.log('Switchboard stopped cleanly');
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  worker.done.catch((err: unknown) => {
    logger.error({ err }, 'worker crashed');
    void stop('worker-crash');
  });

  const lines = [
    '',
    `Switchboard is ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`,
    `  API:         ${api.url}  (OpenAPI: ${api.url}/openapi.json)`,
    `  Temporal UI: ${temporal?.uiUrl ?? `(external Temporal at ${temporalAddress})`}`,
    `  Webhook:     ${config.publicBaseUrl}/webhooks/twilio/messaging`,
    `  Twilio:      ${standIn ? `local stand-in at ${standIn.url} (no TWILIO_ACCOUNT_SID set; outbound messages are logged)` : (config.twilio.apiBaseUrl ?? 'api.twilio.com')}`,
  ];
  if (demo) {
    const token = signStaffToken(config.jwtSecret, { userId: demo.adminId, orgId: demo.orgId, role: 'admin' });
    lines.push(`  Demo SMS number ${demo.smsNumber}, WhatsApp sender whatsapp:${demo.whatsappNumber}`);
    lines.push(`  Dev JWT (demo admin, 12 h):`, `    ${token}`);
    lines.push(`  Try: npm run simulate -- --from +15551234567 --body "Hi"`);
  }
  console.log(lines.join('\n') + '\n');
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
