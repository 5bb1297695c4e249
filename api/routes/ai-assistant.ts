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
import { Router } from 'express';
import type { Db } from '../../db/client';
import { AI_SETTINGS_BROADCAST_WORKFLOW_TYPE, aiSettingsBroadcastWorkflowId } from '../../workflows/ai-settings-broadcast';
import type { ConversationClient } from '../../workflows/conversation/client';
import { loadAiAssistantConfig, saveAiAssistantConfig } from '../../db/ai-assistant-settings';
import { isValidAiConfig } from '../../domain/ai-assistant';
import { principalOf } from '../auth';
import { HttpError } from '../errors';
import { PutAiAssistantBody, applyAiAssistantPut, toAiAssistantView } from '../ai-assistant-schemas';

/**
 * Builds the AI assistant router (mounted under `/v1/ai-assistant`, behind auth and `express.json()`).
 * @param openAiAvailable whether OPENAI_API_KEY is configured (shown as `available`; changes nothing else)
 * @param conversations starts the settings broadcast after a `PUT`
 */
export function aiAssistantRouter({
  db,
  openAiAvailable,
  conversations,
}: {
  db: Db;
  openAiAvailable: boolean;
  conversations: Pick<ConversationClient, 'startOnce'>;
}): Router {
  const router = Router();

  router.get('/', async (_req, res) => {
    const me = principalOf(res);
    res.json(toAiAssistantView(await loadAiAssistantConfig(db, me.orgId), openAiAvailable));
  });

  /**
   * Partial update: the given fields replace the current config's (stored, else the defaults), the rest
   * is kept; the whole result is re-checked ({@link isValidAiConfig}, 422 `invalid_ai_config` with
   * `details.problems`) and stored as a full config with the next `version`. Row-locked so concurrent
   * changes do not mix. Then the broadcast to running conversations is started; if Temporal does not
   * accept it → 503 `temporarily_unavailable` (the settings ARE saved: repeating the same `PUT` is harmless).
   */
  router.put('/', async (req, res) => {
    const me = principalOf(res);
    if (me.role !== 'admin') throw new HttpError(403, 'forbidden', 'Only admins can change the AI assistant settings');
    const body = PutAiAssistantBody.parse(req.body);
    const saved = await saveAiAssistantConfig(db, me.orgId, me.userId, (current) => {
      const next = applyAiAssistantPut(current, body);
      const problems = isValidAiConfig(next);
      if (problems.length > 0) {
        throw new HttpError(422, 'invalid_ai_config', `The AI assistant settings would break a rule: ${problems.join('; ')}`, { problems });
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
  });

  return router;
}
