/**
 * The embedded Temporal dev server of `npm start` (and of the test suite): `temporal server
 * start-dev` with the Web UI, the project's search attributes registered, optionally persisted
 * to SQLite. Runs through the SDK's ephemeral-server support, with the binary resolved by
 * `scripts/temporal-binaries.ts` (or the SDK's own download as a last resort).
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { CONVERSATION_SEARCH_ATTRIBUTES } from '../workflows/conversation/search-attributes';
import { resolveTemporalCli, temporalExecutable } from './temporal-binaries';

/** A running dev server. */
export interface EmbeddedTemporal {
  /** `host:port` of the frontend (gRPC). */
  address: string;
  /** Web UI URL, when enabled. */
  uiUrl: string | undefined;
  stop(): Promise<void>;
}

/**
 * Starts the dev server.
 * @param opts.port frontend port (default: a free one); @param opts.uiPort Web UI port (omit: no UI)
 * @param opts.dbFilename SQLite file to persist to (omit: in memory)
 * @param opts.dynamicConfig extra `--dynamic-config-value KEY=VALUE` pairs (tests lower the
 *   continue-as-new suggestion threshold with `limit.historyCount.suggestContinueAsNew`)
 */
export async function startEmbeddedTemporal(
  opts: { port?: number; uiPort?: number; dbFilename?: string; namespace?: string; dynamicConfig?: Record<string, string | number> } = {},
): Promise<EmbeddedTemporal> {
  const cli = await resolveTemporalCli();
  const extraArgs = Object.entries(opts.dynamicConfig ?? {}).flatMap(([k, v]) => ['--dynamic-config-value', `${k}=${v}`]);
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: temporalExecutable(cli),
      ip: '127.0.0.1',
      ...(opts.port !== undefined ? { port: opts.port } : {}),
      ...(opts.uiPort !== undefined ? { ui: true, uiPort: opts.uiPort } : {}),
      ...(opts.dbFilename ? { dbFilename: opts.dbFilename } : {}),
      namespace: opts.namespace ?? 'default',
      searchAttributes: [...CONVERSATION_SEARCH_ATTRIBUTES],
      extraArgs,
    },
  });
  const address = env.connection.options.address;
  return {
    address,
    uiUrl: opts.uiPort !== undefined ? `http://127.0.0.1:${opts.uiPort}` : undefined,
    stop: () => env.teardown(),
  };
}
