/**
 * Todos: follow-ups about one inbox item (a conversation), created by staff through `/v1/todos` or by
 * the AI assistant's `create_todo` tool. Every query is scoped by `org_id`: another org's todo is
 * simply not found. Listing order: `due_at` ascending with undated todos last, then `created_at`, `id`.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from './client';
import { exactIso, splitPage } from './keyset';
import type { TodoRow } from './schema';

/** A todo's states: `open` until someone marks it `done` (it can be reopened). */
export const TODO_STATUSES = ['open', 'done'] as const;
/** One of {@link TODO_STATUSES}. */
export type TodoStatus = (typeof TODO_STATUSES)[number];

/** What a todo can be about: `inbox` = a conversation (its id is the todo's `source_id`). */
export const TODO_SOURCE_TYPES = ['inbox'] as const;
/** One of {@link TODO_SOURCE_TYPES}. */
export type TodoSourceType = (typeof TODO_SOURCE_TYPES)[number];

/** Who created a todo: a staff user (`created_by` = their id) or the AI assistant (`created_by` = `ai-assistant`). */
export const TODO_CREATOR_TYPES = ['staff', 'ai'] as const;
/** One of {@link TODO_CREATOR_TYPES}. */
export type TodoCreatorType = (typeof TODO_CREATOR_TYPES)[number];

/** Longest todo title, in characters (titles are trimmed and non-empty). */
export const MAX_TODO_TITLE_LENGTH = 500;

/** A todo to insert with {@link insertTodo}. The caller has checked the title and the source. */
export interface NewTodo {
  orgId: string;
  /** Trimmed, 1–{@link MAX_TODO_TITLE_LENGTH} characters. */
  title: string;
  /** Due date-time (a `Date` or ISO-8601 with zone), or `null` for none. */
  dueAt: Date | string | null;
  sourceType: TodoSourceType;
  /** Id of the source item: for `inbox`, a conversation of `orgId` (see {@link todoSourceExists}). */
  sourceId: string;
  createdByType: TodoCreatorType;
  /** Staff user id, or `ai-assistant` (`AI_ASSISTANT_AUTHOR_ID`) for the assistant. */
  createdBy: string | null;
}

/**
 * The JSON view of a todo (the `Todo` schema of `api/todo-schemas.ts`, which checks at compile time
 * that both stay identical). Timestamps are ISO-8601 UTC strings.
 */
export interface TodoJson {
  id: string;
  title: string;
  dueAt: string | null;
  sourceType: TodoSourceType;
  sourceId: string;
  status: TodoStatus;
  createdByType: TodoCreatorType;
  createdBy: string | null;
  /** When it was last marked done; `null` while open. */
  completedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** Keyset position in the todo order (`due_at` nulls last, `created_at`, `id`); timestamps exact ISO-8601 UTC (µs). */
export interface TodoCursor {
  /** `due_at` of the last row seen, or `null` when it had none. */
  dueAt: string | null;
  createdAt: string;
  id: string;
}

/** Filters of {@link listTodos} (optional, AND-combined). */
export interface TodoFilters {
  status?: TodoStatus;
  /** Only todos about this source item (a conversation id). */
  sourceId?: string;
}

/** Fields to change with {@link updateTodo}; `undefined` = unchanged, `dueAt: null` clears the due date. */
export interface TodoPatch {
  title?: string;
  dueAt?: Date | string | null;
  /** `done` sets `completed_at` (kept if it was already done); `open` clears it. */
  status?: TodoStatus;
}

/** A `todos` row as the {@link TodoJson} view (timestamps ISO-8601 UTC, millisecond precision). */
export function toTodoView(row: TodoRow): TodoJson {
  return {
    id: row.id,
    title: row.title,
    dueAt: row.due_at?.toISOString() ?? null,
    sourceType: row.source_type,
    sourceId: row.source_id,
    status: row.status,
    createdByType: row.created_by_type,
    createdBy: row.created_by,
    completedAt: row.completed_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/**
 * Whether `sourceId` names an item of `orgId` that a todo of `sourceType` can be about (for `inbox`:
 * a conversation of that org). Callers answer 422 `unknown_source` when it does not.
 */
export async function todoSourceExists(db: Db, orgId: string, sourceType: TodoSourceType, sourceId: string): Promise<boolean> {
  switch (sourceType) {
    case 'inbox': {
      const row = await db
        .selectFrom('conversations')
        .select('id')
        .where('org_id', '=', orgId)
        .where('id', '=', sourceId)
        .executeTakeFirst();
      return row !== undefined;
    }
  }
}

/**
 * Inserts an `open` todo (new random id, `created_at` = `updated_at` = now) and returns the stored row.
 * Does not check the source: call {@link todoSourceExists} first.
 * @throws the database error on a constraint violation (e.g. an unknown org)
 */
export async function insertTodo(db: Db, todo: NewTodo): Promise<TodoRow> {
  return db
    .insertInto('todos')
    .values({
      id: randomUUID(),
      org_id: todo.orgId,
      title: todo.title,
      due_at: todo.dueAt,
      source_type: todo.sourceType,
      source_id: todo.sourceId,
      status: 'open',
      created_by_type: todo.createdByType,
      created_by: todo.createdBy,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * One page of an org's todos in due order (`due_at` ascending, undated last, then `created_at`, `id`),
 * keyset-paginated so pages stay stable while todos are added.
 * @param page `limit` rows per page (the caller bounds it) and the cursor of the previous page
 * @returns up to `limit` rows and the cursor of the last row when more may follow (else `null`)
 */
export async function listTodos(
  db: Db,
  orgId: string,
  filters: TodoFilters,
  page: { limit: number; cursor?: TodoCursor },
): Promise<{ rows: TodoRow[]; next: TodoCursor | null }> {
  let q = db
    .selectFrom('todos')
    .selectAll('todos')
    .select([exactIso<string | null>('todos.due_at').as('cursor_due_at'), exactIso('todos.created_at').as('cursor_created_at')])
    .where('org_id', '=', orgId);
  if (filters.status !== undefined) q = q.where('status', '=', filters.status);
  if (filters.sourceId !== undefined) q = q.where('source_type', '=', 'inbox').where('source_id', '=', filters.sourceId);
  const c = page.cursor;
  if (c) {
    q =
      c.dueAt === null
        ? q.where(sql<boolean>`due_at is null and (created_at, id) > (${c.createdAt}::timestamptz, ${c.id}::uuid)`)
        : q.where(
            sql<boolean>`(due_at is null or (due_at, created_at, id) > (${c.dueAt}::timestamptz, ${c.createdAt}::timestamptz, ${c.id}::uuid))`,
          );
  }
  const rows = await q
    .orderBy('due_at', (ob) => ob.asc().nullsLast())
    .orderBy('created_at')
    .orderBy('id')
    .limit(page.limit + 1)
    .execute();
  const { page: pageRows, last } = splitPage(rows, page.limit);
  return {
    rows: pageRows.map(({ cursor_due_at: _due, cursor_created_at: _created, ...row }) => row),
    next: last ? { dueAt: last.cursor_due_at, createdAt: last.cursor_created_at, id: last.id } : null,
  };
}

/**
 * Applies `patch` to the org's todo `id` (and sets `updated_at` = now) in one statement.
 * @returns the updated row, or `undefined` when the org has no such todo (callers answer 404)
 */
export async function updateTodo(db: Db, orgId: string, id: string, patch: TodoPatch): Promise<TodoRow | undefined> {
  return db
    .updateTable('todos')
    .set({
      ...(patch.title !== undefined ? { title: patch.title } : {}),
      ...(patch.dueAt !== undefined ? { due_at: patch.dueAt } : {}),
      ...(patch.status === 'done' ? { status: 'done' as const, completed_at: sql<Date>`coalesce(completed_at, now())` } : {}),
      ...(patch.status === 'open' ? { status: 'open' as const, completed_at: null } : {}),
      updated_at: sql<Date>`now()`,
    })
    .where('org_id', '=', orgId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}
