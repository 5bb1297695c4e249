/**
 * Attachment bytes over HTTP:
 * - `/v1/attachments` (behind auth): `POST /` uploads a file for an outbound message
 *   (`multipart/form-data`, field `file`, at most `maxBytes`, else 413 `payload_too_large`);
 *   `GET /:id` downloads one of the caller's org's files (another org's → 404).
 * - `/media` (no auth): `GET /:id?expires=&signature=` serves a file to whoever holds a valid,
 *   unexpired signed URL (`api/signed-urls.ts`): this is what Twilio fetches for outbound MMS.
 *
 * Downloads carry the stored `Content-Type`, `Content-Length`, an RFC 6266 `Content-Disposition:
 * attachment` (ASCII `filename` fallback plus RFC 8187 `filename*` for non-ASCII names),
 * `X-Content-Type-Options: nosniff`, a sandboxing `Content-Security-Policy` (uploaded HTML or SVG
 * never runs as our origin) and the sha256 as a strong `ETag` (`If-None-Match` → 304).
 */
import type { Request, Response, Router } from 'express';
import multer from 'multer';
import { z } from 'zod';
import type { BlobStore } from '../../db/blob-store';
import type { Db } from '../../db/client';
import type { AttachmentRow } from '../../db/schema';
import { MAX_ATTACHMENT_BYTES, readAttachment, readAttachmentUnscoped, storeAttachment } from '../../db/attachment-store';
import { AttachmentSchema, attachmentView } from '../attachment-views';
import { principalOf } from '../auth';
import { HttpError, notFound } from '../errors';
import { defineRoute, type RouteDefinition, routerFor } from '../http/define-route';
import { IdParams } from '../schemas';
import { verifyMediaSignature } from '../../db/media-urls';

/** What {@link attachmentsRouter} needs. */
export interface AttachmentsRouterDeps {
  db: Db;
  blobs: BlobStore;
  /** Largest upload in bytes (default {@link MAX_ATTACHMENT_BYTES}, 10 MiB); above it → 413. */
  maxBytes?: number;
}

/** What {@link mediaRouter} needs. */
export interface MediaRouterDeps {
  db: Db;
  blobs: BlobStore;
  /** The media-URL signing secret (see `mediaSigningSecret` in `api/signed-urls.ts`). */
  secret: string;
}

/** The multipart field that carries the file. */
export const UPLOAD_FIELD = 'file';

function fieldError(path: string, message: string, code: string): HttpError {
  return new HttpError(400, 'validation_failed', message, { fields: [{ path, message, code }] });
}

/** Multer / busboy failures as the API's errors: too large → 413, anything else about the body → 400. */
function uploadError(err: unknown, maxBytes: number): unknown {
  if (err instanceof multer.MulterError) {
    switch (err.code) {
      case 'LIMIT_FILE_SIZE':
        return new HttpError(413, 'payload_too_large', `The file is larger than the limit of ${maxBytes} bytes`, { maxBytes });
      case 'LIMIT_UNEXPECTED_FILE':
      case 'LIMIT_FILE_COUNT':
        return fieldError(err.field ?? UPLOAD_FIELD, `Send exactly one file, in the multipart field "${UPLOAD_FIELD}"`, 'unexpected_file');
      default:
        return new HttpError(400, 'invalid_body', `The multipart body is not acceptable: ${err.message}`);
    }
  }
  // busboy's own parse errors (malformed multipart, missing boundary, truncated body)
  if (err instanceof Error) return new HttpError(400, 'invalid_body', `The multipart body could not be read: ${err.message}`);
  return err;
}

/** Sends a stored file with its download headers. */
function sendFile(res: Response, row: AttachmentRow, bytes: Buffer, cacheControl: string): void {
  res.attachment(row.name); // RFC 6266 Content-Disposition (also guesses a type from the extension: replaced next)
  res.set({
    'Content-Type': row.content_type,
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "default-src 'none'; sandbox",
    'Cache-Control': cacheControl,
    ETag: `"${row.sha256}"`,
  });
  res.send(bytes); // sets Content-Length; answers 304 when If-None-Match matches the ETag
}

/** A multipart parser for one file in {@link UPLOAD_FIELD} of at most `maxBytes` (multer errors → {@link uploadError}). */
function uploadParser(maxBytes: number): (req: Request, res: Response) => Promise<void> {
  const upload = multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: maxBytes, files: 1, fields: 10, fieldSize: 64 * 1024, parts: 20 },
    defParamCharset: 'utf8', // browsers (and curl) send UTF-8 file names as raw bytes
  }).single(UPLOAD_FIELD);
  return (req, res) =>
    new Promise((resolve, reject) => {
      upload(req, res, (err?: unknown) => (err ? reject(uploadError(err, maxBytes)) : resolve()));
    });
}

/** A file's bytes in its own Content-Type (documented as `*\/*`). */
const fileBytes = { status: 200, description: 'The bytes', schema: z.string().openapi({ format: 'binary' }), contentType: '*/*' };

/** The routes under `/v1/attachments` (behind auth; the upload reads its own multipart body). */
export const attachmentRoutes: RouteDefinition<AttachmentsRouterDeps>[] = [
  defineRoute(
    {
      method: 'post',
      path: '/v1/attachments',
      auth: 'staff',
      operationId: 'uploadAttachment',
      tags: ['attachments'],
      summary: 'Upload a file for an outbound message (multipart field `file`; 413 above MAX_ATTACHMENT_BYTES, default 10 MiB)',
      request: {
        body: z.object({ [UPLOAD_FIELD]: z.string().openapi({ format: 'binary' }) }),
        bodyContentType: 'multipart/form-data',
      },
      response: { status: 201, schema: AttachmentSchema, description: 'The stored attachment' },
      errors: [400, 413],
    },
    ({ db, blobs, maxBytes = MAX_ATTACHMENT_BYTES }) => {
      const parseUpload = uploadParser(maxBytes);
      return async (req, res) => {
        const me = principalOf(res);
        await parseUpload(req, res);
        const file = req.file;
        if (!file) {
          throw fieldError(UPLOAD_FIELD, `Required: send the file as multipart/form-data in the field "${UPLOAD_FIELD}"`, 'invalid_type');
        }
        if (file.size === 0) throw fieldError(UPLOAD_FIELD, 'The file is empty', 'too_small');
        const row = await storeAttachment(
          db,
          blobs,
          {
            orgId: me.orgId,
            name: file.originalname,
            contentType: file.mimetype,
            bytes: file.buffer,
            source: 'upload',
            createdBy: me.userId,
          },
          { maxBytes },
        );
        res.status(201).location(`${req.baseUrl}/${row.id}`).json(attachmentView(row));
      };
    },
  ),
  defineRoute(
    {
      method: 'get',
      path: '/v1/attachments/:id',
      auth: 'staff',
      operationId: 'downloadAttachment',
      tags: ['attachments'],
      summary: 'Download an attachment: its Content-Type, Content-Disposition attachment, ETag = "sha256"',
      request: { params: IdParams },
      response: fileBytes,
      otherResponses: { 304: { description: 'Not modified (If-None-Match matched the ETag)' } },
      errors: [400, 404],
    },
    ({ db, blobs }) =>
      async (req, res) => {
        const me = principalOf(res);
        const { id } = IdParams.parse(req.params);
        const found = await readAttachment(db, blobs, me.orgId, id);
        if (!found) throw notFound('Attachment');
        sendFile(res, found.row, found.bytes, 'private, no-cache');
      },
  ),
];

/** Builds the attachments router (mounted under `/v1/attachments`, behind auth). */
export function attachmentsRouter(deps: AttachmentsRouterDeps): Router {
  return routerFor(attachmentRoutes, deps, { prefix: '/v1/attachments', auth: 'staff' });
}

const queryString = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * `GET /media/:id?expires&signature` (WITHOUT staff auth): serves the file while the signature is
 * valid and unexpired, else 403 `forbidden`; unknown id → 404.
 */
export const mediaRoutes: RouteDefinition<MediaRouterDeps>[] = [
  defineRoute(
    {
      method: 'get',
      path: '/media/:id',
      auth: 'signedUrl',
      operationId: 'downloadSignedMedia',
      tags: ['attachments'],
      summary: 'Signed, time-limited download without a staff token (the MediaUrl Twilio fetches for MMS)',
      request: {
        params: IdParams,
        query: z.object({
          expires: z.string().openapi({ description: 'Unix seconds after which the URL stops working' }),
          signature: z.string().openapi({ description: 'The URL signature (see the `mediaUrlSignature` security scheme)' }),
        }),
      },
      response: fileBytes,
      errors: [
        { status: 403, description: 'Invalid or expired signature' },
        { status: 404, description: 'No such attachment' },
      ],
    },
    ({ db, blobs, secret }) =>
      async (req, res) => {
        const id = String(req.params.id); // a `:id` segment is always one string
        const valid = verifyMediaSignature(
          id,
          queryString(req.query.expires),
          queryString(req.query.signature),
          secret,
          Math.floor(Date.now() / 1000),
        );
        if (!valid) throw new HttpError(403, 'forbidden', 'The media link is invalid or has expired');
        const found = await readAttachmentUnscoped(db, blobs, id);
        if (!found) throw notFound('Media');
        sendFile(res, found.row, found.bytes, 'private, no-store');
      },
  ),
];

/** Builds the signed media router (mounted under `/media`, WITHOUT auth: the URL's signature is the credential). */
export function mediaRouter(deps: MediaRouterDeps): Router {
  return routerFor(mediaRoutes, deps, { prefix: '/media', auth: 'signedUrl' });
}
