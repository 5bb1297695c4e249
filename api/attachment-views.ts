/**
 * API shape of a stored attachment (`POST /v1/attachments` answer, OpenAPI `Attachment`).
 */
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import type { AttachmentRow } from '../db/schema';

extendZodWithOpenApi(z); // idempotent; `.openapi()` below needs it whatever was imported first

/** 201 body of `POST /v1/attachments`: a stored file (`size` in bytes, `sha256` lower-case hex). */
export const AttachmentSchema = z
  .object({
    id: z.uuid(),
    name: z.string().openapi({ example: 'return-label.pdf' }),
    contentType: z.string().openapi({ example: 'application/pdf' }),
    size: z.number().int().min(0).openapi({ description: 'Size in bytes' }),
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .openapi({ description: 'Lower-case hex SHA-256 of the bytes (also the `ETag` of the download)' }),
    createdAt: z.iso.datetime({ offset: true }).openapi({ example: '2026-01-02T09:00:00Z' }),
  })
  .openapi('Attachment');
/** JSON shape of {@link AttachmentSchema}. */
export type AttachmentView = z.infer<typeof AttachmentSchema>;

/** An attachment row as the `Attachment` schema. */
export function attachmentView(row: AttachmentRow): AttachmentView {
  return {
    id: row.id,
    name: row.name,
    contentType: row.content_type,
    size: row.size_bytes,
    sha256: row.sha256,
    createdAt: row.created_at.toISOString(),
  };
}
