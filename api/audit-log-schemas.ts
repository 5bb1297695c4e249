/** Request and response schemas (zod, with OpenAPI metadata) of `GET /v1/audit-log`, and its opaque cursor. */
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import type { AuditLogCursor, AuditLogEntryJson } from '../db/audit-log';
import { decodeCreatedAtCursor, encodeCreatedAtCursor } from './cursors';
import { IsoDateTime, text } from './schemas';
import type { Assert, Same } from './type-assertions';

extendZodWithOpenApi(z);

/** One audited admin action. `before` / `after` never contain secrets. */
export const AuditLogEntry = z
  .object({
    id: z.uuid(),
    actor: z.object({
      type: z.enum(['staff', 'api_key', 'system']).openapi({ description: '`system` = the admin CLI' }),
      id: z.uuid().nullable().openapi({ description: 'Staff user or API key id; `null` for `system`' }),
      name: z.string().optional().openapi({ description: 'The staff user’s or API key’s name (absent for `system`)' }),
    }),
    action: z.string().openapi({ description: '`<target>.<verb>`', example: 'api_key.create' }),
    target: z.object({
      type: z.string().openapi({ example: 'api_key' }),
      id: z.string().nullable(),
    }),
    before: z.record(z.string(), z.unknown()).nullable().openapi({ description: 'The object before the action; `null` on create' }),
    after: z.record(z.string(), z.unknown()).nullable().openapi({ description: 'The object after the action; `null` on delete' }),
    createdAt: IsoDateTime,
  })
  .openapi('AuditLogEntry');

/** 200 body of `GET /v1/audit-log`: newest first; `nextCursor` is `null` on the last page. */
export const AuditLogPage = z
  .object({
    data: z.array(AuditLogEntry),
    nextCursor: z.string().nullable().openapi({ description: 'Opaque cursor of the next page (`cursor=`), `null` on the last one' }),
  })
  .openapi('AuditLogPage');
/** JSON shape of {@link AuditLogPage}. */
export type AuditLogPage = z.infer<typeof AuditLogPage>;

/**
 * Query of `GET /v1/audit-log`: exact-match filters `action`, `targetType`, `targetId`, `actorId`
 * (AND-combined), `limit` 1–100 (default 50), the opaque `cursor`. Unknown keys or bad values → 400
 * `validation_failed`; a cursor not made by the API → 400 `invalid_cursor`.
 */
export const AuditLogQuery = z.strictObject({
  action: text(100).optional().openapi({ example: 'api_key.revoke' }),
  targetType: text(100).optional().openapi({ example: 'api_key' }),
  targetId: text(200).optional(),
  actorId: z.uuid().optional().openapi({ description: 'Staff user or API key id' }),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().min(1).optional().openapi({ description: 'Opaque `nextCursor` of the previous page' }),
});

/** Compile-time guard: `listAuditLog` (`db/audit-log.ts`) builds exactly the {@link AuditLogEntry} shape. */
export type AuditLogEntryMatchesSchema = Assert<Same<z.infer<typeof AuditLogEntry>, AuditLogEntryJson>>;

/** Encodes a audit log list position as an opaque cursor (`[createdAt, id]`; api/cursors.ts). */
export const encodeAuditLogCursor: (cursor: AuditLogCursor) => string = encodeCreatedAtCursor;
/**
 * Decodes a cursor made by {@link encodeAuditLogCursor}.
 * @throws HttpError 400 `invalid_cursor` when it was not made by the API
 */
export const decodeAuditLogCursor: (value: string) => AuditLogCursor = decodeCreatedAtCursor;
