/**
 * Password reset by email (issue 10): `POST /v1/auth/forgot-password` → the durable
 * `passwordResetEmailWorkflow` → the `sendPasswordResetEmail` activity, which makes the token and
 * emails the link through the org's Postmark channel (the real SDK against the Postmark stand-in) →
 * set-password with the emailed token → login. The same 202 for unknown emails; a budget per email;
 * no email (and no token) for an org without an email channel; an unanswered send is not retried.
 */
import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import request from 'supertest';
import { createStaffEmailActivities } from '../../activities/staff-email';
import { RESET_MAX_REQUESTS } from '../../api/login-limiter';
import { Keyring } from '../../config/keyring';
import { sealChannelCredentials } from '../../db/channel-credentials';
import { issueOneTimeToken } from '../../db/staff-auth';
import {
  createHarness,
  createTestOrg,
  type Harness,
  POSTMARK_SERVER_TOKEN,
  PUBLIC_BASE_URL,
  TEST_CREDENTIALS_KEYS,
} from '../support/harness';
import { expectError } from './rest-helpers';

let h: Harness;

beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.close();
});

/** The reset emails the Postmark stand-in accepted for `to`, with their text. */
function resetEmailsTo(to: string): { from: string; text: string }[] {
  return h.postmark.requests
    .filter((r) => r.path === '/email' && r.responseStatus === 200)
    .map((r) => r.body as { From: string; To: string; TextBody: string; Tag?: string })
    .filter((b) => b.To === to && b.Tag === 'password-reset')
    .map((b) => ({ from: b.From, text: b.TextBody }));
}

const tokenIn = (text: string): string => decodeURIComponent(/set-password\?token=([^\s]+)/.exec(text)![1]!);

async function adminEmail(orgId: string): Promise<string> {
  const row = await h.db
    .selectFrom('staff_users')
    .select('email')
    .where('org_id', '=', orgId)
    .where('role', '=', 'admin')
    .executeTakeFirstOrThrow();
  return row.email;
}

test('the emailed link sets a new password, once; the email comes from the org email channel', async () => {
  const email = await adminEmail(h.org.orgId);
  const res = await request(h.app).post('/v1/auth/forgot-password').send({ email: email.toUpperCase() });
  expect(res.status).toBe(202);
  const [sent] = await h.waitFor(async () => {
    const emails = resetEmailsTo(email);
    return emails.length > 0 && emails;
  }, 'the reset email');
  expect(sent!.from).toContain(`<${h.org.emailAddress}>`);
  expect(sent!.text).toContain(`${PUBLIC_BASE_URL}/set-password?token=`);
  const token = tokenIn(sent!.text);

  // the secret is in the email only: not in the workflow's input or history
  const rows = await h.db
    .selectFrom('staff_one_time_tokens')
    .select(['purpose', 'expires_at'])
    .where('staff_id', '=', h.org.adminId)
    .where('used_at', 'is', null)
    .execute();
  expect(rows).toEqual([{ purpose: 'reset_password', expires_at: expect.any(Date) }]);
  expect(rows[0]!.expires_at.getTime() - Date.now()).toBeLessThanOrEqual(60 * 60 * 1000);

  expect((await request(h.app).post('/v1/auth/set-password').send({ token, password: 'a brand new password' })).status).toBe(204);
  const login = await request(h.app).post('/v1/auth/login').send({ email, password: 'a brand new password' });
  expect(login.status).toBe(200);
  expectError(await request(h.app).post('/v1/auth/set-password').send({ token, password: 'another new password' }), 400, 'invalid_token');
});

test('unknown emails get the same 202 and no email; a bad body is 400', async () => {
  const before = h.postmark.requests.length;
  const res = await request(h.app)
    .post('/v1/auth/forgot-password')
    .send({ email: `nobody-${randomUUID()}@example.test` });
  expect(res.status).toBe(202);
  expect(res.text).toBe('');
  expectError(await request(h.app).post('/v1/auth/forgot-password').send({ email: 1 }), 400, 'validation_failed');
  expectError(await request(h.app).post('/v1/auth/forgot-password').send({ email: 'a@b.c', extra: true }), 400, 'validation_failed');
  expect(h.postmark.requests.length).toBe(before);
});

test(`at most ${RESET_MAX_REQUESTS} reset emails per address per hour; more requests still answer 202`, async () => {
  const org = await createTestOrg(h.db);
  const email = await adminEmail(org.orgId);
  for (let i = 0; i < RESET_MAX_REQUESTS + 2; i++) {
    expect((await request(h.app).post('/v1/auth/forgot-password').send({ email })).status).toBe(202);
  }
  await h.waitFor(async () => resetEmailsTo(email).length === RESET_MAX_REQUESTS, `${RESET_MAX_REQUESTS} emails`);
  // the extra requests started nothing: give a straggler time to show up, then count again
  await new Promise((r) => setTimeout(r, 1_000));
  expect(resetEmailsTo(email)).toHaveLength(RESET_MAX_REQUESTS);
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

test('known and unknown emails both get 202; the known one gets exactly one email', async () => {
  const org = await createTestOrg(h.db);
  const email = await adminEmail(org.orgId);
  const unknown = await request(h.app)
    .post('/v1/auth/forgot-password')
    .send({ email: `nobody-${randomUUID()}@example.test` });
  const known = await request(h.app).post('/v1/auth/forgot-password').send({ email });
  expect([unknown.status, unknown.text, known.status, known.text]).toEqual([202, '', 202, '']);
  await h.waitFor(async () => resetEmailsTo(email).length > 0, 'the reset email');
  await sleep(1_000); // a second link would show up by now
  expect(resetEmailsTo(email)).toHaveLength(1);
});

test('the 202 does not wait for the workflow start (timing does not tell a known email from an unknown one)', async () => {
  const org = await createTestOrg(h.db);
  const email = await adminEmail(org.orgId);
  // the app's own Temporal client, its start held until the answer is in
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const startOnce = h.conversations.startOnce.bind(h.conversations);
  const startedIds: string[] = [];
  const spy = jest.spyOn(h.conversations, 'startOnce').mockImplementation(async (type, workflowId, arg) => {
    startedIds.push(workflowId);
    await held;
    return startOnce(type, workflowId, arg);
  });
  try {
    const pending = request(h.app).post('/v1/auth/forgot-password').send({ email });
    const answer = await Promise.race([pending.then((r) => r.status), sleep(5_000).then(() => 'no answer while the start is held')]);
    expect(answer).toBe(202);
    // the start was asked for (after the answer) and is still held: nothing sent yet
    await h.waitFor(async () => startedIds.length === 1, 'the workflow start');
    expect(resetEmailsTo(email)).toEqual([]);
  } finally {
    release();
  }
  await h.waitFor(async () => resetEmailsTo(email).length > 0, 'the reset email');
  spy.mockRestore();
  await sleep(1_000);
  expect(resetEmailsTo(email)).toHaveLength(1);
  expect(startedIds).toHaveLength(1);
});

test('a workflow start that fails after the 202 is not retried (and the route still answered 202)', async () => {
  const org = await createTestOrg(h.db);
  const email = await adminEmail(org.orgId);
  const spy = jest.spyOn(h.conversations, 'startOnce').mockRejectedValue(new Error('Temporal is down'));
  try {
    expect((await request(h.app).post('/v1/auth/forgot-password').send({ email })).status).toBe(202);
    await h.waitFor(async () => spy.mock.calls.length === 1, 'the failed start');
    await sleep(500);
    expect(spy).toHaveBeenCalledTimes(1);
  } finally {
    spy.mockRestore();
  }
  expect(resetEmailsTo(email)).toEqual([]);
});

describe('the activity', () => {
  const activities = () =>
    createStaffEmailActivities({
      db: h.db,
      keyring: new Keyring(TEST_CREDENTIALS_KEYS),
      postmark: { serverToken: POSTMARK_SERVER_TOKEN, apiBaseUrl: h.postmark.url },
      publicBaseUrl: PUBLIC_BASE_URL,
    });

  test('an org without an email channel gets no email and no token', async () => {
    const org = await createTestOrg(h.db);
    await h.db.deleteFrom('channels').where('org_id', '=', org.orgId).where('kind', '=', 'email').execute();
    const result = await new MockActivityEnvironment().run(activities().sendPasswordResetEmail, { orgId: org.orgId, staffId: org.adminId });
    expect(result).toEqual({ sent: false, reason: 'no_email_channel' });
    expect(await h.db.selectFrom('staff_one_time_tokens').select('id').where('staff_id', '=', org.adminId).execute()).toEqual([]);
  });

  test("a reset request does not void the user's pending invite (only earlier reset links)", async () => {
    const org = await createTestOrg(h.db);
    const invite = await issueOneTimeToken(h.db, org.agentId, 'invite');
    const first = await new MockActivityEnvironment().run(activities().sendPasswordResetEmail, { orgId: org.orgId, staffId: org.agentId });
    expect(first).toMatchObject({ sent: true });
    await new MockActivityEnvironment().run(activities().sendPasswordResetEmail, { orgId: org.orgId, staffId: org.agentId });
    const live = await h.db
      .selectFrom('staff_one_time_tokens')
      .select('purpose')
      .where('staff_id', '=', org.agentId)
      .where('used_at', 'is', null)
      .orderBy('purpose')
      .execute();
    expect(live.map((t) => t.purpose)).toEqual(['invite', 'reset_password']);
    expect(
      (await request(h.app).post('/v1/auth/set-password').send({ token: invite.token, password: 'the invited password' })).status,
    ).toBe(204);
  });

  test('a deactivated user gets nothing', async () => {
    const org = await createTestOrg(h.db);
    await h.db.updateTable('staff_users').set({ deactivated_at: new Date() }).where('id', '=', org.agentId).execute();
    const result = await new MockActivityEnvironment().run(activities().sendPasswordResetEmail, { orgId: org.orgId, staffId: org.agentId });
    expect(result).toEqual({ sent: false, reason: 'no_active_user' });
  });

  test('Postmark refusing is final (email_rejected); a 5xx is retried (thrown as is)', async () => {
    const org = await createTestOrg(h.db);
    h.postmark.failNext(422, { ErrorCode: 406, Message: 'You tried to send to recipient(s) that have been marked as inactive.' });
    await expect(
      new MockActivityEnvironment().run(activities().sendPasswordResetEmail, { orgId: org.orgId, staffId: org.adminId }),
    ).rejects.toMatchObject({
      type: 'email_rejected',
      nonRetryable: true,
    });
    h.postmark.failNext(500, { ErrorCode: 0, Message: 'Internal error' });
    const err = await new MockActivityEnvironment()
      .run(activities().sendPasswordResetEmail, { orgId: org.orgId, staffId: org.adminId })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as { nonRetryable?: boolean }).nonRetryable).not.toBe(true);
  });

  test('credentials that do not open with the keyring fail for good (channel_credentials_unavailable), before any token', async () => {
    const org = await createTestOrg(h.db);
    // sealed under another key id than the activity's keyring holds (e.g. a key dropped from CREDENTIALS_ENCRYPTION_KEYS)
    const otherKeyring = new Keyring(`other:${Buffer.alloc(32, 7).toString('base64')}`);
    await h.db
      .updateTable('channels')
      .set(
        sealChannelCredentials(otherKeyring, org.emailChannelId, 'postmark', {
          serverToken: 'sealed-elsewhere',
          webhookUser: 'hooks',
          webhookPassword: 'sealed-elsewhere-password',
        }),
      )
      .where('id', '=', org.emailChannelId)
      .execute();
    await expect(
      new MockActivityEnvironment().run(activities().sendPasswordResetEmail, { orgId: org.orgId, staffId: org.adminId }),
    ).rejects.toMatchObject({ type: 'channel_credentials_unavailable', nonRetryable: true });
    expect(await h.db.selectFrom('staff_one_time_tokens').select('id').where('staff_id', '=', org.adminId).execute()).toEqual([]);
  });

  test('no answer from Postmark is never retried (email_unconfirmed): the email may have gone', async () => {
    const org = await createTestOrg(h.db);
    const unreachable = createStaffEmailActivities({
      db: h.db,
      keyring: new Keyring(TEST_CREDENTIALS_KEYS),
      postmark: { serverToken: POSTMARK_SERVER_TOKEN, apiBaseUrl: 'http://127.0.0.1:1' },
      publicBaseUrl: PUBLIC_BASE_URL,
    });
    await expect(
      new MockActivityEnvironment().run(unreachable.sendPasswordResetEmail, { orgId: org.orgId, staffId: org.adminId }),
    ).rejects.toMatchObject({
      type: 'email_unconfirmed',
      nonRetryable: true,
    });
  });
});
