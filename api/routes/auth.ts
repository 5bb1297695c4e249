/**
 * Public sign-in routes (`auth: 'none'`), mounted at `/v1/auth` before the `/v1` JWT middleware:
 * - `POST /v1/auth/set-password` → 204: sets the password with a one-time token from the admin CLI
 *   or an invite (`POST /v1/staff`);
 * - `POST /v1/auth/login` → 200 {@link TokenPair}: email + password (+ `orgId` when needed);
 * - `POST /v1/auth/refresh` → 200 {@link TokenPair}: rotates the refresh token (a reused one
 *   revokes its family);
 * - `POST /v1/auth/logout` → 204: revokes the refresh token's family;
 * - `POST /v1/auth/forgot-password` → 202: emails a reset link through the org's email channel
 *   (`passwordResetEmailWorkflow`), the same answer whether or not the email is known, and after the
 *   same work: the body is validated and one request is taken from the address's budget (the same for
 *   any address), then 202 is sent, and only then are the address's users looked up and their
 *   workflows started ({@link startResetEmails}; a failure there is logged, not retried, so one request
 *   never sends two links). Chosen over doing the same awaited steps for every address, which would
 *   mean a Temporal workflow start for unknown addresses too (docs/api.md, "Forgotten password").
 * Access tokens last {@link ACCESS_TOKEN_TTL_S} and carry `tv` (the user's `token_version`), so
 * deactivation and password changes revoke them at once (`api/auth.ts`).
 *
 * The refresh token travels in the JSON body by default; login with `refreshTokenIn: "cookie"` puts it in
 * the {@link REFRESH_COOKIE} cookie instead (httpOnly, SameSite=Strict, `Secure` when PUBLIC_BASE_URL is
 * https, path `/v1/auth`, 30 days) and leaves it out of the body. Refresh and logout read the cookie
 * when their body has no token; a refresh that presented the cookie answers with the next token in the
 * cookie again. Cookies are parsed with the `cookie` package (the one Express uses for `res.cookie`).
 * Every successful login also deletes a bounded batch of dead sign-in tokens ({@link deleteExpiredAuthTokens}).
 */
import { randomUUID } from 'node:crypto';
import { parse as parseCookies } from 'cookie';
import express, { type CookieOptions, type Request, type Response, type Router } from 'express';
import {
  deleteExpiredAuthTokens,
  findStaffByEmail,
  issueRefreshToken,
  revokeRefreshFamily,
  REFRESH_TOKEN_TTL_MS,
  rotateRefreshToken,
  setPasswordWithToken,
  type StaffSignInRow,
} from '../../db/staff-auth';
import {
  ForgotPasswordBody,
  LoginBody,
  PresentedRefreshToken,
  REFRESH_TOKEN_DELIVERIES,
  RefreshTokenBody,
  SetPasswordBody,
  TokenPair,
  type TokenPairJson,
} from '../auth-schemas';
import { signStaffToken } from '../auth';
import type { ApiDeps } from '../deps';
import { HttpError } from '../errors';
import { defineRoute, type RouteDefinition, routerFor } from '../http/define-route';
import {
  LOGIN_MAX_FAILURES,
  type LoginLimiter,
  postgresLoginLimiter,
  postgresResetBudget,
  RESET_MAX_REQUESTS,
  type RequestBudget,
} from '../login-limiter';
import { PASSWORD_RESET_EMAIL_WORKFLOW_TYPE, passwordResetEmailWorkflowId } from '../../workflows/staff-email';
import type { PasswordResetEmailInput } from '../../activities/staff-email';
import { hashPassword, verifyNothing, verifyPassword } from '../passwords';

/** Lifetime of an access token issued here: 15 min (s). */
export const ACCESS_TOKEN_TTL_S = 15 * 60;

/** Name of the refresh-token cookie (login with `refreshTokenIn: "cookie"`). */
export const REFRESH_COOKIE = 'switchboard_refresh';
/** The only path the browser sends the refresh cookie to. */
export const REFRESH_COOKIE_PATH = '/v1/auth';

/** What the auth routes need. */
export interface AuthRouteDeps {
  db: ApiDeps['db'];
  jwtSecret: string;
  loginLimiter: LoginLimiter;
  /** Password-reset requests per email ({@link postgresResetBudget}). */
  resetBudget: RequestBudget;
  /** Starts the reset email workflow (`ConversationClient.startOnce`). */
  workflows: Pick<ApiDeps['conversations'], 'startOnce'>;
  /** Logs what fails after a 202 was sent (forgot-password's lookup and workflow starts). */
  logger: ApiDeps['logger'];
  /** Attributes of the refresh cookie (`Secure` when PUBLIC_BASE_URL is https). */
  refreshCookie: CookieOptions;
}

/** Where a refresh token is delivered / was presented. */
type Delivery = (typeof REFRESH_TOKEN_DELIVERIES)[number];

/**
 * Answers 200 with the access token for `user` and the already issued `refreshToken`: in the body, or
 * (delivery `cookie`) in the refresh cookie and not in the body.
 */
function sendTokenPair(
  res: Response,
  deps: Pick<AuthRouteDeps, 'jwtSecret' | 'refreshCookie'>,
  user: StaffSignInRow,
  refreshToken: string,
  delivery: Delivery,
): void {
  const accessToken = signStaffToken(
    deps.jwtSecret,
    { userId: user.id, orgId: user.org_id, role: user.role },
    ACCESS_TOKEN_TTL_S,
    user.token_version,
  );
  const pair: TokenPairJson = { accessToken, tokenType: 'Bearer', expiresIn: ACCESS_TOKEN_TTL_S };
  if (delivery === 'cookie') res.cookie(REFRESH_COOKIE, refreshToken, deps.refreshCookie);
  else pair.refreshToken = refreshToken;
  res.json(pair);
}

/**
 * The refresh token of a refresh or logout request: `refreshToken` of the body, else the refresh cookie.
 * @throws ZodError (400 `validation_failed`) when the body is malformed or neither holds a token
 */
function presentedRefreshToken(req: Request): { token: string; delivery: Delivery } {
  const body = RefreshTokenBody.parse(req.body ?? {});
  if (body.refreshToken !== undefined) return { token: body.refreshToken, delivery: 'body' };
  const header = req.header('cookie');
  const fromCookie = header === undefined ? undefined : parseCookies(header)[REFRESH_COOKIE];
  return { token: PresentedRefreshToken.parse({ refreshToken: fromCookie }).refreshToken, delivery: 'cookie' };
}

/** Expires the refresh cookie (same name, path and attributes, so the browser replaces it). */
function clearRefreshCookie(res: Response, refreshCookie: CookieOptions): void {
  const { maxAge: _maxAge, ...attributes } = refreshCookie;
  res.clearCookie(REFRESH_COOKIE, attributes);
}

/**
 * The part of `POST /v1/auth/forgot-password` that depends on whether the email is known, run after
 * the 202 was sent so the answer's timing cannot tell (review finding: a known email used to wait for
 * the workflow start through Temporal, an unknown one did not). For each active user with `email` (in
 * `orgId` only, when given) it starts one `passwordResetEmailWorkflow` (a fresh id: one link per user
 * per request), once: a start that fails is logged (with the org and staff ids; never the email or a
 * token) and not retried, since a start that timed out may still have happened and a second start
 * would send a second link. A failed lookup is logged the same way. Never rejects.
 */
export async function startResetEmails(
  deps: Pick<AuthRouteDeps, 'db' | 'workflows' | 'logger'>,
  email: string,
  orgId: string | undefined,
): Promise<void> {
  let users: StaffSignInRow[];
  try {
    users = (await findStaffByEmail(deps.db, email, orgId)).filter((u) => u.deactivated_at === null);
  } catch (err) {
    deps.logger.error({ err, orgId }, 'forgot-password: could not look up the email; no reset link sent');
    return;
  }
  for (const user of users) {
    try {
      // the token is made by the activity: it never enters the workflow's input or history
      await deps.workflows.startOnce<PasswordResetEmailInput>(PASSWORD_RESET_EMAIL_WORKFLOW_TYPE, passwordResetEmailWorkflowId(randomUUID()), {
        orgId: user.org_id,
        staffId: user.id,
      });
    } catch (err) {
      deps.logger.error({ err, orgId: user.org_id, staffId: user.id }, 'forgot-password: could not start the reset email workflow; no link sent');
    }
  }
}

const invalidCredentials = (): HttpError => new HttpError(401, 'invalid_credentials', 'The email or password is not correct');

/** The `/v1/auth/*` routes. */
export const authRoutes: RouteDefinition<AuthRouteDeps>[] = [
  defineRoute(
    {
      method: 'post',
      path: '/v1/auth/forgot-password',
      auth: 'none',
      operationId: 'forgotPassword',
      tags: ['auth'],
      summary:
        'Ask for a password-reset link by email (1 h, single use), sent from the org’s email channel; the same 202 whether or not ' +
        `the email is known, deactivated, over its budget (${RESET_MAX_REQUESTS} per hour) or in an org without an email channel; ` +
        'answered before the email is looked up, so its timing does not tell either',
      request: { body: ForgotPasswordBody },
      response: { status: 202, description: 'Accepted: if the email belongs to an active user, a link is on its way' },
      errors: [],
    },
    ({ db, resetBudget, workflows, logger }) =>
      async (req, res) => {
        const body = ForgotPasswordBody.parse(req.body);
        // Before the answer, only work that is the same for every email: the body, and one request from
        // the email's budget (keyed by the address, known or not; a database error is the same 503 for all).
        const withinBudget = await resetBudget.take(body.email);
        res.status(202).end();
        // After it, what depends on the email being known (lookup, workflow start): see startResetEmails
        if (withinBudget) void startResetEmails({ db, workflows, logger }, body.email, body.orgId);
      },
  ),
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
      response: {
        status: 200,
        schema: TokenPair,
        description: 'Signed in; with `refreshTokenIn: "cookie"` the refresh token is in the `Set-Cookie` header, not the body',
      },
      errors: [
        { status: 401, description: '`invalid_credentials`: unknown email, wrong password or deactivated user (one answer for all)' },
        { status: 409, description: '`org_required`: the email and password sign in to several orgs; send `orgId`' },
        {
          status: 429,
          description: `\`too_many_attempts\`: ${LOGIN_MAX_FAILURES} failed logins for this email within 15 min; \`Retry-After\` gives the seconds left`,
        },
      ],
    },
    ({ db, jwtSecret, loginLimiter, refreshCookie }) =>
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
        // opportunistic housekeeping: a bounded batch of dead one-time and refresh tokens
        await deleteExpiredAuthTokens(db);
        sendTokenPair(res, { jwtSecret, refreshCookie }, user, await issueRefreshToken(db, user.id), body.refreshTokenIn ?? 'body');
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
      response: {
        status: 200,
        schema: TokenPair,
        description:
          'The next pair; the presented refresh token is used up. A token presented in the refresh cookie is answered with the next one in the cookie',
      },
      errors: [
        {
          status: 401,
          description:
            '`invalid_refresh_token` (unknown, expired, revoked, or deactivated user), or `refresh_token_reused` (already used: every token of its login is revoked)',
        },
      ],
    },
    ({ db, jwtSecret, refreshCookie }) =>
      async (req, res) => {
        const presented = presentedRefreshToken(req);
        const outcome = await rotateRefreshToken(db, presented.token);
        if (outcome.kind !== 'rotated' && presented.delivery === 'cookie') clearRefreshCookie(res, refreshCookie);
        if (outcome.kind === 'reused') {
          throw new HttpError(401, 'refresh_token_reused', 'The refresh token was already used; this sign-in is revoked, sign in again');
        }
        if (outcome.kind === 'invalid') throw new HttpError(401, 'invalid_refresh_token', 'The refresh token is not valid; sign in again');
        sendTokenPair(res, { jwtSecret, refreshCookie }, outcome.user, outcome.refreshToken, presented.delivery);
      },
  ),
  defineRoute(
    {
      method: 'post',
      path: '/v1/auth/logout',
      auth: 'none',
      operationId: 'logout',
      tags: ['auth'],
      summary:
        'Sign out: revokes the refresh token (body, else the refresh cookie, which is then cleared) and every token of its sign-in (access tokens expire within 15 min)',
      request: { body: RefreshTokenBody },
      response: { status: 204, description: 'Signed out (also for an unknown or already revoked token)' },
      errors: [],
    },
    ({ db, refreshCookie }) =>
      async (req, res) => {
        const presented = presentedRefreshToken(req);
        await revokeRefreshFamily(db, presented.token);
        if (presented.delivery === 'cookie') clearRefreshCookie(res, refreshCookie);
        res.status(204).end();
      },
  ),
];

/**
 * Attributes of the refresh cookie: httpOnly, SameSite=Strict, path {@link REFRESH_COOKIE_PATH}, max-age
 * the refresh token's lifetime (30 days), `Secure` when `publicBaseUrl` is https (plain http in development).
 */
export function refreshCookieOptions(publicBaseUrl: string): CookieOptions {
  return {
    httpOnly: true,
    secure: publicBaseUrl.toLowerCase().startsWith('https:'),
    sameSite: 'strict',
    path: REFRESH_COOKIE_PATH,
    maxAge: REFRESH_TOKEN_TTL_MS,
  };
}

/**
 * Builds the `/v1/auth` router (public; its own JSON body parser).
 * @param deps.loginLimiter default: the Postgres-backed limiter ({@link postgresLoginLimiter})
 */
export function authRouter(
  deps: Pick<ApiDeps, 'db' | 'conversations' | 'logger'> & {
    config: Pick<ApiDeps['config'], 'jwtSecret' | 'publicBaseUrl'>;
    loginLimiter?: LoginLimiter;
    resetBudget?: RequestBudget;
  },
): Router {
  const routeDeps: AuthRouteDeps = {
    db: deps.db,
    jwtSecret: deps.config.jwtSecret,
    loginLimiter: deps.loginLimiter ?? postgresLoginLimiter(deps.db),
    resetBudget: deps.resetBudget ?? postgresResetBudget(deps.db),
    workflows: deps.conversations,
    logger: deps.logger,
    refreshCookie: refreshCookieOptions(deps.config.publicBaseUrl),
  };
  return routerFor(authRoutes, routeDeps, { prefix: '/v1/auth', auth: 'none', before: [express.json({ limit: '16kb' })] });
}
