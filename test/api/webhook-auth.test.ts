/**
 * Webhook verification with each channel's own credentials (issue 10), through the real path: two
 * orgs, each with an SMS channel sealed with its own Twilio account (the stand-in knows both accounts
 * and their tokens) and an email channel with its own Postmark webhook credentials.
 * - Twilio inbound: signed with the channel's account token → routed to that org; with the other
 *   org's token, the environment's token, or another `AccountSid` → 403 and nothing stored.
 * - Replies go out through the channel's own account; their status callbacks are verified with the
 *   token of the account named by `AccountSid`, and the other org's account cannot touch them.
 * - Postmark per-channel URLs: the channel's own Basic credentials (else 401), routed to that channel;
 *   the global URL refuses a channel with its own credentials.
 * - Archived channels → 404; credentials that do not open → 403 (never 500).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import twilio from 'twilio';
import { signStaffToken } from '../../api/auth';
import { Keyring } from '../../config/keyring';
import { ACCOUNT_MISS_RELOAD_MS } from '../../channels/channel-directory';
import { createApp } from '../../api/app';
import { PgChannelChanges } from '../../db/channel-changes';
import { sealChannelCredentials } from '../../db/channel-credentials';
import { conversationIdFor } from '../../domain/routing';
import { insertChannelRow } from '../support/channel-rows';
import {
  createHarness,
  createTestOrg,
  type Harness,
  JWT_SECRET,
  POSTMARK_SERVER_TOKEN,
  POSTMARK_WEBHOOK_PASSWORD,
  POSTMARK_WEBHOOK_USER,
  randomPhone,
  TEST_CREDENTIALS_KEYS,
  TWILIO_ACCOUNT_SID,
  TWILIO_AUTH_TOKEN,
  type TestOrg,
  testApiDeps,
} from '../support/harness';
import { globalResources } from '../support/global-resources';
import { inboundEmail, postmarkDeliveryEvent } from '../support/postmark-inbound';
import { buildInboundMessageForm, newTwilioSid } from '../support/twilio-webhooks';
import { type BasicCredentials, postJsonWebhook, postSignedTwilioForm } from '../support/webhook-requests';
import { workflowExists } from '../support/workflow-exists';

const MESSAGING = '/webhooks/twilio/messaging';
const keyring = new Keyring(TEST_CREDENTIALS_KEYS);

/** A Twilio account of one org (the stand-in knows it). */
interface Account {
  sid: string;
  authToken: string;
}
const newAccount = (): Account => ({ sid: `AC${randomBytes(16).toString('hex')}`, authToken: `token-${randomBytes(12).toString('hex')}` });

/** One org of the test: its SMS channel on its own Twilio account, its email channel with its own Postmark credentials. */
interface Tenant {
  org: TestOrg;
  admin: string;
  account: Account;
  sms: { id: string; number: string };
  email: { id: string; address: string; user: string; password: string };
}

let h: Harness;
let a: Tenant;
let b: Tenant;

async function createTenant(): Promise<Tenant> {
  const org = await createTestOrg(h.db);
  const account = newAccount();
  h.twilioStub!.addAccount({ sid: account.sid, authToken: account.authToken });
  const number = randomPhone();
  const smsId = await insertChannelRow(h.db, org.orgId, { kind: 'sms', address: number, provider: 'twilio' }, (id) =>
    sealChannelCredentials(keyring, id, 'twilio', { accountSid: account.sid, authToken: account.authToken }),
  );
  const address = `help-${randomBytes(4).toString('hex')}@tenant.example.test`;
  const email = { address, user: `pm-${randomBytes(3).toString('hex')}`, password: `pw-${randomBytes(12).toString('hex')}` };
  const emailId = await insertChannelRow(h.db, org.orgId, { kind: 'email', address, provider: 'postmark' }, (id) =>
    sealChannelCredentials(keyring, id, 'postmark', {
      serverToken: POSTMARK_SERVER_TOKEN,
      webhookUser: email.user,
      webhookPassword: email.password,
    }),
  );
  return {
    org,
    admin: `Bearer ${signStaffToken(JWT_SECRET, { userId: org.adminId, orgId: org.orgId, role: 'admin' })}`,
    account,
    sms: { id: smsId, number },
    email: { id: emailId, ...email },
  };
}

beforeAll(async () => {
  h = await createHarness();
  a = await createTenant();
  b = await createTenant();
});
afterAll(async () => {
  await h?.close();
});

/** Posts an inbound SMS form to the messaging webhook, signed with `token`. */
const postInbound = (form: string, token: string) => postSignedTwilioForm(h.app, MESSAGING, form, token);

/** Posts a status callback for our message, signed with `token`. */
const postStatus = (messageId: string, form: string, token: string) =>
  postSignedTwilioForm(h.app, `/webhooks/twilio/status?messageId=${messageId}`, form, token);

/** Nothing of a refused inbound was stored or started: no workflow for the sender on either org's channel, no message. */
async function expectNothingStored(from: string, sid: string): Promise<void> {
  for (const t of [a, b]) expect(await workflowExists(h.client, conversationIdFor(t.org.orgId, t.sms.id, from))).toBe(false);
  expect(await h.db.selectFrom('messages').select('id').where('provider_message_id', '=', sid).execute()).toEqual([]);
}

describe('Twilio inbound: verified with the To channel’s own account token', () => {
  it("signed with its account's token → 200, routed to that org's channel", async () => {
    const from = randomPhone();
    const sid = newTwilioSid('SM');
    const form = buildInboundMessageForm({ from, body: 'Hello A', to: a.sms.number, sid, accountSid: a.account.sid });
    expect((await postInbound(form, a.account.authToken)).status).toBe(200);
    const message = await h.waitFor(
      () =>
        h.db.selectFrom('messages').select(['org_id', 'conversation_id', 'text']).where('provider_message_id', '=', sid).executeTakeFirst(),
      'the inbound message',
    );
    expect(message).toEqual({ org_id: a.org.orgId, conversation_id: conversationIdFor(a.org.orgId, a.sms.id, from), text: 'Hello A' });
  });

  it("signed with the other org's account token → 403, nothing stored", async () => {
    const from = randomPhone();
    const sid = newTwilioSid('SM');
    // as org B's account would sign it, naming itself or the victim's account
    for (const accountSid of [b.account.sid, a.account.sid]) {
      const form = buildInboundMessageForm({ from, body: 'Injected', to: a.sms.number, sid, accountSid });
      const r = await postInbound(form, b.account.authToken);
      expect([r.status, r.body.error.code]).toEqual([403, 'invalid_signature']);
    }
    // the environment's token does not verify a channel with its own account either
    const envSigned = await postInbound(
      buildInboundMessageForm({ from, body: 'x', to: a.sms.number, sid, accountSid: a.account.sid }),
      TWILIO_AUTH_TOKEN,
    );
    expect(envSigned.status).toBe(403);
    await expectNothingStored(from, sid);
  });

  it("signed with the channel's token but another AccountSid → 403 account_mismatch, nothing stored", async () => {
    const from = randomPhone();
    const sid = newTwilioSid('SM');
    const form = buildInboundMessageForm({ from, body: 'Mismatch', to: a.sms.number, sid, accountSid: b.account.sid });
    const r = await postInbound(form, a.account.authToken);
    expect([r.status, r.body.error.code]).toEqual([403, 'account_mismatch']);
    await expectNothingStored(from, sid);
  });

  it('a channel without credentials still verifies with the environment token (and refuses an account token)', async () => {
    const from = randomPhone();
    const form = buildInboundMessageForm({ from, body: 'Env', to: h.org.smsNumber });
    expect((await postInbound(form, a.account.authToken)).status).toBe(403);
    expect((await postInbound(form, TWILIO_AUTH_TOKEN)).status).toBe(200);
  });

  it('an archived channel → 404 (with the environment signature; its own token no longer verifies: 403)', async () => {
    const number = randomPhone();
    await insertChannelRow(h.db, a.org.orgId, { kind: 'sms', address: number, provider: 'twilio', archived: true }, (id) =>
      sealChannelCredentials(keyring, id, 'twilio', { accountSid: a.account.sid, authToken: a.account.authToken }),
    );
    const form = buildInboundMessageForm({ from: randomPhone(), body: 'Archived', to: number, accountSid: a.account.sid });
    expect((await postInbound(form, TWILIO_AUTH_TOKEN)).body.error.code).toBe('unknown_channel');
    expect((await postInbound(form, a.account.authToken)).status).toBe(403);
  });

  it('a channel whose credentials do not open (sealed for another row) → 403, never 500', async () => {
    const number = randomPhone();
    await insertChannelRow(h.db, a.org.orgId, { kind: 'sms', address: number, provider: 'twilio' }, () =>
      sealChannelCredentials(keyring, randomUUID(), 'twilio', { accountSid: a.account.sid, authToken: a.account.authToken }),
    );
    const from = randomPhone();
    const sid = newTwilioSid('SM');
    const form = buildInboundMessageForm({ from, body: 'Unusable', to: number, sid, accountSid: a.account.sid });
    for (const token of [a.account.authToken, TWILIO_AUTH_TOKEN]) {
      const r = await postInbound(form, token);
      expect([r.status, r.body.error.code]).toEqual([403, 'invalid_signature']);
    }
    expect(await h.db.selectFrom('messages').select('id').where('provider_message_id', '=', sid).execute()).toEqual([]);
  });
});

/** Gives tenant `t`'s SMS channel a new random Twilio auth token (sealed, as the API stores it) and returns it. */
async function rotateSmsToken(t: Tenant): Promise<string> {
  const rotated = `rotated-${randomBytes(8).toString('hex')}`;
  await h.db
    .updateTable('channels')
    .set({
      ...sealChannelCredentials(keyring, t.sms.id, 'twilio', { accountSid: t.account.sid, authToken: rotated }),
      updated_at: new Date(),
    })
    .where('id', '=', t.sms.id)
    .execute();
  return rotated;
}

describe('credentials changed after the channel was cached', () => {
  it('with change announcements (LISTEN/NOTIFY) the old token stops verifying at once in another API process; without them it verifies until the refresh', async () => {
    const t = await createTenant();
    const changes = new PgChannelChanges(globalResources().databaseUrl, { info: () => undefined, warn: () => undefined });
    await changes.ready;
    // two other API processes over the same database: one listening, one not
    const listening = createApp(testApiDeps({ db: h.db, conversations: h.conversations, channelChanges: changes }));
    const deaf = createApp(testApiDeps({ db: h.db, conversations: h.conversations }));
    const send = (app: typeof listening, token: string) =>
      postSignedTwilioForm(
        app,
        MESSAGING,
        buildInboundMessageForm({ from: randomPhone(), body: 'hello', to: t.sms.number, accountSid: t.account.sid }),
        token,
      );
    try {
      expect((await send(listening, t.account.authToken)).status).toBe(200); // both cache the channel
      expect((await send(deaf, t.account.authToken)).status).toBe(200);
      await rotateSmsToken(t); // as a PATCH in a third process would
      await h.waitFor(async () => (await send(listening, t.account.authToken)).status === 403, 'the old token refused', 5_000);
      expect((await send(deaf, t.account.authToken)).status).toBe(200); // until its 60 s refresh
    } finally {
      await changes.close();
    }
  });

  it('a rotated Twilio token verifies at once (the channel is read again after a failed check); the old one no longer does', async () => {
    const t = await createTenant();
    const first = buildInboundMessageForm({ from: randomPhone(), body: 'cache me', to: t.sms.number, accountSid: t.account.sid });
    expect((await postInbound(first, t.account.authToken)).status).toBe(200); // cached with the first token
    const rotated = await rotateSmsToken(t);
    const form = buildInboundMessageForm({ from: randomPhone(), body: 'after rotation', to: t.sms.number, accountSid: t.account.sid });
    expect((await postInbound(form, rotated)).status).toBe(200);
    expect((await postInbound(form, t.account.authToken)).status).toBe(403);
  });

  it("a Postmark channel's new webhook password works at once", async () => {
    const t = await createTenant();
    const path = `/webhooks/postmark/${t.email.id}/inbound`;
    const send = (password: string) =>
      postJsonWebhook(h.app, path, inboundEmail(`r-${randomBytes(3).toString('hex')}@mail.example.net`, t.email.address), {
        user: t.email.user,
        password,
      });
    expect((await send(t.email.password)).status).toBe(200); // cached with the first password
    const password = `new-${randomBytes(12).toString('hex')}`;
    await h.db
      .updateTable('channels')
      .set(
        sealChannelCredentials(keyring, t.email.id, 'postmark', {
          serverToken: POSTMARK_SERVER_TOKEN,
          webhookUser: t.email.user,
          webhookPassword: password,
        }),
      )
      .where('id', '=', t.email.id)
      .execute();
    expect((await send(password)).status).toBe(200);
  });
});

/** A reply sent through tenant `t`'s SMS channel (after an inbound message): our message id and its Twilio MessageSid. */
async function sentReply(t: Tenant, text: string): Promise<{ messageId: string; messageSid: string }> {
  const from = randomPhone();
  const form = buildInboundMessageForm({ from, body: 'Please reply', to: t.sms.number, accountSid: t.account.sid });
  expect((await postInbound(form, t.account.authToken)).status).toBe(200);
  const conversationId = conversationIdFor(t.org.orgId, t.sms.id, from);
  await h.waitFor(() => h.db.selectFrom('conversations').select('id').where('id', '=', conversationId).executeTakeFirst(), 'conversation');
  const reply = await request(h.app).post(`/v1/conversations/${conversationId}/messages`).set('Authorization', t.admin).send({ text });
  expect(reply.status).toBe(201);
  const messageId = reply.body.id as string;
  const messageSid = await h.waitFor(async () => {
    const row = await h.db.selectFrom('messages').select('provider_message_id').where('id', '=', messageId).executeTakeFirst();
    return row?.provider_message_id ?? undefined;
  }, 'the reply sent');
  return { messageId, messageSid };
}

describe('Twilio replies and status callbacks per account', () => {
  let messageId: string;
  let messageSid: string;

  beforeAll(async () => {
    ({ messageId, messageSid } = await sentReply(a, 'Answer from A'));
  });

  it("the reply went out through the channel's own account", () => {
    const sent = h.twilioStub!.requests.find((r) => r.method === 'POST' && r.form.Body === 'Answer from A');
    expect(sent).toMatchObject({
      accountSid: a.account.sid,
      basicAuth: { username: a.account.sid, password: a.account.authToken },
      responseStatus: 201,
    });
  });

  it("a callback from the other org's account (or the environment's) → 403, the message untouched", async () => {
    const before = await h.db.selectFrom('messages').select(['delivery_status']).where('id', '=', messageId).executeTakeFirstOrThrow();
    const attempts = [
      { accountSid: b.account.sid, token: b.account.authToken, code: 'account_mismatch' },
      { accountSid: a.account.sid, token: b.account.authToken, code: 'invalid_signature' },
      { accountSid: 'AC00000000000000000000000000000000', token: TWILIO_AUTH_TOKEN, code: 'account_mismatch' },
    ];
    for (const { accountSid, token, code } of attempts) {
      const form = new URLSearchParams({
        MessageSid: messageSid,
        MessageStatus: 'failed',
        ErrorCode: '30003',
        AccountSid: accountSid,
      }).toString();
      const r = await postStatus(messageId, form, token);
      expect([r.status, r.body.error.code]).toEqual([403, code]);
    }
    const after = await h.db.selectFrom('messages').select(['delivery_status']).where('id', '=', messageId).executeTakeFirstOrThrow();
    expect(after).toEqual(before);
  });

  it("a callback signed with the message's account token → 200, applied", async () => {
    const form = new URLSearchParams({ MessageSid: messageSid, MessageStatus: 'delivered', AccountSid: a.account.sid }).toString();
    expect((await postStatus(messageId, form, a.account.authToken)).status).toBe(200);
    const row = await h.db.selectFrom('messages').select(['delivery_status']).where('id', '=', messageId).executeTakeFirstOrThrow();
    expect(row.delivery_status).toBe('delivered');
  });
});

describe('status callbacks: the signature is validated once, with the named account’s token only', () => {
  let replyA: { messageId: string; messageSid: string };
  let replyB: { messageId: string; messageSid: string };

  beforeAll(async () => {
    replyA = await sentReply(a, 'Counted answer from A');
    replyB = await sentReply(b, 'Counted answer from B');
  });

  /**
   * Posts a status callback for `reply` naming `accountSid`, signed with `token`, and records the auth
   * tokens `twilio.validateRequest` was called with while the request ran.
   */
  async function postCounted(reply: { messageId: string; messageSid: string }, accountSid: string, token: string, status = 'sent') {
    const form = new URLSearchParams({ MessageSid: reply.messageSid, MessageStatus: status, AccountSid: accountSid }).toString();
    const spy = jest.spyOn(twilio, 'validateRequest');
    try {
      const res = await postStatus(reply.messageId, form, token);
      return {
        answer: [res.status, (res.body as { error?: { code: string } }).error?.code],
        validatedWith: spy.mock.calls.map((call) => call[0]),
      };
    } finally {
      spy.mockRestore();
    }
  }

  it("naming its own account, signed with that account's token → 200, one validation (each org's own message)", async () => {
    expect(await postCounted(replyA, a.account.sid, a.account.authToken)).toEqual({
      answer: [200, undefined],
      validatedWith: [a.account.authToken],
    });
    expect(await postCounted(replyB, b.account.sid, b.account.authToken)).toEqual({
      answer: [200, undefined],
      validatedWith: [b.account.authToken],
    });
  });

  it("signed with account B's token but naming account A → 403 invalid_signature, validated with A's token only, once", async () => {
    for (const reply of [replyA, replyB]) {
      expect(await postCounted(reply, a.account.sid, b.account.authToken)).toEqual({
        answer: [403, 'invalid_signature'],
        validatedWith: [a.account.authToken],
      });
    }
  });

  it("naming account B (signed with B's token) about A's message → 403 account_mismatch after one validation; about B's → 200", async () => {
    expect(await postCounted(replyA, b.account.sid, b.account.authToken)).toEqual({
      answer: [403, 'account_mismatch'],
      validatedWith: [b.account.authToken],
    });
    expect(await postCounted(replyB, b.account.sid, b.account.authToken, 'delivered')).toEqual({
      answer: [200, undefined],
      validatedWith: [b.account.authToken],
    });
    const rows = await h.db
      .selectFrom('messages')
      .select(['id', 'delivery_status'])
      .where('id', 'in', [replyA.messageId, replyB.messageId])
      .execute();
    expect(Object.fromEntries(rows.map((r) => [r.id, r.delivery_status]))).toEqual({
      [replyA.messageId]: 'sent',
      [replyB.messageId]: 'delivered',
    });
  });

  it("an account none of our channels uses (the environment's) → validated with the environment's token only", async () => {
    expect(await postCounted(replyA, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN)).toEqual({
      answer: [403, 'account_mismatch'],
      validatedWith: [TWILIO_AUTH_TOKEN],
    });
  });

  it('a token rotated since the map was loaded verifies after one reload (rate-limited), each token validated once; the old one is refused', async () => {
    const t = await createTenant();
    const reply = await sentReply(t, 'Answer before rotation');
    const rotated = await rotateSmsToken(t);
    // another test's failed callback may have reloaded the map just now: let the rate limit pass
    await new Promise((r) => setTimeout(r, ACCOUNT_MISS_RELOAD_MS + 100));
    expect(await postCounted(reply, t.account.sid, rotated, 'delivered')).toEqual({
      answer: [200, undefined],
      validatedWith: [t.account.authToken, rotated],
    });
    expect(await postCounted(reply, t.account.sid, t.account.authToken, 'failed')).toEqual({
      answer: [403, 'invalid_signature'],
      validatedWith: [rotated],
    });
  });
});

describe('Postmark per-channel webhook URLs', () => {
  const inboundPath = (t: Tenant) => `/webhooks/postmark/${t.email.id}/inbound`;
  const post = (path: string, body: object, auth: BasicCredentials | null) => postJsonWebhook(h.app, path, body, auth);
  const creds = (t: Tenant) => ({ user: t.email.user, password: t.email.password });

  it("the channel's own credentials → 200, routed to that channel", async () => {
    const customer = `amara-${randomBytes(3).toString('hex')}@mail.example.net`;
    const mail = inboundEmail(customer, a.email.address);
    const r = await post(inboundPath(a), mail, creds(a));
    expect(r.status).toBe(200);
    const conversation = await h.waitFor(
      () => h.db.selectFrom('conversations').select(['org_id', 'channel_id']).where('id', '=', r.body.conversationId).executeTakeFirst(),
      'the email conversation',
    );
    expect(conversation).toEqual({ org_id: a.org.orgId, channel_id: a.email.id });
  });

  it("wrong, missing, or the other channel's credentials → 401, nothing stored; the environment's → 401 too", async () => {
    const mail = inboundEmail(`x-${randomBytes(3).toString('hex')}@mail.example.net`, a.email.address);
    for (const auth of [
      { user: a.email.user, password: 'wrong-password-xxxxxxxx' },
      creds(b),
      null,
      { user: POSTMARK_WEBHOOK_USER, password: POSTMARK_WEBHOOK_PASSWORD },
    ]) {
      const r = await post(inboundPath(a), mail, auth);
      expect([r.status, r.body.error.code]).toEqual([401, 'unauthorized']);
      expect(r.headers['www-authenticate']).toMatch(/^Basic/);
    }
    expect(await h.db.selectFrom('messages').select('id').where('provider_message_id', '=', mail.MessageID).execute()).toEqual([]);
  });

  it("mail not addressed to the channel (another org's address) → 404 on its URL, nothing stored", async () => {
    const mail = inboundEmail(`y-${randomBytes(3).toString('hex')}@mail.example.net`, b.email.address);
    const r = await post(inboundPath(a), mail, creds(a));
    expect([r.status, r.body.error.code]).toEqual([404, 'unknown_channel']);
    expect(await h.db.selectFrom('messages').select('id').where('provider_message_id', '=', mail.MessageID).execute()).toEqual([]);
  });

  it('the global URL (environment credentials) refuses a channel with its own credentials: 401', async () => {
    const mail = inboundEmail(`z-${randomBytes(3).toString('hex')}@mail.example.net`, a.email.address);
    const r = await h.postmarkWebhook('/webhooks/postmark/inbound', mail);
    expect(r.status).toBe(401);
    expect(await h.db.selectFrom('messages').select('id').where('provider_message_id', '=', mail.MessageID).execute()).toEqual([]);
  });

  it('unknown or archived channel → 404, before the credentials are checked', async () => {
    const archived = await insertChannelRow(
      h.db,
      a.org.orgId,
      { kind: 'email', address: `old-${randomBytes(3).toString('hex')}@tenant.example.test`, provider: 'postmark', archived: true },
      () => null,
    );
    for (const id of [randomUUID(), archived, a.sms.id]) {
      const r = await post(`/webhooks/postmark/${id}/inbound`, {}, creds(a));
      expect([r.status, r.body.error.code]).toEqual([404, 'unknown_channel']);
    }
  });

  it("events: about the channel's own message with its credentials → 200 applied; other credentials → 401; another channel's URL → 404", async () => {
    const customer = `events-${randomBytes(3).toString('hex')}@mail.example.net`;
    const inbound = await post(inboundPath(a), inboundEmail(customer, a.email.address), creds(a));
    expect(inbound.status).toBe(200);
    const conversationId = inbound.body.conversationId as string;
    await h.waitFor(
      () => h.db.selectFrom('conversations').select('id').where('id', '=', conversationId).executeTakeFirst(),
      'conversation',
    );
    const reply = await request(h.app)
      .post(`/v1/conversations/${conversationId}/messages`)
      .set('Authorization', a.admin)
      .send({ text: 'Email answer' });
    expect(reply.status).toBe(201);
    const postmarkId = await h.waitFor(async () => {
      const row = await h.db.selectFrom('messages').select('provider_message_id').where('id', '=', reply.body.id).executeTakeFirst();
      return row?.provider_message_id ?? undefined;
    }, 'the email sent');
    const delivery = postmarkDeliveryEvent(postmarkId, customer);

    expect((await post(`/webhooks/postmark/${a.email.id}/events`, delivery, creds(b))).status).toBe(401);
    const elsewhere = await post(`/webhooks/postmark/${b.email.id}/events`, delivery, creds(b));
    expect([elsewhere.status, elsewhere.body.error.code]).toEqual([404, 'message_not_found']);
    expect((await h.postmarkWebhook('/webhooks/postmark/events', delivery)).status).toBe(401);
    const before = await h.db.selectFrom('messages').select('delivery_status').where('id', '=', reply.body.id).executeTakeFirstOrThrow();
    expect(before.delivery_status).not.toBe('delivered');

    const ok = await post(`/webhooks/postmark/${a.email.id}/events`, delivery, creds(a));
    expect(ok.status).toBe(200);
    const after = await h.db.selectFrom('messages').select('delivery_status').where('id', '=', reply.body.id).executeTakeFirstOrThrow();
    expect(after.delivery_status).toBe('delivered');
  });
});
