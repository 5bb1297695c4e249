/**
 * The cross-channel feed (issue 11, seed 002 adapted): every carrier channel's customer, staff and AI
 * messages of the caller's org merged newest first (`GET /v1/inbox/messages`), one row per room
 * (`GET /v1/inbox/chats`), and the sources present (`GET /v1/inbox/sources`). Read-only; any signed-in
 * staff user (or API key with `read`). Web chat, internal notes and system messages are never in it.
 */
import type { Router } from 'express';
import { listInboxChats, listInboxMessages, listInboxSources } from '../../db/inbox-feed';
import { conversationExists } from '../../db/queries';
import { principalOf } from '../auth';
import type { ApiDeps } from '../deps';
import { notFound } from '../errors';
import { defineRoute, type RouteDefinition, routerFor } from '../http/define-route';
import {
  InboxChatList,
  type InboxChatListView,
  InboxChatsParams,
  InboxChatsQuery,
  InboxMessagePage,
  type InboxMessagePageView,
  InboxMessagesParams,
  InboxMessagesQuery,
  InboxSourceList,
  type InboxSourceListView,
} from '../inbox-feed-schemas';

/** What the feed routes need. */
export type InboxFeedDeps = Pick<ApiDeps, 'db'>;

/**
 * - `GET /v1/inbox/messages` → 200 `InboxMessagePage`; bad `limit` (not 1–500), unknown `sources`, a
 *   `roomId` that is not a uuid, or an unknown key → 400 `validation_failed`; `roomId` not a
 *   conversation of the caller's org → 404 `not_found`.
 * - `GET /v1/inbox/chats` → 200 `InboxChatList`; bad `sources` → 400.
 * - `GET /v1/inbox/sources` → 200 `InboxSourceList`.
 * Postgres down → 503 (every route).
 */
export const inboxFeedRoutes: RouteDefinition<InboxFeedDeps>[] = [
  defineRoute(
    {
      method: 'get',
      path: '/v1/inbox/messages',
      auth: 'staff',
      operationId: 'listInboxMessages',
      tags: ['inbox'],
      summary:
        "The org's newest customer, staff and AI messages across sms, whatsapp, email and telegram (no notes, no web chat), " +
        'newest first; limit 1–500 (default 100)',
      request: { query: InboxMessagesParams },
      response: { status: 200, schema: InboxMessagePage, description: 'The messages, newest first' },
      errors: [{ status: 404, description: '`roomId` is not a conversation of your org' }],
    },
    ({ db }) =>
      async (req, res) => {
        const me = principalOf(res);
        const query = InboxMessagesQuery.parse(req.query);
        if (query.roomId !== undefined && !(await conversationExists(db, me.orgId, query.roomId))) throw notFound('Room');
        const messages = await listInboxMessages(db, me.orgId, query);
        const view: InboxMessagePageView = { messages, count: messages.length };
        res.json(view);
      },
  ),
  defineRoute(
    {
      method: 'get',
      path: '/v1/inbox/chats',
      auth: 'staff',
      operationId: 'listInboxChats',
      tags: ['inbox'],
      summary: 'One row per room (conversation) with a feed message: title, last message, count; newest first, at most 500',
      request: { query: InboxChatsParams },
      response: { status: 200, schema: InboxChatList, description: 'The rooms, newest last message first' },
      errors: [],
    },
    ({ db }) =>
      async (req, res) => {
        const me = principalOf(res);
        const { sources } = InboxChatsQuery.parse(req.query);
        const chats = await listInboxChats(db, me.orgId, sources);
        const view: InboxChatListView = { chats, count: chats.length };
        res.json(view);
      },
  ),
  defineRoute(
    {
      method: 'get',
      path: '/v1/inbox/sources',
      auth: 'staff',
      operationId: 'listInboxSources',
      tags: ['inbox'],
      summary: 'The sources (channel kinds) the org has feed messages in',
      response: { status: 200, schema: InboxSourceList, description: 'The sources, in display order' },
      errors: [],
    },
    ({ db }) =>
      async (_req, res) => {
        const me = principalOf(res);
        const view: InboxSourceListView = { sources: await listInboxSources(db, me.orgId) };
        res.json(view);
      },
  ),
];

/** Builds the feed router (mounted under `/v1/inbox`, behind auth). */
export function inboxFeedRouter(deps: InboxFeedDeps): Router {
  return routerFor(inboxFeedRoutes, deps, { prefix: '/v1/inbox', auth: 'staff' });
}
