/**
 * `/v1/channels` through the real path (Postgres, the Temporal worker, the real SDKs on the stand-ins):
 * CRUD, the admin / other-org matrix, credentials sealed at rest and never in any response, audit
 * entry or log line; delete vs archive; a Telegram channel registering its webhook; and two orgs with
 * two Twilio accounts, each org's reply sent with its own account.
 */
import { Writable } from 'node:stream';
import type { Express } from 'express';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../api/app';
import { signStaffToken } from '../../api/auth';
import { Keyring } from '../../config/keyring';
import { findChannelByAddress } from '../../db/channels';
import { bearerRequests } from '../support/bearer-requests';
import {
  createHarness,
  createTestOrg,
  type Harness,
  JWT_SECRET,
  PUBLIC_BASE_URL,
  randomPhone,
  TEST_CREDENTIALS_KEYS,
  testApiDeps,
  type TestOrg,
} from '../support/harness';
import { expectError } from './rest-helpers';

let h: Harness;
let app: Express;
/** Every log line the test app wrote. */
const logLines: string[] = [];
const keyring = new Keyring(TEST_CREDENTIALS_KEYS);

const hex32 = (c: string) => c.repeat(32);
/** Org A's own Twilio account and org B's. */
const ACCOUNT_A = { accountSid: `AC${hex32('a')}`, authToken: 'org-a-secret-auth-token-1111' };
const ACCOUNT_B = { accountSid: `AC${hex32('b')}`, authToken: 'org-b-secret-auth-token-2222' };
const SECRETS = [ACCOUNT_A.authToken, ACCOUNT_B.authToken];

let orgB: TestOrg;
/** Org A's conversation on its own-account SMS channel (set by the two-accounts test). */
let orgAShared: { conversationId: string; channelId: string } | undefined;
function orgAConversationRef() {
  if (!orgAShared) throw new Error('the two-accounts test did not run');
  return orgAShared;
}
const tokens = { adminA: '', agentA: '', adminB: '' };

/** Every response body text of this file, checked for secrets at the end. */
const responses: string[] = [];

function as(token: string) {
  const bearer = bearerRequests(app, token);
  const record = async (req: request.Test) => {
    const res = await req;
    responses.push(res.text ?? '');
    return res;
  };
  return {
    get: (path: string) => record(bearer.get(path)),
    post: (path: string, body: object) => record(bearer.post(path, body)),
    patch: (path: string, body: object) => record(bearer.patch(path, body)),
    delete: (path: string) => record(bearer.delete(path)),
  };
}

async function storedRow(id: string) {
  return h.db.selectFrom('channels').selectAll().where('id', '=', id).executeTakeFirst();
}

beforeAll(async () => {
  h = await createHarness();
  const base = testApiDeps({ db: h.db, conversations: h.conversations, blobs: h.blobs });
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  });
  app = createApp({
    ...base,
    logger: pino({ level: 'trace' }, sink),
    config: { ...base.config, telegram: { apiRoot: h.telegram.url } },
  });
  orgB = await createTestOrg(h.db);
  tokens.adminA = h.tokens.admin;
  tokens.agentA = h.tokens.agent;
  tokens.adminB = signStaffToken(JWT_SECRET, { userId: orgB.adminId, orgId: orgB.orgId, role: 'admin' });
}, 60_000);

afterAll(async () => {
  await h?.close();
});

describe('SHARED_CARRIER_ACCOUNT=false (the production default)', () => {
  test('carrier channels need their own credentials: none on create, or removing them → 422 credentials_required, nothing stored', async () => {
    const base = testApiDeps({ db: h.db, conversations: h.conversations, blobs: h.blobs });
    const strict = createApp({ ...base, config: { ...base.config, sharedCarrierAccount: false } });
    const admin = {
      post: (body: object) => request(strict).post('/v1/channels').set('Authorization', `Bearer ${tokens.adminA}`).send(body),
      patch: (id: string, body: object) =>
        request(strict).patch(`/v1/channels/${id}`).set('Authorization', `Bearer ${tokens.adminA}`).send(body),
    };
    const address = randomPhone();
    expectError(await admin.post({ kind: 'sms', name: 'Borrowed', address }), 422, 'credentials_required');
    expectError(
      await admin.post({ kind: 'email', name: 'Borrowed', address: `help-${address.slice(2)}@example.test` }),
      422,
      'credentials_required',
    );
    expect(await h.db.selectFrom('channels').select('id').where('address', '=', address).execute()).toEqual([]);
    const own = await admin.post({ kind: 'sms', name: 'Own account', address, credentials: ACCOUNT_A });
    expect(own.status).toBe(201);
    expectError(await admin.patch(own.body.id, { credentials: null }), 422, 'credentials_required');
    expect((await storedRow(own.body.id))!.credentials_ciphertext).not.toBeNull();
    // web chat has no carrier account to borrow
    expect((await admin.post({ kind: 'chat', name: 'Widget', address: `widget-${address.slice(2)}` })).status).toBe(201);
  });
});

describe('CRUD and access', () => {
  let channelId: string;
  const number = randomPhone();

  test('an admin creates an SMS channel with Twilio credentials: 201, normalised address, no credentials in the view', async () => {
    const res = await as(tokens.adminA).post('/v1/channels', {
      kind: 'sms',
      name: 'Support line',
      address: `${number.slice(0, 2)} ${number.slice(2, 5)} ${number.slice(5)}`,
      settings: { messagingServiceSid: null },
      credentials: ACCOUNT_A,
    });
    expect(res.status).toBe(201);
    channelId = res.body.id;
    expect(res.body).toEqual({
      id: expect.any(String),
      kind: 'sms',
      provider: 'twilio',
      name: 'Support line',
      address: number,
      settings: { messagingServiceSid: null },
      hasCredentials: true,
      archivedAt: null,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      webhookUrl: `${PUBLIC_BASE_URL}/webhooks/twilio/messaging`,
    });
    expect(res.text).not.toContain(ACCOUNT_A.authToken);
    expect(res.text).not.toContain(ACCOUNT_A.accountSid);
  });

  test('the credentials are sealed in the table (AES-256-GCM, AAD = the channel id) and open with the keyring', async () => {
    const row = (await storedRow(channelId))!;
    expect(row.credentials_key_id).toBe('test');
    expect(row.credentials_ciphertext).not.toContain(ACCOUNT_A.authToken);
    expect(Buffer.from(row.credentials_ciphertext!, 'base64').toString('latin1')).not.toContain(ACCOUNT_A.authToken);
    expect(keyring.open({ ciphertext: row.credentials_ciphertext!, keyId: row.credentials_key_id! }, channelId)).toEqual(ACCOUNT_A);
    // bound to its row: the same ciphertext does not open as another channel's
    expect(() => keyring.open({ ciphertext: row.credentials_ciphertext!, keyId: 'test' }, h.org.smsChannelId)).toThrow();
  });

  test('the audit log records the creation without secrets', async () => {
    const entries = await h.db.selectFrom('audit_log').selectAll().where('target_id', '=', channelId).execute();
    expect(entries.map((e) => e.action)).toEqual(['channel.create']);
    expect(entries[0]).toMatchObject({ org_id: h.org.orgId, actor_type: 'staff', actor_id: h.org.adminId });
    expect(JSON.stringify(entries)).not.toContain(ACCOUNT_A.authToken);
    expect(entries[0]!.after).toMatchObject({ hasCredentials: true, address: number });
  });

  test('every staff user lists and reads channels; only admins write (403 for agents)', async () => {
    const list = await as(tokens.agentA).get('/v1/channels');
    expect(list.status).toBe(200);
    expect(list.body.data.map((c: { id: string }) => c.id)).toEqual(expect.arrayContaining([channelId, h.org.smsChannelId]));
    const seeded = list.body.data.find((c: { id: string }) => c.id === h.org.telegramChannelId);
    expect(seeded.settings).toEqual({}); // its webhookSecret setting is never shown
    expect((await as(tokens.agentA).get(`/v1/channels/${channelId}`)).status).toBe(200);

    expectError(await as(tokens.agentA).post('/v1/channels', { kind: 'sms', name: 'x', address: randomPhone() }), 403, 'forbidden');
    expectError(await as(tokens.agentA).patch(`/v1/channels/${channelId}`, { name: 'y' }), 403, 'forbidden');
    expectError(await as(tokens.agentA).delete(`/v1/channels/${channelId}`), 403, 'forbidden');
    expect((await storedRow(channelId))!.name).toBe('Support line');
  });

  test("another org's channel is 404 for every route, and missing from its list", async () => {
    const other = as(tokens.adminB);
    expectError(await other.get(`/v1/channels/${channelId}`), 404, 'not_found');
    expectError(await other.patch(`/v1/channels/${channelId}`, { name: 'taken over' }), 404, 'not_found');
    expectError(await other.delete(`/v1/channels/${channelId}`), 404, 'not_found');
    const list = await other.get('/v1/channels');
    expect(list.body.data.map((c: { id: string }) => c.id)).not.toContain(channelId);
    expect((await storedRow(channelId))!.name).toBe('Support line');
  });

  test('bad input: 400 shape, 422 credentials / address, 409 address taken', async () => {
    const admin = as(tokens.adminA);
    expectError(await admin.post('/v1/channels', { kind: 'fax', name: 'x', address: '1' }), 400, 'validation_failed');
    expectError(await admin.post('/v1/channels', { kind: 'sms', name: 'x', address: randomPhone(), extra: 1 }), 400, 'validation_failed');
    const bad = expectError(
      await admin.post('/v1/channels', {
        kind: 'sms',
        name: 'x',
        address: randomPhone(),
        credentials: { accountSid: 'nope', authToken: 'secret-x' },
      }),
      422,
      'invalid_credentials',
    );
    expect(bad.error.details?.fields?.map((f) => f.path)).toEqual(['credentials.accountSid']);
    expectError(
      await admin.post('/v1/channels', { kind: 'email', name: 'x', address: 'help@example.test', credentials: { serverToken: 't' } }),
      422,
      'invalid_credentials',
    );
    expectError(
      await admin.post('/v1/channels', { kind: 'chat', name: 'Web', address: 'widget-1', credentials: { token: 'x' } }),
      422,
      'credentials_not_supported',
    );
    expectError(await admin.post('/v1/channels', { kind: 'sms', name: 'x', address: 'not a number' }), 422, 'invalid_address');
    expectError(await admin.post('/v1/channels', { kind: 'sms', name: 'dup', address: number }), 409, 'channel_address_taken');
    // another org cannot take a live number either (addresses route inbound messages)
    expectError(await as(tokens.adminB).post('/v1/channels', { kind: 'sms', name: 'dup', address: number }), 409, 'channel_address_taken');
  });

  test('PATCH renames, replaces settings and re-seals new credentials; kind and address are immutable', async () => {
    const before = (await storedRow(channelId))!;
    const res = await as(tokens.adminA).patch(`/v1/channels/${channelId}`, {
      name: 'Support (new)',
      settings: { messagingServiceSid: `MG${hex32('c')}` },
      credentials: ACCOUNT_B,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      name: 'Support (new)',
      address: number,
      hasCredentials: true,
      settings: { messagingServiceSid: `MG${hex32('c')}` },
    });
    expect(res.text).not.toContain(ACCOUNT_B.authToken);
    const after = (await storedRow(channelId))!;
    expect(after.credentials_ciphertext).not.toBe(before.credentials_ciphertext);
    expect(after.updated_at.getTime()).toBeGreaterThan(before.updated_at.getTime());
    expect(keyring.open({ ciphertext: after.credentials_ciphertext!, keyId: after.credentials_key_id! }, channelId)).toEqual(ACCOUNT_B);

    expectError(await as(tokens.adminA).patch(`/v1/channels/${channelId}`, { address: randomPhone() }), 400, 'validation_failed');
    expectError(await as(tokens.adminA).patch(`/v1/channels/${channelId}`, { kind: 'whatsapp' }), 400, 'validation_failed');
    expectError(
      await as(tokens.adminA).patch(`/v1/channels/${channelId}`, { credentials: { accountSid: 'x' } }),
      422,
      'invalid_credentials',
    );

    const cleared = await as(tokens.adminA).patch(`/v1/channels/${channelId}`, { credentials: null });
    expect(cleared.body.hasCredentials).toBe(false);
    expect((await storedRow(channelId))!.credentials_ciphertext).toBeNull();
    const actions = await h.db.selectFrom('audit_log').select('action').where('target_id', '=', channelId).execute();
    expect(actions.filter((a) => a.action === 'channel.update')).toHaveLength(2);
  });

  test('DELETE of a channel without conversations deletes it (204)', async () => {
    const res = await as(tokens.adminA).delete(`/v1/channels/${channelId}`);
    expect(res.status).toBe(204);
    expect(await storedRow(channelId)).toBeUndefined();
    expectError(await as(tokens.adminA).get(`/v1/channels/${channelId}`), 404, 'not_found');
    const actions = await h.db.selectFrom('audit_log').select('action').where('target_id', '=', channelId).execute();
    expect(actions.map((a) => a.action)).toContain('channel.delete');
  });
});

describe('archive on delete', () => {
  test('a channel with conversations is archived: hidden from the list, skipped by inbound routing, its address free again', async () => {
    const from = randomPhone();
    expect((await h.inbound({ from, body: 'hello before archive' })).status).toBe(200);
    await h.waitFor(async () =>
      h.db.selectFrom('conversations').select('id').where('channel_id', '=', h.org.smsChannelId).executeTakeFirst(),
    );

    const res = await as(tokens.adminA).delete(`/v1/channels/${h.org.smsChannelId}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ archived: true, channel: { id: h.org.smsChannelId, archivedAt: expect.any(String) } });
    expect((await storedRow(h.org.smsChannelId))!.archived_at).not.toBeNull();

    const live = await as(tokens.adminA).get('/v1/channels');
    expect(live.body.data.map((c: { id: string }) => c.id)).not.toContain(h.org.smsChannelId);
    const all = await as(tokens.adminA).get('/v1/channels?includeArchived=true');
    expect(all.body.data.map((c: { id: string }) => c.id)).toContain(h.org.smsChannelId);
    expect((await as(tokens.adminA).get(`/v1/channels/${h.org.smsChannelId}`)).body.archivedAt).not.toBeNull();

    // the webhook lookups no longer find it
    expect(await findChannelByAddress(h.db, 'sms', h.org.smsNumber)).toBeUndefined();
    // an archived channel cannot be changed; deleting it again answers archived again
    expectError(await as(tokens.adminA).patch(`/v1/channels/${h.org.smsChannelId}`, { name: 'x' }), 409, 'channel_archived');
    expect((await as(tokens.adminA).delete(`/v1/channels/${h.org.smsChannelId}`)).status).toBe(200);
    // the number can be connected again
    const again = await as(tokens.adminA).post('/v1/channels', { kind: 'sms', name: 'Reconnected', address: h.org.smsNumber });
    expect(again.status).toBe(201);
    expect(again.body.hasCredentials).toBe(false);
  });
});

describe('Telegram', () => {
  const botToken = '888111:own-bot-token_SECRET';

  test('creating a Telegram channel with a bot token: getMe names it, setWebhook registers its URL with a generated secret', async () => {
    h.telegram.addBot(botToken, 'acme_support_bot');
    const res = await as(tokens.adminA).post('/v1/channels', { kind: 'telegram', name: 'Acme bot', credentials: { botToken } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ kind: 'telegram', address: 'acme_support_bot', hasCredentials: true });
    expect(res.body.webhookUrl).toBe(`${PUBLIC_BASE_URL}/webhooks/telegram/${res.body.id}`);
    expect(res.text).not.toContain(botToken);

    const webhook = h.telegram.webhooks.get(botToken);
    expect(webhook?.url).toBe(res.body.webhookUrl);
    const row = (await storedRow(res.body.id))!;
    const sealed = keyring.open({ ciphertext: row.credentials_ciphertext!, keyId: row.credentials_key_id! }, row.id) as {
      botToken: string;
      webhookSecret: string;
    };
    expect(sealed.botToken).toBe(botToken);
    expect(sealed.webhookSecret).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    expect(webhook?.secretToken).toBe(sealed.webhookSecret);
    expect(res.text).not.toContain(sealed.webhookSecret);
    expect(JSON.stringify(row.settings)).not.toContain(sealed.webhookSecret);
  });

  test('its webhook takes updates with the sealed secret (403 without it) and opens a conversation in its org', async () => {
    const created = (await as(tokens.adminA).get('/v1/channels')).body.data.find(
      (c: { kind: string; address: string }) => c.kind === 'telegram' && c.address === 'acme_support_bot',
    );
    const secret = h.telegram.webhooks.get(botToken)!.secretToken!;
    const chatId = 700_000_000 + Math.floor(Math.random() * 1_000_000);
    const update = h.telegram.update({ chatId, text: 'Hello from a connected bot' });
    const post = (token: string | null) => {
      const r = request(app).post(`/webhooks/telegram/${created.id}`);
      return (token === null ? r : r.set('X-Telegram-Bot-Api-Secret-Token', token)).send(update);
    };
    expect((await post(null)).status).toBe(403);
    expect((await post('not-the-secret')).status).toBe(403);
    expect((await post(secret)).status).toBe(200);
    const conversation = await h.waitFor(
      async () => h.db.selectFrom('conversations').select(['org_id', 'channel_id']).where('channel_id', '=', created.id).executeTakeFirst(),
      'the conversation of the connected bot',
    );
    expect(conversation).toEqual({ org_id: h.org.orgId, channel_id: created.id });
  });

  test('new credentials re-register the webhook with the given secret', async () => {
    const created = await as(tokens.adminA).post('/v1/channels', {
      kind: 'telegram',
      name: 'Second bot',
      address: '@second_helper_bot',
      credentials: { botToken, webhookSecret: 'first-secret' },
    });
    expect(created.status).toBe(201);
    expect(created.body.address).toBe('second_helper_bot');
    expect(h.telegram.webhooks.get(botToken)?.secretToken).toBe('first-secret');
    const patched = await as(tokens.adminA).patch(`/v1/channels/${created.body.id}`, {
      credentials: { botToken, webhookSecret: 'second-secret' },
    });
    expect(patched.status).toBe(200);
    expect(h.telegram.webhooks.get(botToken)).toMatchObject({ url: created.body.webhookUrl, secretToken: 'second-secret' });
  });

  test("a reply on the bot's channel is sent with the channel's own bot token", async () => {
    // the seeded Telegram channel (environment bot) goes, so the org's first live Telegram channel is the own bot's
    expect((await as(tokens.adminA).delete(`/v1/channels/${h.org.telegramChannelId}`)).status).toBe(204);
    const chatId = 424242000 + Math.floor(Math.random() * 1000);
    h.telegram.knowChat(chatId);
    const contact = await as(tokens.adminA).post('/v1/contacts', { name: 'Telegram customer', email: `tg-${chatId}@example.test` });
    await h.db
      .insertInto('contact_identities')
      .values({ org_id: h.org.orgId, contact_id: contact.body.id, kind: 'telegram', address: String(chatId) })
      .execute();
    const conversation = await as(tokens.adminA).post(`/v1/contacts/${contact.body.id}/conversations`, { channel: 'telegram' });
    expect(conversation.status).toBe(201);
    const text = `hello from the own bot ${chatId}`;
    expect((await as(tokens.adminA).post(`/v1/conversations/${conversation.body.id}/messages`, { text })).status).toBe(201);
    const sent = await h.waitFor(
      async () => h.telegram.requests.find((r) => r.method === 'sendMessage' && r.params.text === text),
      'sendMessage',
    );
    expect(sent.token).toBe(botToken);
  });

  test('a Bot API error is 422 telegram_webhook_failed and stores nothing', async () => {
    const count = async () =>
      Number(
        (
          await h.db
            .selectFrom('channels')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('org_id', '=', h.org.orgId)
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await count();
    const otherBot = '888222:another-bot-token';
    h.telegram.addBot(otherBot, 'broken_setup_bot');
    h.telegram.failNext('setWebhook', { error_code: 400, description: 'Bad Request: bad webhook: HTTPS url must be provided for webhook' });
    const failed = expectError(
      await as(tokens.adminA).post('/v1/channels', { kind: 'telegram', name: 'Broken', credentials: { botToken: otherBot } }),
      422,
      'telegram_webhook_failed',
    );
    expect(failed.error.message).toContain('bad webhook');
    // a token Telegram does not know: getMe answers 401
    expectError(
      await as(tokens.adminA).post('/v1/channels', { kind: 'telegram', name: 'Unknown', credentials: { botToken: '999:unknown-token' } }),
      422,
      'telegram_webhook_failed',
    );
    expect(await count()).toBe(before);
    expect(h.telegram.webhooks.has(otherBot)).toBe(false);
    // the same bot twice: its username is taken (checked before Telegram is called again)
    expectError(
      await as(tokens.adminA).post('/v1/channels', { kind: 'telegram', name: 'Again', credentials: { botToken } }),
      409,
      'channel_address_taken',
    );
    const audit = await h.db.selectFrom('audit_log').select('after').where('org_id', '=', h.org.orgId).execute();
    expect(JSON.stringify(audit)).not.toContain('Broken');
  });
});

describe('two orgs, two Twilio accounts', () => {
  /** Creates the org's own SMS channel with `account`, a contact, a conversation; sends a reply. */
  async function replyThroughOwnAccount(token: string, account: typeof ACCOUNT_A, text: string) {
    const staff = as(token);
    // the org's seeded SMS channel (environment credentials) goes, so the new one is its SMS channel
    const list = await staff.get('/v1/channels');
    for (const c of list.body.data as { id: string; kind: string }[]) {
      if (c.kind === 'sms') expect([200, 204]).toContain((await staff.delete(`/v1/channels/${c.id}`)).status);
    }
    const number = randomPhone();
    const channel = await staff.post('/v1/channels', { kind: 'sms', name: 'Own account', address: number, credentials: account });
    expect(channel.status).toBe(201);
    const contact = await staff.post('/v1/contacts', { name: 'Customer', phone: randomPhone() });
    expect(contact.status).toBe(201);
    const conversation = await staff.post(`/v1/contacts/${contact.body.id}/conversations`, { channel: 'sms' });
    expect(conversation.status).toBe(201);
    expect(conversation.body.inbox.id).toBe(channel.body.id);
    const sent = await staff.post(`/v1/conversations/${conversation.body.id}/messages`, { text });
    expect(sent.status).toBe(201);
    return {
      number,
      channelId: channel.body.id as string,
      conversationId: conversation.body.id as string,
      messageId: sent.body.id as string,
    };
  }

  test("each org's reply reaches Twilio with its own account SID and auth token", async () => {
    const textA = `reply from org A ${randomPhone()}`;
    const textB = `reply from org B ${randomPhone()}`;
    const a = await replyThroughOwnAccount(tokens.adminA, ACCOUNT_A, textA);
    const b = await replyThroughOwnAccount(tokens.adminB, ACCOUNT_B, textB);
    orgAShared = a;

    const creates = (text: string) =>
      h.twilioStub!.requests.filter((r) => r.method === 'POST' && /\/Messages\.json$/.test(r.path) && r.form.Body === text);
    const [sentA] = await h.waitFor(async () => (creates(textA).length > 0 ? creates(textA) : undefined), 'org A reply at Twilio');
    const [sentB] = await h.waitFor(async () => (creates(textB).length > 0 ? creates(textB) : undefined), 'org B reply at Twilio');
    expect(sentA).toMatchObject({
      accountSid: ACCOUNT_A.accountSid,
      basicAuth: { username: ACCOUNT_A.accountSid, password: ACCOUNT_A.authToken },
    });
    expect(sentA!.form.From).toBe(a.number);
    expect(sentB).toMatchObject({
      accountSid: ACCOUNT_B.accountSid,
      basicAuth: { username: ACCOUNT_B.accountSid, password: ACCOUNT_B.authToken },
    });
    expect(sentB!.form.From).toBe(b.number);

    // and the messages are recorded as sent with Twilio's ids
    for (const { messageId } of [a, b]) {
      await h.waitFor(async () =>
        h.db
          .selectFrom('messages')
          .select('provider_message_id')
          .where('id', '=', messageId)
          .where('provider_message_id', 'is not', null)
          .executeTakeFirst(),
      );
    }
  });
});

describe('Twilio API key', () => {
  test('a channel whose credentials carry an API key sends with it, for its own account', async () => {
    const channels = await as(tokens.adminB).get('/v1/channels');
    const own = (channels.body.data as { id: string; kind: string; hasCredentials: boolean }[]).find(
      (c) => c.kind === 'sms' && c.hasCredentials,
    );
    expect(own).toBeDefined();
    const apiKey = { apiKeySid: `SK${hex32('e')}`, apiKeySecret: 'org-b-api-key-secret-3333' };
    SECRETS.push(apiKey.apiKeySecret);
    expect((await as(tokens.adminB).patch(`/v1/channels/${own!.id}`, { credentials: { ...ACCOUNT_B, ...apiKey } })).status).toBe(200);
    const conversation = await h.db.selectFrom('conversations').select('id').where('channel_id', '=', own!.id).executeTakeFirstOrThrow();
    const text = `sent with an API key ${randomPhone()}`;
    expect((await as(tokens.adminB).post(`/v1/conversations/${conversation.id}/messages`, { text })).status).toBe(201);
    const [sent] = await h.waitFor(async () => {
      const found = h.twilioStub!.requests.filter((r) => r.method === 'POST' && r.form.Body === text);
      return found.length > 0 ? found : undefined;
    }, 'API-key send at Twilio');
    expect(sent).toMatchObject({
      accountSid: ACCOUNT_B.accountSid,
      basicAuth: { username: apiKey.apiKeySid, password: apiKey.apiKeySecret },
    });
  });
});

describe('credentials that cannot be opened', () => {
  test('a reply on a channel whose key left the ring fails channel_credentials_unavailable, nothing sent', async () => {
    const { channelId, conversationId } = orgAConversationRef();
    await h.db.updateTable('channels').set({ credentials_key_id: 'retired-key' }).where('id', '=', channelId).execute();
    const text = `after the key was dropped ${randomPhone()}`;
    const sent = await as(tokens.adminA).post(`/v1/conversations/${conversationId}/messages`, { text });
    expect(sent.status).toBe(201);
    const failed = await h.waitFor(async () =>
      h.db
        .selectFrom('messages')
        .select(['delivery_status', 'error_code'])
        .where('id', '=', sent.body.id)
        .where('delivery_status', '=', 'failed')
        .executeTakeFirst(),
    );
    expect(failed.error_code).toBe('channel_credentials_unavailable');
    expect(h.twilioStub!.requests.filter((r) => r.form.Body === text)).toEqual([]);
  });
});

// last: after every request above
describe('secrets', () => {
  test('no response and no log line carried a secret', () => {
    const secrets = [...SECRETS, '888111:own-bot-token_SECRET', 'first-secret', 'second-secret'];
    for (const secret of secrets) {
      expect(responses.filter((text) => text.includes(secret))).toEqual([]);
      expect(logLines.filter((line) => line.includes(secret))).toEqual([]);
    }
  });
});
