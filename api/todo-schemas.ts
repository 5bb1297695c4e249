/**
 * Request and response schemas (zod, with OpenAPI metadata) of `/v1/todos`, and its opaque list cursor.
 * The todo states, sources and limits come from `db/todos.ts` (shared with the assistant's `create_todo` tool).
 */
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { encodeKeyset } from '../db/keyset';
import { decodeCursorTuple } from './cursors';
import { MAX_TODO_TITLE_LENGTH, TODO_CREATOR_TYPES, TODO_SOURCE_TYPES, TODO_STATUSES, type TodoCursor, type TodoJson } from '../db/todos';
import { IsoDateTime, text } from './schemas';
import type { Assert, Same } from './type-assertions';

extendZodWithOpenApi(z);

const Title = text(MAX_TODO_TITLE_LENGTH).openapi({
  description: `What to do (trimmed, 1–${MAX_TODO_TITLE_LENGTH} characters)`,
  example: 'Call back about the refund',
});
const DueAt = IsoDateTime.openapi({ description: 'When it is due (ISO-8601 with zone); `null` = no due date' });
const Status = z.enum(TODO_STATUSES).openapi({ description: '`open` until marked `done`; can be reopened' });
const SourceType = z.enum(TODO_SOURCE_TYPES).openapi({ description: '`inbox`: the todo is about a conversation' });
const SourceId = z.uuid().openapi({ description: 'Id of the conversation (for `inbox`) the todo is about' });

/**
 * A todo: 201 body of `POST /v1/todos`, 200 of `PATCH /v1/todos/{id}`, items of `GET /v1/todos`.
 * `createdBy` is the staff user id, or `ai-assistant` when `createdByType` is `ai`; `completedAt` is set
 * while `done`. Timestamps ISO-8601 UTC.
 */
export const Todo = z
  .object({
    id: z.uuid(),
    title: z.string(),
    dueAt: IsoDateTime.nullable(),
    sourceType: z.enum(TODO_SOURCE_TYPES),
    sourceId: z.uuid(),
    status: z.enum(TODO_STATUSES),
    createdByType: z.enum(TODO_CREATOR_TYPES),
    createdBy: z.string().nullable(),
    completedAt: IsoDateTime.nullable(),
    createdAt: IsoDateTime,
    updatedAt: IsoDateTime,
  })
  .openapi('Todo');
/** JSON shape of {@link Todo} (built by `toTodoView` in `db/todos.ts`). */
export type TodoView = z.infer<typeof Todo>;

/**
 * Compile-time guard (no run-time value): `toTodoView` in `db/todos.ts` builds exactly the
 * {@link Todo} schema's shape ({@link TodoJson}), so the OpenAPI document cannot drift from the responses.
 */
export type TodoViewMatchesSchema = Assert<Same<TodoView, TodoJson>>;

/** 200 body of `GET /v1/todos`: todos in due order; `nextCursor` is `null` on the last page. */
export const TodoPage = z
  .object({
    data: z.array(Todo),
    nextCursor: z.string().nullable().openapi({ description: 'Opaque cursor of the next page (`cursor=`), `null` on the last one' }),
  })
  .openapi('TodoPage');

/**
 * Query of `GET /v1/todos`: optional `status` and `sourceId` filters (AND-combined), `limit` 1–100
 * (default 25) and the opaque `cursor`; unknown keys or bad values → 400 `validation_failed`
 * (a cursor not made by the API → 400 `invalid_cursor`).
 */
export const ListTodosQuery = z
  .object({
    status: Status.optional(),
    sourceId: SourceId.optional(),
    limit: z.coerce.number().int().min(1).max(100).default(25),
    cursor: z.string().min(1).optional().openapi({ description: 'Opaque `nextCursor` of the previous page' }),
  })
  .strict();
/** Parsed {@link ListTodosQuery} (`limit` a number with its default). */
export type ListTodosQuery = z.infer<typeof ListTodosQuery>;

/**
 * Body of `POST /v1/todos`: `title` (trimmed, 1–500 chars), optional `dueAt` (ISO-8601 with zone, or
 * `null`), `sourceType` (`inbox`) and `sourceId` (a conversation of the caller's org, else 422
 * `unknown_source`). Unknown keys or bad values → 400 `validation_failed` naming the field.
 */
export const CreateTodoBody = z
  .object({
    title: Title,
    dueAt: DueAt.nullable().optional(),
    sourceType: SourceType,
    sourceId: SourceId,
  })
  .strict()
  .openapi('CreateTodo');
/** Parsed {@link CreateTodoBody}. */
export type CreateTodoBody = z.infer<typeof CreateTodoBody>;

/**
 * Body of `PATCH /v1/todos/{id}`: at least one of `title`, `dueAt` (`null` clears it), `status`
 * (`done` sets `completedAt`, `open` clears it). Empty body, unknown keys or bad values → 400 `validation_failed`.
 */
export const PatchTodoBody = z
  .object({
    title: Title.optional(),
    dueAt: DueAt.nullable().optional(),
    status: Status.optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: 'give at least one of title, dueAt, status' })
  .openapi('PatchTodo');
/** Parsed {@link PatchTodoBody}: `undefined` = unchanged. */
export type PatchTodoBody = z.infer<typeof PatchTodoBody>;

const CursorTuple = z.tuple([z.iso.datetime({ offset: true }).nullable(), z.iso.datetime({ offset: true }), z.uuid()]);

/** Encodes a todo list position as an opaque base64url cursor (`[dueAt | null, createdAt, id]`). */
export function encodeTodoCursor(cursor: TodoCursor): string {
  return encodeKeyset([cursor.dueAt, cursor.createdAt, cursor.id]);
}

/**
 * Decodes a cursor made by {@link encodeTodoCursor}.
 * @throws HttpError 400 `invalid_cursor` when it was not made by the API
 */
export function decodeTodoCursor(value: string): TodoCursor {
  const [dueAt, createdAt, id] = decodeCursorTuple(CursorTuple, value);
  return { dueAt, createdAt, id };
}
