/**
 * Helpers for keyset (cursor) pagination over `timestamptz` columns. Postgres keeps microseconds, a JS
 * `Date` only milliseconds: a cursor built from a `Date` would sit up to 999 µs before the row it came
 * from, so that row (and its ties) would come back on the next page. Cursors therefore carry the
 * exact value as text, rendered by Postgres itself.
 */
import { type RawBuilder, sql } from 'kysely';

/**
 * The `timestamptz` column `ref` (e.g. `'todos.due_at'`) rendered exactly, as ISO-8601 UTC with
 * microseconds (`2026-01-02T09:00:00.123456Z`); SQL `null` stays `null`, so pass `T = string | null`
 * for a nullable column. Compare a value back with `${value}::timestamptz`.
 */
export function exactIso<T extends string | null = string>(ref: string): RawBuilder<T> {
  return sql<T>`to_char(${sql.ref(ref)} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}

/** Encodes a keyset position (a JSON tuple of strings / nulls) as an opaque base64url cursor. */
export function encodeKeyset(values: readonly (string | null)[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

/**
 * Decodes a cursor made by {@link encodeKeyset} back to its JSON value (`undefined` when it is not
 * base64url JSON); callers validate the shape (and answer 400 `invalid_cursor` otherwise).
 */
export function decodeKeyset(cursor: string): unknown {
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Splits the `limit + 1` rows a keyset query fetched into the page (`limit` rows at most) and, when a
 * further page exists, the page's last row (its cursor's source); `last` is `undefined` on the final page.
 */
export function splitPage<T>(rows: readonly T[], limit: number): { page: T[]; last: T | undefined } {
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : [...rows];
  return { page, last: more ? page.at(-1) : undefined };
}
