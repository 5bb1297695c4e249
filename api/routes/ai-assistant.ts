/**
 * `/v1/ai-assistant`: the org's AI assistant settings. Every staff user reads them (`GET /`); only
 * admins change them (`PUT /`, else 403 `forbidden`). An org that never saved settings gets
 * `DEFAULT_AI_ASSISTANT_CONFIG`. `available` reports whether the server has an OpenAI API key; without
 * one the settings can still be read and saved, the assistant just never runs.
 *
 * Running conversations keep the settings in their workflow state (so an inbound message on a
 * conversation whose assistant is off runs no AI activity); a `PUT` therefore bumps the settings'
 * `version` and, after the commit, starts the durable `aiSettingsBroadcastWorkflow` (one per version),
 * which signals every running conversation of the org with the new settings.
 */
import type { Router } from 'express';
import type { Db } from '../../db/client';
import { AI_SETTINGS_BROADCAST_WORKFLOW_TYPE, aiSettingsBroadcastWorkflowId } from '../../workflows/ai-settings-broadcast';
import type { ConversationClient } from '../../workflows/conversation/client';
import { loadAiAssistantConfig, saveAiAssistantConfig } from '../../db/ai-assistant-settings';
import { isValidAiConfig } from '../../domain/ai-assistant';
import { principalOf } from '../auth';
import { HttpError } from '../errors';
import { AiAssistantSettings, PutAiAssistantBody, applyAiAssistantPut, toAiAssistantView } from '../ai-assistant-schemas';
import { defineRoute, type RouteDefinition, routerFor } from '../http/define-route';

/** What the AI assistant routes need. */
export interface AiAssistantRoutesDeps {
  db: Db;
  /** Whether OPENAI_API_KEY is configured (shown as `available`; changes nothing else). */
  openAiAvailable: boolean;
  /** Starts the settings broadcast after a `PUT`. */
  conversations: Pick<ConversationClient, 'startOnce'>;
}

/** The routes of `/v1/ai-assistant` (behind auth and `express.json()`). */
export const aiAssistantRoutes: RouteDefinition<AiAssistantRoutesDeps>[] = [
  defineRoute(
    {
      method: 'get',
      path: '/v1/ai-assistant',
      auth: 'staff',
      operationId: 'getAiAssistantSettings',
      tags: ['ai-assistant'],
      summary: 'The AI assistant settings (defaults until changed) and whether OpenAI is configured',
      response: { status: 200, schema: AiAssistantSettings, description: 'The settings' },
      errors: [],
    },
    ({ db, openAiAvailable }) =>
      async (_req, res) => {
        const me = principalOf(res);
        res.json(toAiAssistantView(await loadAiAssistantConfig(db, me.orgId), openAiAvailable));
      },
  ),
  /**
   * Partial update: the given fields replace the current config's (stored, else the defaults), the rest
   * is kept; the whole result is re-checked ({@link isValidAiConfig}, 422 `invalid_ai_config` with
   * `details.problems`) and stored as a full config with the next `version`. Row-locked so concurrent
   * changes do not mix. Then the broadcast to running conversations is started; if Temporal does not
   * accept it → 503 `temporarily_unavailable` (the settings ARE saved: repeating the same `PUT` is harmless).
   */
  defineRoute(
    {
      method: 'put',
      path: '/v1/ai-assistant',
      auth: 'staff',
      role: 'admin',
      operationId: 'updateAiAssistantSettings',
      tags: ['ai-assistant'],
      summary:
        'Change the AI assistant settings (admins only; given fields replace the current ones, the rest are kept). Running ' +
        'conversations get the new settings through a durable broadcast; 503 if it could not be started (the settings are ' +
        'saved: repeat the request)',
      request: { body: PutAiAssistantBody },
      response: { status: 200, schema: AiAssistantSettings, description: 'The stored settings' },
      errors: [400, 422],
    },
    ({ db, openAiAvailable, conversations }) =>
      async (req, res) => {
        const me = principalOf(res);
        const body = PutAiAssistantBody.parse(req.body);
        const saved = await saveAiAssistantConfig(db, me.orgId, me.userId, (current) => {
          const next = applyAiAssistantPut(current, body);
          const problems = isValidAiConfig(next);
          if (problems.length > 0) {
            throw new HttpError(422, 'invalid_ai_config', `The AI assistant settings would break a rule: ${problems.join('; ')}`, {
              problems,
            });
          }
          return next;
        });
        try {
          await conversations.startOnce(AI_SETTINGS_BROADCAST_WORKFLOW_TYPE, aiSettingsBroadcastWorkflowId(me.orgId, saved.version), {
            orgId: me.orgId,
          });
        } catch {
          throw new HttpError(
            503,
            'temporarily_unavailable',
            'The settings were saved, but running conversations could not be told yet; repeat the request shortly',
          );
        }
        res.json(toAiAssistantView(saved.config, openAiAvailable));
      },
  ),
];

/** Builds the AI assistant router (mounted under `/v1/ai-assistant`, behind auth and `express.json()`). */
export function aiAssistantRouter(deps: AiAssistantRoutesDeps): Router {
  return routerFor(aiAssistantRoutes, deps, { prefix: '/v1/ai-assistant', auth: 'staff' });
}
