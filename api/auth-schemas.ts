/** Request and response schemas (zod, with OpenAPI metadata) of the public `/v1/auth/*` routes. */
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, NewPassword } from './passwords';

extendZodWithOpenApi(z);

/** A token from the admin CLI or a refresh token: 1–200 characters (they are 43). */
const OpaqueToken = z.string().min(1).max(200);

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

/** `POST /v1/auth/login` body. */
export const LoginBody = z
  .strictObject({
    email: z
      .string()
      .trim()
      .min(3)
      .max(320)
      .openapi({ description: 'The staff user’s email (case-insensitive)', example: 'ops@acme.test' }),
    password: z.string().min(1).max(MAX_PASSWORD_LENGTH),
    orgId: z
      .uuid()
      .optional()
      .openapi({ description: 'Needed only when the same email and password sign in to several orgs (409 `org_required`)' }),
  })
  .openapi('LoginRequest');

/** `POST /v1/auth/refresh` and `POST /v1/auth/logout` body. */
export const RefreshTokenBody = z
  .strictObject({ refreshToken: OpaqueToken.openapi({ description: 'The refresh token from login or the last refresh' }) })
  .openapi('RefreshTokenRequest');

/** 200 body of login and refresh: a 15-minute access JWT and the next refresh token. */
export const TokenPair = z
  .object({
    accessToken: z.string().openapi({ description: 'HS256 JWT for `Authorization: Bearer …` (claims sub, org, role, tv, exp)' }),
    tokenType: z.literal('Bearer'),
    expiresIn: z.number().int().openapi({ description: 'Seconds until the access token expires (900)' }),
    refreshToken: z.string().openapi({ description: 'Single-use refresh token (30 days): each refresh returns the next one' }),
  })
  .openapi('TokenPair');

/** The type of {@link TokenPair}. */
export type TokenPairJson = z.infer<typeof TokenPair>;
