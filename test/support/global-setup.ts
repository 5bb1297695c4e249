/**
 * Jest global setup (runs once, before any test file): Temporal binaries, a fresh Postgres
 * database, one shared Temporal dev server, Prism serving Twilio's OpenAPI spec, and the workflow
 * bundle built once. Everything is handed to the test files through environment variables
 * (`SWITCHBOARD_TEST_*`), which jest's workers inherit.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { createDatabaseIfMissing, createDb, migrateToLatest } from '../../db/client';
import { startEmbeddedTemporal } from '../../scripts/embedded-temporal';
import { resolveTemporalTestServer } from '../../scripts/temporal-binaries';
import { WORKFLOWS_PATH } from '../../worker/create-worker';
import { startPrism } from './prism';
import { type GlobalResources, setGlobalResources } from './global-resources';

export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  const adminUrl = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const dbName = `switchboard_test_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const databaseUrl = new URL(adminUrl);
  databaseUrl.pathname = `/${dbName}`;

  const [testServerPath, temporal, prism, bundle] = await Promise.all([
    resolveTemporalTestServer(),
    startEmbeddedTemporal(),
    startPrism(),
    bundleWorkflowCode({
      workflowsPath: WORKFLOWS_PATH,
      logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
    }),
    (async () => {
      await createDatabaseIfMissing(databaseUrl.toString());
      const db = createDb(databaseUrl.toString(), { max: 1 });
      await migrateToLatest(db);
      await db.destroy();
    })(),
  ]);
  const bundleDir = mkdtempSync(path.join(tmpdir(), 'switchboard-bundle-'));
  const bundlePath = path.join(bundleDir, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);

  const resources: GlobalResources = {
    databaseUrl: databaseUrl.toString(),
    temporalAddress: temporal.address,
    testServerPath,
    prismUrl: prism.url,
    workflowBundlePath: bundlePath,
  };
  setGlobalResources(resources);
  (globalThis as { __switchboardTeardown?: () => Promise<void> }).__switchboardTeardown = async () => {
    await Promise.allSettled([temporal.stop(), prism.stop()]);
    const { Pool } = await import('pg');
    const pool = new Pool({ connectionString: adminUrl, max: 1 });
    try {
      await pool.query(`drop database if exists "${dbName}" with (force)`);
    } finally {
      await pool.end();
    }
  };
  writeFileSync(path.join(bundleDir, 'resources.json'), JSON.stringify(resources));
  console.log(
    `\n[global-setup] ready in ${Date.now() - started} ms (database ${dbName}, Temporal ${temporal.address}, Prism ${prism.url})`,
  );
}
