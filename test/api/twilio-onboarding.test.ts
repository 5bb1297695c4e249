/**
 * Twilio onboarding through the real path: the API's routes call the real `twilio` SDK, pointed at the
 * Twilio stand-in (channels/twilio/standin.ts), which knows the test accounts and their auth tokens.
 * A fresh org (no channels) connects its sub-account, verifies it, searches and buys a number — whose
 * SMS channel then receives a message signed with that account's token — and reads its system phone.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import { createApp } from '../../api/app';
import { signStaffToken } from '../../api/auth';
import { openChannelCredentials } from '../../db/channel-credentials';
import { Keyring } from '../../config/keyring';
import { conversationIdFor } from '../../domain/routing';
import { createHarness, type Harness, JWT_SECRET, PUBLIC_BASE_URL, TEST_CREDENTIALS_KEYS, testApiDeps } from '../support/harness';
import { buildInboundMessageForm } from '../support/twilio-webhooks';
import { postSignedTwilioForm } from '../support/webhook-requests';

const BASE = '/v1/communications/twilio';
const ACCOUNT = { sid: `AC${randomBytes(16).toString('hex')}`, authToken: `tok-${randomBytes(12).toString('hex')}`, friendlyName: 'Acme sub-account' };

let h: Harness;
/** A fresh org without channels: its admin and agent tokens. */
let org: { orgId: string; admin: string; agent: string };

async function createEmptyOrg(): Promise<{ orgId: string; admin: string; agent: string }> {
  const orgId = randomUUID();
  const adminId = randomUUID();
  const agentId = randomUUID();
  await h.db.insertInto('orgs').values({ id: orgId, name: `Onboarding ${orgId.slice(0, 8)}` }).execute();
  await h.db
    .insertInto('staff_users')
    .values([
      { id: adminId, org_id: orgId, email: `admin-${adminId}@example.test`, name: 'Ada Admin', role: 'admin' },
      { id: agentId, org_id: orgId, email: `agent-${agentId}@example.test`, name: 'Alan Agent', role: 'agent' },
    ])
    .execute();
  return {
    orgId,
    admin: `Bearer ${signStaffToken(JWT_SECRET, { userId: adminId, orgId, role: 'admin' })}`,
    agent: `Bearer ${signStaffToken(JWT_SECRET, { userId: agentId, orgId, role: 'agent' })}`,
  };
}

beforeAll(async () => {
  h = await createHarness();
  h.twilioStub!.addAccount(ACCOUNT);
  org = await createEmptyOrg();
});
afterAll(async () => {
  await h?.close();
});

const post = (path: string, auth: string, body: object = {}) => request(h.app).post(`${BASE}${path}`).set('Authorization', auth).send(body);
const get = (path: string, auth: string) => request(h.app).get(`${BASE}${path}`).set('Authorization', auth);

describe('Twilio onboarding', () => {
  it('every route but system-phone is admin-only: 403 forbidden for agents, nothing called at Twilio', async () => {
    h.twilioStub!.requests.length = 0;
    const answers = await Promise.all([
      post('/setup', org.agent, { accountSid: ACCOUNT.sid, authToken: ACCOUNT.authToken }),
      post('/verify', org.agent),
      get('/available-numbers?areaCode=628', org.agent),
      post('/numbers', org.agent, { phoneNumber: '+16285551000' }),
    ]);
    for (const r of answers) expect([r.status, r.body.error?.code]).toEqual([403, 'forbidden']);
    // agents may read the org's outbound number (none yet)
    const phone = await get('/system-phone', org.agent);
    expect([phone.status, phone.body.error?.code]).toEqual([404, 'no_system_phone']);
    expect(h.twilioStub!.requests).toEqual([]);
    expect(await h.db.selectFrom('twilio_accounts').select('id').where('org_id', '=', org.orgId).execute()).toEqual([]);
  });

  it('before setup: verify, available-numbers and numbers answer 404 twilio_not_connected; system-phone 404 no_system_phone', async () => {
    expect((await post('/verify', org.admin)).body.error.code).toBe('twilio_not_connected');
    expect((await get('/available-numbers', org.admin)).status).toBe(404);
    expect((await post('/numbers', org.admin, { phoneNumber: '+16285551000' })).body.error.code).toBe('twilio_not_connected');
    const phone = await get('/system-phone', org.admin);
    expect([phone.status, phone.body.error.code]).toEqual([404, 'no_system_phone']);
  });

  it('setup with credentials Twilio refuses → 422 twilio_auth_failed, nothing stored; bad input → 400', async () => {
    const bad = await post('/setup', org.admin, { accountSid: ACCOUNT.sid, authToken: 'not-the-token' });
    expect([bad.status, bad.body.error.code]).toEqual([422, 'twilio_auth_failed']);
    expect(h.twilioStub!.requests.at(-1)).toMatchObject({ path: `/2010-04-01/Accounts/${ACCOUNT.sid}.json`, responseStatus: 401 });
    expect(await h.db.selectFrom('twilio_accounts').select('id').where('org_id', '=', org.orgId).execute()).toEqual([]);
    const malformed = await post('/setup', org.admin, { accountSid: 'AC123', authToken: '' });
    expect(malformed.status).toBe(400);
  });

  it('Twilio unreachable → 502 twilio_unavailable', async () => {
    const deps = testApiDeps({ db: h.db, conversations: h.conversations });
    // a port nothing listens on: the SDK's request fails to connect
    const app = createApp({ ...deps, config: { ...deps.config, twilio: { ...deps.config.twilio, apiBaseUrl: 'http://127.0.0.1:9' } } });
    const r = await request(app).post(`${BASE}/setup`).set('Authorization', org.admin).send({ accountSid: ACCOUNT.sid, authToken: ACCOUNT.authToken });
    expect([r.status, r.body.error.code]).toEqual([502, 'twilio_unavailable']);
  });

  it('setup → verify → available-numbers → numbers (SmsUrl / StatusCallback on the number, SMS channel with the account credentials) → system-phone', async () => {
    // setup: fetched from Twilio with the given credentials, stored sealed, never returned
    const setup = await post('/setup', org.admin, { accountSid: ACCOUNT.sid, authToken: ACCOUNT.authToken });
    expect(setup.status).toBe(200);
    expect(setup.body).toMatchObject({ accountSid: ACCOUNT.sid, friendlyName: ACCOUNT.friendlyName, status: 'active' });
    expect(JSON.stringify(setup.body)).not.toContain(ACCOUNT.authToken);
    expect(h.twilioStub!.requests.at(-1)).toMatchObject({
      method: 'GET',
      path: `/2010-04-01/Accounts/${ACCOUNT.sid}.json`,
      basicAuth: { username: ACCOUNT.sid, password: ACCOUNT.authToken },
    });
    const stored = await h.db.selectFrom('twilio_accounts').selectAll().where('org_id', '=', org.orgId).executeTakeFirstOrThrow();
    expect(stored.account_sid).toBe(ACCOUNT.sid);
    expect(stored.credentials_ciphertext).not.toContain(ACCOUNT.authToken);
    // sealed for its own row (AAD = id): opens there, not elsewhere
    const keyring = new Keyring(TEST_CREDENTIALS_KEYS);
    expect(keyring.open({ ciphertext: stored.credentials_ciphertext, keyId: stored.credentials_key_id }, stored.id)).toMatchObject({
      accountSid: ACCOUNT.sid,
      authToken: ACCOUNT.authToken,
    });
    expect(() => keyring.open({ ciphertext: stored.credentials_ciphertext, keyId: stored.credentials_key_id }, randomUUID())).toThrow();
    const audit = await h.db.selectFrom('audit_log').selectAll().where('org_id', '=', org.orgId).where('action', '=', 'twilio_account.connect').execute();
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit[0]!.after)).not.toContain(ACCOUNT.authToken);

    // verify: re-fetched with the stored credentials
    const verify = await post('/verify', org.admin);
    expect(verify.status).toBe(200);
    expect(verify.body).toEqual({ ok: true, status: 'active', friendlyName: ACCOUNT.friendlyName });

    // available numbers in an area code
    const available = await get('/available-numbers?areaCode=628&country=US&limit=3', org.admin);
    expect(available.status).toBe(200);
    expect(available.body.data).toHaveLength(3);
    expect(available.body.data[0]).toMatchObject({ phoneNumber: '+16285551000', isoCountry: 'US', capabilities: { sms: true } });
    expect(h.twilioStub!.requests.at(-1)).toMatchObject({
      path: `/2010-04-01/Accounts/${ACCOUNT.sid}/AvailablePhoneNumbers/US/Local.json`,
      query: { AreaCode: '628', PageSize: '3' },
    });

    // buy one: the number points at our webhooks, and its SMS channel carries the account's credentials
    const phoneNumber = available.body.data[1].phoneNumber as string;
    const bought = await post('/numbers', org.admin, { phoneNumber, name: 'Sales line' });
    expect(bought.status).toBe(201);
    expect(bought.body.phoneNumberSid).toMatch(/^PN[0-9a-f]{32}$/);
    expect(bought.body.channel).toMatchObject({ kind: 'sms', provider: 'twilio', address: phoneNumber, name: 'Sales line', hasCredentials: true });
    expect(JSON.stringify(bought.body)).not.toContain(ACCOUNT.authToken);
    const number = h.twilioStub!.incomingPhoneNumbers.find((n) => n.phone_number === phoneNumber);
    expect(number).toMatchObject({
      account_sid: ACCOUNT.sid,
      sid: bought.body.phoneNumberSid,
      sms_url: `${PUBLIC_BASE_URL}/webhooks/twilio/messaging`,
      sms_method: 'POST',
      status_callback: `${PUBLIC_BASE_URL}/webhooks/twilio/status`,
    });
    const channel = await h.db.selectFrom('channels').selectAll().where('id', '=', bought.body.channel.id).executeTakeFirstOrThrow();
    expect(channel.org_id).toBe(org.orgId);
    expect(openChannelCredentials(keyring, { ...channel, provider: 'twilio' })).toMatchObject({ accountSid: ACCOUNT.sid, authToken: ACCOUNT.authToken });

    // the same number again: already a channel → 409 before anything is bought
    const requestsBefore = h.twilioStub!.requests.length;
    const again = await post('/numbers', org.admin, { phoneNumber });
    expect([again.status, again.body.error.code]).toEqual([409, 'channel_address_taken']);
    expect(h.twilioStub!.requests.length).toBe(requestsBefore);

    // the bought number receives a message signed with its account's token
    const customer = '+15557770123';
    const form = buildInboundMessageForm({ from: customer, body: 'Hi from a new number', to: phoneNumber, accountSid: ACCOUNT.sid });
    const inbound = await postSignedTwilioForm(h.app, '/webhooks/twilio/messaging', form, ACCOUNT.authToken);
    expect(inbound.status).toBe(200);
    const conversationId = conversationIdFor(org.orgId, channel.id, customer);
    const row = await h.waitFor(
      () => h.db.selectFrom('conversations').select(['id', 'org_id']).where('id', '=', conversationId).executeTakeFirst(),
      'the conversation of the new number',
    );
    expect(row.org_id).toBe(org.orgId);

    // system phone: the org's oldest live SMS channel, the number just bought
    const phone = await get('/system-phone', org.admin);
    expect(phone.status).toBe(200);
    expect(phone.body).toEqual({ phoneNumber, channelId: channel.id, name: 'Sales line' });
  });

  it('a number Twilio will not sell → 422 twilio_request_failed with its code, no channel', async () => {
    const r = await post('/numbers', org.admin, { phoneNumber: 'not-a-number' });
    expect(r.status).toBe(400); // not E.164: refused before Twilio
    const taken = h.twilioStub!.incomingPhoneNumbers[0]!.phone_number as string;
    // sold at Twilio but its channel archived → Twilio refuses the purchase
    await h.db.updateTable('channels').set({ archived_at: new Date() }).where('address', '=', taken).execute();
    const refused = await post('/numbers', org.admin, { phoneNumber: taken });
    expect([refused.status, refused.body.error.code, refused.body.error.details.twilioCode]).toEqual([422, 'twilio_request_failed', 21422]);
    expect(
      await h.db.selectFrom('channels').select('id').where('address', '=', taken).where('archived_at', 'is', null).execute(),
    ).toEqual([]);
  });

  it('verify after the token was rotated at Twilio → 422 twilio_auth_failed', async () => {
    h.twilioStub!.addAccount({ ...ACCOUNT, authToken: 'rotated-token' });
    try {
      const r = await post('/verify', org.admin);
      expect([r.status, r.body.error.code]).toEqual([422, 'twilio_auth_failed']);
    } finally {
      h.twilioStub!.addAccount(ACCOUNT);
    }
  });

  it("another org's admin sees none of it: not connected, its own system phone", async () => {
    const other = await post('/verify', h.auth);
    expect(other.body.error.code).toBe('twilio_not_connected');
    const phone = await get('/system-phone', h.auth);
    expect(phone.body.phoneNumber).toBe(h.org.smsNumber);
  });

  it('buying with an Idempotency-Key: a retry replays the answer and buys nothing more', async () => {
    const available = await get('/available-numbers?areaCode=629&limit=1', org.admin);
    const phoneNumber = available.body.data[0].phoneNumber as string;
    const key = `buy-${randomUUID()}`;
    const first = await post('/numbers', org.admin, { phoneNumber }).set('Idempotency-Key', key);
    expect(first.status).toBe(201);
    const retry = await post('/numbers', org.admin, { phoneNumber }).set('Idempotency-Key', key);
    expect(retry.status).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toEqual(first.body);
    expect(h.twilioStub!.incomingPhoneNumbers.filter((n) => n.phone_number === phoneNumber)).toHaveLength(1);
  });

  it('stored credentials that no longer open (key gone from the ring) → 409 twilio_credentials_unusable, never 500', async () => {
    await h.db.updateTable('twilio_accounts').set({ credentials_key_id: 'retired-key' }).where('org_id', '=', org.orgId).execute();
    for (const r of [await post('/verify', org.admin), await get('/available-numbers', org.admin)]) {
      expect([r.status, r.body.error.code]).toEqual([409, 'twilio_credentials_unusable']);
    }
    // setup again replaces them
    expect((await post('/setup', org.admin, { accountSid: ACCOUNT.sid, authToken: ACCOUNT.authToken })).status).toBe(200);
    expect((await post('/verify', org.admin)).body.ok).toBe(true);
  });
});
