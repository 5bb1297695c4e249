/**
 * Fault test ("sends: exactly once, or flagged — never silently twice"): the worker runs
 * in its own process and is SIGKILLed while the carrier has accepted a reply but is still holding
 * its HTTP answer; then a new worker process starts. Real path throughout: signed webhooks and REST
 * calls into the Express app, the shared Temporal dev server, Postgres, the real `twilio` /
 * `postmark` SDKs against the stand-ins.
 *
 * Asserts: every reply reached the carrier exactly once (and the row carries that carrier id) or is
 * flagged `unknown` / `send_unconfirmed`; no reply reached the carrier twice; a status callback
 * records the provider id while no worker runs; when reconciliation is impossible the message ends
 * `unknown` and is sent again only through `POST …/messages/:messageId/retry`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { Express } from 'express';
import request from 'supertest';
import { createApp } from '../../api/app';
import { signStaffToken } from '../../api/auth';
import { ConversationClient } from '../../workflows/conversation/client';
import { createDb, type Db } from '../../db/client';
import { conversationIdFor } from '../../domain/routing';
import { type PostmarkStandIn, startPostmarkStandIn } from '../../channels/postmark/standin';
import { startTelegramStandIn, type TelegramStandIn } from '../../channels/telegram/standin';
import { buildInboundMessageForm, signTwilioRequest } from '../../scripts/twilio-form';
import { globalResources } from '../support/global-resources';
import {
  createTestOrg,
  INBOUND_EMAIL_DOMAIN,
  JWT_SECRET,
  POSTMARK_SERVER_TOKEN,
  POSTMARK_WEBHOOK_PASSWORD,
  POSTMARK_WEBHOOK_USER,
  PUBLIC_BASE_URL,
  randomPhone,
  TELEGRAM_BOT_TOKEN,
  TELEGRAM_WEBHOOK_SECRET,
  TEST_MAX_ATTACHMENT_BYTES,
  type TestOrg,
  testApiDeps,
  TWILIO_ACCOUNT_SID,
  TWILIO_AUTH_TOKEN,
} from '../support/harness';
import { startWorkerProcess, type WorkerProcess, type WorkerProcessConfig } from '../support/send-worker-process';
import { startTwilioStub, type TwilioStub } from '../support/twilio-stub';

jest.setTimeout(300_000);

/** How many replies the crash loop sends (each: accepted, worker killed, new worker). */
const CRASHES = 5;

let db: Db;
let org: TestOrg;
let twilio: TwilioStub;
let postmark: PostmarkStandIn;
let telegram: TelegramStandIn;
let connection: Connection;
let app: Express;
let auth: string;
let workerConfig: WorkerProcessConfig;
let worker: WorkerProcess | undefined;

beforeAll(async () => {
  const resources = globalResources();
  db = createDb(resources.databaseUrl, { max: 3 });
  org = await createTestOrg(db);
  twilio = await startTwilioStub();
  postmark = await startPostmarkStandIn({ serverToken: POSTMARK_SERVER_TOKEN });
  telegram = await startTelegramStandIn({ token: TELEGRAM_BOT_TOKEN });
  const taskQueue = `fault-${randomBytes(6).toString('hex')}`;
  connection = await Connection.connect({ address: resources.temporalAddress });
  const conversations = new ConversationClient(new Client({ connection, namespace: 'default' }), taskQueue);
  app = createApp(testApiDeps({ db, conversations }));
  auth = `Bearer ${signStaffToken(JWT_SECRET, { userId: org.adminId, orgId: org.orgId, role: 'admin' })}`;
  workerConfig = {
    databaseUrl: resources.databaseUrl,
    temporalAddress: resources.temporalAddress,
    taskQueue,
    workflowBundlePath: resources.workflowBundlePath,
    twilioUrl: twilio.url,
    twilioAccountSid: TWILIO_ACCOUNT_SID,
    twilioAuthToken: TWILIO_AUTH_TOKEN,
    postmarkUrl: postmark.url,
    postmarkServerToken: POSTMARK_SERVER_TOKEN,
    telegram: { url: telegram.url, botToken: TELEGRAM_BOT_TOKEN },
    publicBaseUrl: PUBLIC_BASE_URL,
    jwtSecret: JWT_SECRET,
    inboundEmailDomain: INBOUND_EMAIL_DOMAIN,
    maxAttachmentBytes: TEST_MAX_ATTACHMENT_BYTES,
  };
  worker = await startWorkerProcess(workerConfig);
});

afterAll(async () => {
  twilio?.releaseHeld();
  postmark?.releaseHeld();
  telegram?.releaseHeld();
  await worker?.kill();
  await twilio?.stop();
  await postmark?.stop();
  await telegram?.stop();
  await connection?.close();
  await db?.destroy();
});

/** Polls `probe` until it returns a truthy value (default 90 s: a heartbeat timeout plus a worker start). */
async function waitFor<T>(probe: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Kills the running worker process (SIGKILL) and starts a new one. */
async function crashAndRestartWorker(between?: () => Promise<void>): Promise<void> {
  await worker?.kill();
  worker = undefined;
  await between?.();
  worker = await startWorkerProcess(workerConfig);
}

function postSignedForm(pathWithQuery: string, formBody: string) {
  return request(app)
    .post(pathWithQuery)
    .set('Content-Type', 'application/x-www-form-urlencoded')
    .set('X-Twilio-Signature', signTwilioRequest(TWILIO_AUTH_TOKEN, PUBLIC_BASE_URL + pathWithQuery, formBody))
    .send(formBody);
}

/** A new SMS customer writes in; resolves with the conversation id once the run has stored it. */
async function openSmsConversation(): Promise<{ conversationId: string; customer: string }> {
  const customer = randomPhone();
  const res = await postSignedForm(
    '/webhooks/twilio/messaging',
    buildInboundMessageForm({ from: customer, body: 'Hello?', to: org.smsNumber }),
  );
  expect(res.status).toBe(200);
  const conversationId = conversationIdFor(org.orgId, org.smsChannelId, customer);
  await waitFor(
    async () => (await request(app).get(`/v1/conversations/${conversationId}`).set('Authorization', auth)).status === 200,
    'conversation',
  );
  return { conversationId, customer };
}

async function reply(conversationId: string, text: string): Promise<string> {
  const res = await request(app)
    .post(`/v1/conversations/${conversationId}/messages`)
    .set('Authorization', auth)
    .send({ text, isInternalNote: false });
  expect(res.status).toBe(201);
  return (res.body as { id: string }).id;
}

async function row(messageId: string) {
  return db
    .selectFrom('messages')
    .select(['delivery_status', 'provider_message_id', 'error_code', 'send_started_at'])
    .where('id', '=', messageId)
    .executeTakeFirstOrThrow();
}

/** The messages Twilio accepted with this body. */
const twilioCopies = (text: string) => twilio.messages.filter((m) => m.body === text);

describe('a worker killed while Twilio holds an accepted reply', () => {
  test(`${CRASHES} crashes: every reply reached Twilio exactly once or is flagged unknown; zero silent duplicates; a status callback records the sid with no worker running`, async () => {
    const { conversationId, customer } = await openSmsConversation();
    twilio.holdCreates(true);
    const sent: { messageId: string; text: string; callback: boolean }[] = [];
    for (let i = 0; i < CRASHES; i++) {
      const text = `Reply ${i + 1} of ${CRASHES} (${randomUUID().slice(0, 8)})`;
      const messageId = await reply(conversationId, text);
      // Twilio has accepted it (listed, sid assigned) but the worker has not heard back
      await waitFor(async () => twilioCopies(text).length > 0 && twilio.heldCount > 0, `Twilio accepting reply ${i + 1}`);
      const callback = i % 2 === 0;
      await crashAndRestartWorker(async () => {
        expect((await row(messageId)).delivery_status).toBe('sending');
        if (!callback) return;
        // Twilio's status callback while no worker runs: the sid lands on the row at once
        const sid = String(twilioCopies(text)[0]!.sid);
        const form = new URLSearchParams({
          MessageSid: sid,
          SmsSid: sid,
          MessageStatus: 'sent',
          AccountSid: TWILIO_ACCOUNT_SID,
          From: org.smsNumber,
          To: customer,
        }).toString();
        const res = await postSignedForm(`/webhooks/twilio/status?messageId=${messageId}`, form);
        expect(res.status).toBe(200);
        expect(await row(messageId)).toMatchObject({ provider_message_id: sid, delivery_status: 'sent' });
      });
      // the retried send settles it: adopts the carrier's sid (or flags it unknown), never re-sends
      await waitFor(
        async () => {
          const r = await row(messageId);
          return r.provider_message_id !== null || r.delivery_status === 'unknown';
        },
        `reply ${i + 1} settled after the crash`,
      );
      sent.push({ messageId, text, callback });
    }
    twilio.holdCreates(false);
    twilio.releaseHeld();

    const outcomes = [];
    for (const s of sent) {
      const r = await row(s.messageId);
      const copies = twilioCopies(s.text);
      outcomes.push({ text: s.text, copies: copies.length, status: r.delivery_status, errorCode: r.error_code });
      expect(copies.length).toBeLessThanOrEqual(1); // zero silent duplicates
      if (r.delivery_status === 'unknown') expect(r.error_code).toBe('send_unconfirmed');
      else expect(r.provider_message_id).toBe(copies[0]?.sid);
    }
    // every reply here was accepted and the list works: each one is adopted, none is left unknown
    expect(outcomes.filter((o) => o.copies === 1 && o.status !== 'unknown')).toHaveLength(CRASHES);

    // the API shows what Postgres has
    const api = await request(app).get(`/v1/conversations/${conversationId}/messages?limit=100`).set('Authorization', auth);
    expect(api.status).toBe(200);
    for (const s of sent) {
      const m = (api.body.data as { id: string; providerMessageId: string | null }[]).find((x) => x.id === s.messageId);
      expect(m?.providerMessageId).toBe(twilioCopies(s.text)[0]?.sid);
    }
  });

  test('reconciliation impossible (Twilio list failing): unknown + send_unconfirmed, filterable, not re-sent; the retry route sends it; 409 afterwards', async () => {
    const { conversationId } = await openSmsConversation();
    const text = `Unconfirmable reply (${randomUUID().slice(0, 8)})`;
    twilio.holdCreates(true);
    const messageId = await reply(conversationId, text);
    await waitFor(async () => twilioCopies(text).length > 0 && twilio.heldCount > 0, 'Twilio accepting the reply');
    twilio.failList({
      status: 503,
      body: { code: 20503, message: 'Service unavailable', more_info: 'https://www.twilio.com/docs/errors/20503', status: 503 },
    });
    await crashAndRestartWorker();
    await waitFor(async () => (await row(messageId)).delivery_status === 'unknown', 'the message flagged unknown');
    twilio.holdCreates(false);
    twilio.releaseHeld();

    expect(await row(messageId)).toMatchObject({ delivery_status: 'unknown', error_code: 'send_unconfirmed', provider_message_id: null });
    expect(twilioCopies(text)).toHaveLength(1); // not sent again by itself

    const unknownMessages = await request(app)
      .get(`/v1/conversations/${conversationId}/messages?deliveryStatus=unknown`)
      .set('Authorization', auth);
    expect(unknownMessages.status).toBe(200);
    expect(unknownMessages.body.data).toEqual([
      expect.objectContaining({ id: messageId, deliveryStatus: 'unknown', errorCode: 'send_unconfirmed' }),
    ]);
    const unknownConversations = await request(app).get('/v1/conversations?deliveryStatus=unknown').set('Authorization', auth);
    expect(unknownConversations.status).toBe(200);
    expect((unknownConversations.body.data as { id: string }[]).map((c) => c.id)).toContain(conversationId);
    const sentConversations = await request(app).get('/v1/conversations?deliveryStatus=nonsense').set('Authorization', auth);
    expect(sentConversations.status).toBe(400);

    // a human checks with the customer and asks for it again
    twilio.failList(null);
    const notFound = await request(app)
      .post(`/v1/conversations/${conversationId}/messages/${randomUUID()}/retry`)
      .set('Authorization', auth);
    expect(notFound.status).toBe(404);
    const retried = await request(app).post(`/v1/conversations/${conversationId}/messages/${messageId}/retry`).set('Authorization', auth);
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ id: messageId, deliveryStatus: 'queued', errorCode: null });
    const after = await waitFor(async () => {
      const r = await row(messageId);
      return r.provider_message_id !== null ? r : undefined;
    }, 'the retried message sent');
    expect(twilioCopies(text)).toHaveLength(2); // the second copy is the one the human asked for
    expect(after.provider_message_id).toBe(twilioCopies(text)[1]!.sid);

    const again = await request(app).post(`/v1/conversations/${conversationId}/messages/${messageId}/retry`).set('Authorization', auth);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('message_not_retryable');
  });
});

describe('a worker killed while Postmark holds an accepted email', () => {
  test('the retried send finds it in the outbound message search (metadata message_id) and adopts it: sent once', async () => {
    const from = `customer-${randomBytes(4).toString('hex')}@example.test`;
    const inbound = {
      From: from,
      FromName: 'Casey Customer',
      FromFull: { Email: from, Name: 'Casey Customer', MailboxHash: '' },
      To: org.emailAddress,
      ToFull: [{ Email: org.emailAddress, Name: '', MailboxHash: '' }],
      OriginalRecipient: org.emailAddress,
      Subject: 'Where is my order?',
      MessageID: randomUUID(),
      Date: new Date().toUTCString(),
      TextBody: 'Hello, where is my order?',
      Headers: [{ Name: 'Message-ID', Value: `<${randomUUID()}@mail.example.test>` }],
      Attachments: [],
    };
    const res = await request(app)
      .post('/webhooks/postmark/inbound')
      .auth(POSTMARK_WEBHOOK_USER, POSTMARK_WEBHOOK_PASSWORD)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify(inbound));
    expect(res.status).toBe(200);
    const conversationId = (res.body as { conversationId: string }).conversationId;
    await waitFor(
      async () => (await request(app).get(`/v1/conversations/${conversationId}`).set('Authorization', auth)).status === 200,
      'email conversation',
    );

    const text = `Your order ships today (${randomUUID().slice(0, 8)})`;
    postmark.holdSends(true);
    const messageId = await reply(conversationId, text);
    const copies = () => postmark.sent.filter((m) => m.Metadata.message_id === messageId);
    await waitFor(async () => copies().length > 0 && postmark.heldCount > 0, 'Postmark accepting the email');
    await crashAndRestartWorker();
    const settled = await waitFor(async () => {
      const r = await row(messageId);
      return r.provider_message_id !== null || r.delivery_status === 'unknown' ? r : undefined;
    }, 'the email settled after the crash');
    postmark.holdSends(false);
    postmark.releaseHeld();
    expect(copies()).toHaveLength(1);
    expect(settled).toMatchObject({ provider_message_id: copies()[0]!.MessageID, delivery_status: 'sent' });
    const searches = postmark.requests.filter((r) => r.method === 'GET' && r.path === '/messages/outbound');
    expect(searches.length).toBeGreaterThan(0);
  });
});

describe('a worker killed while Telegram holds an accepted reply (the Bot API cannot list sent messages)', () => {
  test('the reply is flagged unknown / send_unconfirmed and not sent again by itself; the retry route sends it once more', async () => {
    const chatId = 800_000_000 + Math.floor(Math.random() * 1_000_000);
    const update = telegram.update({ chatId, text: 'Hello from Telegram?' });
    const inbound = await request(app)
      .post(`/webhooks/telegram/${org.telegramChannelId}`)
      .set('X-Telegram-Bot-Api-Secret-Token', TELEGRAM_WEBHOOK_SECRET)
      .send(update);
    expect(inbound.status).toBe(200);
    const conversationId = conversationIdFor(org.orgId, org.telegramChannelId, String(chatId));
    await waitFor(
      async () => (await request(app).get(`/v1/conversations/${conversationId}`).set('Authorization', auth)).status === 200,
      'telegram conversation',
    );
    const text = `Telegram reply (${randomUUID().slice(0, 8)})`;
    const copies = () => telegram.sent.filter((m) => m.text === text);
    telegram.holdSends(true);
    const messageId = await reply(conversationId, text);
    await waitFor(async () => copies().length > 0 && telegram.heldCount > 0, 'Telegram accepting the reply');
    await crashAndRestartWorker(async () => {
      expect((await row(messageId)).delivery_status).toBe('sending');
    });
    await waitFor(async () => (await row(messageId)).delivery_status === 'unknown', 'the reply flagged unknown');
    telegram.holdSends(false);
    telegram.releaseHeld();
    expect(await row(messageId)).toMatchObject({ delivery_status: 'unknown', error_code: 'send_unconfirmed', provider_message_id: null });
    expect(copies()).toHaveLength(1); // never sent twice silently

    // a human decides the customer did not get it and asks for it again: sent once more, recorded
    const retried = await request(app).post(`/v1/conversations/${conversationId}/messages/${messageId}/retry`).set('Authorization', auth);
    expect(retried.status).toBe(200);
    await waitFor(async () => (await row(messageId)).delivery_status === 'sent', 'the retried reply sent');
    expect(copies()).toHaveLength(2);
    expect((await row(messageId)).provider_message_id).toBe(`${chatId}:${copies()[1]!.messageId}`);
  });
});
