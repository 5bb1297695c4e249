/**
 * The README's first command, end to end: `npm start` on a fresh database, a signed webhook from
 * `npm run simulate`, the conversation through the API with the printed dev JWT, a reply that
 * reaches npm start's own Twilio stand-in through the real SDK, `npm run token`, and a clean stop
 * on SIGTERM.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Pool } from 'pg';
import { createServer } from 'node:net';
import { randomPhone } from '../support/harness';
import { globalResources } from '../support/global-resources';

const REPO = path.resolve(__dirname, '../..');
jest.setTimeout(180_000);

let child: ChildProcess | undefined;
let output = '';
const dbName = `switchboard_e2e_${Date.now()}`;
const adminUrl = new URL(globalResources().databaseUrl);
adminUrl.pathname = '/postgres';

afterAll(async () => {
  if (child?.pid && child.exitCode === null && child.signalCode === null) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  const pool = new Pool({ connectionString: adminUrl.toString(), max: 1 });
  await pool.query(`drop database if exists "${dbName}" with (force)`);
  await pool.end();
});

/**
 * A free port below Linux's ephemeral range (32768+), so the ports the dev server picks at random
 * for itself (metrics, HTTP API) cannot take the one we hand to `npm start` in the meantime.
 */
async function freeFixedPort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

function waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not print ${pattern} in ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const check = () => {
      const m = output.match(pattern);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      } else if (child?.exitCode !== null && child?.exitCode !== undefined) {
        clearTimeout(timer);
        reject(new Error(`npm start exited with ${child.exitCode}:\n${output}`));
      } else setTimeout(check, 100);
    };
    check();
  });
}

test('npm start serves a working inbox: webhook in, conversation listed, reply out, clean stop', async () => {
  const [port, temporalPort, uiPort] = [await freeFixedPort(), await freeFixedPort(), await freeFixedPort()];
  const dbUrl = new URL(adminUrl.toString());
  dbUrl.pathname = `/${dbName}`;
  const env = {
    ...process.env,
    NODE_ENV: 'development',
    PORT: String(port),
    DATABASE_URL: dbUrl.toString(),
    TEMPORAL_ADDRESS: '',
    TEMPORAL_DEV_PORT: String(temporalPort),
    TEMPORAL_UI_PORT: String(uiPort),
    SWITCHBOARD_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'switchboard-e2e-')),
    TWILIO_API_BASE_URL: '', // a new user has no Twilio: npm start runs its own stand-in
    POSTMARK_API_BASE_URL: '',
    POSTMARK_SERVER_TOKEN: '',
    ATTACHMENTS_DIR: '',
    TWILIO_ACCOUNT_SID: '',
    TWILIO_AUTH_TOKEN: '',
    PUBLIC_BASE_URL: '',
    JWT_SECRET: '',
    LOG_LEVEL: 'info',
  };
  const startedAt = Date.now();
  // own process group: a stop signal goes to the whole group, as Ctrl-C or a process manager would send it
  child = spawn('npm', ['start'], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));

  await waitForOutput(/Switchboard is ready/, 150_000);
  const readyMs = Date.now() - startedAt;
  console.log(`npm start ready after ${readyMs} ms`);
  const token = (await waitForOutput(/Dev JWT[^\n]*\n\s+(\S+)/, 5_000))[1]!;
  expect(output).toContain(`Temporal UI: http://127.0.0.1:${uiPort}`);
  const base = `http://127.0.0.1:${port}`;
  const ui = await fetch(`http://127.0.0.1:${uiPort}/`);
  expect(ui.status).toBe(200);

  const health = await fetch(`${base}/healthz`);
  expect(await health.json()).toEqual({ status: 'ok', database: true, temporal: true });

  const customer = randomPhone();
  const sim = spawnSync('npm', ['run', 'simulate', '--', '--from', customer, '--body', 'Hello from e2e', '--url', base], {
    cwd: REPO,
    env,
    encoding: 'utf8',
  });
  if (sim.status !== 0) console.log(sim.stdout, sim.stderr, output);
  expect(sim.status).toBe(0);

  const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
  interface Listed {
    id: string;
    contact: { phone: string };
    lastMessagePreview: string;
  }
  let conversation: Listed | undefined;
  for (let i = 0; i < 100 && !conversation; i++) {
    const list = (await (await fetch(`${base}/v1/conversations`, { headers })).json()) as { data: Listed[] };
    conversation = list.data.find((c) => c.contact.phone === customer && c.lastMessagePreview !== null);
    if (!conversation) await new Promise((r) => setTimeout(r, 100));
  }
  expect(conversation?.lastMessagePreview).toBe('Hello from e2e');

  const reply = await fetch(`${base}/v1/conversations/${conversation!.id}/messages`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ text: 'Hi from the team' }),
  });
  expect(reply.status).toBe(201);
  // the built-in Twilio stand-in received the SDK's request and logged it
  const logged = await waitForOutput(/\{[^\n]*"msg":"Twilio stand-in received an outbound message"[^\n]*\}/, 15_000);
  expect(JSON.parse(logged[0])).toMatchObject({ to: customer, from: '+15005550006', body: 'Hi from the team', status: 201 });

  // an email in (Postmark inbound webhook from the simulator), a reply out to npm start's Postmark stand-in
  const customerEmail = `e2e-${Date.now()}@example.test`;
  const simEmail = spawnSync(
    'npm',
    ['run', 'simulate', '--', '--email', customerEmail, '--subject', 'Parcel', '--body', 'Where is it?', '--url', base],
    {
      cwd: REPO,
      env,
      encoding: 'utf8',
    },
  );
  if (simEmail.status !== 0) console.log(simEmail.stdout, simEmail.stderr);
  expect(simEmail.status).toBe(0);
  let emailConversation: Listed | undefined;
  for (let i = 0; i < 100 && !emailConversation; i++) {
    const list = (await (await fetch(`${base}/v1/conversations?channel=email`, { headers })).json()) as {
      data: (Listed & { contact: { email: string } })[];
    };
    emailConversation = list.data.find((c) => c.contact.email === customerEmail && c.lastMessagePreview !== null);
    if (!emailConversation) await new Promise((r) => setTimeout(r, 100));
  }
  expect(emailConversation?.lastMessagePreview).toBe('Where is it?');
  const emailReply = await fetch(`${base}/v1/conversations/${emailConversation!.id}/messages`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ text: 'On its way' }),
  });
  expect(emailReply.status).toBe(201);
  const mailed = await waitForOutput(/\{[^\n]*"msg":"Postmark stand-in received an outbound email"[^\n]*\}/, 15_000);
  expect(JSON.parse(mailed[0])).toMatchObject({ to: customerEmail, subject: 'Re: Parcel', body: 'On its way', status: 200 });

  // npm run token prints only a JWT, valid for the API
  const tokenRun = spawnSync('npm', ['run', '-s', 'token', '--', '--role', 'agent', '--user', '00000000-0000-4000-8000-000000000003'], {
    cwd: REPO,
    env,
    encoding: 'utf8',
  });
  expect(tokenRun.status).toBe(0);
  expect(tokenRun.stdout.trim()).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  const me = await fetch(`${base}/v1/me`, { headers: { Authorization: `Bearer ${tokenRun.stdout.trim()}` } });
  expect(await me.json()).toMatchObject({ role: 'agent', email: 'agent@demo.example' });

  // npm relays SIGTERM to the app; npm itself then ends by that signal or with the app's code 0.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child!.once('exit', (code, signal) => resolve({ code, signal })),
  );
  process.kill(-child.pid!, 'SIGTERM');
  const { code, signal } = await exited;
  await waitForOutput(/Switchboard stopped cleanly/, 15_000);
  expect(code === 0 || signal === 'SIGTERM').toBe(true);
  await expect(fetch(`${base}/healthz`)).rejects.toThrow();
});
