/**
 * Saved inbox views (issue 11): `GET|PUT /v1/conversations/views`, `GET /v1/conversations/views/counts`.
 * A view's `filters` are the conversation list's query parameters (`GET /v1/conversations`), validated
 * with the list's own schema ({@link ListConversationsQuery} without `limit` / `cursor`) and stored in
 * their query-string form (`{ "status": "open", "unread": "true", "archived": "false" }`), so a client
 * opens a view with `GET /v1/conversations?` + those parameters.
 */
import { z } from 'zod';
import type { ConversationFilters } from '../db/queries';
import type { BuiltinViewKey } from '../db/schema';
import { IsoDateTime, ListConversationsQuery } from './schemas';

const Uuid = z.uuid();

/**
 * A view's filters: the list's query schema minus `limit` and `cursor` (unknown keys, `limit` and
 * `cursor` → 400 `validation_failed`). Values as in a query string (`"true"`, `"open"`, `"7"`).
 */
export const ViewFilters = ListConversationsQuery.omit({ limit: true, cursor: true }).openapi('SavedViewFilters', {
  description: 'The list’s query parameters (`GET /v1/conversations`) as strings, without `limit` and `cursor`',
});
/** Parsed {@link ViewFilters} (booleans and numbers, `archived` defaulted to `false`). */
export type ViewFilters = z.infer<typeof ViewFilters>;

/** The built-in views' keys, in their default order. */
export const BUILTIN_VIEW_KEYS = ['unread', 'recents', 'starred', 'all'] as const satisfies readonly BuiltinViewKey[];

/**
 * The built-in views: names and fixed filters (query form). Every one leaves archived conversations out.
 * - `Unread`: `unread=true` — a customer message I have not read;
 * - `Recents`: `activeWithinDays=7` — any status, activity in the last 7 days;
 * - `Starred`: `starred=true` — starred by me;
 * - `All`: no filter — every conversation of the org, any status.
 */
export const BUILTIN_VIEWS: Record<BuiltinViewKey, { name: string; filters: Record<string, string> }> = {
  unread: { name: 'Unread', filters: { unread: 'true', archived: 'false' } },
  recents: { name: 'Recents', filters: { activeWithinDays: '7', archived: 'false' } },
  starred: { name: 'Starred', filters: { starred: 'true', archived: 'false' } },
  all: { name: 'All', filters: { archived: 'false' } },
};

/** Parsed filters back in query-string form, keys sorted (what is stored and returned). */
export function queryFormOf(filters: ViewFilters): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(filters).sort()) {
    const value = (filters as Record<string, unknown>)[key];
    if (value !== undefined) out[key] = String(value);
  }
  return out;
}

/**
 * The list's filters of a parsed query (or view), as `userId` sees them: `assignee=me` and
 * `scope=mine|team` refer to that user. Shared by `GET /v1/conversations` and the views' counts.
 */
export function conversationFiltersOf(q: ViewFilters, userId: string): ConversationFilters {
  return {
    status: q.status,
    channel: q.channel,
    inboxId: q.inboxId,
    assigneeId: q.assignee === undefined ? undefined : q.assignee === 'me' ? userId : q.assignee === 'none' ? null : q.assignee,
    // `scope` narrows like any other filter (AND): `mine` with `assignee=<someone else>` finds nothing
    mineOfStaffId: q.scope === 'mine' ? userId : undefined,
    teamId: q.teamId,
    teamOfStaffId: q.scope === 'team' ? userId : undefined,
    tag: q.tag,
    priority: q.priority,
    overdue: q.overdue,
    atRisk: q.atRisk,
    needsHuman: q.needsHuman,
    deliveryStatus: q.deliveryStatus,
    unread: q.unread,
    starred: q.starred,
    archived: q.archived,
    contactId: q.contactId,
    q: q.q,
    sessionStatus: q.sessionStatus,
    activeWithinDays: q.activeWithinDays,
  };
}

/** A saved view as the API returns it. */
export const SavedView = z
  .object({
    id: Uuid,
    name: z.string(),
    builtin: z.enum(BUILTIN_VIEW_KEYS).nullable().openapi({ description: 'The built-in view’s key, or `null` for a custom view' }),
    filters: z.record(z.string(), z.string()).openapi({
      description: 'The list’s query parameters (strings): open the view with `GET /v1/conversations?<filters>`',
    }),
    teamId: Uuid.nullable().openapi({ description: 'The team the view is shared with, or `null` for a personal view' }),
    createdAt: IsoDateTime,
    updatedAt: IsoDateTime,
  })
  .openapi('SavedView');
/** {@link SavedView} as a type. */
export type SavedView = z.infer<typeof SavedView>;

/** 200 body of `GET|PUT /v1/conversations/views`: my personal views in my order, then my teams' shared views (by team name, then their order). */
export const SavedViewList = z.object({ data: z.array(SavedView) }).openapi('SavedViewList');

const viewName = z
  .string()
  .trim()
  .min(1)
  .max(80)
  .refine((s) => !s.includes('\u0000'), 'must not contain NUL');

/**
 * One entry of my personal list in a `PUT`: a built-in (`builtin`, or the `id` of one of mine; `name` /
 * `filters` may be re-sent but not changed), or a custom view (`name` and `filters`; with the `id` of one
 * of my custom views it keeps that identity, without it a new view is created).
 */
export const PersonalViewInput = z
  .object({
    id: Uuid.optional(),
    builtin: z.enum(BUILTIN_VIEW_KEYS).optional(),
    name: viewName.optional(),
    filters: ViewFilters.optional(),
  })
  .strict()
  .openapi('PersonalViewInput');
/** Parsed {@link PersonalViewInput}. */
export type PersonalViewInput = z.infer<typeof PersonalViewInput>;

/** One entry of a team's shared list in a `PUT`: a custom view (`id` of one of that team's views keeps its identity). */
export const SharedViewInput = z.object({ id: Uuid.optional(), name: viewName, filters: ViewFilters }).strict().openapi('SharedViewInput');
/** Parsed {@link SharedViewInput}. */
export type SharedViewInput = z.infer<typeof SharedViewInput>;

/**
 * Body of `PUT /v1/conversations/views`: `views` replaces my personal list (order = position; the four
 * built-ins must all be there); each `teams` entry replaces that team's shared list (I must be a member,
 * or an admin); teams not listed keep theirs.
 */
export const PutSavedViewsBody = z
  .object({
    views: z.array(PersonalViewInput).max(50),
    teams: z
      .array(z.object({ teamId: Uuid, views: z.array(SharedViewInput).max(50) }).strict())
      .max(20)
      .optional(),
  })
  .strict()
  .openapi('PutSavedViews');
/** Parsed {@link PutSavedViewsBody}. */
export type PutSavedViewsBody = z.infer<typeof PutSavedViewsBody>;

/** One view's counts. */
export const SavedViewCount = z
  .object({
    viewId: Uuid,
    unread: z.number().int().openapi({ description: 'Conversations of the view with a customer message I have not read' }),
    total: z.number().int().openapi({ description: 'Conversations of the view (what the list returns for its filters)' }),
  })
  .openapi('SavedViewCount');

/** 200 body of `GET /v1/conversations/views/counts`: one entry per view, in the order of `GET /v1/conversations/views`. */
export const SavedViewCounts = z.object({ data: z.array(SavedViewCount) }).openapi('SavedViewCounts');
/** {@link SavedViewCounts} as a type. */
export type SavedViewCounts = z.infer<typeof SavedViewCounts>;
