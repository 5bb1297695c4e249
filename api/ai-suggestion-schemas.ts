/**
 * Schemas (zod, with OpenAPI metadata) and views of the AI assistant's suggestions:
 * `GET /v1/conversations/{id}/suggestions`, `…/suggestions/{suggestionId}/send` and `…/dismiss`,
 * and the `pendingSuggestion` embedded in a conversation.
 */
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import type { AiSuggestionRow } from '../db/schema';
import { AiSuggestion, text } from './schemas';

extendZodWithOpenApi(z);

export { AiSuggestion };
/** JSON shape of {@link AiSuggestion}. */
export type AiSuggestionView = z.infer<typeof AiSuggestion>;

/** 200 body of `GET /v1/conversations/{id}/suggestions`: newest first (at most 50). */
export const AiSuggestionList = z.object({ data: z.array(AiSuggestion) }).openapi('AiSuggestionList');

/** Params of the suggestion commands. */
export const SuggestionParams = z.object({ id: z.uuid(), suggestionId: z.uuid() });

/**
 * Body of `POST /v1/conversations/{id}/suggestions/{suggestionId}/send`: optional edited `text`
 * (trimmed, 1–10 000 characters); without it the draft is sent as it is. An empty body is fine.
 */
export const SendSuggestionBody = z
  .object({
    text: text(10_000).optional().openapi({ description: 'Edited reply; default: the draft unchanged' }),
    force: z
      .boolean()
      .default(false)
      .openapi({ description: 'Email: send even to a hard-bounced address (else 422 `email_address_bounced`)' }),
  })
  .strict()
  .openapi('SendSuggestion');

const iso = (d: Date | string): string => new Date(d).toISOString();
const isoOrNull = (d: Date | string | null): string | null => (d === null ? null : iso(d));

/** A selected `ai_suggestions` row as {@link AiSuggestion}. */
export function toSuggestionView(row: AiSuggestionRow): AiSuggestionView {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    triggerMessageId: row.trigger_message_id,
    decision: row.decision,
    status: row.status,
    reasons: row.reasons,
    reply: row.reply,
    confidence: row.confidence,
    complexity: row.complexity,
    intent: row.intent,
    handoff: row.handoff,
    handoffReason: row.handoff_reason,
    model: row.model,
    sendAt: isoOrNull(row.send_at),
    messageId: row.message_id,
    resolvedBy: row.resolved_by,
    resolvedAt: isoOrNull(row.resolved_at),
    errorMessage: row.error_message ?? null,
    createdAt: iso(row.created_at),
  };
}

/**
 * The pending suggestion as selected with `to_jsonb(ai_suggestions.*)` (timestamps as text) → {@link AiSuggestion}.
 * `null` stays `null`.
 */
export function suggestionViewFromJson(json: unknown): AiSuggestionView | null {
  if (json === null || json === undefined) return null;
  const row = json as Omit<AiSuggestionRow, 'send_at' | 'resolved_at' | 'created_at' | 'updated_at'> & {
    send_at: string | null;
    resolved_at: string | null;
    created_at: string;
    updated_at: string;
  };
  return toSuggestionView({
    ...row,
    send_at: row.send_at === null ? null : new Date(row.send_at),
    resolved_at: row.resolved_at === null ? null : new Date(row.resolved_at),
    created_at: new Date(row.created_at),
    updated_at: new Date(row.updated_at),
  });
}
