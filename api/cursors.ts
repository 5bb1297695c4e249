/**
 * The API's opaque keyset cursors: a JSON tuple of strings in unpadded base64url (`db/keyset.ts`
 * `encodeKeyset`), checked against the tuple's zod schema when it comes back. Each list declares its
 * tuple next to its schemas; this module holds what they share.
 */
import { z } from 'zod';
import { decodeKeyset, encodeKeyset } from '../db/keyset';
import { HttpError } from './errors';

/**
 * Decodes `value` (a cursor made by `encodeKeyset`) and parses it with `tuple`.
 * @throws HttpError 400 `invalid_cursor` when it is not base64url JSON or not of that shape (not made by the API)
 */
export function decodeCursorTuple<T extends z.ZodType>(tuple: T, value: string): z.output<T> {
  const parsed = tuple.safeParse(decodeKeyset(value));
  if (!parsed.success) throw new HttpError(400, 'invalid_cursor', 'The cursor is not valid');
  return parsed.data;
}

/** A position in a list ordered by `(created_at, id)`: `createdAt` exact ISO-8601 (microseconds), `id` a UUID. */
export interface CreatedAtCursor {
  createdAt: string;
  id: string;
}

const CreatedAtTuple = z.tuple([z.iso.datetime({ offset: true }), z.uuid()]);

/** Encodes a `(created_at, id)` position as an opaque cursor (`[createdAt, id]`): the contacts list, the audit log. */
export function encodeCreatedAtCursor(cursor: CreatedAtCursor): string {
  return encodeKeyset([cursor.createdAt, cursor.id]);
}

/**
 * Decodes a cursor made by {@link encodeCreatedAtCursor}.
 * @throws HttpError 400 `invalid_cursor` when it was not made by the API
 */
export function decodeCreatedAtCursor(value: string): CreatedAtCursor {
  const [createdAt, id] = decodeCursorTuple(CreatedAtTuple, value);
  return { createdAt, id };
}
