/**
 * The worker as a child process for fault tests: what `npm run worker` (worker/main.ts) does, but
 * with the workflow bundle the jest global setup already built (`SWITCHBOARD_WORKFLOW_BUNDLE`, a
 * file path), so the process is ready in seconds instead of bundling again. Reads the same
 * environment as `npm run worker`; logs `worker running` (pino JSON) once polling; stops on SIGTERM.
 */
import { loadConfig } from '../../config';
import { createLogger } from '../../config/logger';
import { onShutdownSignal } from '../../config/shutdown';
import { startWorker } from '../../worker/run';

async function main(): Promise<void> {
  const config = loadConfig(process.env, { deployment: true });
  const logger = createLogger(config.logLevel, 'switchboard-worker');
  const codePath = process.env.SWITCHBOARD_WORKFLOW_BUNDLE;
  const running = await startWorker(config, config.temporalAddress!, { logger, ...(codePath ? { workflowBundle: { codePath } } : {}) });
  logger.info({ taskQueue: config.taskQueue }, 'worker running');
  onShutdownSignal(async () => {
    await running.shutdown();
  });
  await running.done;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
