/**
 * Fault test: Postgres stops for about 22 s while signed Twilio webhooks arrive.
 *
 * Runs the project against its OWN Postgres (a private cluster on a free port, see
 * test/support/private-postgres.ts; never the shared server), migrated by the real `npm run migrate`
 * script, with the API (`api/main.ts`, the `npm run api` entry point) and the worker
 * (test/support/worker-process.ts: `npm run worker` with the suite's prebuilt workflow bundle) as
 * child processes against the suite's Temporal dev server. During the outage: new and known
 * customers on SMS and WhatsApp, and a Twilio re-delivery of an already accepted MessageSid; a
 * second API process is started while the database is down (it must start and report `degraded`).
 * Asserts: every webhook answered 200, or a non-2xx that one retry (as Twilio does) turns into 200;
 * every message stored exactly once afterwards, new contacts created once; no process exited.
 * Cleans up its processes and its cluster even when an assertion fails.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createDb, type Db } from '../../db/client';
import { globalResources } from '../support/global-resources';
import { createTestOrg, randomPhone, type TestOrg } from '../support/harness';
import { freePort } from '../../scripts/free-port';
import { type PrivatePostgres, startPrivatePostgres } from '../support/private-postgres';
import { buildInboundMessageForm, newTwilioSid, postTwilioWebhook } from '../support/twilio-webhooks';
import { selectContacts } from '../../db/contacts';

jest.setTimeout(150_000);

const REPO = path.resolve(__dirname, '../..');
const TSX = path.join(REPO, 'node_modules/.bin/tsx');
const AUTH_TOKEN = 'fault-test-twilio-auth-token';
/** How long Postgres stays down (ms): within the 20–30 s the scenario calls for. */
const OUTAGE_MS = 22_000;
/** Pause between webhooks during the outage (ms). */
const WEBHOOK_INTERVAL_MS = 600;

/** A child process of this test with its output kept for diagnostics. */
interface Child {
  name: string;
  process: ChildProcess;
  output: string[];
  exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** A one-shot (the migration): its exit is expected. */
  oneShot: boolean;
}

let pg: PrivatePostgres | undefined;
let db: Db | undefined;
let org: TestOrg;
let dataDir: string;
let stopping = false;
const children: Child[] = [];
const env: NodeJS.ProcessEnv = {};

/** Spawns `tsx <script>` in its own process group with the test's environment. */
function startChild(name: string, script: string, extraEnv: NodeJS.ProcessEnv = {}, oneShot = false): Child {
  const proc = spawn(TSX, [script], {
    cwd: REPO,
    env: { ...process.env, ...env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const child: Child = { name, process: proc, output: [], exited: undefined, oneShot };
  const keep = (chunk: Buffer): void => {
    child.output.push(chunk.toString());
    if (child.output.length > 400) child.output.splice(0, child.output.length - 400);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  proc.on('exit', (code, signal) => {
    child.exited = { code, signal };
    if (!stopping && !oneShot)
      console.error(`[postgres-outage] ${name} exited (${code ?? signal}):\n${child.output.join('').slice(-4000)}`);
  });
  children.push(child);
  return child;
}

async function poll<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Stops a child: SIGTERM to its group, SIGKILL after 5 s. */
async function stopChild(child: Child): Promise<void> {
  if (child.exited || child.process.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.process.once('exit', () => resolve()));
  try {
    process.kill(-child.process.pid, 'SIGTERM');
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-child.process.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  }, 5_000);
  await exited;
  clearTimeout(timer);
}

/** Last resort if jest exits without afterAll: no orphaned processes or clusters. */
function killEverythingNow(): void {
  for (const child of children) {
    try {
      if (!child.exited && child.process.pid) process.kill(-child.process.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  pg?.destroy();
}

beforeAll(async () => {
  process.once('exit', killEverythingNow);
  const resources = globalResources();
  pg = await startPrivatePostgres();
  dataDir = mkdtempSync(path.join(tmpdir(), 'switchboard-outage-'));
  const databaseUrl = pg.url('switchboard');
  Object.assign(env, {
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: resources.temporalAddress,
    TEMPORAL_TASK_QUEUE: `outage-${randomBytes(6).toString('hex')}`,
    JWT_SECRET: 'fault-test-jwt-secret-0123456789',
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    POSTMARK_INBOUND_PASSWORD: 'fault-test-postmark-password',
    CREDENTIALS_ENCRYPTION_KEYS: `fault:${Buffer.alloc(32, 3).toString('base64')}`,
    ATTACHMENTS_DIR: path.join(dataDir, 'attachments'),
    HOST: '127.0.0.1',
    OPENAI_API_KEY: '',
  });
  // the real migration step (the API no longer migrates at start)
  const migrate = startChild('migrate', 'scripts/migrate.ts', {}, true);
  await new Promise<void>((resolve) => migrate.process.once('exit', () => resolve()));
  expect({ migrate: migrate.exited?.code, output: migrate.exited?.code === 0 ? '' : migrate.output.join('') }).toEqual({
    migrate: 0,
    output: '',
  });
  children.splice(children.indexOf(migrate), 1);

  db = createDb(databaseUrl, { max: 2, logger: { warn() {} } });
  org = await createTestOrg(db);
});

afterAll(async () => {
  stopping = true;
  await Promise.allSettled(children.map(stopChild));
  await db?.destroy().catch(() => undefined);
  pg?.destroy();
  process.removeListener('exit', killEverythingNow);
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** Starts an API process on a free port; resolves with its base URL once it answers `/healthz` (any status). */
async function startApi(name: string): Promise<{ child: Child; url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = startChild(name, 'api/main.ts', { PORT: String(port), PUBLIC_BASE_URL: url });
  await poll(
    async () => {
      if (child.exited) throw new Error(`${name} exited`);
      return (await fetch(`${url}/healthz`)).status;
    },
    `${name} to answer /healthz`,
    45_000,
  );
  return { child, url };
}

/** One inbound message as Twilio sends it (re-posting the same form = a Twilio retry). */
interface Inbound {
  sid: string;
  form: string;
  /** Statuses of each attempt. */
  statuses: number[];
}

function inbound(opts: { from: string; whatsapp?: boolean; body: string; profileName?: string }): Inbound {
  const sid = newTwilioSid('SM');
  const form = buildInboundMessageForm({
    from: opts.from,
    body: opts.body,
    sid,
    whatsapp: opts.whatsapp,
    to: opts.whatsapp ? org.whatsappNumber : org.smsNumber,
    ...(opts.profileName ? { profileName: opts.profileName } : {}),
  });
  return { sid, form, statuses: [] };
}

async function post(apiUrl: string, message: Inbound): Promise<number> {
  const url = `${apiUrl}/webhooks/twilio/messaging`;
  const res = await postTwilioWebhook({ url, formBody: message.form, authToken: AUTH_TOKEN }).catch(() => undefined);
  const status = res?.status ?? 0; // 0 = connection refused / reset
  await res?.text().catch(() => undefined);
  message.statuses.push(status);
  return status;
}

test('Postgres down for ~22 s: every webhook accepted (or accepted on one retry), every message stored once, no process exits', async () => {
  const api = await startApi('api');
  const worker = startChild('worker', path.relative(REPO, path.join(__dirname, '../support/worker-process.ts')), {
    SWITCHBOARD_WORKFLOW_BUNDLE: globalResources().workflowBundlePath,
  });
  await poll(
    async () => {
      if (worker.exited) throw new Error('worker exited');
      return worker.output.join('').includes('worker running') ? true : undefined;
    },
    'the worker to poll',
    45_000,
  );

  // A known customer: their conversation and contact exist before the outage.
  const known = randomPhone();
  const messages: Inbound[] = [inbound({ from: known, body: 'before the outage' })];
  expect(await post(api.url, messages[0]!)).toBe(200);
  await poll(
    async () =>
      (await db!.selectFrom('messages').select('id').where('provider_message_id', '=', messages[0]!.sid).executeTakeFirst()) ?? undefined,
    'the first message to be stored',
    30_000,
  );

  // healthy now, and both processes hold pooled connections that the shutdown will break
  const before = await fetch(`${api.url}/healthz`);
  expect({ status: before.status, body: await before.json() }).toMatchObject({ status: 200, body: { status: 'ok', database: true } });

  pg!.stop();
  const outageStart = Date.now();

  // While it is down: the running API reports degraded, and an API started now starts and serves.
  const health = await fetch(`${api.url}/healthz`);
  expect({ status: health.status, body: await health.json() }).toMatchObject({
    status: 503,
    body: { status: 'degraded', database: false },
  });
  const coldApiStarting = startApi('api-started-during-outage');
  coldApiStarting.catch(() => undefined); // awaited below

  const newSms = [randomPhone(), randomPhone(), randomPhone()];
  const newWhatsApp = randomPhone();
  const retried: Inbound[] = [];
  let coldApiMessage: Inbound | undefined;
  let coldApiHealth: { status: number; body: unknown } | undefined;
  for (let i = 0; Date.now() - outageStart < OUTAGE_MS; i++) {
    const pick = i % 5;
    const message =
      pick === 0 || pick === 3
        ? inbound({ from: known, body: `known customer during the outage #${i}` })
        : pick === 1
          ? inbound({ from: newSms[i % newSms.length]!, body: `new customer during the outage #${i}` })
          : pick === 2
            ? inbound({ from: newWhatsApp, whatsapp: true, body: `WhatsApp during the outage #${i}`, profileName: 'Outage Olivia' })
            : undefined;
    if (message) {
      messages.push(message);
      await post(api.url, message);
    } else if (messages.length > 1) {
      // Twilio re-delivering a message we already accepted (same MessageSid; never the one the cold
      // API answered, whose retry is checked after the outage)
      const again = messages.filter((m) => m !== coldApiMessage).at(-1)!;
      retried.push(again);
      await post(api.url, again);
    }
    if (!coldApiMessage) {
      const cold = await Promise.race([coldApiStarting, new Promise<undefined>((r) => setTimeout(() => r(undefined), 10))]);
      if (cold) {
        const res = await fetch(`${cold.url}/healthz`);
        coldApiHealth = { status: res.status, body: await res.json() };
        // its channel map could not load: a webhook gets a retryable 503, never a 404
        coldApiMessage = inbound({ from: randomPhone(), body: 'to the API started during the outage' });
        messages.push(coldApiMessage);
        await post(cold.url, coldApiMessage);
      }
    }
    await new Promise((r) => setTimeout(r, WEBHOOK_INTERVAL_MS));
  }
  const cold = await coldApiStarting;
  expect(coldApiHealth).toMatchObject({ status: 503, body: { status: 'degraded', database: false } });
  expect(coldApiMessage?.statuses).toEqual([503]);

  pg!.start();

  // Twilio retries a non-2xx once: the retry must be accepted now.
  for (const message of messages) {
    if (message.statuses[message.statuses.length - 1] !== 200) {
      await post(message === coldApiMessage ? cold.url : api.url, message);
    }
  }
  const outcome = messages.map((m) => ({
    sid: m.sid,
    firstOk: m.statuses[0] === 200,
    afterOneRetry: m.statuses.slice(0, 2).includes(200),
  }));
  expect(outcome.filter((m) => !m.afterOneRetry)).toEqual([]);
  // with the channel map warm, the running API accepted everything at the first attempt
  expect(outcome.filter((m) => !m.firstOk && m.sid !== coldApiMessage?.sid)).toEqual([]);
  expect(retried.flatMap((m) => m.statuses).every((s) => s === 200)).toBe(true);

  // Every message is stored exactly once (the workflows' activities retried until Postgres came back).
  const sids = messages.map((m) => m.sid);
  const rows = await poll(
    async () => {
      const found = await db!
        .selectFrom('messages')
        .select(['provider_message_id', 'conversation_id', 'author_id'])
        .where('org_id', '=', org.orgId)
        .where('provider_message_id', 'in', sids)
        .execute();
      return new Set(found.map((r) => r.provider_message_id)).size === sids.length ? found : undefined;
    },
    'every accepted message to be stored',
    75_000,
  );
  expect(rows).toHaveLength(sids.length);

  // One contact per new customer, created by the workflow; the WhatsApp one named from ProfileName.
  const contacts = (await selectContacts(db!).where('contacts.org_id', '=', org.orgId).execute()).map(({ phone, whatsapp, name }) => ({
    phone,
    whatsapp,
    name,
  }));
  for (const phone of [known, ...newSms]) expect(contacts.filter((c) => c.phone === phone)).toHaveLength(1);
  expect(contacts.filter((c) => c.whatsapp === newWhatsApp)).toEqual([
    { phone: newWhatsApp, whatsapp: newWhatsApp, name: 'Outage Olivia' },
  ]);

  // Nobody crashed: the API, the API started during the outage, the worker.
  expect(children.map((c) => ({ name: c.name, exited: c.exited }))).toEqual([
    { name: 'api', exited: undefined },
    { name: 'worker', exited: undefined },
    { name: 'api-started-during-outage', exited: undefined },
  ]);
});
