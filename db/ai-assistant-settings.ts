/**
 * Reading and saving an org's AI assistant settings (`ai_assistant_settings`), for the API and the workflow's activities.
 */
import { AGENT_TOOLS, type AiAssistantConfig, DEFAULT_AI_ASSISTANT_CONFIG } from '../domain/ai-assistant';
import { sql } from 'kysely';
import type { Db } from './client';

/**
 * A stored (possibly partial or older) config merged over {@link DEFAULT_AI_ASSISTANT_CONFIG}:
 * known fields only; `undefined` (no row) = the defaults.
 */
export function mergeAiAssistantConfig(stored: Partial<AiAssistantConfig> | undefined): AiAssistantConfig {
  const d = DEFAULT_AI_ASSISTANT_CONFIG;
  const s = stored ?? {};
  const agent = s.agentTools ?? d.agentTools;
  return {
    enabled: s.enabled ?? d.enabled,
    mode: s.mode ?? d.mode,
    instructions: s.instructions ?? d.instructions,
    channels: [...(s.channels ?? d.channels)],
    autoSendConfidence: s.autoSendConfidence ?? d.autoSendConfidence,
    maxAutoSendComplexity: s.maxAutoSendComplexity ?? d.maxAutoSendComplexity,
    autoSendDelaySeconds: s.autoSendDelaySeconds ?? d.autoSendDelaySeconds,
    model: s.model ?? d.model,
    agentTools: {
      enabled: agent.enabled ?? d.agentTools.enabled,
      tools: [...(agent.tools ?? AGENT_TOOLS)],
      maxSteps: agent.maxSteps ?? d.agentTools.maxSteps,
      // configs stored before `scope` existed get the safe default (tools bound to the conversation)
      scope: agent.scope ?? d.agentTools.scope,
    },
  };
}

/** The org's AI assistant config (stored values over the defaults). */
export async function loadAiAssistantConfig(db: Db, orgId: string): Promise<AiAssistantConfig> {
  return (await loadVersionedAiAssistantConfig(db, orgId)).config;
}

/** An org's config with its `version` (0 = never saved; each `PUT /v1/ai-assistant` adds 1). */
export interface VersionedAiAssistantConfig {
  version: number;
  config: AiAssistantConfig;
}

/** The org's AI assistant config (stored values over the defaults) and its version. */
export async function loadVersionedAiAssistantConfig(db: Db, orgId: string): Promise<VersionedAiAssistantConfig> {
  const row = await db.selectFrom('ai_assistant_settings').select(['config', 'version']).where('org_id', '=', orgId).executeTakeFirst();
  return { version: row?.version ?? 0, config: mergeAiAssistantConfig(row?.config) };
}

/**
 * Changes the org's settings in one transaction: locks the row (`FOR UPDATE`, so concurrent changes
 * do not mix), asks `change` for the next full config given the current one (stored values over the
 * defaults; it may throw to abort: nothing is written and the error propagates), stores it as the whole
 * config by `updatedBy` and bumps `version` (1 for the first save).
 * @returns the stored config and its new version
 */
export async function saveAiAssistantConfig(
  db: Db,
  orgId: string,
  updatedBy: string,
  change: (current: AiAssistantConfig) => AiAssistantConfig,
): Promise<VersionedAiAssistantConfig> {
  return db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('ai_assistant_settings').select('config').where('org_id', '=', orgId).forUpdate().executeTakeFirst();
    const next = change(mergeAiAssistantConfig(row?.config));
    const config = JSON.stringify(next);
    const { version } = await trx
      .insertInto('ai_assistant_settings')
      .values({ org_id: orgId, config, updated_by: updatedBy, version: 1 })
      .onConflict((oc) =>
        oc.column('org_id').doUpdateSet({
          config,
          updated_by: updatedBy,
          updated_at: sql<Date>`now()`,
          version: sql<number>`ai_assistant_settings.version + 1`,
        }),
      )
      .returning('version')
      .executeTakeFirstOrThrow();
    return { config: next, version };
  });
}
