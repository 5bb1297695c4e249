/**
 * The real Express app for tests of routes that never reach Temporal (auth, API keys, audit log, …):
 * `createApp(testApiDeps(…))` on the given database, with a Temporal client whose connection is lazy
 * and points at a closed port, so nothing connects unless a route wrongly tries to.
 */
import { Client, Connection } from '@temporalio/client';
import type { Express } from 'express';
import { createApp } from '../../api/app';
import type { Db } from '../../db/client';
import { ConversationClient } from '../../workflows/conversation/client';
import { testApiDeps } from './harness';

/**
 * The app on `db` with a Temporal client that never connects.
 * @param publicBaseUrl overrides `config.publicBaseUrl` (e.g. an `https://` one for `Secure` cookies)
 */
export function appWithoutTemporal(db: Db, publicBaseUrl?: string): Express {
  const client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
  const deps = testApiDeps({ db, conversations: new ConversationClient(client, 'unused') });
  return createApp(publicBaseUrl ? { ...deps, config: { ...deps.config, publicBaseUrl } } : deps);
}
