/**
 * Bootstrap and sign-in (issue 10): the admin CLI on a fresh database (run as a child process), then
 * set-password → login → `/v1/me` → refresh rotation → reuse revokes the family → logout; the
 * failed-login lockout (429 + Retry-After, reset by a success); deactivation revoking access and
 * refresh tokens at once; one 401 for an unknown email and a wrong password; 409 `org_required`;
 * validation 400s. Real Postgres, the real Express app (no Temporal: these routes never reach it).
 */
import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { appWithoutTemporal } from '../support/app-without-temporal';
import { signStaffToken } from '../../api/auth';
import { LOGIN_MAX_FAILURES } from '../../api/login-limiter';
import { ACCESS_TOKEN_TTL_S } from '../../api/routes/auth';
import { createDb, type Db } from '../../db/client';
import { deactivateStaff, issueOneTimeToken } from '../../db/staff-auth';
import { runAdminCli, scratchDatabase } from '../support/admin-cli';
import { globalResources } from '../support/global-resources';
import { createTestOrg, JWT_SECRET, PUBLIC_BASE_URL, type TestOrg } from '../support/harness';
import { expectError } from './rest-helpers';

const PASSWORD = 'correct horse battery staple';

/** Runs `npm run admin -- …` (as `node --import tsx scripts/admin.ts …`) against `databaseUrl`. */
const admin = (databaseUrl: string, ...args: string[]) => runAdminCli(databaseUrl, args);

/** The token a CLI run printed. */
function printedToken(stdout: string): string {
  const match = /^token: (\S+)$/m.exec(stdout);
  if (!match) throw new Error(`no token in: ${stdout}`);
  return match[1]!;
}

const login = (app: Express, body: object) => request(app).post('/v1/auth/login').send(body);
const refresh = (app: Express, refreshToken: string) => request(app).post('/v1/auth/refresh').send({ refreshToken });
const me = (app: Express, accessToken: string) => request(app).get('/v1/me').set('Authorization', `Bearer ${accessToken}`);

describe('the admin CLI on a fresh database, then signing in', () => {
  const scratch = scratchDatabase('switchboard_signin');
  const databaseUrl = scratch.url;
  let db: Db | undefined;

  afterAll(async () => {
    await db?.destroy();
    await scratch.drop();
  });

  test('create-org (idempotent), list-orgs, set-password, login, refresh rotation, reuse, logout, reset-password, deactivate', async () => {
    const created = await admin(databaseUrl, 'create-org', '--name', 'Acme', '--admin-email', 'Ops@Acme.test', '--admin-name', 'Ops');
    expect(created).toMatchObject({ code: 0 });
    expect(created.stdout).toMatch(/^created: org [0-9a-f-]{36} "Acme", admin ops@acme\.test/m);
    expect(created.stdout).toContain(`${PUBLIC_BASE_URL}/v1/auth/set-password`);
    const orgId = /org ([0-9a-f-]{36})/.exec(created.stdout)![1]!;
    const firstToken = printedToken(created.stdout);

    const again = await admin(databaseUrl, 'create-org', '--name', 'Acme again', '--admin-email', 'ops@acme.test');
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`^exists: org ${orgId} "Acme"`, 'm'));
    const token = printedToken(again.stdout);
    expect(token).not.toBe(firstToken);

    const listed = await admin(databaseUrl, 'list-orgs');
    expect(listed.stdout.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^${orgId}\\s+1 staff\\s+\\S+\\s+Acme$`))]);
    expect((await admin(databaseUrl, 'reset-password', '--email', 'nobody@acme.test')).code).toBe(2);
    expect((await admin(databaseUrl, 'frobnicate')).code).toBe(2);

    db = createDb(databaseUrl, { max: 4 });
    const app = appWithoutTemporal(db);
    // a new token replaces the earlier one
    expectError(await request(app).post('/v1/auth/set-password').send({ token: firstToken, password: PASSWORD }), 400, 'invalid_token');
    expect((await request(app).post('/v1/auth/set-password').send({ token, password: PASSWORD })).status).toBe(204);
    expectError(await request(app).post('/v1/auth/set-password').send({ token, password: PASSWORD }), 400, 'invalid_token');

    const signedIn = await login(app, { email: 'OPS@acme.test', password: PASSWORD });
    expect(signedIn.status).toBe(200);
    expect(signedIn.body).toEqual({
      accessToken: expect.any(String),
      tokenType: 'Bearer',
      expiresIn: ACCESS_TOKEN_TTL_S,
      refreshToken: expect.any(String),
    });
    const claims = jwt.verify(signedIn.body.accessToken, JWT_SECRET) as { org: string; role: string; tv: number; exp: number; iat: number };
    expect(claims).toMatchObject({ org: orgId, role: 'admin', tv: 1 });
    expect(claims.exp - claims.iat).toBe(15 * 60);
    const profile = await me(app, signedIn.body.accessToken);
    expect(profile.status).toBe(200);
    expect(profile.body).toMatchObject({ email: 'ops@acme.test', name: 'Ops', role: 'admin', org: { id: orgId, name: 'Acme' } });

    // rotation: the old refresh token is used up, the new pair works
    const second = await refresh(app, signedIn.body.refreshToken);
    expect(second.status).toBe(200);
    expect(second.body.refreshToken).not.toBe(signedIn.body.refreshToken);
    expect((await me(app, second.body.accessToken)).status).toBe(200);
    const third = await refresh(app, second.body.refreshToken);
    expect(third.status).toBe(200);
    // replaying a used token revokes the whole family, including the newest token
    expectError(await refresh(app, second.body.refreshToken), 401, 'refresh_token_reused');
    expectError(await refresh(app, third.body.refreshToken), 401, 'invalid_refresh_token');
    expectError(await refresh(app, 'not-a-token'), 401, 'invalid_refresh_token');

    // logout revokes its family only
    const a = await login(app, { email: 'ops@acme.test', password: PASSWORD });
    const b = await login(app, { email: 'ops@acme.test', password: PASSWORD });
    expect((await request(app).post('/v1/auth/logout').send({ refreshToken: a.body.refreshToken })).status).toBe(204);
    expectError(await refresh(app, a.body.refreshToken), 401, 'invalid_refresh_token');
    const bNext = await refresh(app, b.body.refreshToken);
    expect(bNext.status).toBe(200);

    // reset-password: a new password signs every session out
    const reset = await admin(databaseUrl, 'reset-password', '--email', 'ops@acme.test');
    expect(reset.code).toBe(0);
    const newPassword = `${PASSWORD} 2`;
    expect(
      (
        await request(app)
          .post('/v1/auth/set-password')
          .send({ token: printedToken(reset.stdout), password: newPassword })
      ).status,
    ).toBe(204);
    expectError(await me(app, bNext.body.accessToken), 401, 'token_revoked');
    expectError(await refresh(app, bNext.body.refreshToken), 401, 'invalid_refresh_token');
    expectError(await login(app, { email: 'ops@acme.test', password: PASSWORD }), 401, 'invalid_credentials');
    const fresh = await login(app, { email: 'ops@acme.test', password: newPassword });
    expect(fresh.status).toBe(200);

    // deactivate from the CLI: access and refresh tokens fail at once, and login too
    expect((await admin(databaseUrl, 'deactivate', '--email', 'ops@acme.test', '--org', orgId)).code).toBe(0);
    expectError(await me(app, fresh.body.accessToken), 401, 'token_revoked');
    expectError(await refresh(app, fresh.body.refreshToken), 401, 'invalid_refresh_token');
    expectError(await login(app, { email: 'ops@acme.test', password: newPassword }), 401, 'invalid_credentials');
  }, 120_000);
});

describe('sign-in rules (shared test database)', () => {
  let db: Db;
  let app: Express;
  let org: TestOrg;

  /** Sets a password for `staffId` through the API. */
  async function setPassword(staffId: string, password = PASSWORD): Promise<void> {
    const { token } = await issueOneTimeToken(db, staffId, 'set_password');
    expect((await request(app).post('/v1/auth/set-password').send({ token, password })).status).toBe(204);
  }

  beforeAll(async () => {
    db = createDb(globalResources().databaseUrl, { max: 4 });
    app = appWithoutTemporal(db);
    org = await createTestOrg(db);
    await setPassword(org.agentId);
  });
  afterAll(async () => {
    await db?.destroy();
  });
  const agentEmail = () => `agent-${org.agentId}@example.test`;

  test('an unknown email and a wrong password get the same 401', async () => {
    const unknown = expectError(
      await login(app, { email: `nobody-${randomUUID()}@example.test`, password: PASSWORD }),
      401,
      'invalid_credentials',
    );
    const wrong = expectError(await login(app, { email: agentEmail(), password: 'not the password' }), 401, 'invalid_credentials');
    expect(unknown).toEqual(wrong);
    // a user without a password yet cannot sign in either
    expectError(await login(app, { email: `admin-${org.adminId}@example.test`, password: PASSWORD }), 401, 'invalid_credentials');
    expect((await login(app, { email: agentEmail(), password: PASSWORD })).status).toBe(200);
  });

  test(`${LOGIN_MAX_FAILURES} failures lock the email out (429 + Retry-After); a success before that resets the count`, async () => {
    const other = await createTestOrg(db);
    await setPassword(other.agentId);
    const email = `agent-${other.agentId}@example.test`;
    for (let i = 0; i < LOGIN_MAX_FAILURES - 1; i++)
      expectError(await login(app, { email, password: `wrong password ${i}` }), 401, 'invalid_credentials');
    expect((await login(app, { email, password: PASSWORD })).status).toBe(200);
    for (let i = 0; i < LOGIN_MAX_FAILURES; i++)
      expectError(await login(app, { email, password: `wrong password ${i}` }), 401, 'invalid_credentials');
    const locked = await login(app, { email: email.toUpperCase(), password: PASSWORD });
    const body = expectError(locked, 429, 'too_many_attempts');
    const retryAfter = Number(locked.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(14 * 60);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    expect(body.error.details).toEqual({ retryAfterSeconds: retryAfter });
    // another email is not affected
    expect((await login(app, { email: agentEmail(), password: PASSWORD })).status).toBe(200);
  }, 60_000);

  test('deactivateStaff revokes access and refresh tokens at once; tokens without tv keep working', async () => {
    const other = await createTestOrg(db);
    await setPassword(other.agentId);
    const pair = await login(app, { email: `agent-${other.agentId}@example.test`, password: PASSWORD });
    expect((await me(app, pair.body.accessToken)).status).toBe(200);
    const legacy = signStaffToken(JWT_SECRET, { userId: other.adminId, orgId: other.orgId, role: 'admin' });
    expect((await me(app, legacy)).status).toBe(200);
    expect(await deactivateStaff(db, other.agentId)).toBe(true);
    expectError(await me(app, pair.body.accessToken), 401, 'token_revoked');
    expectError(await request(app).get('/v1/conversations').set('Authorization', `Bearer ${pair.body.accessToken}`), 401, 'token_revoked');
    expectError(await refresh(app, pair.body.refreshToken), 401, 'invalid_refresh_token');
    expect((await me(app, legacy)).status).toBe(200);
    expect(await deactivateStaff(db, randomUUID())).toBe(false);
    // a token with a stale tv (forged with the right secret) is refused too
    const stale = signStaffToken(JWT_SECRET, { userId: org.agentId, orgId: org.orgId, role: 'agent' }, 60, 999);
    expectError(await me(app, stale), 401, 'token_revoked');
  });

  test('the same email and password in two orgs: 409 org_required, then orgId picks one', async () => {
    const second = await createTestOrg(db);
    const email = `shared-${randomUUID()}@example.test`;
    await db.updateTable('staff_users').set({ email }).where('id', 'in', [org.adminId, second.adminId]).execute();
    await setPassword(org.adminId);
    await setPassword(second.adminId);
    expectError(await login(app, { email, password: PASSWORD }), 409, 'org_required');
    const picked = await login(app, { email, password: PASSWORD, orgId: second.orgId });
    expect(picked.status).toBe(200);
    expect((await me(app, picked.body.accessToken)).body).toMatchObject({ id: second.adminId, orgId: second.orgId });
    expectError(await login(app, { email, password: PASSWORD, orgId: randomUUID() }), 401, 'invalid_credentials');
  });

  test('validation: 400 validation_failed for bad bodies, invalid_token for an expired one-time token', async () => {
    const { token } = await issueOneTimeToken(db, org.agentId, 'reset_password');
    for (const password of ['short', 'x'.repeat(257)]) {
      expectError(await request(app).post('/v1/auth/set-password').send({ token, password }), 400, 'validation_failed');
    }
    expectError(await request(app).post('/v1/auth/set-password').send({ password: PASSWORD }), 400, 'validation_failed');
    expectError(await login(app, { email: agentEmail() }), 400, 'validation_failed');
    expectError(await login(app, { email: agentEmail(), password: PASSWORD, orgId: 'acme' }), 400, 'validation_failed');
    expectError(await login(app, { email: agentEmail(), password: PASSWORD, extra: true }), 400, 'validation_failed');
    expectError(await request(app).post('/v1/auth/refresh').send({}), 400, 'validation_failed');
    expectError(await request(app).post('/v1/auth/logout').send({ refreshToken: '' }), 400, 'validation_failed');
    expectError(await request(app).post('/v1/auth/login').set('Content-Type', 'application/json').send('{'), 400, 'invalid_body');
    await db
      .updateTable('staff_one_time_tokens')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('staff_id', '=', org.agentId)
      .execute();
    expectError(await request(app).post('/v1/auth/set-password').send({ token, password: PASSWORD }), 400, 'invalid_token');
  });
});
