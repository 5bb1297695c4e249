/**
 * Bench support: runs the whole product as `npm start` does (a child process of `scripts/start.ts`
 * with its own database, embedded Temporal dev server, Twilio / Postmark stand-ins, worker and API on
 * free ports), and posts signed Twilio webhooks to it over real HTTP. Nothing here is a test: the
 * bench scripts print figures.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import pg from 'pg';
import { DEV_DEFAULTS } from '../config';
import { conversationIdFor } from '../domain/routing';
import { DEMO } from '../db/seed';
import { buildInboundMessageForm, signTwilioRequest } from '../scripts/twilio-form';
import { freePort } from '../scripts/free-port';

const REPO_ROOT = path.resolve(__dirname, '..');

/** A running Switchboard (`npm start`) started by {@link startSwitchboard}. */
export interface RunningSwitchboard {
  apiUrl: string;
  /** Temporal frontend `host:port` of its embedded dev server. */
  temporalAddress: string;
  /** Dev JWT of the demo admin (`Authorization: Bearer …`). */
  token: string;
  /** The demo SMS number (E.164) inbound webhooks are addressed to. */
  smsNumber: string;
  /** A small pool on its database (closed by `stop()`), for counting what was stored. */
  db: pg.Pool;
  /** Conversation id of a customer number on the demo SMS channel. */
  conversationIdOf(from: string): string;
  /** POSTs a signed inbound SMS webhook; resolves with the HTTP status. */
  inbound(from: string, body: string, sid: string): Promise<number>;
  stop(): Promise<void>;
}

/** Starts `scripts/start.ts` on a fresh database and free ports; resolves once it printed "ready". */
export async function startSwitchboard(): Promise<RunningSwitchboard> {
  const [port, devPort, uiPort] = [await freePort(), await freePort(), await freePort()];
  const databaseName = `switchboard_bench_${Date.now()}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'development',
    PORT: String(port),
    TEMPORAL_DEV_PORT: String(devPort),
    TEMPORAL_UI_PORT: String(uiPort),
    DATABASE_URL: `postgres://postgres@127.0.0.1:5432/${databaseName}`,
    SWITCHBOARD_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'switchboard-bench-')),
    LOG_LEVEL: 'warn',
  };
  delete env.TEMPORAL_ADDRESS;
  const child: ChildProcess = spawn(process.execPath, [path.join(REPO_ROOT, 'node_modules/tsx/dist/cli.mjs'), 'scripts/start.ts'], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/Dev JWT[^\n]*\n\s+(\S+)/.test(output)) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    child.once('exit', (code) => reject(new Error(`npm start exited (${code}) before it was ready:\n${output}`)));
  });
  await ready;
  // after start-up, pass on what the product logs as warnings or errors (pino JSON, level ≥ 40)
  child.stdout!.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (/"level":(4|5|6)\d/.test(line)) process.stderr.write(line + '\n');
  });
  const token = /Dev JWT[^\n]*\n\s+(\S+)/.exec(output)![1]!;
  const apiUrl = `http://127.0.0.1:${port}`;
  const publicBaseUrl = apiUrl;
  const smsNumber = DEMO.smsNumber;
  const db = new pg.Pool({ connectionString: env.DATABASE_URL, max: 2 });
  return {
    db,
    apiUrl,
    temporalAddress: `127.0.0.1:${devPort}`,
    token,
    smsNumber,
    conversationIdOf: (from) => conversationIdFor(DEMO.orgId, DEMO.smsChannelId, from),
    async inbound(from, body, sid) {
      const pathWithQuery = '/webhooks/twilio/messaging';
      const form = buildInboundMessageForm({ from, to: smsNumber, body, sid });
      const res = await fetch(apiUrl + pathWithQuery, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-twilio-signature': signTwilioRequest(DEV_DEFAULTS.twilioAuthToken, publicBaseUrl + pathWithQuery, form),
        },
        body: form,
      });
      await res.arrayBuffer();
      return res.status;
    },
    async stop() {
      await db.end();
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

/** Runs `count` jobs with at most `concurrency` at once; resolves with each job's duration (ms). */
export async function runConcurrently(count: number, concurrency: number, job: (i: number) => Promise<void>): Promise<number[]> {
  const durations: number[] = new Array<number>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const started = performance.now();
        await job(i);
        durations[i] = performance.now() - started;
      }
    }),
  );
  return durations;
}

/** The `p`-th percentile (0–100) of `values` (ms). */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** A random, possible US E.164 number. */
export function randomPhone(): string {
  return `+1202${String(Math.floor(Math.random() * 9_000_000) + 1_000_000)}`;
}

/** Runs a bench's `main`, printing its error and exiting 1 if it fails. */
export function runBench(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
