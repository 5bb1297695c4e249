/**
 * JWT authentication: `Authorization: Bearer <JWT>`, HS256 signed with `JWT_SECRET`.
 * Claims: `sub` (staff user id), `org` (org id), `role` (`admin` | `agent`), `exp`, and `tv` (the
 * user's `token_version`) on tokens issued by `POST /v1/auth/login` / `refresh`.
 * Missing, invalid or expired token → 401; a `tv` that is not the user's current `token_version`, or a
 * deactivated user → 401 `token_revoked`; an `X-Org-Id` header that differs from the token's org → 403.
 * Tokens without `tv` (`npm run token`, tests) are checked by signature and expiry only.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import jwt from 'jsonwebtoken';
import { z } from 'zod';
import type { Db } from '../db/client';
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
/** The verified identity of the caller: `userId` from the JWT `sub`, `orgId` from `org`, `role`. */
export type Principal = { userId: string; orgId: string; role: (typeof STAFF_ROLES)[number] };

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
 * Express middleware that verifies the bearer token and sets `res.locals.principal`. With `db`, a
 * token carrying `tv` costs one primary-key lookup of its user (`token_version`, `deactivated_at`).
 * Fails with HttpError 401 `unauthorized` / `token_expired` / `token_revoked`, or 403 `forbidden`
 * when `X-Org-Id` differs.
 * @param db where users' token versions are read; without it, tokens with `tv` are refused (401)
 */
export function requireAuth(secret: string, db?: Db): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const header = req.header('authorization');
    const match = header ? /^Bearer\s+(.+)$/i.exec(header) : null;
    if (!match) return next(new HttpError(401, 'unauthorized', 'Missing bearer token'));
    let payload: unknown;
    try {
      payload = jwt.verify(match[1]!, secret, { algorithms: ['HS256'] });
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
