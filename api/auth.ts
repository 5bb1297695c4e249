/**
 * JWT authentication: `Authorization: Bearer <JWT>`, HS256 signed with `JWT_SECRET`.
 * Claims: `sub` (staff user id), `org` (org id), `role` (`admin` | `agent`), `exp`.
 * Missing, invalid or expired token → 401; an `X-Org-Id` header that differs from the token's
 * org → 403.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import jwt from 'jsonwebtoken';
import { z } from 'zod';
import { HttpError } from './errors';

/** Staff roles: the JWT `role` claim and `staff_users.role`. */
export const STAFF_ROLES = ['admin', 'agent'] as const;

const Claims = z.object({
  sub: z.uuid(),
  org: z.uuid(),
  role: z.enum(STAFF_ROLES),
  exp: z.number(),
});
/** The verified identity of the caller: `userId` from the JWT `sub`, `orgId` from `org`, `role`. */
export type Principal = { userId: string; orgId: string; role: (typeof STAFF_ROLES)[number] };

/** Signs a staff token (HS256, claims `sub`, `org`, `role`, `exp`); `expiresInSeconds` in s (default 12 h). */
export function signStaffToken(secret: string, principal: Principal, expiresInSeconds = 12 * 60 * 60): string {
  return jwt.sign({ org: principal.orgId, role: principal.role }, secret, {
    algorithm: 'HS256',
    subject: principal.userId,
    expiresIn: expiresInSeconds,
  });
}

/**
 * Express middleware that verifies the bearer token and sets `res.locals.principal`.
 * Fails with HttpError 401 `unauthorized` / `token_expired`, or 403 `forbidden` when `X-Org-Id` differs.
 */
export function requireAuth(secret: string): RequestHandler {
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
    next();
  };
}

/** The principal set by {@link requireAuth}. */
export function principalOf(res: Response): Principal {
  return res.locals.principal as Principal;
}
