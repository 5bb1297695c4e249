/**
 * A conversation worker in its own process, for fault tests that SIGKILL it (test/fault/). Started by
 * {@link startWorkerProcess} with `node --import tsx`; its configuration comes in the env var
 * `SEND_WORKER_CONFIG` (JSON {@link WorkerProcessConfig}). Prints `ready` on stdout once it polls.
 * Activities are built exactly as in the harness (real SDKs against the test's stand-ins).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { createChannelAdapters } from '../../channels';
import { Keyring } from '../../config/keyring';
import { ConversationClient } from '../../workflows/conversation/client';
import { FileBlobStore } from '../../db/blob-store';
import { createDb } from '../../db/client';
import { mediaSigningSecret } from '../../db/media-urls';
import { createConversationWorker } from '../../worker/create-worker';

/** What the worker process connects to. */
export interface WorkerProcessConfig {
  databaseUrl: string;
  temporalAddress: string;
  taskQueue: string;
  workflowBundlePath: string;
  twilioUrl: string;
  twilioAccountSid: string;
  twilioAuthToken: string;
  postmarkUrl: string;
  /** The Telegram Bot API stand-in and its bot token; absent = no Telegram bot (sends fail `not_configured`). */
  telegram?: { url: string; botToken: string };
  postmarkServerToken: string;
  publicBaseUrl: string;
  jwtSecret: string;
  inboundEmailDomain: string;
  maxAttachmentBytes: number;
}

const CONFIG_ENV = 'SEND_WORKER_CONFIG';

/** A running worker process. */
export interface WorkerProcess {
  child: ChildProcess;
  /** SIGKILLs the process and waits until it is gone. */
  kill(): Promise<void>;
}

/**
 * Spawns a worker process and resolves once it printed `ready` (rejects if it exits first or takes
 * longer than `timeoutMs`). Its stderr goes to the test's stderr when `TEST_WORKER_LOGS` is set.
 */
export async function startWorkerProcess(config: WorkerProcessConfig, timeoutMs = 60_000): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', __filename], {
    cwd: path.resolve(__dirname, '../..'),
    env: { ...process.env, [CONFIG_ENV]: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', process.env.TEST_WORKER_LOGS ? 'inherit' : 'ignore'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('worker process did not become ready')), timeoutMs);
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (out.includes('ready\n')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker process exited (${code}) before it was ready`));
    });
  });
  return {
    child,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** The child's main: build the worker, run it, say `ready`. */
async function main(raw: string): Promise<void> {
  const config = JSON.parse(raw) as WorkerProcessConfig;
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const db = createDb(config.databaseUrl, { max: 3 });
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  const clientConnection = await Connection.connect({ address: config.temporalAddress });
  const commands = new ConversationClient(new Client({ connection: clientConnection, namespace: 'default' }), config.taskQueue);
  const worker = await createConversationWorker({
    connection,
    namespace: 'default',
    taskQueue: config.taskQueue,
    activities: createActivities({
      db,
      channels: createChannelAdapters({
        twilio: {
          accountSid: config.twilioAccountSid,
          authToken: config.twilioAuthToken,
          apiBaseUrl: config.twilioUrl,
          mediaHosts: ['127.0.0.1'],
        },
        postmark: { serverToken: config.postmarkServerToken, apiBaseUrl: config.postmarkUrl, inboundDomain: config.inboundEmailDomain },
        telegram: { botToken: config.telegram?.botToken, apiRoot: config.telegram?.url },
      }),
      // the harness's TEST_CREDENTIALS_KEYS (not imported: this child process stays light)
      keyring: new Keyring(`test:${Buffer.alloc(32, 42).toString('base64')}`),
      blobs: new FileBlobStore(mkdtempSync(path.join(tmpdir(), 'switchboard-blobs-'))),
      publicBaseUrl: config.publicBaseUrl,
      mediaUrlSecret: mediaSigningSecret(config.jwtSecret),
      maxAttachmentBytes: config.maxAttachmentBytes,
      commands,
    }),
    workflowBundle: { codePath: config.workflowBundlePath },
  });
  const done = worker.run();
  process.once('SIGTERM', () => worker.shutdown());
  process.stdout.write('ready\n');
  await done;
  await connection.close();
  await clientConnection.close();
  await db.destroy();
}

const rawConfig = process.env[CONFIG_ENV];
if (rawConfig && require.main === module) {
  main(rawConfig).catch((err: unknown) => {
    process.stderr.write(`worker process failed: ${String(err)}\n`);
    process.exit(1);
  });
}
