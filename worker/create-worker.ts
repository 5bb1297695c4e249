/**
 * Builds the conversation worker: workflow bundle + activities on one task queue.
 */
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Activities } from '../activities';

/** Options for {@link createConversationWorker}. */
export interface ConversationWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: Activities;
  /** A pre-built bundle (tests build it once); default: bundle `workflows/index.ts` at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

/** Path of the workflows entry the bundler starts from. */
export const WORKFLOWS_PATH = require.resolve('../workflows');

/**
 * Creates (does not run) a worker for conversation workflows. Call `worker.run()`; it resolves
 * after `worker.shutdown()` once in-flight tasks have finished.
 */
export async function createConversationWorker(opts: ConversationWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    activities: opts.activities,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    // Conversations are long-lived and mostly idle: keep many cached, but bounded.
    maxCachedWorkflows: 1000,
  });
}
