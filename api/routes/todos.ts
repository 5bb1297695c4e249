/**
 * `/v1/todos`: the org's follow-ups, each about one inbox item (a conversation). Every staff user
 * lists, creates and changes them. Another org's todo is 404, like an unknown one; a source outside
 * the caller's org is 422 `unknown_source`. Todos are not conversation state, so the API writes them directly.
 */
import { Router } from 'express';
import { insertTodo, listTodos, todoSourceExists, toTodoView, updateTodo } from '../../db/todos';
import { principalOf } from '../auth';
import type { ApiDeps } from '../deps';
import { HttpError, notFound } from '../errors';
import { IdParams } from '../schemas';
import { CreateTodoBody, ListTodosQuery, PatchTodoBody, type TodoView, decodeTodoCursor, encodeTodoCursor } from '../todo-schemas';

/**
 * Builds the todos router (mounted under `/v1/todos`, behind auth and `express.json()`):
 * - `GET /` → 200 `TodoPage` (400 `validation_failed` / `invalid_cursor`);
 * - `POST /` → 201 `Todo` (400 `validation_failed`, 422 `unknown_source`);
 * - `PATCH /:id` → 200 `Todo` (400 `validation_failed`, 404 `not_found`).
 */
export function todosRouter({ db }: Pick<ApiDeps, 'db'>): Router {
  const router = Router();

  /** A page of the org's todos by due date (undated last), then creation; `?status=`, `?sourceId=` filter. */
  router.get('/', async (req, res) => {
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
  });

  /** Creates an open todo by the caller (`createdByType` `staff`) about a conversation of their org. */
  router.post('/', async (req, res) => {
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
  });

  /** Changes title, due date or status (`done` stamps `completedAt`, `open` clears it). */
  router.patch('/:id', async (req, res) => {
    const me = principalOf(res);
    const { id } = IdParams.parse(req.params);
    const patch = PatchTodoBody.parse(req.body);
    const row = await updateTodo(db, me.orgId, id, patch);
    if (!row) throw notFound('Todo');
    const view: TodoView = toTodoView(row);
    res.json(view);
  });

  return router;
}
