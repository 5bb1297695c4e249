/**
 * Carrier webhooks while the API cannot reach Postgres: an app whose database connection goes
 * through a TCP proxy the test cuts (test/support/tcp-proxy.ts), with the harness's worker on the
 * real database (the workflow's activities store what the API accepted).
 * - Twilio inbound: routed from the cached channel map, so accepted (200) without Postgres; the
 *   contact of a new customer is created by the workflow, not by the webhook.
 * - Twilio inbound to a number the map does not know while Postgres is unreachable: 503 (Twilio
 *   retries), never 404; the retry after Postgres is back is accepted.
 * - Postmark inbound (routing needs Postgres): 503, which Postmark retries.
 * - A run started with the original start input (a `contactId`, no `customer`) still works.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import { createApp } from '../../api/app';
import { createDb, type Db } from '../../db/client';
import { conversationIdFor } from '../../domain/routing';
import { conversationWorkflowId, inboundMessageSignal, CONVERSATION_WORKFLOW_TYPE } from '../../workflows/conversation/contract';
import { globalResources } from '../support/global-resources';
import {
  createHarness,
  type Harness,
  POSTMARK_WEBHOOK_PASSWORD,
  POSTMARK_WEBHOOK_USER,
  PUBLIC_BASE_URL,
  randomPhone,
  testApiDeps,
  TWILIO_AUTH_TOKEN,
} from '../support/harness';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';
import { buildInboundMessageForm, newTwilioSid, signTwilioRequest } from '../support/twilio-webhooks';
import { hasIdentity, selectContacts } from '../../db/contacts';

const MESSAGING = '/webhooks/twilio/messaging';

let h: Harness;
let proxy: TcpProxy;
const dbs: Db[] = [];

beforeAll(async () => {
  h = await createHarness();
  const target = new URL(globalResources().databaseUrl);
  proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
});
afterEach(async () => {
  await proxy.restore();
});
afterAll(async () => {
  await proxy?.close();
  await Promise.all(dbs.map((db) => db.destroy().catch(() => undefined)));
  await h?.close();
});

/** A database handle whose connections go through the proxy (fresh pool: nothing cached). */
function proxiedDb(): Db {
  const url = new URL(globalResources().databaseUrl);
  url.hostname = '127.0.0.1';
  url.port = String(proxy.port);
  const db = createDb(url.toString(), { max: 2, logger: { warn() {} } });
  dbs.push(db);
  return db;
}

function smsWebhook(app: Parameters<typeof request>[0], from: string, to = h.org.smsNumber) {
  const sid = newTwilioSid('SM');
  const form = buildInboundMessageForm({ from, body: `hello ${sid}`, sid, to });
  const send = () =>
    request(app)
      .post(MESSAGING)
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .set('X-Twilio-Signature', signTwilioRequest(TWILIO_AUTH_TOKEN, PUBLIC_BASE_URL + MESSAGING, form))
      .send(form);
  return { sid, send };
}

const storedBySid = (sid: string) =>
  h.db.selectFrom('messages').select(['id', 'author_id', 'conversation_id']).where('provider_message_id', '=', sid).executeTakeFirst();

describe('Postgres unreachable from the API', () => {
  test('Twilio inbound from a new customer is accepted from the cached channel map; the workflow creates the contact and stores the message', async () => {
    const app = createApp(testApiDeps({ db: proxiedDb(), conversations: h.conversations }));
    // warm: the first message routes (and caches the channel) while the database is reachable
    const first = smsWebhook(app, randomPhone());
    expect((await first.send()).status).toBe(200);

    await proxy.cut();
    const customer = randomPhone();
    const during = smsWebhook(app, customer);
    const res = await during.send();
    expect(res.status).toBe(200);
    expect(res.text).toContain('<Response></Response>');

    const row = await h.waitFor(() => storedBySid(during.sid), 'the message accepted while the database was down');
    const contact = await selectContacts(h.db).where('contacts.org_id', '=', h.org.orgId).where(hasIdentity('sms', customer)).execute();
    expect(contact).toHaveLength(1);
    expect(row.author_id).toBe(contact[0]!.id);
    expect(row.conversation_id).toBe(conversationIdFor(h.org.orgId, h.org.smsChannelId, customer));
  });

  test('a To the channel map does not know while the database is unreachable → 503 with Retry-After (not 404); the retry is accepted', async () => {
    await proxy.cut();
    // a fresh app: its channel map could not load
    const app = createApp(testApiDeps({ db: proxiedDb(), conversations: h.conversations }));
    const webhook = smsWebhook(app, randomPhone());
    const refused = await webhook.send();
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe('temporarily_unavailable');
    expect(refused.headers['retry-after']).toBeDefined();

    await proxy.restore();
    expect((await webhook.send()).status).toBe(200);
    await h.waitFor(() => storedBySid(webhook.sid), 'the retried message');
  });

  test('an unknown To while the database is reachable is still 404', async () => {
    const app = createApp(testApiDeps({ db: proxiedDb(), conversations: h.conversations }));
    const res = await smsWebhook(app, randomPhone(), randomPhone()).send();
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('unknown_channel');
  });

  test('Postmark inbound → 503 (Postmark retries inbound webhooks for about 10.5 h)', async () => {
    await proxy.cut();
    const app = createApp(testApiDeps({ db: proxiedDb(), conversations: h.conversations }));
    const from = `pat-${randomBytes(3).toString('hex')}@mail.example.net`;
    const res = await request(app)
      .post('/webhooks/postmark/inbound')
      .auth(POSTMARK_WEBHOOK_USER, POSTMARK_WEBHOOK_PASSWORD)
      .send({
        From: from,
        FromName: 'Pat',
        FromFull: { Email: from, Name: 'Pat', MailboxHash: '' },
        To: h.org.emailAddress,
        ToFull: [{ Email: h.org.emailAddress, Name: '', MailboxHash: '' }],
        Subject: 'Hello',
        MessageID: randomUUID(),
        TextBody: 'Hello',
        Headers: [{ Name: 'Message-ID', Value: `<${randomUUID()}@mail.example.net>` }],
        Attachments: [],
      });
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('temporarily_unavailable');
  });
});

test('a run started with the original start input (contactId, no customer) still loads and records', async () => {
  const customer = randomPhone();
  const contactId = randomUUID();
  await h.db.insertInto('contacts').values({ id: contactId, org_id: h.org.orgId, name: null }).execute();
  await h.db
    .insertInto('contact_identities')
    .values({ org_id: h.org.orgId, contact_id: contactId, kind: 'sms', address: customer })
    .execute();
  const conversationId = conversationIdFor(h.org.orgId, h.org.smsChannelId, customer);
  const sid = newTwilioSid('SM');
  await h.client.workflow.signalWithStart(CONVERSATION_WORKFLOW_TYPE, {
    workflowId: conversationWorkflowId(conversationId),
    taskQueue: h.taskQueue,
    args: [{ conversation: { conversationId, orgId: h.org.orgId, channelId: h.org.smsChannelId, channelKind: 'sms', contactId } }],
    signal: inboundMessageSignal,
    signalArgs: [{ provider: 'twilio', providerMessageId: sid, text: 'old shape', attachments: [] }],
  });
  const row = await h.waitFor(() => storedBySid(sid), 'the message of the old-shape run');
  expect(row.author_id).toBe(contactId);
});
