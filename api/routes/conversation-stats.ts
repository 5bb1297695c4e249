/**
 * `GET /v1/conversations/stats?from=&to=`: statistics of the caller's org's conversations created in
 * `[from, to)` (see the `ConversationStats` schema). Every staff user may read them. Mounted before the
 * conversations router, whose `/:id` would otherwise take `stats` for an id.
 */
import type { Router } from 'express';
import { conversationStats } from '../../db/conversation-stats';
import { principalOf } from '../auth';
import type { ApiDeps } from '../deps';
import { defineRoute, type RouteDefinition, routerFor } from '../http/define-route';
import { ConversationStats, ConversationStatsParams, ConversationStatsQuery, type ConversationStatsView } from '../stats-schemas';

/**
 * `GET /v1/conversations/stats` → 200 `ConversationStats`; a missing or bad `from`/`to`, `from` not
 * before `to` or a range over 366 days → 400 `validation_failed`; Postgres down → 503.
 */
export const conversationStatsRoutes: RouteDefinition<Pick<ApiDeps, 'db'>>[] = [
  defineRoute(
    {
      method: 'get',
      path: '/v1/conversations/stats',
      auth: 'staff',
      operationId: 'getConversationStats',
      tags: ['conversations'],
      summary:
        'Statistics of the conversations created in [from, to): totals by status and channel, AI decisions (ai.decisions) and ' +
        'outcomes (ai.outcomes) counted separately (ai.suggestions is deprecated), AI resolution, ' +
        'average first-response time by channel and intent (range at most 366 days)',
      request: { query: ConversationStatsParams },
      response: { status: 200, schema: ConversationStats, description: 'The statistics' },
      errors: [400],
    },
    ({ db }) =>
      async (req, res) => {
        const me = principalOf(res);
        const range = ConversationStatsQuery.parse(req.query);
        const stats = await conversationStats(db, me.orgId, range);
        const view: ConversationStatsView = { from: range.from.toISOString(), to: range.to.toISOString(), ...stats };
        res.json(view);
      },
  ),
];

/** Builds the stats router (mounted under `/v1/conversations/stats`, behind auth, before the conversations router). */
export function conversationStatsRouter(deps: Pick<ApiDeps, 'db'>): Router {
  return routerFor(conversationStatsRoutes, deps, { prefix: '/v1/conversations/stats', auth: 'staff' });
}
