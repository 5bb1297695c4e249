/**
 * Sign-in leftovers (issue 10): the refresh token in an httpOnly, SameSite=Strict cookie scoped to
 * `/v1/auth` (`Secure` when PUBLIC_BASE_URL is https) on `refreshTokenIn: "cookie"`; refresh and logout
 * reading it when the body has none, rotation and reuse detection (revoking the family) through the
 * cookie; and the cleanup of dead one-time and refresh tokens (`deleteExpiredAuthTokens`, also run on
 * login). Real Postgres and the real Express app (no Temporal: these routes never reach it).
 */
import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import { appWithoutTemporal } from '../support/app-without-temporal';
import { REFRESH_COOKIE } from '../../api/routes/auth';
import { createDb, type Db } from '../../db/client';
import { deleteExpiredAuthTokens, issueOneTimeToken, tokenHash } from '../../db/staff-auth';
import { globalResources } from '../support/global-resources';
import { createTestOrg, type TestOrg } from '../support/harness';
import { expectError } from './rest-helpers';

const PASSWORD = 'correct horse battery staple';

/** The `Set-Cookie` line of the refresh cookie in `res`, or `undefined`. */
function refreshSetCookie(res: request.Response): string | undefined {
  const raw = res.headers['set-cookie'] as unknown;
  const lines = Array.isArray(raw) ? (raw as string[]) : typeof raw === 'string' ? [raw] : [];
  return lines.find((l) => l.startsWith(`${REFRESH_COOKIE}=`));
}

/** The refresh cookie's value set by `res` (throws when there is none). */
function refreshCookieValue(res: request.Response): string {
  const line = refreshSetCookie(res);
  if (!line) throw new Error(`no ${REFRESH_COOKIE} cookie in ${JSON.stringify(res.headers['set-cookie'])}`);
  return decodeURIComponent(line.slice(REFRESH_COOKIE.length + 1).split(';')[0]!);
}

const withCookie = (req: request.Test, token: string) => req.set('Cookie', `other=1; ${REFRESH_COOKIE}=${encodeURIComponent(token)}`);

let db: Db;
let app: Express;
let org: TestOrg;
const email = () => `agent-${org.agentId}@example.test`;

beforeAll(async () => {
  db = createDb(globalResources().databaseUrl, { max: 4 });
  app = appWithoutTemporal(db);
  org = await createTestOrg(db);
  const { token } = await issueOneTimeToken(db, org.agentId, 'set_password');
  expect((await request(app).post('/v1/auth/set-password').send({ token, password: PASSWORD })).status).toBe(204);
});
afterAll(async () => {
  await db?.destroy();
});

test('login with refreshTokenIn "cookie": httpOnly SameSite=Strict cookie on /v1/auth, not in the body; default stays body', async () => {
  const res = await request(app).post('/v1/auth/login').send({ email: email(), password: PASSWORD, refreshTokenIn: 'cookie' });
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ accessToken: expect.any(String), tokenType: 'Bearer', expiresIn: 900 });
  const line = refreshSetCookie(res)!;
  const attributes = line.split(';').map((a) => a.trim().toLowerCase());
  expect(attributes).toEqual(expect.arrayContaining(['path=/v1/auth', 'httponly', 'samesite=strict', `max-age=${30 * 24 * 60 * 60}`]));
  expect(attributes).not.toContain('secure'); // PUBLIC_BASE_URL is http here
  const stored = await db
    .selectFrom('staff_refresh_tokens')
    .select('staff_id')
    .where('token_hash', '=', tokenHash(refreshCookieValue(res)))
    .executeTakeFirst();
  expect(stored).toEqual({ staff_id: org.agentId });

  const inBody = await request(app).post('/v1/auth/login').send({ email: email(), password: PASSWORD });
  expect(inBody.body.refreshToken).toEqual(expect.any(String));
  expect(refreshSetCookie(inBody)).toBeUndefined();
  expectError(
    await request(app).post('/v1/auth/login').send({ email: email(), password: PASSWORD, refreshTokenIn: 'header' }),
    400,
    'validation_failed',
  );
});

test('Secure when PUBLIC_BASE_URL is https', async () => {
  const secureApp = appWithoutTemporal(db, 'https://switchboard.example');
  const res = await request(secureApp).post('/v1/auth/login').send({ email: email(), password: PASSWORD, refreshTokenIn: 'cookie' });
  expect(res.status).toBe(200);
  expect(
    refreshSetCookie(res)!
      .split(';')
      .map((a) => a.trim().toLowerCase()),
  ).toContain('secure');
});

test('refresh reads the cookie and rotates it; replaying a used cookie revokes the family; logout clears it', async () => {
  const login = await request(app).post('/v1/auth/login').send({ email: email(), password: PASSWORD, refreshTokenIn: 'cookie' });
  const first = refreshCookieValue(login);

  // no body at all, then an empty JSON body: both read the cookie
  const second = await withCookie(request(app).post('/v1/auth/refresh'), first);
  expect(second.status).toBe(200);
  expect(second.body.refreshToken).toBeUndefined();
  const secondToken = refreshCookieValue(second);
  expect(secondToken).not.toBe(first);
  const me = await request(app).get('/v1/me').set('Authorization', `Bearer ${second.body.accessToken}`);
  expect(me.body).toMatchObject({ id: org.agentId });
  const third = await withCookie(request(app).post('/v1/auth/refresh'), secondToken).send({});
  expect(third.status).toBe(200);
  const thirdToken = refreshCookieValue(third);

  // the stolen / raced `first` again: the whole sign-in is revoked, and the browser's cookie cleared
  const replay = await withCookie(request(app).post('/v1/auth/refresh'), first);
  expectError(replay, 401, 'refresh_token_reused');
  expect(refreshSetCookie(replay)).toMatch(/^switchboard_refresh=;.*Expires=Thu, 01 Jan 1970/);
  expectError(await withCookie(request(app).post('/v1/auth/refresh'), thirdToken), 401, 'invalid_refresh_token');

  // a body token wins over the cookie
  const bodyLogin = await request(app).post('/v1/auth/login').send({ email: email(), password: PASSWORD });
  const byBody = await withCookie(request(app).post('/v1/auth/refresh'), thirdToken).send({ refreshToken: bodyLogin.body.refreshToken });
  expect(byBody.status).toBe(200);
  expect(byBody.body.refreshToken).toEqual(expect.any(String));
  expect(refreshSetCookie(byBody)).toBeUndefined();

  // logout through the cookie: 204, cookie cleared, the family is gone
  const again = await request(app).post('/v1/auth/login').send({ email: email(), password: PASSWORD, refreshTokenIn: 'cookie' });
  const token = refreshCookieValue(again);
  const out = await withCookie(request(app).post('/v1/auth/logout'), token);
  expect(out.status).toBe(204);
  expect(refreshSetCookie(out)).toMatch(/^switchboard_refresh=;.*Path=\/v1\/auth/);
  expectError(await withCookie(request(app).post('/v1/auth/refresh'), token), 401, 'invalid_refresh_token');

  // neither a body token nor the cookie
  expectError(await request(app).post('/v1/auth/refresh'), 400, 'validation_failed');
  expectError(await request(app).post('/v1/auth/logout').send({}), 400, 'validation_failed');
  expectError(await request(app).post('/v1/auth/refresh').set('Cookie', 'other=1'), 400, 'validation_failed');
});

describe('deleteExpiredAuthTokens', () => {
  /** Inserts a refresh token row; returns its id. */
  async function refreshRow(staffId: string, expiresInMs: number, used: boolean): Promise<string> {
    const row = await db
      .insertInto('staff_refresh_tokens')
      .values({
        staff_id: staffId,
        family_id: randomUUID(),
        token_hash: tokenHash(randomUUID()),
        expires_at: new Date(Date.now() + expiresInMs),
        used_at: used ? new Date() : null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }
  /** Inserts a one-time token row; returns its id. */
  async function oneTimeRow(staffId: string, expiresInMs: number, used: boolean): Promise<string> {
    const row = await db
      .insertInto('staff_one_time_tokens')
      .values({
        staff_id: staffId,
        purpose: 'reset_password',
        token_hash: tokenHash(randomUUID()),
        expires_at: new Date(Date.now() + expiresInMs),
        used_at: used ? new Date() : null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }
  const idsLeft = async (ids: string[]) => {
    const refresh = await db.selectFrom('staff_refresh_tokens').select('id').where('id', 'in', ids).execute();
    const oneTime = await db.selectFrom('staff_one_time_tokens').select('id').where('id', 'in', ids).execute();
    return [...refresh, ...oneTime].map((r) => r.id).sort();
  };
  const HOUR = 60 * 60 * 1000;

  test('deletes used or expired one-time tokens and expired refresh tokens, in bounded batches; keeps the rest', async () => {
    const other = await createTestOrg(db);
    const dead = [
      await oneTimeRow(other.adminId, HOUR, true),
      await oneTimeRow(other.adminId, -HOUR, false),
      await oneTimeRow(other.adminId, -HOUR, true),
      await refreshRow(other.adminId, -HOUR, false),
      await refreshRow(other.adminId, -HOUR, true),
      await refreshRow(other.adminId, -1, false),
    ];
    const alive = [
      await oneTimeRow(other.adminId, HOUR, false),
      await refreshRow(other.adminId, HOUR, false),
      // used but not expired: kept, so replaying it still revokes its family
      await refreshRow(other.adminId, HOUR, true),
    ];
    const once = await deleteExpiredAuthTokens(db, { limit: 1 });
    expect(once.oneTimeTokens).toBeLessThanOrEqual(1);
    expect(once.refreshTokens).toBeLessThanOrEqual(1);
    expect(once.oneTimeTokens + once.refreshTokens).toBeGreaterThan(0);
    for (let i = 0; i < 1000; i++) {
      const done = await deleteExpiredAuthTokens(db, { limit: 50 });
      if (done.oneTimeTokens === 0 && done.refreshTokens === 0) break;
    }
    expect(await idsLeft([...dead, ...alive])).toEqual([...alive].sort());
  });

  test('a successful login deletes dead tokens', async () => {
    const expired = await refreshRow(org.agentId, -HOUR, true);
    const usedOnce = await oneTimeRow(org.agentId, HOUR, true);
    const res = await request(app).post('/v1/auth/login').send({ email: email(), password: PASSWORD });
    expect(res.status).toBe(200);
    expect(await idsLeft([expired, usedOnce])).toEqual([]);
  });
});
