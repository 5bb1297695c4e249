/**
 * JWT authentication: `Authorization: Bearer <JWT>`, HS256 signed with `JWT_SECRET`.
 * Claims: `sub` (staff user id), `org` (org id), `role` (`admin` | `agent`), `exp`, and `tv` (the
 * user's `token_version`) on tokens issued by `POST /v1/auth/login` / `refresh`.
 * Missing, invalid or expired token → 401; a `tv` that is not the user's current `token_version`, or a
 * deactivated user → 401 `token_revoked`; an `X-Org-Id` header that differs from the token's org → 403.
 * Tokens without `tv` (`npm run token`, tests) are checked by signature and expiry only.
 *
 * API keys (`db/api-keys.ts`): `Authorization: Bearer sb_…` works wherever a staff JWT does and acts
 * as the key's org. Unknown or revoked key → 401 `unauthorized`. Scopes are cumulative: a `read` key
 * may only GET / HEAD (anything else → 403 `insufficient_scope`), `write` adds every other request,
 * `admin` adds the admin routes (the key's `role` is `admin` only with that scope, so admin-only
 * routes answer a key without it 403 `forbidden`, as they answer an agent). `userId` is the key's
 * creator (so authored messages, todos and `assignee=me` stay attributable to a real staff user), or
 * for a key created by the admin CLI the org's oldest active admin (none → 401).
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import jwt from 'jsonwebtoken';
import { z } from 'zod';
import type { Db } from '../db/client';
import { API_KEY_MARKER, effectiveScopes, findLiveApiKey, LAST_USED_WRITE_INTERVAL_MS, touchApiKey } from '../db/api-keys';
import type { ApiKeyScope } from '../db/schema';
import { findTokenState } from '../db/staff-auth';
import { HttpError } from './errors';

/** Staff roles: the JWT `role` claim and `staff_users.role`. */
export const STAFF_ROLES = ['admin', 'agent'] as const;

const Claims = z.object({
  sub: z.uuid(),
  org: z.uuid(),
  role: z.enum(STAFF_ROLES),
  exp: z.number(),
  tv: z.number().int().nonnegative().optional(),
});
/**
 * The verified identity of the caller: `userId` from the JWT `sub`, `orgId` from `org`, `role`.
 * For an API key: `apiKeyId` and its `scopes`; `orgId` the key's org, `role` `admin` iff the key has
 * the `admin` scope (else `agent`), `userId` the key's creator, or the org's oldest active admin for a
 * key created by the admin CLI.
 */
export type Principal = {
  userId: string;
  orgId: string;
  role: (typeof STAFF_ROLES)[number];
  /** Set when the request authenticated with an API key (`Bearer sb_…`). */
  apiKeyId?: string;
  /** The API key's scopes (only with {@link Principal.apiKeyId}). */
  scopes?: ApiKeyScope[];
};

/** Methods a `read`-only API key may use. */
const READ_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD']);

/**
 * Authenticates API key `key` for `req` (see the file comment): the principal, or the HttpError to answer.
 * Writes the key's `last_used_at` only when it is older than {@link LAST_USED_WRITE_INTERVAL_MS}.
 */
async function apiKeyPrincipal(db: Db, key: string, req: Request): Promise<Principal | HttpError> {
  const row = await findLiveApiKey(db, key);
  if (!row) return new HttpError(401, 'unauthorized', 'Invalid API key');
  // a key acts with its creator's rights, never more: it stops with a deactivated creator, and a
  // creator no longer admin cannot use it for admin routes
  if (row.creator_deactivated) return new HttpError(401, 'unauthorized', 'The API key cannot be used: its creator is deactivated');
  if (row.acting_user_id === null) {
    return new HttpError(401, 'unauthorized', 'The API key cannot be used: its organisation has no active admin to act as');
  }
  const orgHeader = req.header('x-org-id');
  if (orgHeader !== undefined && orgHeader !== row.org_id) {
    return new HttpError(403, 'forbidden', 'X-Org-Id does not match the API key organisation');
  }
  const allowed = effectiveScopes(row.scopes);
  if (!allowed.write && !READ_METHODS.has(req.method)) {
    return new HttpError(403, 'insufficient_scope', `This API key has the read scope only: ${req.method} needs write`, {
      scopes: row.scopes,
    });
  }
  if (row.last_used_at === null || Date.now() - row.last_used_at.getTime() >= LAST_USED_WRITE_INTERVAL_MS) {
    await touchApiKey(db, row.id);
  }
  return {
    userId: row.acting_user_id,
    orgId: row.org_id,
    role: allowed.admin && row.creator_role !== 'agent' ? 'admin' : 'agent',
    apiKeyId: row.id,
    scopes: row.scopes,
  };
}

/**
 * Signs a staff token (HS256, claims `sub`, `org`, `role`, `exp`); `expiresInSeconds` in s (default 12 h).
 * `tokenVersion` adds the `tv` claim: the token then stops working once the user's `token_version`
 * changes (deactivation, password change).
 */
export function signStaffToken(secret: string, principal: Principal, expiresInSeconds = 12 * 60 * 60, tokenVersion?: number): string {
  const claims = tokenVersion === undefined ? {} : { tv: tokenVersion };
  return jwt.sign({ ...claims, org: principal.orgId, role: principal.role }, secret, {
    algorithm: 'HS256',
    subject: principal.userId,
    expiresIn: expiresInSeconds,
  });
}

/**
 * Express middleware that verifies the bearer token (a staff JWT or an `sb_…` API key) and sets
 * `res.locals.principal`. With `db`, a token carrying `tv` costs one primary-key lookup of its user
 * (`token_version`, `deactivated_at`); an API key one lookup by its hash (plus a `last_used_at` write
 * at most once a minute). Fails with HttpError 401 `unauthorized` / `token_expired` / `token_revoked`,
 * 403 `forbidden` when `X-Org-Id` differs, or 403 `insufficient_scope` (API key without `write`).
 * @param db where users' token versions and API keys are read; without it, tokens with `tv` and API keys are refused (401)
 */
export function requireAuth(secret: string, db?: Db): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const header = req.header('authorization');
    const match = header ? /^Bearer\s+(.+)$/i.exec(header) : null;
    if (!match) return next(new HttpError(401, 'unauthorized', 'Missing bearer token'));
    const token = match[1]!.trim();
    if (token.startsWith(API_KEY_MARKER)) {
      if (!db) return next(new HttpError(401, 'unauthorized', 'API keys are not accepted here'));
      apiKeyPrincipal(db, token, req).then((outcome) => {
        if (outcome instanceof HttpError) return next(outcome);
        res.locals.principal = outcome;
        next();
      }, next);
      return;
    }
    let payload: unknown;
    try {
      payload = jwt.verify(token, secret, { algorithms: ['HS256'] });
    } catch (err) {
      const expired = err instanceof jwt.TokenExpiredError;
      return next(new HttpError(401, expired ? 'token_expired' : 'unauthorized', expired ? 'Token expired' : 'Invalid token'));
    }
    const claims = Claims.safeParse(payload);
    if (!claims.success) return next(new HttpError(401, 'unauthorized', 'Token claims are invalid'));
    const orgHeader = req.header('x-org-id');
    if (orgHeader !== undefined && orgHeader !== claims.data.org) {
      return next(new HttpError(403, 'forbidden', 'X-Org-Id does not match the token organisation'));
    }
    res.locals.principal = { userId: claims.data.sub, orgId: claims.data.org, role: claims.data.role } satisfies Principal;
    const tv = claims.data.tv;
    if (tv === undefined) return next();
    if (!db) return next(new HttpError(401, 'token_revoked', 'The token has been revoked'));
    findTokenState(db, claims.data.org, claims.data.sub).then((state) => {
      if (!state || state.deactivated_at !== null || state.token_version !== tv) {
        return next(new HttpError(401, 'token_revoked', 'The token has been revoked'));
      }
      next();
    }, next);
  };
}

/** The principal set by {@link requireAuth}. */
export function principalOf(res: Response): Principal {
  return res.locals.principal as Principal;
}
