/**
 * `GET /v1/conversations/stats?from=&to=`: statistics of the caller's org's conversations created in
 * `[from, to)` (see the `ConversationStats` schema). Every staff user may read them. Mounted before the
 * conversations router, whose `/:id` would otherwise take `stats` for an id.
 */
import { Router } from 'express';
import { conversationStats } from '../../db/conversation-stats';
import { principalOf } from '../auth';
import type { ApiDeps } from '../deps';
import { ConversationStatsQuery, type ConversationStatsView } from '../stats-schemas';

/**
 * Builds the stats router (mounted under `/v1/conversations/stats`, behind auth): `GET /` → 200
 * `ConversationStats`; a missing or bad `from`/`to`, `from` not before `to` or a range over 366 days →
 * 400 `validation_failed`; Postgres down → 503.
 */
export function conversationStatsRouter({ db }: Pick<ApiDeps, 'db'>): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    const me = principalOf(res);
    const range = ConversationStatsQuery.parse(req.query);
    const stats = await conversationStats(db, me.orgId, range);
    const view: ConversationStatsView = { from: range.from.toISOString(), to: range.to.toISOString(), ...stats };
    res.json(view);
  });

  return router;
}
