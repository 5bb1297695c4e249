/**
 * Per-test-file harness: a fresh org (own numbers) in the shared test database, a worker on its
 * own task queue (against the shared dev server, or a private time-skipping server), the Express
 * app served through supertest, a Twilio stand-in (the hand-written stub by default, or Prism
 * serving Twilio's OpenAPI spec), signed-webhook and polling helpers.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import type { Express } from 'express';
import request from 'supertest';
import { createActivities } from '../../activities';
import { createChannelAdapters } from '../../channels';
import type { ApiDeps } from '../../api/deps';
import { mediaSigningSecret } from '../../db/media-urls';
import { type BlobStore, FileBlobStore } from '../../db/blob-store';
import { type PostmarkStandIn, startPostmarkStandIn } from '../../channels/postmark/standin';
import { startTelegramStandIn, type TelegramStandIn } from '../../channels/telegram/standin';
import { type OpenAiStandIn, startOpenAiStandIn } from '../../scripts/openai-standin';
import { createOpenAiClient } from '../../activities/openai-client';
import { signStaffToken } from '../../api/auth';
import { createApp } from '../../api/app';
import { ConversationClient } from '../../workflows/conversation/client';
import { Keyring } from '../../config/keyring';
import { createLogger } from '../../config/logger';
import { createDb, type Db } from '../../db/client';
import { conversationIdFor } from '../../domain/routing';
import { buildInboundMessageForm, signTwilioRequest } from '../../scripts/twilio-form';
import { createConversationWorker } from '../../worker/create-worker';
import { globalResources } from './global-resources';
import { createTimeSkippingEnvironment } from './time-skipping';
import { startTwilioStub, type TwilioStub } from './twilio-stub';

/** The public base URL the harness app believes it is reachable at (signatures are computed for it). */
export const PUBLIC_BASE_URL = 'http://switchboard.test';
export const TWILIO_AUTH_TOKEN = 'test-twilio-auth-token';
export const TWILIO_ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef';
export const JWT_SECRET = 'test-jwt-secret-0123456789abcdef';
export const POSTMARK_SERVER_TOKEN = 'test-postmark-server-token';
export const POSTMARK_WEBHOOK_USER = 'postmark';
export const POSTMARK_WEBHOOK_PASSWORD = 'test-postmark-webhook-password';
export const INBOUND_EMAIL_DOMAIN = 'inbound.switchboard.test';
export const TEST_MAX_ATTACHMENT_BYTES = 2 * 1024 * 1024;
export const OPENAI_API_KEY = 'sk-test-switchboard';
export const TELEGRAM_BOT_TOKEN = '777000:test-telegram-bot-token';
/** The test org's Telegram channel webhook secret (`X-Telegram-Bot-Api-Secret-Token`). */
export const TELEGRAM_WEBHOOK_SECRET = 'test-telegram-webhook-secret';
/** The tests' keyring of channel credentials at rest (`CREDENTIALS_ENCRYPTION_KEYS`). */
export const TEST_CREDENTIALS_KEYS = `test:${Buffer.alloc(32, 42).toString('base64')}`;

/** Complete API dependencies for tests: the harness's test configuration plus what the caller gives. */
export function testApiDeps(deps: Pick<ApiDeps, 'db' | 'conversations'> & Partial<ApiDeps>): ApiDeps {
  return {
    blobs: new FileBlobStore(mkdtempSync(path.join(tmpdir(), 'switchboard-blobs-'))),
    logger: createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
    keyring: new Keyring(TEST_CREDENTIALS_KEYS),
    config: {
      jwtSecret: JWT_SECRET,
      publicBaseUrl: PUBLIC_BASE_URL,
      twilio: { authToken: TWILIO_AUTH_TOKEN },
      postmark: { webhookUser: POSTMARK_WEBHOOK_USER, webhookPassword: POSTMARK_WEBHOOK_PASSWORD, inboundDomain: INBOUND_EMAIL_DOMAIN },
      attachments: { maxBytes: TEST_MAX_ATTACHMENT_BYTES },
    },
    ...deps,
  };
}

/** A test org with two staff users and one SMS and one WhatsApp channel (random numbers). */
export interface TestOrg {
  orgId: string;
  adminId: string;
  agentId: string;
  smsChannelId: string;
  whatsappChannelId: string;
  smsNumber: string;
  whatsappNumber: string;
  emailChannelId: string;
  /** The email channel's address, e.g. `support-1a2b3c@help.example.test`. */
  emailAddress: string;
  /** A Telegram channel (bot), webhook secret {@link TELEGRAM_WEBHOOK_SECRET}. */
  telegramChannelId: string;
}

/** A random, possible US E.164 number (`+1202…`), unique enough per test run. */
export function randomPhone(): string {
  return `+1202${String(Math.floor(Math.random() * 9_000_000) + 1_000_000)}`;
}

/** Inserts a new org with staff and channels. */
export async function createTestOrg(
  db: Db,
  opts: { slaFirstResponseMinutes?: number; slaNextResponseMinutes?: number } = {},
): Promise<TestOrg> {
  const org: TestOrg = {
    orgId: randomUUID(),
    adminId: randomUUID(),
    agentId: randomUUID(),
    smsChannelId: randomUUID(),
    whatsappChannelId: randomUUID(),
    smsNumber: randomPhone(),
    whatsappNumber: randomPhone(),
    emailChannelId: randomUUID(),
    emailAddress: `support-${randomBytes(4).toString('hex')}@help.example.test`,
    telegramChannelId: randomUUID(),
  };
  await db
    .insertInto('orgs')
    .values({
      id: org.orgId,
      name: `Test org ${org.orgId.slice(0, 8)}`,
      ...(opts.slaFirstResponseMinutes ? { sla_first_response_minutes: opts.slaFirstResponseMinutes } : {}),
      ...(opts.slaNextResponseMinutes ? { sla_next_response_minutes: opts.slaNextResponseMinutes } : {}),
    })
    .execute();
  await db
    .insertInto('staff_users')
    .values([
      { id: org.adminId, org_id: org.orgId, email: `admin-${org.adminId}@example.test`, name: 'Ada Admin', role: 'admin' },
      { id: org.agentId, org_id: org.orgId, email: `agent-${org.agentId}@example.test`, name: 'Alan Agent', role: 'agent' },
    ])
    .execute();
  await db
    .insertInto('channels')
    .values([
      {
        id: org.smsChannelId,
        org_id: org.orgId,
        kind: 'sms',
        address: org.smsNumber,
        name: 'SMS',
        provider: 'twilio',
        settings: JSON.stringify({}),
      },
      {
        id: org.whatsappChannelId,
        org_id: org.orgId,
        kind: 'whatsapp',
        address: org.whatsappNumber,
        name: 'WhatsApp',
        provider: 'twilio',
        settings: JSON.stringify({}),
      },
      {
        id: org.emailChannelId,
        org_id: org.orgId,
        kind: 'email',
        address: org.emailAddress,
        name: 'Example Support',
        provider: 'postmark',
        settings: JSON.stringify({}),
      },
      {
        id: org.telegramChannelId,
        org_id: org.orgId,
        kind: 'telegram',
        address: `support_${randomBytes(4).toString('hex')}_bot`,
        name: 'Telegram',
        provider: 'telegram',
        settings: JSON.stringify({ webhookSecret: TELEGRAM_WEBHOOK_SECRET }),
      },
    ])
    .execute();
  return org;
}

/** Options of {@link createHarness}. */
export interface HarnessOptions {
  /** Run against a private time-skipping test server instead of the shared dev server. */
  timeSkipping?: boolean;
  /** Twilio stand-in the worker's SDK talks to (default: the hand-written stub). */
  twilio?: 'stub' | 'prism';
  sla?: { firstResponseMinutes?: number; nextResponseMinutes?: number };
  /** Use this Temporal frontend instead of the shared dev server (e.g. one with special dynamic config). */
  temporalAddress?: string;
  /** Give the worker an OpenAI client pointed at a local stand-in (`h.openai`); default: no OPENAI_API_KEY. */
  openai?: boolean;
}

/** Inbound message to post as Twilio would. */
export interface InboundOptions {
  from: string;
  body?: string;
  sid?: string;
  whatsapp?: boolean;
  media?: string[];
  profileName?: string;
  /** Override the `To` (default: the org's SMS or WhatsApp number). */
  to?: string;
}

export interface Harness {
  db: Db;
  org: TestOrg;
  client: Client;
  taskQueue: string;
  app: Express;
  conversations: ConversationClient;
  /** Present with `timeSkipping: true`. */
  env: TestWorkflowEnvironment | undefined;
  /** Present with `twilio: 'stub'`. */
  twilioStub: TwilioStub | undefined;
  /** The Postmark stand-in the worker's SDK talks to. */
  postmark: PostmarkStandIn;
  /** The Telegram Bot API stand-in the worker's grammy client talks to (token {@link TELEGRAM_BOT_TOKEN}). */
  telegram: TelegramStandIn;
  /** POSTs a Telegram Update to the org's Telegram channel webhook (secret: the channel's, unless given). */
  telegramWebhook(update: object, secret?: string | null): Promise<request.Response>;
  /** Present with `openai: true`: the OpenAI stand-in the worker's SDK talks to. */
  openai: OpenAiStandIn | undefined;
  blobs: BlobStore;
  tokens: { admin: string; agent: string };
  /** `Authorization` header value for the admin. */
  auth: string;
  /** POSTs a signed inbound Twilio webhook to the app. */
  inbound(opts: InboundOptions): Promise<request.Response>;
  /** POSTs a Postmark webhook body (object or raw JSON text) with the configured Basic credentials. */
  postmarkWebhook(path: '/webhooks/postmark/inbound' | '/webhooks/postmark/events', body: object | string): Promise<request.Response>;
  /** POSTs a signed form to any webhook path (e.g. `/webhooks/twilio/status?messageId=…`). */
  postSignedForm(pathWithQuery: string, formBody: string): Promise<request.Response>;
  /** The conversation id a customer number maps to on the org's SMS or WhatsApp channel. */
  conversationIdOf(from: string, kind?: 'sms' | 'whatsapp'): string;
  /** Polls until `probe` returns a truthy value (default 30 s: slow only when it fails, and a loaded 2-core CI machine needs the room). */
  waitFor<T>(probe: () => Promise<T | undefined | null | false>, what?: string, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

let runtimeInstalled = false;
/** Quiets the Temporal SDK's own logs (set TEST_TEMPORAL_LOG_LEVEL=INFO to see them). */
function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const level = (process.env.TEST_TEMPORAL_LOG_LEVEL ?? 'WARN') as 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  Runtime.install({ logger: new DefaultLogger(level) });
}

installQuietRuntime(); // before anything (e.g. an embedded server) instantiates the runtime

/** Builds the harness; call `close()` in `afterAll`. */
export async function createHarness(opts: HarnessOptions = {}): Promise<Harness> {
  installQuietRuntime();
  const resources = globalResources();
  const db = createDb(resources.databaseUrl, { max: 5 });
  const org = await createTestOrg(db, {
    slaFirstResponseMinutes: opts.sla?.firstResponseMinutes,
    slaNextResponseMinutes: opts.sla?.nextResponseMinutes,
  });
  const taskQueue = `test-${randomBytes(6).toString('hex')}`;

  let env: TestWorkflowEnvironment | undefined;
  let client: Client;
  let nativeConnection: NativeConnection;
  let connection: Connection | undefined;
  if (opts.timeSkipping) {
    env = await createTimeSkippingEnvironment();
    client = env.client;
    nativeConnection = env.nativeConnection;
  } else {
    const address = opts.temporalAddress ?? resources.temporalAddress;
    connection = await Connection.connect({ address });
    client = new Client({ connection, namespace: 'default' });
    nativeConnection = await NativeConnection.connect({ address });
  }

  const twilioStub = opts.twilio === 'prism' ? undefined : await startTwilioStub();
  const postmark = await startPostmarkStandIn({ serverToken: POSTMARK_SERVER_TOKEN });
  const telegram = await startTelegramStandIn({ token: TELEGRAM_BOT_TOKEN });
  const blobs = new FileBlobStore(mkdtempSync(path.join(tmpdir(), 'switchboard-blobs-')));
  // the real SDKs, pointed at the local stand-ins (or Prism)
  const channels = createChannelAdapters({
    twilio: {
      accountSid: TWILIO_ACCOUNT_SID,
      authToken: TWILIO_AUTH_TOKEN,
      apiBaseUrl: twilioStub ? twilioStub.url : resources.prismUrl,
      // the tests' media servers: they get the account's credentials like twilio.com
      mediaHosts: ['127.0.0.1'],
    },
    postmark: { serverToken: POSTMARK_SERVER_TOKEN, apiBaseUrl: postmark.url, inboundDomain: INBOUND_EMAIL_DOMAIN },
    telegram: { botToken: TELEGRAM_BOT_TOKEN, apiRoot: telegram.url },
  });
  const openai = opts.openai ? await startOpenAiStandIn({ apiKey: OPENAI_API_KEY }) : undefined;
  const conversations = new ConversationClient(client, taskQueue);
  const worker: Worker = await createConversationWorker({
    connection: nativeConnection,
    namespace: 'default',
    taskQueue,
    activities: createActivities({
      db,
      channels,
      keyring: new Keyring(TEST_CREDENTIALS_KEYS),
      blobs,
      publicBaseUrl: PUBLIC_BASE_URL,
      mediaUrlSecret: mediaSigningSecret(JWT_SECRET),
      maxAttachmentBytes: TEST_MAX_ATTACHMENT_BYTES,
      openai: openai ? createOpenAiClient({ apiKey: OPENAI_API_KEY, baseURL: openai.url, maxRetries: 0 }) : undefined,
      commands: conversations,
      postmark: { serverToken: POSTMARK_SERVER_TOKEN, apiBaseUrl: postmark.url },
    }),
    workflowBundle: { codePath: resources.workflowBundlePath },
  });
  const workerDone = worker.run();

  const apiDeps = testApiDeps({ db, conversations, blobs });
  // the Twilio onboarding routes' SDK talks to the same stand-in as the worker's
  apiDeps.config.twilio = { ...apiDeps.config.twilio, apiBaseUrl: twilioStub ? twilioStub.url : resources.prismUrl };
  const app = createApp(openai ? { ...apiDeps, config: { ...apiDeps.config, openai: { apiKey: OPENAI_API_KEY } } } : apiDeps);
  const tokens = {
    admin: signStaffToken(JWT_SECRET, { userId: org.adminId, orgId: org.orgId, role: 'admin' }),
    agent: signStaffToken(JWT_SECRET, { userId: org.agentId, orgId: org.orgId, role: 'agent' }),
  };

  const postSignedForm = (pathWithQuery: string, formBody: string) =>
    request(app)
      .post(pathWithQuery)
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .set('X-Twilio-Signature', signTwilioRequest(TWILIO_AUTH_TOKEN, PUBLIC_BASE_URL + pathWithQuery, formBody))
      .send(formBody);

  return {
    db,
    org,
    client,
    taskQueue,
    app,
    conversations,
    env,
    twilioStub,
    postmark,
    telegram,
    telegramWebhook: (update, secret) => {
      const req = request(app).post(`/webhooks/telegram/${org.telegramChannelId}`).set('Content-Type', 'application/json');
      if (secret !== null) req.set('X-Telegram-Bot-Api-Secret-Token', secret ?? TELEGRAM_WEBHOOK_SECRET);
      return req.send(JSON.stringify(update));
    },
    openai,
    blobs,
    tokens,
    auth: `Bearer ${tokens.admin}`,
    inbound: (o) =>
      postSignedForm(
        '/webhooks/twilio/messaging',
        buildInboundMessageForm({
          from: o.from,
          body: o.body ?? 'Hello',
          whatsapp: o.whatsapp,
          to: o.to ?? (o.whatsapp ? `whatsapp:${org.whatsappNumber}` : org.smsNumber),
          sid: o.sid,
          media: o.media,
          profileName: o.profileName,
        }),
      ),
    postSignedForm,
    postmarkWebhook: (path, body) =>
      request(app)
        .post(path)
        .auth(POSTMARK_WEBHOOK_USER, POSTMARK_WEBHOOK_PASSWORD)
        .set('Content-Type', 'application/json')
        .send(typeof body === 'string' ? body : JSON.stringify(body)),
    conversationIdOf: (from, kind = 'sms') => conversationIdFor(org.orgId, kind === 'sms' ? org.smsChannelId : org.whatsappChannelId, from),
    async waitFor(probe, what = 'condition', timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = await probe();
        if (value) return value;
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async close() {
      worker.shutdown();
      await workerDone;
      if (!env) await nativeConnection.close();
      await connection?.close();
      await env?.teardown();
      await twilioStub?.stop();
      await postmark.stop();
      await telegram.stop();
      await openai?.stop();
      await db.destroy();
    },
  };
}
