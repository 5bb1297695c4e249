/**
 * Public sign-in routes (`auth: 'none'`), mounted at `/v1/auth` before the `/v1` JWT middleware:
 * - `POST /v1/auth/set-password` → 204: sets the password with a one-time token from the admin CLI
 *   or an invite (`POST /v1/staff`);
 * - `POST /v1/auth/login` → 200 {@link TokenPair}: email + password (+ `orgId` when needed);
 * - `POST /v1/auth/refresh` → 200 {@link TokenPair}: rotates the refresh token (a reused one
 *   revokes its family);
 * - `POST /v1/auth/logout` → 204: revokes the refresh token's family.
 * Access tokens last {@link ACCESS_TOKEN_TTL_S} and carry `tv` (the user's `token_version`), so
 * deactivation and password changes revoke them at once (`api/auth.ts`).
 */
import express, { type Router } from 'express';
import {
  findStaffByEmail,
  issueRefreshToken,
  revokeRefreshFamily,
  rotateRefreshToken,
  setPasswordWithToken,
  type StaffSignInRow,
} from '../../db/staff-auth';
import { LoginBody, RefreshTokenBody, SetPasswordBody, TokenPair, type TokenPairJson } from '../auth-schemas';
import { signStaffToken } from '../auth';
import type { ApiDeps } from '../deps';
import { HttpError } from '../errors';
import { defineRoute, type RouteDefinition, routerFor } from '../http/define-route';
import { LOGIN_MAX_FAILURES, type LoginLimiter, postgresLoginLimiter } from '../login-limiter';
import { hashPassword, verifyNothing, verifyPassword } from '../passwords';

/** Lifetime of an access token issued here: 15 min (s). */
export const ACCESS_TOKEN_TTL_S = 15 * 60;

/** What the auth routes need. */
export interface AuthRouteDeps {
  db: ApiDeps['db'];
  jwtSecret: string;
  loginLimiter: LoginLimiter;
}

/** The access token + refresh token answer for `user`; `refreshToken` already issued. */
function tokenPair(jwtSecret: string, user: StaffSignInRow, refreshToken: string): TokenPairJson {
  const accessToken = signStaffToken(
    jwtSecret,
    { userId: user.id, orgId: user.org_id, role: user.role },
    ACCESS_TOKEN_TTL_S,
    user.token_version,
  );
  return { accessToken, tokenType: 'Bearer', expiresIn: ACCESS_TOKEN_TTL_S, refreshToken };
}

const invalidCredentials = (): HttpError => new HttpError(401, 'invalid_credentials', 'The email or password is not correct');

/** The `/v1/auth/*` routes. */
export const authRoutes: RouteDefinition<AuthRouteDeps>[] = [
  defineRoute(
    {
      method: 'post',
      path: '/v1/auth/set-password',
      auth: 'none',
      operationId: 'setPassword',
      tags: ['auth'],
      summary:
        'Set a password with a one-time token (admin CLI: 24 h; invite from `POST /v1/staff`: 7 days; single use); signs the user out everywhere',
      request: { body: SetPasswordBody },
      response: { status: 204, description: 'Password set' },
      errors: [
        { status: 400, description: '`validation_failed`, or `invalid_token` (unknown, used or expired token, or deactivated user)' },
      ],
    },
    ({ db }) =>
      async (req, res) => {
        const body = SetPasswordBody.parse(req.body);
        const staffId = await setPasswordWithToken(db, body.token, await hashPassword(body.password));
        if (!staffId) throw new HttpError(400, 'invalid_token', 'The token is unknown, already used or expired');
        res.status(204).end();
      },
  ),
  defineRoute(
    {
      method: 'post',
      path: '/v1/auth/login',
      auth: 'none',
      operationId: 'login',
      tags: ['auth'],
      summary: 'Sign in with email and password: a 15-minute access token and a refresh token',
      request: { body: LoginBody },
      response: { status: 200, schema: TokenPair, description: 'Signed in' },
      errors: [
        { status: 401, description: '`invalid_credentials`: unknown email, wrong password or deactivated user (one answer for all)' },
        { status: 409, description: '`org_required`: the email and password sign in to several orgs; send `orgId`' },
        {
          status: 429,
          description: `\`too_many_attempts\`: ${LOGIN_MAX_FAILURES} failed logins for this email within 15 min; \`Retry-After\` gives the seconds left`,
        },
      ],
    },
    ({ db, jwtSecret, loginLimiter }) =>
      async (req, res) => {
        const body = LoginBody.parse(req.body);
        const lockedFor = await loginLimiter.lockedForSeconds(body.email);
        if (lockedFor > 0) {
          res.set('Retry-After', String(lockedFor));
          throw new HttpError(429, 'too_many_attempts', 'Too many failed sign-in attempts for this email; try again later', {
            retryAfterSeconds: lockedFor,
          });
        }
        const candidates = (await findStaffByEmail(db, body.email, body.orgId)).filter(
          (u) => u.deactivated_at === null && u.password_hash !== null,
        );
        const matches: StaffSignInRow[] = [];
        if (candidates.length === 0) await verifyNothing(body.password);
        for (const user of candidates) if (await verifyPassword(user.password_hash!, body.password)) matches.push(user);
        if (matches.length === 0) {
          await loginLimiter.recordFailure(body.email);
          throw invalidCredentials();
        }
        if (matches.length > 1) {
          throw new HttpError(409, 'org_required', 'This email signs in to several organisations: send orgId');
        }
        const user = matches[0]!;
        await loginLimiter.reset(body.email);
        res.json(tokenPair(jwtSecret, user, await issueRefreshToken(db, user.id)));
      },
  ),
  defineRoute(
    {
      method: 'post',
      path: '/v1/auth/refresh',
      auth: 'none',
      operationId: 'refreshToken',
      tags: ['auth'],
      summary: 'Exchange a refresh token for a new access token and refresh token (rotation)',
      request: { body: RefreshTokenBody },
      response: { status: 200, schema: TokenPair, description: 'The next pair; the presented refresh token is used up' },
      errors: [
        {
          status: 401,
          description:
            '`invalid_refresh_token` (unknown, expired, revoked, or deactivated user), or `refresh_token_reused` (already used: every token of its login is revoked)',
        },
      ],
    },
    ({ db, jwtSecret }) =>
      async (req, res) => {
        const body = RefreshTokenBody.parse(req.body);
        const outcome = await rotateRefreshToken(db, body.refreshToken);
        if (outcome.kind === 'reused') {
          throw new HttpError(401, 'refresh_token_reused', 'The refresh token was already used; this sign-in is revoked, sign in again');
        }
        if (outcome.kind === 'invalid') throw new HttpError(401, 'invalid_refresh_token', 'The refresh token is not valid; sign in again');
        res.json(tokenPair(jwtSecret, outcome.user, outcome.refreshToken));
      },
  ),
  defineRoute(
    {
      method: 'post',
      path: '/v1/auth/logout',
      auth: 'none',
      operationId: 'logout',
      tags: ['auth'],
      summary: 'Sign out: revokes the refresh token and every token of its sign-in (access tokens expire within 15 min)',
      request: { body: RefreshTokenBody },
      response: { status: 204, description: 'Signed out (also for an unknown or already revoked token)' },
      errors: [],
    },
    ({ db }) =>
      async (req, res) => {
        const body = RefreshTokenBody.parse(req.body);
        await revokeRefreshFamily(db, body.refreshToken);
        res.status(204).end();
      },
  ),
];

/**
 * Builds the `/v1/auth` router (public; its own JSON body parser).
 * @param deps.loginLimiter default: the Postgres-backed limiter ({@link postgresLoginLimiter})
 */
export function authRouter(
  deps: Pick<ApiDeps, 'db'> & { config: Pick<ApiDeps['config'], 'jwtSecret'>; loginLimiter?: LoginLimiter },
): Router {
  const routeDeps: AuthRouteDeps = {
    db: deps.db,
    jwtSecret: deps.config.jwtSecret,
    loginLimiter: deps.loginLimiter ?? postgresLoginLimiter(deps.db),
  };
  return routerFor(authRoutes, routeDeps, { prefix: '/v1/auth', auth: 'none', before: [express.json({ limit: '16kb' })] });
}
