/**
 * Stored attachments: uploads for outbound messages (`POST /v1/attachments`), inbound email
 * attachments (base64 in the provider webhook) and MMS media. The row (name, content type, size,
 * sha256, `storage_key`) is in Postgres; the bytes are in a {@link BlobStore} under
 * `<orgId>/<attachmentId>`.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { BlobStore } from './blob-store';
import type { Db } from './client';
import type { Attachment } from '../domain/message';
import type { AttachmentRow } from './schema';

/**
 * Default largest attachment, in bytes: 10 MiB (10 × 1024 × 1024). Uploads above the limit answer
 * 413 `payload_too_large`; {@link storeAttachment} refuses them too. (Twilio accepts at most 5 MB of
 * MMS media per message and Postmark 10 MB per email, so larger files could not be sent anyway.)
 */
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;

/** Where an attachment came from. */
export type AttachmentSource = AttachmentRow['source'];

/** An attachment larger than the configured limit; the API maps it to 413 `payload_too_large`. */
export class AttachmentTooLargeError extends Error {
  constructor(
    readonly maxBytes: number,
    readonly size: number,
  ) {
    super(`The attachment is larger than the limit of ${maxBytes} bytes`);
    this.name = 'AttachmentTooLargeError';
  }
}

/** What {@link storeAttachment} stores. */
export interface NewAttachment {
  /**
   * Caller-chosen id (a UUID) that makes the store idempotent, e.g. derived from a webhook's message
   * id and the attachment's index: when the org already has an attachment with this id, that row is
   * returned and nothing is written. It must always name the same bytes. Default: a random UUID.
   */
  id?: string;
  orgId: string;
  /** File name as given (sanitised: path and control characters removed, at most 255 characters). */
  name: string;
  /** MIME type as given (an invalid one is stored as `application/octet-stream`). */
  contentType: string;
  bytes: Buffer;
  source: AttachmentSource;
  /** `Content-ID` of an inline email image, without `cid:` / angle brackets. */
  contentId?: string | null;
  /** Staff user id of the uploader (uploads only). */
  createdBy?: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_NAME_CHARS = 255;
// RFC 9110 token characters for type and subtype; parameters: printable ASCII only
const MIME_ESSENCE = /^[a-z0-9!#$%&'*+.^_`|~-]+\/[a-z0-9!#$%&'*+.^_`|~-]+$/;
const MIME_PARAMS = /^[\x20-\x7e]*$/;

/**
 * A file name safe to store and to put in `Content-Disposition`: the last path segment (after `/`
 * or `\`), Unicode NFC, without control characters, trimmed, at most 255 characters; `attachment`
 * when nothing is left.
 */
export function sanitizeAttachmentName(name: string): string {
  const base = name.split(/[/\\]/).pop() ?? '';
  const clean = base
    .normalize('NFC')
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '')
    .trim();
  const chars = Array.from(clean).slice(0, MAX_NAME_CHARS).join('').trim();
  return chars === '' || chars === '.' || chars === '..' ? 'attachment' : chars;
}

/**
 * A MIME type safe to serve as `Content-Type`: `type/subtype` lower-cased with any parameters kept
 * (printable ASCII only, at most 255 characters); anything else is `application/octet-stream`.
 */
export function normalizeContentType(contentType: string | undefined | null): string {
  const value = (contentType ?? '').trim();
  const semi = value.indexOf(';');
  const essence = (semi === -1 ? value : value.slice(0, semi)).trim().toLowerCase();
  const params = semi === -1 ? '' : value.slice(semi);
  if (value.length > 255 || !MIME_ESSENCE.test(essence) || !MIME_PARAMS.test(params)) return 'application/octet-stream';
  return essence + params;
}

/** Lower-case hex SHA-256 of `bytes`. */
export function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Blob key of an attachment: `<orgId>/<attachmentId>`. */
export function attachmentStorageKey(orgId: string, attachmentId: string): string {
  return `${orgId}/${attachmentId}`;
}

/**
 * Stores an attachment: computes its size and sha256, writes the bytes to `blobs` under
 * `<orgId>/<id>`, then inserts the `attachments` row (if the insert fails the bytes are deleted
 * again). Returns the row. With a caller-chosen `input.id` that the org already has, returns the
 * existing row and writes nothing (a redelivered webhook stores nothing twice).
 * @param opts.maxBytes largest accepted size (default {@link MAX_ATTACHMENT_BYTES})
 * @throws AttachmentTooLargeError (the API answers 413 `payload_too_large`) when `bytes` is larger than `maxBytes`; Error when
 *   `input.id` is not a UUID or is taken by another org
 */
export async function storeAttachment(
  db: Db,
  blobs: BlobStore,
  input: NewAttachment,
  opts: { maxBytes?: number } = {},
): Promise<AttachmentRow> {
  const maxBytes = opts.maxBytes ?? MAX_ATTACHMENT_BYTES;
  if (input.bytes.length > maxBytes) {
    throw new AttachmentTooLargeError(maxBytes, input.bytes.length);
  }
  const id = input.id ?? randomUUID();
  if (!UUID.test(id)) throw new Error(`attachment id must be a UUID, got ${JSON.stringify(id)}`);
  const existing = async (): Promise<AttachmentRow | undefined> => {
    const row = await db.selectFrom('attachments').selectAll().where('id', '=', id).executeTakeFirst();
    if (row && row.org_id !== input.orgId) throw new Error(`attachment id ${id} belongs to another org`);
    return row;
  };
  if (input.id !== undefined) {
    const found = await existing();
    if (found) return found;
  }
  const storageKey = attachmentStorageKey(input.orgId, id);
  await blobs.put(storageKey, input.bytes);
  let inserted: AttachmentRow | undefined;
  try {
    inserted = await db
      .insertInto('attachments')
      .values({
        id,
        org_id: input.orgId,
        name: sanitizeAttachmentName(input.name),
        content_type: normalizeContentType(input.contentType),
        size_bytes: input.bytes.length,
        sha256: sha256Hex(input.bytes),
        storage_key: storageKey,
        content_id: input.contentId ?? null,
        source: input.source,
        created_by: input.createdBy ?? null,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .returningAll()
      .executeTakeFirst();
  } catch (err) {
    await blobs.delete(storageKey).catch(() => undefined);
    throw err;
  }
  if (inserted) return inserted;
  // a concurrent store with the same caller-chosen id won: same id, same bytes, keep its row and blob
  const winner = await existing();
  if (!winner) throw new Error(`attachment ${id} was neither inserted nor found`);
  return winner;
}

async function withBytes(blobs: BlobStore, row: AttachmentRow | undefined): Promise<{ row: AttachmentRow; bytes: Buffer } | undefined> {
  if (!row) return undefined;
  const bytes = await blobs.get(row.storage_key);
  if (bytes === undefined) throw new Error(`attachment ${row.id}: no bytes in the blob store under ${row.storage_key}`);
  return { row, bytes };
}

/**
 * An org's attachment with its bytes; `undefined` if there is none with that id in that org (or
 * `id` is not a UUID). Throws if the row exists but its bytes are missing from the store.
 */
export async function readAttachment(
  db: Db,
  blobs: BlobStore,
  orgId: string,
  id: string,
): Promise<{ row: AttachmentRow; bytes: Buffer } | undefined> {
  if (!UUID.test(id) || !UUID.test(orgId)) return undefined;
  const row = await db.selectFrom('attachments').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  return withBytes(blobs, row);
}

/**
 * An attachment by id alone, in any org: only for callers that proved access another way (a valid
 * signed media URL, see `db/media-urls.ts`). `undefined` if there is none or `id` is not a UUID.
 */
export async function readAttachmentUnscoped(
  db: Db,
  blobs: BlobStore,
  id: string,
): Promise<{ row: AttachmentRow; bytes: Buffer } | undefined> {
  if (!UUID.test(id)) return undefined;
  const row = await db.selectFrom('attachments').selectAll().where('id', '=', id).executeTakeFirst();
  return withBytes(blobs, row);
}

/** The org's attachments among `ids` (another org's or an unknown id is simply absent), unordered. */
export async function findAttachments(db: Db, orgId: string, ids: readonly string[]): Promise<AttachmentRow[]> {
  return db
    .selectFrom('attachments')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('id', 'in', [...ids])
    .execute();
}

/** A stored attachment as a message's attachment reference (what messages carry in `attachments`). */
export function attachmentRef(row: AttachmentRow): Attachment {
  return {
    attachmentId: row.id,
    name: row.name,
    contentType: row.content_type,
    size: row.size_bytes,
    sha256: row.sha256,
    ...(row.content_id ? { contentId: row.content_id } : {}),
  };
}
