/**
 * `/v1/todos`: the org's follow-ups, each about one inbox item (a conversation). Every staff user
 * lists, creates and changes them. Another org's todo is 404, like an unknown one; a source outside
 * the caller's org is 422 `unknown_source`. Todos are not conversation state, so the API writes them directly.
 */
import type { Router } from 'express';
import { insertTodo, listTodos, todoSourceExists, toTodoView, updateTodo } from '../../db/todos';
import { principalOf } from '../auth';
import type { ApiDeps } from '../deps';
import { HttpError, notFound } from '../errors';
import { IdParams } from '../schemas';
import { defineRoute, type RouteDefinition, routerFor } from '../http/define-route';
import {
  CreateTodoBody,
  ListTodosQuery,
  PatchTodoBody,
  Todo,
  TodoPage,
  type TodoView,
  decodeTodoCursor,
  encodeTodoCursor,
} from '../todo-schemas';

/**
 * The routes under `/v1/todos` (behind auth and `express.json()`):
 * - `GET /v1/todos` → 200 `TodoPage` (400 `validation_failed` / `invalid_cursor`);
 * - `POST /v1/todos` → 201 `Todo` (400 `validation_failed`, 422 `unknown_source`);
 * - `PATCH /v1/todos/:id` → 200 `Todo` (400 `validation_failed`, 404 `not_found`).
 */
export const todoRoutes: RouteDefinition<Pick<ApiDeps, 'db'>>[] = [
  /** A page of the org's todos by due date (undated last), then creation; `?status=`, `?sourceId=` filter. */
  defineRoute(
    {
      method: 'get',
      path: '/v1/todos',
      auth: 'staff',
      operationId: 'listTodos',
      tags: ['todos'],
      summary: 'List todos by due date, undated last (cursor pagination; filter by status or source conversation)',
      request: { query: ListTodosQuery },
      response: { status: 200, schema: TodoPage, description: 'A page' },
      errors: [400],
    },
    ({ db }) =>
      async (req, res) => {
        const me = principalOf(res);
        const q = ListTodosQuery.parse(req.query);
        const page = await listTodos(
          db,
          me.orgId,
          { status: q.status, sourceId: q.sourceId },
          { limit: q.limit, cursor: q.cursor !== undefined ? decodeTodoCursor(q.cursor) : undefined },
        );
        const data: TodoView[] = page.rows.map(toTodoView);
        res.json({ data, nextCursor: page.next ? encodeTodoCursor(page.next) : null });
      },
  ),
  /** Creates an open todo by the caller (`createdByType` `staff`) about a conversation of their org. */
  defineRoute(
    {
      method: 'post',
      path: '/v1/todos',
      auth: 'staff',
      operationId: 'createTodo',
      tags: ['todos'],
      summary: 'Create a todo about a conversation (422 when the conversation is not in the org)',
      request: { body: CreateTodoBody },
      response: { status: 201, schema: Todo, description: 'The todo' },
      errors: [400, 422],
    },
    ({ db }) =>
      async (req, res) => {
        const me = principalOf(res);
        const body = CreateTodoBody.parse(req.body);
        if (!(await todoSourceExists(db, me.orgId, body.sourceType, body.sourceId))) {
          throw new HttpError(422, 'unknown_source', `No ${body.sourceType} item ${body.sourceId} in this organisation`, {
            sourceType: body.sourceType,
            sourceId: body.sourceId,
          });
        }
        const row = await insertTodo(db, {
          orgId: me.orgId,
          title: body.title,
          dueAt: body.dueAt ?? null,
          sourceType: body.sourceType,
          sourceId: body.sourceId,
          createdByType: 'staff',
          createdBy: me.userId,
        });
        const view: TodoView = toTodoView(row);
        res.status(201).json(view);
      },
  ),
  /** Changes title, due date or status (`done` stamps `completedAt`, `open` clears it). */
  defineRoute(
    {
      method: 'patch',
      path: '/v1/todos/:id',
      auth: 'staff',
      operationId: 'updateTodo',
      tags: ['todos'],
      summary: 'Change title, due date or status of a todo (done stamps completedAt, open clears it)',
      request: { params: IdParams, body: PatchTodoBody },
      response: { status: 200, schema: Todo, description: 'The updated todo' },
      errors: [400, 404],
    },
    ({ db }) =>
      async (req, res) => {
        const me = principalOf(res);
        const { id } = IdParams.parse(req.params);
        const patch = PatchTodoBody.parse(req.body);
        const row = await updateTodo(db, me.orgId, id, patch);
        if (!row) throw notFound('Todo');
        const view: TodoView = toTodoView(row);
        res.json(view);
      },
  ),
];

/** Builds the todos router (mounted under `/v1/todos`, behind auth and `express.json()`). */
export function todosRouter(deps: Pick<ApiDeps, 'db'>): Router {
  return routerFor(todoRoutes, deps, { prefix: '/v1/todos', auth: 'staff' });
}
