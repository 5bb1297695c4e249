/**
 * Saved inbox views (issue 11), mounted under `/v1/conversations/views` before the conversations router
 * (whose `/:id` would take `views` for an id):
 * - `GET /v1/conversations/views`: my views — my personal list in my order (the built-ins `Unread`,
 *   `Recents`, `Starred`, `All` always among them, created on first use), then the views shared with my
 *   teams (by team name, then the team's order);
 * - `PUT /v1/conversations/views`: replaces my personal list (and, with `teams`, the shared lists of the
 *   teams I belong to — any team for an admin);
 * - `GET /v1/conversations/views/counts`: `{ viewId, unread, total }` per view, with one SQL statement
 *   (db/view-counts/counter.ts: a per-process projection refreshed with the rows changed since the last count).
 */
import type { Router } from 'express';
import { ViewCounter } from '../../db/view-counts/counter';
import { findTeam } from '../../db/teams';
import { listSavedViews, replaceViewLists, type SavedViewRow, teamViews, type ViewListOwner, type ViewWrite } from '../../db/saved-views';
import type { BuiltinViewKey } from '../../db/schema';
import { type Principal, principalOf } from '../auth';
import {
  BUILTIN_VIEW_KEYS,
  BUILTIN_VIEWS,
  conversationFiltersOf,
  type PersonalViewInput,
  PutSavedViewsBody,
  queryFormOf,
  type SavedView,
  SavedViewCounts,
  SavedViewList,
  ViewFilters,
} from '../conversation-view-schemas';
import type { ApiDeps } from '../deps';
import { HttpError } from '../errors';
import { defineRoute, type RouteDefinition, routerFor } from '../http/define-route';

/** The built-ins to create for a user who lacks them, in default order. */
const BUILTIN_SEEDS = BUILTIN_VIEW_KEYS.map((key) => ({ key, ...BUILTIN_VIEWS[key] }));

/** A row as the `SavedView` schema (a built-in shows its fixed filters). */
function toSavedView(row: SavedViewRow): SavedView {
  const builtin = row.builtin_key ? BUILTIN_VIEWS[row.builtin_key] : undefined;
  return {
    id: row.id,
    name: builtin?.name ?? row.name,
    builtin: row.builtin_key,
    filters: builtin?.filters ?? row.filters,
    teamId: row.team_id,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** Whether two query-form filter maps are equal. */
function sameFilters(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/** 422 with `code`, `message` and the offending entry's `path` in `details`. */
const unprocessable = (code: string, message: string, path: string): HttpError => new HttpError(422, code, message, { path });

/**
 * My personal list of a `PUT` as writes, checked against my current views `mine`: 422
 * `builtin_view_missing` (a built-in left out), `builtin_view_immutable` (a built-in's name or filters
 * changed), `unknown_view` (an `id` not among my personal views, or given twice), `duplicate_builtin`,
 * `invalid_view` (a custom view without `name` or `filters`).
 */
function personalWrites(entries: PersonalViewInput[], mine: SavedViewRow[]): ViewWrite[] {
  const byId = new Map(mine.map((v) => [v.id, v]));
  const builtinIdOf = new Map(mine.flatMap((v) => (v.builtin_key ? [[v.builtin_key, v.id] as const] : [])));
  const seenIds = new Set<string>();
  const seenBuiltins = new Set<BuiltinViewKey>();
  const writes = entries.map((entry, i): ViewWrite => {
    const path = `views.${i}`;
    const existing = entry.id === undefined ? undefined : byId.get(entry.id);
    if (entry.id !== undefined) {
      if (!existing) throw unprocessable('unknown_view', `views[${i}].id is not one of your personal views`, `${path}.id`);
      if (seenIds.has(entry.id)) throw unprocessable('unknown_view', `views[${i}].id appears twice`, `${path}.id`);
      seenIds.add(entry.id);
    }
    const builtinKey = entry.builtin ?? existing?.builtin_key ?? null;
    if (entry.builtin && existing && existing.builtin_key !== entry.builtin) {
      throw unprocessable('unknown_view', `views[${i}].id is not the ${entry.builtin} view`, `${path}.id`);
    }
    if (builtinKey) {
      if (seenBuiltins.has(builtinKey)) throw unprocessable('duplicate_builtin', `The ${builtinKey} view appears twice`, path);
      seenBuiltins.add(builtinKey);
      const fixed = BUILTIN_VIEWS[builtinKey];
      if (entry.name !== undefined && entry.name !== fixed.name) {
        throw unprocessable('builtin_view_immutable', `The built-in view ${fixed.name} cannot be renamed`, `${path}.name`);
      }
      if (entry.filters !== undefined && !sameFilters(queryFormOf(entry.filters), fixed.filters)) {
        throw unprocessable(
          'builtin_view_immutable',
          `The filters of the built-in view ${fixed.name} cannot be changed`,
          `${path}.filters`,
        );
      }
      return { id: builtinIdOf.get(builtinKey), name: fixed.name, filters: fixed.filters, builtinKey };
    }
    if (entry.name === undefined || entry.filters === undefined) {
      throw unprocessable('invalid_view', `views[${i}] is a custom view: it needs name and filters`, path);
    }
    return { id: entry.id, name: entry.name, filters: queryFormOf(entry.filters), builtinKey: null };
  });
  const missing = BUILTIN_VIEW_KEYS.filter((k) => !seenBuiltins.has(k));
  if (missing.length > 0) {
    throw new HttpError(
      422,
      'builtin_view_missing',
      `The built-in views cannot be removed: ${missing.map((k) => BUILTIN_VIEWS[k].name).join(', ')} missing`,
      { missing },
    );
  }
  return writes;
}

/**
 * The team lists of a `PUT` as writes: 422 `team_not_found` (not a team of my org; also for a team listed
 * twice), 403 `forbidden` (not a member and not an admin), 422 `unknown_view` (an `id` not among that
 * team's views, or given twice).
 */
async function teamWrites(
  db: ApiDeps['db'],
  me: Principal,
  teams: NonNullable<PutSavedViewsBody['teams']>,
): Promise<{ owner: ViewListOwner; views: ViewWrite[] }[]> {
  const out: { owner: ViewListOwner; views: ViewWrite[] }[] = [];
  const seenTeams = new Set<string>();
  for (const [t, entry] of teams.entries()) {
    const team = await findTeam(db, me.orgId, entry.teamId);
    if (!team || seenTeams.has(team.id)) {
      throw unprocessable(
        'team_not_found',
        `teams[${t}].teamId is not a team of your organisation (or appears twice)`,
        `teams.${t}.teamId`,
      );
    }
    seenTeams.add(team.id);
    if (me.role !== 'admin' && !team.members.some((m) => m.id === me.userId)) {
      throw new HttpError(403, 'forbidden', `Only members of the team ${team.name} (or admins) may change its shared views`, {
        teamId: team.id,
      });
    }
    const current = new Set((await teamViews(db, me.orgId, team.id)).map((v) => v.id));
    const seenIds = new Set<string>();
    const views = entry.views.map((v, i): ViewWrite => {
      if (v.id !== undefined) {
        const path = `teams.${t}.views.${i}.id`;
        if (!current.has(v.id) || seenIds.has(v.id)) {
          throw unprocessable('unknown_view', `teams[${t}].views[${i}].id is not one of the team's views (or appears twice)`, path);
        }
        seenIds.add(v.id);
      }
      return { id: v.id, name: v.name, filters: queryFormOf(v.filters), builtinKey: null };
    });
    out.push({ owner: { teamId: team.id }, views });
  }
  return out;
}

/** The list filters of a stored view, as `userId` sees them (a built-in: its fixed filters). */
function filtersOfRow(row: SavedViewRow, userId: string) {
  const query = row.builtin_key ? BUILTIN_VIEWS[row.builtin_key].filters : row.filters;
  const parsed = ViewFilters.safeParse(query);
  // stored filters were validated when saved; a view that no longer parses (a filter changed since) counts nothing
  return parsed.success ? conversationFiltersOf(parsed.data, userId) : { contactId: '00000000-0000-0000-0000-000000000000' };
}

/** The routes of `/v1/conversations/views`. */
export const conversationViewRoutes: RouteDefinition<Pick<ApiDeps, 'db' | 'config'>>[] = [
  defineRoute(
    {
      method: 'get',
      path: '/v1/conversations/views',
      auth: 'staff',
      operationId: 'listSavedViews',
      tags: ['conversations'],
      summary:
        'My saved views: my personal list in my order (the built-ins Unread, Recents, Starred and All always among them), ' +
        "then the views shared with my teams (by team name, then the team's order)",
      response: { status: 200, schema: SavedViewList, description: 'The views' },
      errors: [],
    },
    ({ db }) =>
      async (_req, res) => {
        const me = principalOf(res);
        res.json({ data: (await listSavedViews(db, me.orgId, me.userId, BUILTIN_SEEDS)).map(toSavedView) });
      },
  ),
  /**
   * Replaces my personal list (`views`, in order) and the shared lists of the teams in `teams`. Bad shape
   * or filters → 400 `validation_failed`; a built-in missing → 422 `builtin_view_missing`; a built-in
   * changed → 422 `builtin_view_immutable`; other 422s and the 403 in {@link personalWrites} / {@link teamWrites}.
   */
  defineRoute(
    {
      method: 'put',
      path: '/v1/conversations/views',
      auth: 'staff',
      operationId: 'replaceSavedViews',
      tags: ['conversations'],
      summary:
        'Replace my personal views (ordered; the four built-ins must be there, unchanged — they may be reordered) and, ' +
        'with `teams`, the shared views of teams I belong to (admins: any team of the org); an `id` keeps a view’s identity',
      request: { body: PutSavedViewsBody },
      response: { status: 200, schema: SavedViewList, description: 'My views, as `GET` answers them' },
      errors: [400, 403, 422],
    },
    ({ db }) =>
      async (req, res) => {
        const me = principalOf(res);
        const body = PutSavedViewsBody.parse(req.body);
        const current = await listSavedViews(db, me.orgId, me.userId, BUILTIN_SEEDS);
        const mine = current.filter((v) => v.owner_staff_id === me.userId);
        const lists = [
          { owner: { staffId: me.userId }, views: personalWrites(body.views, mine) },
          ...(await teamWrites(db, me, body.teams ?? [])),
        ];
        await replaceViewLists(db, me.orgId, lists);
        res.json({ data: (await listSavedViews(db, me.orgId, me.userId, BUILTIN_SEEDS)).map(toSavedView) });
      },
  ),
  defineRoute(
    {
      method: 'get',
      path: '/v1/conversations/views/counts',
      auth: 'staff',
      operationId: 'countSavedViews',
      tags: ['conversations'],
      summary:
        'Per view (in the order of `GET /v1/conversations/views`): how many conversations it lists (`total`) and how many of ' +
        'those have a customer message I have not read (`unread`), counted with one SQL statement (one round trip to Postgres)',
      response: { status: 200, schema: SavedViewCounts, description: 'The counts' },
      errors: [],
    },
    ({ db, config }) => {
      // this router's projections of the orgs' conversations (db/view-counts/counter.ts)
      const counter = new ViewCounter(db, { maxBytes: config.viewCounts?.maxBytes });
      return async (_req, res) => {
        const me = principalOf(res);
        const views = await listSavedViews(db, me.orgId, me.userId, BUILTIN_SEEDS);
        const counts = await counter.count(
          me.orgId,
          me.userId,
          views.map((v) => ({ id: v.id, filters: filtersOfRow(v, me.userId) })),
        );
        res.json({ data: counts } satisfies SavedViewCounts);
      };
    },
  ),
];

/** Builds the saved-views router (mounted under `/v1/conversations/views`, behind auth, before the conversations router). */
export function conversationViewsRouter(deps: Pick<ApiDeps, 'db' | 'config'>): Router {
  return routerFor(conversationViewRoutes, deps, { prefix: '/v1/conversations/views', auth: 'staff' });
}
