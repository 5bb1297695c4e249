/**
 * Reads of `ai_training_pairs` (the assistant's draft next to what a human sent instead), for the
 * admin export `GET /v1/ai-assistant/training-pairs`. Scoped by `org_id`; ordered by `created_at`, `id`.
 */
import { sql } from 'kysely';
import type { Db } from './client';
import { exactIso } from './keyset';
import type { AiTrainingPairRow } from './schema';

/**
 * The JSON view of a training pair: one line of the NDJSON export (the `AiTrainingPair` schema of
 * `api/ai-training-pair-schemas.ts`, which checks at compile time that both stay identical).
 */
export interface TrainingPairJson {
  id: string;
  conversationId: string;
  /** The AI suggestion whose draft this is. */
  suggestionId: string;
  /** The message a human sent instead. */
  messageId: string;
  /** What the assistant drafted. */
  draft: string;
  /** What was actually sent. */
  sent: string;
  /** Whether `sent` differs from `draft`. */
  edited: boolean;
  /** The draft's intent label. */
  intent: string;
  /** Staff user who sent it (`null` when unknown). */
  staffUserId: string | null;
  /** ISO-8601 UTC. */
  createdAt: string;
}

/** Optional bounds of an export: `created_at >= from` and `created_at < to`. */
export interface TrainingPairRange {
  from?: Date;
  to?: Date;
}

/** An `ai_training_pairs` row as the {@link TrainingPairJson} view (`createdAt` ISO-8601 UTC). */
export function toTrainingPairView(row: AiTrainingPairRow): TrainingPairJson {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    suggestionId: row.suggestion_id,
    messageId: row.message_id,
    draft: row.draft,
    sent: row.sent,
    edited: row.edited,
    intent: row.intent,
    staffUserId: row.staff_user_id,
    createdAt: row.created_at.toISOString(),
  };
}

/**
 * The org's training pairs in `range`, by `created_at` then `id`, as pages of at most `pageSize` rows
 * (keyset-paginated on the exact `(created_at, id)`, one query per page, so only one page is in memory
 * at a time). Every yielded page is non-empty; no rows = nothing yielded. Stop early with `return()`.
 * @param pageSize rows per query, ≥ 1 (the export uses 500)
 * @throws the database error of the query of the page being fetched
 */
export async function* trainingPairPages(
  db: Db,
  orgId: string,
  range: TrainingPairRange,
  pageSize: number,
): AsyncGenerator<AiTrainingPairRow[], void, undefined> {
  let after: { createdAt: string; id: string } | undefined;
  for (;;) {
    let q = db
      .selectFrom('ai_training_pairs')
      .selectAll('ai_training_pairs')
      .select(exactIso('ai_training_pairs.created_at').as('cursor_created_at'))
      .where('org_id', '=', orgId);
    if (range.from) q = q.where('created_at', '>=', range.from);
    if (range.to) q = q.where('created_at', '<', range.to);
    if (after) q = q.where(sql<boolean>`(created_at, id) > (${after.createdAt}::timestamptz, ${after.id}::uuid)`);
    const rows = await q
      .orderBy('created_at')
      .orderBy('id')
      .limit(pageSize + 1)
      .execute();
    const more = rows.length > pageSize;
    const page = more ? rows.slice(0, pageSize) : rows;
    if (page.length > 0) yield page.map(({ cursor_created_at: _cursor, ...row }) => row);
    const last = page.at(-1);
    if (!more || !last) return;
    after = { createdAt: last.cursor_created_at, id: last.id };
  }
}
