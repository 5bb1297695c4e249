/**
 * Starts the HTTP API: connects to Temporal and listens on `host:port` (Postgres may be down).
 */
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import type { Config } from '../config';
import { Keyring } from '../config/keyring';
import type { Logger } from '../config/logger';
import { FileBlobStore } from '../db/blob-store';
import { PgChannelChanges } from '../db/channel-changes';
import { createDb, type Db } from '../db/client';
import { createApp } from './app';
import { ConversationClient } from '../workflows/conversation/client';

/** A listening API and how to stop it. */
export interface RunningApi {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/**
 * Connects to Temporal and listens; `port: 0` picks a free port (see `url`). Does not need
 * Postgres to start: the pool connects lazily (`/healthz` reports `database: false` while it is
 * unreachable) and the Twilio webhook routes from a cached channel map.
 */
export async function startApi(config: Config, temporalAddress: string, logger: Logger, opts: { db?: Db } = {}): Promise<RunningApi> {
  const db = opts.db ?? createDb(config.databaseUrl, { logger });
  const connection = await Connection.connect({ address: temporalAddress });
  const client = new Client({ connection, namespace: config.temporalNamespace });
  const blobs = new FileBlobStore(config.attachments.dir);
  const keyring = new Keyring(config.credentialsKeys);
  // channel changes reload the webhooks' channel directories at once (connects in the background)
  const channelChanges = new PgChannelChanges(config.databaseUrl, logger);
  const app = createApp({
    db,
    conversations: new ConversationClient(client, config.taskQueue),
    blobs,
    config,
    logger,
    keyring,
    channelChanges,
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.port, config.host, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  return {
    server,
    url: `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections(); // keep-alive sockets would otherwise hold close() open
      setTimeout(() => server.closeAllConnections(), 5_000).unref();
      await closed;
      await connection.close();
      await channelChanges.close();
      if (!opts.db) await db.destroy();
    },
  };
}
