/**
 * Wires the worker's dependencies (database, channel adapters, OpenAI) and runs it until `shutdown()`.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { createOpenAiClient } from '../activities/openai-client';
import { ConversationClient } from '../workflows/conversation/client';
import { createActivities } from '../activities';
import { createChannelAdapters } from '../channels';
import { Keyring } from '../config/keyring';
import { mediaSigningSecret } from '../db/media-urls';
import { FileBlobStore } from '../db/blob-store';
import type { Config } from '../config';
import { createDb, type Db, type PoolErrorLogger } from '../db/client';
import { createConversationWorker } from './create-worker';

/** A running worker and how to stop it. */
export interface RunningWorker {
  worker: Worker;
  /** Resolves when the worker stopped (after `shutdown()`), rejects if it crashed. */
  done: Promise<void>;
  shutdown(): Promise<void>;
}

/** Options of {@link startWorker}. */
export interface StartWorkerOptions {
  /** Database handle to use (and not close); default: a new pool on `config.databaseUrl`. */
  db?: Db;
  /** Logs Postgres connection errors of a pool this function creates (default `console.warn`). */
  logger?: PoolErrorLogger;
  /** A pre-built workflow bundle (tests build it once); default: bundle `workflows/` at start. */
  workflowBundle?: { codePath: string };
}

/**
 * Connects to Temporal at `address` and starts polling the conversation task queue. Needs no
 * Postgres to start or to keep running: activities that touch the database fail while it is
 * down and Temporal retries them.
 */
export async function startWorker(config: Config, address: string, opts: StartWorkerOptions = {}): Promise<RunningWorker> {
  const db = opts.db ?? createDb(config.databaseUrl, { logger: opts.logger });
  const connection = await NativeConnection.connect({ address });
  // the assistant's agent tools act on conversations through the same updates as the API
  const clientConnection = await Connection.connect({ address });
  const commands = new ConversationClient(
    new Client({ connection: clientConnection, namespace: config.temporalNamespace }),
    config.taskQueue,
  );
  const openai = config.openai.apiKey
    ? createOpenAiClient({ apiKey: config.openai.apiKey, baseURL: config.openai.baseUrl, maxRetries: 0, timeoutMs: 60_000 })
    : undefined;
  const worker = await createConversationWorker({
    connection,
    namespace: config.temporalNamespace,
    taskQueue: config.taskQueue,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : {}),
    activities: createActivities({
      db,
      channels: createChannelAdapters(config),
      keyring: new Keyring(config.credentialsKeys),
      blobs: new FileBlobStore(config.attachments.dir),
      publicBaseUrl: config.publicBaseUrl,
      mediaUrlSecret: mediaSigningSecret(config.jwtSecret),
      maxAttachmentBytes: config.attachments.maxBytes,
      openai,
      commands,
    }),
  });
  const done = worker.run().finally(async () => {
    await connection.close();
    await clientConnection.close();
    if (!opts.db) await db.destroy();
  });
  return {
    worker,
    done,
    async shutdown() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}
