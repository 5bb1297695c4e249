/**
 * Issue 10's "done when", as one scenario through the real path: an operator bootstraps two orgs with
 * `npm run admin -- create-org` (a child process on the harness database, so the harness's worker on the
 * shared Temporal dev server serves their conversations); each admin sets a password from the printed
 * token and logs in, invites an agent (who sets a password and logs in), connects its own Twilio account
 * and buys a number (the Twilio stand-in knows both accounts), connects a Postmark inbound address and a
 * Telegram bot through `POST /v1/channels`. Then, side by side: an inbound SMS to each org's number,
 * signed with that org's account token, is received and the agent's reply leaves through that org's own
 * account; an email on the org's per-channel Postmark URL and a Telegram update with the bot's secret
 * open conversations that the agent answers through the org's own channels; each org lists only its
 * own conversations and channels and gets 404 on the other's.
 */
import { randomBytes } from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import { createApp } from '../../api/app';
import { conversationIdFor } from '../../domain/routing';
import { runAdminCli } from '../support/admin-cli';
import { type BearerRequests, bearerRequests } from '../support/bearer-requests';
import { globalResources } from '../support/global-resources';
import { createHarness, type Harness, POSTMARK_SERVER_TOKEN, PUBLIC_BASE_URL, randomPhone, testApiDeps } from '../support/harness';
import { inboundEmail } from '../support/postmark-inbound';
import { buildInboundMessageForm } from '../support/twilio-webhooks';
import { postSignedTwilioForm } from '../support/webhook-requests';

jest.setTimeout(180_000);

const PASSWORD = 'correct horse battery staple';

/** One org of the scenario, filled in step by step. */
interface Workspace {
  label: string;
  name: string;
  adminEmail: string;
  agentEmail: string;
  /** Its own Twilio (sub-)account, known to the stand-in. */
  account: { sid: string; authToken: string; friendlyName: string };
  areaCode: string;
  botToken: string;
  botUsername: string;
  emailAddress: string;
  postmarkWebhook: { user: string; password: string };
  orgId?: string;
  setPasswordToken?: string;
  adminToken?: string;
  agentId?: string;
  agentToken?: string;
  number?: string;
  smsChannelId?: string;
  emailChannelId?: string;
  emailWebhookPath?: string;
  telegramChannelId?: string;
  telegramSecret?: string;
  /** The conversations it received: SMS, email, Telegram. */
  conversations: { sms?: string; email?: string; telegram?: string };
  customer: { phone: string; email: string; chatId: number };
}

function workspace(label: string, areaCode: string): Workspace {
  const tag = randomBytes(4).toString('hex');
  return {
    label,
    name: `${label} ${tag}`,
    adminEmail: `ops-${tag}@${label.toLowerCase()}.test`,
    agentEmail: `agent-${tag}@${label.toLowerCase()}.test`,
    account: {
      sid: `AC${randomBytes(16).toString('hex')}`,
      authToken: `${label.toLowerCase()}-token-${randomBytes(12).toString('hex')}`,
      friendlyName: `${label} account`,
    },
    areaCode,
    botToken: `${100_000 + Math.floor(Math.random() * 800_000)}:${label.toLowerCase()}-bot-${randomBytes(8).toString('hex')}`,
    botUsername: `${label.toLowerCase()}_${tag}_bot`,
    emailAddress: `support-${tag}@${label.toLowerCase()}.example.test`,
    postmarkWebhook: { user: `pm-${label.toLowerCase()}-${tag}`, password: `pw-${randomBytes(12).toString('hex')}` },
    conversations: {},
    customer: {
      phone: randomPhone(),
      email: `customer-${tag}@mail.example.net`,
      chatId: 600_000_000 + Math.floor(Math.random() * 1_000_000),
    },
  };
}

/** Two different area codes (the stand-in sells `+1<area>555<nnnn>`), random so reruns on one database do not collide. */
const area = 200 + Math.floor(Math.random() * 700);
const acme = workspace('Acme', String(area));
const globex = workspace('Globex', String(area + 1));
const BOTH = [acme, globex] as const;
const otherOf = (w: Workspace) => (w === acme ? globex : acme);

let h: Harness;
let app: Express;

/** `npm run admin -- …` as an operator runs it, against the harness database. */
const adminCli = (...args: string[]) => runAdminCli(globalResources().databaseUrl, args, { via: 'npm', timeoutMs: 90_000 });

/** Requests as a bearer token. */
function as(token: string | undefined): BearerRequests {
  if (!token) throw new Error('no token yet: an earlier step failed');
  return bearerRequests(app, token);
}

const need = <T>(value: T | undefined, what: string): T => {
  if (value === undefined) throw new Error(`${what} is missing: an earlier step failed`);
  return value;
};

beforeAll(async () => {
  h = await createHarness();
  for (const w of BOTH) {
    h.twilioStub!.addAccount(w.account);
    h.telegram.addBot(w.botToken, w.botUsername);
  }
  // the harness app, with the Telegram Bot API stand-in for connecting bots and the Twilio stand-in for onboarding
  const deps = testApiDeps({ db: h.db, conversations: h.conversations, blobs: h.blobs });
  app = createApp({
    ...deps,
    config: { ...deps.config, twilio: { ...deps.config.twilio, apiBaseUrl: h.twilioStub!.url }, telegram: { apiRoot: h.telegram.url } },
  });
}, 60_000);

afterAll(async () => {
  await h?.close();
});

test('an operator bootstraps two orgs from the command line; each admin sets a password and logs in', async () => {
  for (const w of BOTH) {
    const created = await adminCli('create-org', '--name', w.name, '--admin-email', w.adminEmail, '--admin-name', `${w.label} Ops`);
    expect({ code: created.code, stderr: created.code === 0 ? '' : created.stderr }).toEqual({ code: 0, stderr: '' });
    const line = new RegExp(`^created: org ([0-9a-f-]{36}) "${w.name}", admin ${w.adminEmail.replace(/[.]/g, '\\.')}`, 'm').exec(
      created.stdout,
    );
    expect(line).not.toBeNull();
    w.orgId = line![1]!;
    w.setPasswordToken = /^token: (\S+)$/m.exec(created.stdout)?.[1];
    expect(w.setPasswordToken).toEqual(expect.any(String));
  }
  expect(acme.orgId).not.toBe(globex.orgId);

  for (const w of BOTH) {
    expect((await request(app).post('/v1/auth/set-password').send({ token: w.setPasswordToken, password: PASSWORD })).status).toBe(204);
    const login = await request(app).post('/v1/auth/login').send({ email: w.adminEmail, password: PASSWORD });
    expect(login.status).toBe(200);
    w.adminToken = login.body.accessToken;
    const me = await as(w.adminToken).get('/v1/me');
    expect(me.body).toMatchObject({ email: w.adminEmail, role: 'admin', org: { id: w.orgId, name: w.name } });
  }
});

test('each admin invites an agent, who sets a password and logs in', async () => {
  for (const w of BOTH) {
    const invited = await as(w.adminToken).post('/v1/staff', { email: w.agentEmail, name: `${w.label} Agent`, role: 'agent' });
    expect(invited.status).toBe(201);
    w.agentId = invited.body.staff.id;
    expect((await request(app).post('/v1/auth/set-password').send({ token: invited.body.invite.token, password: PASSWORD })).status).toBe(
      204,
    );
    const login = await request(app).post('/v1/auth/login').send({ email: w.agentEmail, password: PASSWORD });
    expect(login.status).toBe(200);
    w.agentToken = login.body.accessToken;
    expect((await as(w.agentToken).get('/v1/me')).body).toMatchObject({ id: w.agentId, role: 'agent', org: { id: w.orgId } });
    // an agent cannot connect channels
    expect(
      (await as(w.agentToken).post('/v1/communications/twilio/setup', { accountSid: w.account.sid, authToken: w.account.authToken }))
        .status,
    ).toBe(403);
  }
});

test('each admin connects its own Twilio account and buys a number', async () => {
  for (const w of BOTH) {
    const admin = as(w.adminToken);
    const setup = await admin.post('/v1/communications/twilio/setup', { accountSid: w.account.sid, authToken: w.account.authToken });
    expect(setup.status).toBe(200);
    expect(setup.body).toMatchObject({ accountSid: w.account.sid, friendlyName: w.account.friendlyName });
    const available = await admin.get(`/v1/communications/twilio/available-numbers?areaCode=${w.areaCode}&limit=5`);
    expect(available.status).toBe(200);
    // a number no org of this database owns yet (reruns on one database bought the first ones)
    let bought: request.Response | undefined;
    for (const candidate of available.body.data as { phoneNumber: string }[]) {
      bought = await admin.post('/v1/communications/twilio/numbers', { phoneNumber: candidate.phoneNumber, name: `${w.label} SMS` });
      if (bought.status !== 409) break;
    }
    expect(bought?.status).toBe(201);
    w.number = bought!.body.channel.address;
    w.smsChannelId = bought!.body.channel.id;
    const incoming = h.twilioStub!.incomingPhoneNumbers.find((n) => n.phone_number === w.number);
    expect(incoming).toMatchObject({ account_sid: w.account.sid, sms_url: `${PUBLIC_BASE_URL}/webhooks/twilio/messaging` });
    expect((await admin.get('/v1/communications/twilio/system-phone')).body).toMatchObject({
      phoneNumber: w.number,
      channelId: w.smsChannelId,
    });
  }
});

test('each admin connects a Postmark inbound address and a Telegram bot through the API', async () => {
  for (const w of BOTH) {
    const admin = as(w.adminToken);
    const email = await admin.post('/v1/channels', {
      kind: 'email',
      name: `${w.label} support`,
      address: w.emailAddress,
      credentials: { serverToken: POSTMARK_SERVER_TOKEN, webhookUser: w.postmarkWebhook.user, webhookPassword: w.postmarkWebhook.password },
    });
    expect(email.status).toBe(201);
    expect(email.body).toMatchObject({ kind: 'email', provider: 'postmark', address: w.emailAddress, hasCredentials: true });
    w.emailChannelId = email.body.id;
    expect(email.body.webhookUrl).toBe(`${PUBLIC_BASE_URL}/webhooks/postmark/${w.emailChannelId}/inbound`);
    w.emailWebhookPath = new URL(email.body.webhookUrl).pathname;

    const telegram = await admin.post('/v1/channels', { kind: 'telegram', name: `${w.label} bot`, credentials: { botToken: w.botToken } });
    expect(telegram.status).toBe(201);
    expect(telegram.body).toMatchObject({ kind: 'telegram', address: w.botUsername, hasCredentials: true });
    w.telegramChannelId = telegram.body.id;
    const webhook = h.telegram.webhooks.get(w.botToken);
    expect(webhook?.url).toBe(`${PUBLIC_BASE_URL}/webhooks/telegram/${w.telegramChannelId}`);
    w.telegramSecret = need(webhook?.secretToken ?? undefined, 'the Telegram webhook secret');
  }
  expect(acme.telegramSecret).not.toBe(globex.telegramSecret);
});

test("an inbound SMS to each org's number, signed with its own account token, is received; the agent's reply leaves through that account", async () => {
  const messaging = '/webhooks/twilio/messaging';
  // both orgs receive first, then both answer: side by side
  for (const w of BOTH) {
    const form = buildInboundMessageForm({
      from: w.customer.phone,
      body: `Hello ${w.label}`,
      to: need(w.number, 'number'),
      accountSid: w.account.sid,
    });
    const signed = (token: string) => postSignedTwilioForm(app, messaging, form, token);
    // the other org's account token does not verify this org's number
    expect((await signed(otherOf(w).account.authToken)).status).toBe(403);
    expect((await signed(w.account.authToken)).status).toBe(200);
    w.conversations.sms = conversationIdFor(need(w.orgId, 'org'), need(w.smsChannelId, 'SMS channel'), w.customer.phone);
  }
  for (const w of BOTH) {
    const id = need(w.conversations.sms, 'SMS conversation');
    const seen = await h.waitFor(async () => {
      // the row exists from the workflow's first save; the message is recorded just after it
      const r = await as(w.agentToken).get(`/v1/conversations/${id}`);
      return r.status === 200 && r.body.lastMessagePreview !== null ? r.body : undefined;
    }, `${w.label}'s SMS conversation with its message`);
    expect(seen).toMatchObject({ channel: 'sms', inbox: { id: w.smsChannelId }, lastMessagePreview: `Hello ${w.label}` });
  }
  for (const w of BOTH) {
    const reply = await as(w.agentToken).post(`/v1/conversations/${w.conversations.sms}/messages`, { text: `${w.label} answers by SMS` });
    expect(reply.status).toBe(201);
  }
  for (const w of BOTH) {
    const sent = await h.waitFor(
      async () =>
        h.twilioStub!.requests.find((r) => r.method === 'POST' && r.form.Body === `${w.label} answers by SMS` && r.responseStatus === 201),
      `${w.label}'s reply at the Twilio stand-in`,
    );
    expect(sent).toMatchObject({
      path: `/2010-04-01/Accounts/${w.account.sid}/Messages.json`,
      accountSid: w.account.sid,
      basicAuth: { username: w.account.sid, password: w.account.authToken },
      form: { To: w.customer.phone, From: w.number },
    });
  }
  // nothing of either org was ever sent with the other org's account
  for (const w of BOTH) {
    const withOther = h.twilioStub!.requests.filter(
      (r) => r.method === 'POST' && r.form.Body === `${w.label} answers by SMS` && r.accountSid !== w.account.sid,
    );
    expect(withOther).toEqual([]);
  }
});

test("an email on the org's per-channel Postmark URL and a Telegram update with its bot's secret open conversations; the agent answers them through the org's own channels", async () => {
  for (const w of BOTH) {
    const mail = inboundEmail(w.customer.email, w.emailAddress);
    const post = (auth: { user: string; password: string }) =>
      request(app)
        .post(need(w.emailWebhookPath, 'email webhook'))
        .auth(auth.user, auth.password)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify(mail));
    expect((await post(otherOf(w).postmarkWebhook)).status).toBe(401);
    const received = await post(w.postmarkWebhook);
    expect(received.status).toBe(200);
    w.conversations.email = received.body.conversationId;

    const update = h.telegram.update({ chatId: w.customer.chatId, text: `Telegram hello to ${w.label}` });
    const tg = (secret: string) =>
      request(app)
        .post(`/webhooks/telegram/${w.telegramChannelId}`)
        .set('X-Telegram-Bot-Api-Secret-Token', secret)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify(update));
    expect((await tg(need(otherOf(w).telegramSecret, 'other secret'))).status).toBe(403);
    expect((await tg(need(w.telegramSecret, 'secret'))).status).toBe(200);
  }
  for (const w of BOTH) {
    const agent = as(w.agentToken);
    const telegram = await h.waitFor(async () => {
      const r = await agent.get('/v1/conversations?limit=100');
      return (r.body.data as { id: string; inbox: { id: string } }[] | undefined)?.find((c) => c.inbox.id === w.telegramChannelId);
    }, `${w.label}'s Telegram conversation`);
    w.conversations.telegram = telegram.id;
    const email = await h.waitFor(async () => {
      const r = await agent.get(`/v1/conversations/${need(w.conversations.email, 'email conversation')}`);
      return r.status === 200 ? r.body : undefined;
    }, `${w.label}'s email conversation`);
    expect(email).toMatchObject({ channel: 'email', inbox: { id: w.emailChannelId } });

    expect((await agent.post(`/v1/conversations/${w.conversations.email}/messages`, { text: `${w.label} answers by email` })).status).toBe(
      201,
    );
    expect(
      (await agent.post(`/v1/conversations/${w.conversations.telegram}/messages`, { text: `${w.label} answers on Telegram` })).status,
    ).toBe(201);
  }
  for (const w of BOTH) {
    const mail = await h.waitFor(
      async () => h.postmark.sent.find((m) => m.Recipients.includes(w.customer.email)),
      `${w.label}'s email reply`,
    );
    expect(mail.From).toContain(w.emailAddress);
    const tg = await h.waitFor(
      async () => h.telegram.requests.find((r) => r.method === 'sendMessage' && r.params.text === `${w.label} answers on Telegram`),
      `${w.label}'s Telegram reply`,
    );
    expect({ token: tg.token, chat: String(tg.params.chat_id) }).toEqual({ token: w.botToken, chat: String(w.customer.chatId) });
  }
});

test("each org lists only its own conversations and channels, and gets 404 on the other's", async () => {
  for (const w of BOTH) {
    const own = Object.values(w.conversations);
    const others = Object.values(otherOf(w).conversations);
    expect(own).toHaveLength(3);
    expect(others).toHaveLength(3);
    for (const token of [w.adminToken, w.agentToken]) {
      const list = await as(token).get('/v1/conversations?limit=100');
      expect(list.status).toBe(200);
      const ids = (list.body.data as { id: string }[]).map((c) => c.id);
      expect([...ids].sort()).toEqual([...own].sort());
      for (const id of others) {
        const r = await as(token).get(`/v1/conversations/${id}`);
        expect([r.status, r.body.error?.code]).toEqual([404, 'not_found']);
        expect((await as(token).post(`/v1/conversations/${id}/messages`, { text: 'cross-org' })).status).toBe(404);
      }
    }
    const channels = await as(w.adminToken).get('/v1/channels');
    expect((channels.body.data as { id: string }[]).map((c) => c.id).sort()).toEqual(
      [w.smsChannelId, w.emailChannelId, w.telegramChannelId].sort(),
    );
    expect((await as(w.adminToken).get(`/v1/channels/${otherOf(w).smsChannelId}`)).status).toBe(404);
    const staff = await as(w.adminToken).get('/v1/staff');
    expect((staff.body.data as { email: string }[]).map((s) => s.email).sort()).toEqual([w.adminEmail, w.agentEmail].sort());
  }
  expect(h.twilioStub!.requests.some((r) => r.form.Body === 'cross-org')).toBe(false);
});
