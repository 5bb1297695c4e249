/** AI reply suggestions (`ai_suggestions`) as the API reads them; the workflow's activities write them. */
import type { Db } from './client';
import type { AiSuggestionRow } from './schema';

/** Most suggestions {@link listConversationSuggestions} returns. */
export const SUGGESTION_LIST_LIMIT = 50;

/**
 * The conversation's newest suggestions (at most {@link SUGGESTION_LIST_LIMIT}), newest first
 * (`created_at` desc, then id desc); scoped by `org_id`.
 */
export async function listConversationSuggestions(db: Db, orgId: string, conversationId: string): Promise<AiSuggestionRow[]> {
  return db
    .selectFrom('ai_suggestions')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('conversation_id', '=', conversationId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(SUGGESTION_LIST_LIMIT)
    .execute();
}

/**
 * The suggestion with this id, unscoped: callers must already know it belongs to a conversation of
 * the caller's org (e.g. the workflow just accepted an update naming it). Throws `NoResultError` if
 * there is none.
 */
export async function getSuggestion(db: Db, suggestionId: string): Promise<AiSuggestionRow> {
  return db.selectFrom('ai_suggestions').selectAll().where('id', '=', suggestionId).executeTakeFirstOrThrow();
}
