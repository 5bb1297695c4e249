/**
 * `GET /v1/ai-assistant/training-pairs?from=&to=`: admins export the org's AI training pairs (the
 * assistant's draft next to what a human sent instead) as NDJSON, one `AiTrainingPair` object per line,
 * by creation time then id. The rows are read and written page by page (keyset pagination, 500 rows
 * per query) with back-pressure, so a large export never sits in memory.
 */
import type { Response, Router } from 'express';
import { toTrainingPairView, trainingPairPages } from '../../db/ai-training-pairs';
import { AiTrainingPair, TrainingPairsParams, TrainingPairsQuery } from '../ai-training-pair-schemas';
import { principalOf } from '../auth';
import type { ApiDeps } from '../deps';
import { defineRoute, type RouteDefinition, routerFor } from '../http/define-route';

/** Rows fetched per database query while exporting. */
export const TRAINING_PAIR_EXPORT_PAGE_SIZE = 500;

/** Content type of the export: newline-delimited JSON. */
export const NDJSON_CONTENT_TYPE = 'application/x-ndjson; charset=utf-8';

/** Resolves once `res` can take more data (`drain`) or the connection is gone (`close`). */
function writable(res: Response): Promise<void> {
  return new Promise((resolve) => {
    if (res.destroyed || !res.writableNeedDrain) return resolve();
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * `GET /v1/ai-assistant/training-pairs` (behind auth, mounted before the `/v1/ai-assistant` router) →
 * 200 `application/x-ndjson; charset=utf-8` (empty body when there is nothing to export); agents → 403
 * `forbidden`; a bad `from`/`to` → 400 `validation_failed`; Postgres unavailable before the first line →
 * 503. An error once lines have been sent cannot change the status any more: it is logged and the
 * connection is aborted, so the client sees an incomplete response rather than a short export that
 * looks complete.
 */
export const aiTrainingPairRoutes: RouteDefinition<Pick<ApiDeps, 'db' | 'logger'>>[] = [
  defineRoute(
    {
      method: 'get',
      path: '/v1/ai-assistant/training-pairs',
      auth: 'staff',
      role: 'admin',
      operationId: 'exportAiTrainingPairs',
      tags: ['ai-assistant'],
      summary:
        'Export the AI training pairs (draft vs what a human sent) as NDJSON, one AiTrainingPair per line, by creation time (admins only)',
      request: { query: TrainingPairsParams },
      response: {
        status: 200,
        schema: AiTrainingPair,
        contentType: 'application/x-ndjson',
        description: 'Newline-delimited JSON: one AiTrainingPair object per line (empty when there is none)',
      },
      errors: [400],
    },
    ({ db, logger }) =>
      async (req, res) => {
        const me = principalOf(res);
        const range = TrainingPairsQuery.parse(req.query);
        const pages = trainingPairPages(db, me.orgId, range, TRAINING_PAIR_EXPORT_PAGE_SIZE);
        let page = await pages.next(); // a failure here still answers with a JSON error
        res.status(200);
        res.setHeader('Content-Type', NDJSON_CONTENT_TYPE);
        res.setHeader('Cache-Control', 'no-store');
        try {
          while (!page.done) {
            const lines = page.value.map((row) => `${JSON.stringify(toTrainingPairView(row))}\n`).join('');
            if (!res.write(lines)) await writable(res);
            if (res.destroyed) {
              await pages.return();
              return; // the client went away
            }
            page = await pages.next();
          }
          res.end();
        } catch (err) {
          if (!res.headersSent) throw err; // nothing sent yet: the usual JSON error
          logger.error({ err, path: req.path, orgId: me.orgId }, 'training pair export failed mid-stream');
          res.destroy();
        }
      },
  ),
];

/** Builds the training-pairs router (mounted under `/v1/ai-assistant/training-pairs`, behind auth, before `/v1/ai-assistant`). */
export function aiTrainingPairsRouter(deps: Pick<ApiDeps, 'db' | 'logger'>): Router {
  return routerFor(aiTrainingPairRoutes, deps, { prefix: '/v1/ai-assistant/training-pairs', auth: 'staff' });
}
