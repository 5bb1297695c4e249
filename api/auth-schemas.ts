/** Request and response schemas (zod, with OpenAPI metadata) of the public `/v1/auth/*` routes. */
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, NewPassword } from './passwords';

extendZodWithOpenApi(z);

/** A token from the admin CLI or a refresh token: 1–200 characters (they are 43). */
const OpaqueToken = z.string().min(1).max(200);

/** A staff user's email as typed at sign-in (trimmed; matched case-insensitively). */
const StaffEmail = z
  .string()
  .trim()
  .min(3)
  .max(320)
  .openapi({ description: 'The staff user’s email (case-insensitive)', example: 'ops@acme.test' });

/** Where login puts the refresh token: the answer's body (default) or an httpOnly cookie. */
export const REFRESH_TOKEN_DELIVERIES = ['body', 'cookie'] as const;

/** `POST /v1/auth/set-password` body: a one-time token and the new password. */
export const SetPasswordBody = z
  .strictObject({
    token: OpaqueToken.openapi({
      description:
        'The one-time token printed by `npm run admin -- create-org | reset-password` (24 h), or of an invite from `POST /v1/staff` (7 days); single use',
    }),
    password: NewPassword.openapi({ description: `The new password, ${MIN_PASSWORD_LENGTH}–${MAX_PASSWORD_LENGTH} characters` }),
  })
  .openapi('SetPasswordRequest');

/** `POST /v1/auth/forgot-password` body: the email (and org, when the email signs in to several). */
export const ForgotPasswordBody = z
  .strictObject({
    email: StaffEmail,
    orgId: z.uuid().optional().openapi({ description: 'Only this org’s account (default: every org the email belongs to)' }),
  })
  .openapi('ForgotPasswordRequest');

/** `POST /v1/auth/login` body. */
export const LoginBody = z
  .strictObject({
    email: StaffEmail,
    password: z.string().min(1).max(MAX_PASSWORD_LENGTH),
    orgId: z
      .uuid()
      .optional()
      .openapi({ description: 'Needed only when the same email and password sign in to several orgs (409 `org_required`)' }),
    refreshTokenIn: z
      .enum(REFRESH_TOKEN_DELIVERIES)
      .optional()
      .openapi({
        description:
          'Where the refresh token goes: `body` (default) = `refreshToken` in the answer; `cookie` = an httpOnly, SameSite=Strict cookie ' +
          '(`Secure` when PUBLIC_BASE_URL is https) scoped to `/v1/auth`, and no `refreshToken` in the answer; refresh and logout then ' +
          'read the cookie when their body has no token',
      }),
  })
  .openapi('LoginRequest');

/**
 * `POST /v1/auth/refresh` and `POST /v1/auth/logout` body: the refresh token, or nothing (an empty
 * object or no body) when it is in the refresh cookie (login with `refreshTokenIn: "cookie"`).
 */
export const RefreshTokenBody = z
  .strictObject({
    refreshToken: OpaqueToken.optional().openapi({
      description: 'The refresh token from login or the last refresh; omit it to use the refresh cookie instead',
    }),
  })
  .openapi('RefreshTokenRequest');

/** The refresh token a refresh or logout presents (from the body, else the cookie): required. */
export const PresentedRefreshToken = z.object({
  refreshToken: z
    .string({ error: 'send refreshToken in the body, or the refresh cookie set by login with refreshTokenIn "cookie"' })
    .min(1)
    .max(200),
});

/** 200 body of login and refresh: a 15-minute access JWT and the next refresh token. */
export const TokenPair = z
  .object({
    accessToken: z.string().openapi({ description: 'HS256 JWT for `Authorization: Bearer …` (claims sub, org, role, tv, exp)' }),
    tokenType: z.literal('Bearer'),
    expiresIn: z.number().int().openapi({ description: 'Seconds until the access token expires (900)' }),
    refreshToken: z
      .string()
      .optional()
      .openapi({
        description:
          'Single-use refresh token (30 days): each refresh returns the next one. Absent when it is delivered in the refresh cookie ' +
          '(login with `refreshTokenIn: "cookie"`, or a refresh that presented the cookie)',
      }),
  })
  .openapi('TokenPair');

/** The type of {@link TokenPair}. */
export type TokenPairJson = z.infer<typeof TokenPair>;
