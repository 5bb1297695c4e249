/** Request and response schemas (zod, with OpenAPI metadata) of `/v1/api-keys`. */
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { API_KEY_SCOPES, type ApiKeyJson } from '../db/api-keys';
import { IsoDateTime, text } from './schemas';
import type { Assert, Same } from './type-assertions';

extendZodWithOpenApi(z);

/** Longest API key name (characters). */
export const MAX_API_KEY_NAME_LENGTH = 100;

const Scope = z.enum(API_KEY_SCOPES).openapi({
  description:
    'Cumulative: `read` = GET only (other methods → 403 `insufficient_scope`); `write` = every request but the admin-only routes; ' +
    '`admin` = admin-only routes too',
});

/** An API key as listed (never the key itself). Timestamps ISO-8601 UTC. */
export const ApiKey = z
  .object({
    id: z.uuid(),
    name: z.string(),
    prefix: z
      .string()
      .openapi({ description: 'The first 12 characters of the key, to recognise it (`sb_Ab12Cd34E…`)', example: 'sb_Ab12Cd34E' }),
    scopes: z.array(Scope),
    createdBy: z.uuid().nullable().openapi({ description: 'The staff user who created the key; `null` = the admin CLI' }),
    createdAt: IsoDateTime,
    lastUsedAt: IsoDateTime.nullable().openapi({ description: 'Last authenticated request (updated at most once a minute)' }),
    revokedAt: IsoDateTime.nullable().openapi({ description: '`null` = live; a revoked key answers 401' }),
  })
  .openapi('ApiKey');
/** JSON shape of {@link ApiKey}. */
export type ApiKey = z.infer<typeof ApiKey>;

/** 201 body of `POST /v1/api-keys`: the key and, this once only, its secret `key`. */
export const CreatedApiKey = z
  .object({
    ...ApiKey.shape,
    key: z.string().openapi({
      description: 'The API key (`sb_` + 43 characters), for `Authorization: Bearer sb_…`. Shown only in this answer; store it now',
    }),
  })
  .openapi('CreatedApiKey');
/** JSON shape of {@link CreatedApiKey}. */
export type CreatedApiKey = z.infer<typeof CreatedApiKey>;

/** 200 body of `GET /v1/api-keys`: every key of the org, revoked ones too, newest first. */
export const ApiKeyList = z.object({ data: z.array(ApiKey) }).openapi('ApiKeyList');

/** Body of `POST /v1/api-keys`: a name (1–100 characters, trimmed) and at least one scope. */
export const CreateApiKeyBody = z
  .strictObject({
    name: text(MAX_API_KEY_NAME_LENGTH).openapi({ description: 'What the key is for', example: 'CRM sync' }),
    scopes: z.array(Scope).min(1).max(API_KEY_SCOPES.length),
  })
  .openapi('CreateApiKey');

/** Compile-time guard: `toApiKeyView` (`db/api-keys.ts`) builds exactly the {@link ApiKey} schema's shape. */
export type ApiKeyViewMatchesSchema = Assert<Same<z.infer<typeof ApiKey>, ApiKeyJson>>;
