/**
 * A Postmark channel with a server of its own (issue 10's per-channel credentials, end to end): its
 * inbound webhook takes the channel's own Basic credentials, and a staff reply goes out with the
 * channel's own server token, never the environment's (the Postmark stand-in knows both servers and,
 * like Postmark, shows each server only its own emails).
 */
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { signStaffToken } from '../../api/auth';
import { Keyring } from '../../config/keyring';
import { sealChannelCredentials } from '../../db/channel-credentials';
import { insertChannelRow } from '../support/channel-rows';
import { createHarness, createTestOrg, type Harness, JWT_SECRET, POSTMARK_SERVER_TOKEN, TEST_CREDENTIALS_KEYS } from '../support/harness';
import { inboundEmail } from '../support/postmark-inbound';
import { postJsonWebhook } from '../support/webhook-requests';

let h: Harness;
afterAll(async () => {
  await h?.close();
});
beforeAll(async () => {
  h = await createHarness();
}, 60_000);

test("a reply on a channel with its own Postmark server is sent with that server's token", async () => {
  const org = await createTestOrg(h.db);
  const own = {
    serverToken: `own-${randomBytes(8).toString('hex')}`,
    webhookUser: 'hooks',
    webhookPassword: randomBytes(12).toString('hex'),
  };
  h.postmark.addServer(own.serverToken);
  const address = `help-${randomBytes(4).toString('hex')}@own-server.example.test`;
  const keyring = new Keyring(TEST_CREDENTIALS_KEYS);
  const channelId = await insertChannelRow(h.db, org.orgId, { kind: 'email', address, provider: 'postmark' }, (id) =>
    sealChannelCredentials(keyring, id, 'postmark', own),
  );
  const customer = `c-${randomBytes(3).toString('hex')}@mail.example.net`;
  const inbound = await postJsonWebhook(h.app, `/webhooks/postmark/${channelId}/inbound`, inboundEmail(customer, address), {
    user: own.webhookUser,
    password: own.webhookPassword,
  });
  expect(inbound.status).toBe(200);
  const conversationId = (inbound.body as { conversationId: string }).conversationId;
  const admin = `Bearer ${signStaffToken(JWT_SECRET, { userId: org.adminId, orgId: org.orgId, role: 'admin' })}`;
  await h.waitFor(async () => {
    const res = await request(h.app).get(`/v1/conversations/${conversationId}/messages`).set('Authorization', admin);
    return res.status === 200 && (res.body as { data: unknown[] }).data.length > 0;
  }, 'the inbound email stored');

  const reply = await request(h.app)
    .post(`/v1/conversations/${conversationId}/messages`)
    .set('Authorization', admin)
    .send({ text: 'Sent through our own server' });
  expect(reply.status).toBeLessThan(300);
  const sent = await h.waitFor(
    async () => h.postmark.requests.find((r) => r.method === 'POST' && r.path === '/email' && JSON.stringify(r.body).includes(customer)),
    'the reply at Postmark',
  );
  expect(sent.serverToken).toBe(own.serverToken);
  expect(sent.responseStatus).toBe(200);
  expect(sent.serverToken).not.toBe(POSTMARK_SERVER_TOKEN);
  await h.waitFor(async () => {
    const res = await request(h.app).get(`/v1/conversations/${conversationId}/messages`).set('Authorization', admin);
    const out = (res.body as { data: { direction: string; deliveryStatus: string | null }[] }).data.find((m) => m.direction === 'outbound');
    return out?.deliveryStatus === 'sent' || out?.deliveryStatus === 'delivered';
  }, 'the reply recorded as sent');
});
