/**
 * Request and response schemas (zod, with OpenAPI metadata) of `GET /v1/conversations/stats`; the
 * numbers are computed by `db/conversation-stats.ts`.
 */
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import type { ConversationStats as ConversationStatsData } from '../db/conversation-stats';
import { CHANNEL_KINDS } from '../domain/channels';
import { IsoDateTime } from './schemas';

extendZodWithOpenApi(z);

/** Longest range `GET /v1/conversations/stats` accepts, in days. */
export const MAX_STATS_RANGE_DAYS = 366;

/**
 * Query parameters of `GET /v1/conversations/stats` as documented: `from` (inclusive) and `to`
 * (exclusive), both required, ISO-8601 with zone. Parse with {@link ConversationStatsQuery}.
 */
export const ConversationStatsParams = z
  .object({
    from: IsoDateTime.openapi({ description: 'Start of the range, inclusive (ISO-8601 with zone)', example: '2026-01-01T00:00:00Z' }),
    to: IsoDateTime.openapi({
      description: `End of the range, exclusive (ISO-8601 with zone); after \`from\`, at most ${MAX_STATS_RANGE_DAYS} days later`,
      example: '2026-02-01T00:00:00Z',
    }),
  })
  .strict();

/**
 * Parses the query of `GET /v1/conversations/stats` ({@link ConversationStatsParams}) to `Date`s and
 * checks that `from` is before `to` and the range is at most 366 days. A missing or bad value, an
 * unknown key or a bad range → 400 `validation_failed` naming the field (`to` for range errors).
 */
export const ConversationStatsQuery = ConversationStatsParams.transform((q) => ({ from: new Date(q.from), to: new Date(q.to) }))
  .refine((q) => q.from.getTime() < q.to.getTime(), { message: '`to` must be after `from`', path: ['to'] })
  .refine((q) => q.to.getTime() - q.from.getTime() <= MAX_STATS_RANGE_DAYS * 86_400_000, {
    message: `the range must not exceed ${MAX_STATS_RANGE_DAYS} days`,
    path: ['to'],
  });
/** Parsed {@link ConversationStatsQuery}: the half-open range `[from, to)`. */
export type ConversationStatsQuery = z.infer<typeof ConversationStatsQuery>;

const Count = z.number().int().min(0);
const AverageSeconds = z
  .number()
  .min(0)
  .openapi({ description: 'Mean seconds from the first inbound message to the first response (may be fractional)', example: 754.5 });
const Responded = Count.openapi({ description: 'Conversations of the group that got a response (the others are not averaged)' });

/**
 * 200 body of `GET /v1/conversations/stats`, over the caller's org's conversations created in
 * `[from, to)` (`from`/`to` echoed as ISO-8601 UTC):
 * - `totals`: how many, by current status and by channel (every key present, 0 when none);
 * - `ai.suggestions`: AI drafts created in the range, counted by decision (`auto_send` → `autoSent`,
 *   `suggest` → `suggested`, `hand_off` → `handedOff`);
 * - `ai.resolution`: closed conversations, those whose outbound replies (≥ 1, internal notes aside) were
 *   all written by the AI, and their `ratio` (`null` when none is closed);
 * - `firstResponse`: mean seconds from a conversation's first inbound message to the first staff or AI
 *   reply after it (not a note), by channel (sms, whatsapp, email, chat order; only channels with a
 *   responded conversation) and by intent of the conversation's earliest AI suggestion (`unknown`
 *   without one; most conversations first).
 */
export const ConversationStats = z
  .object({
    from: IsoDateTime,
    to: IsoDateTime,
    totals: z.object({
      conversations: Count,
      byStatus: z.object({ open: Count, pending: Count, snoozed: Count, closed: Count }),
      byChannel: z.object({ sms: Count, whatsapp: Count, email: Count, chat: Count }),
    }),
    ai: z.object({
      suggestions: z.object({ autoSent: Count, suggested: Count, handedOff: Count }),
      resolution: z.object({
        closed: Count,
        resolvedByAi: Count,
        ratio: z.number().min(0).max(1).nullable().openapi({ description: '`resolvedByAi / closed`; `null` when `closed` is 0' }),
      }),
    }),
    firstResponse: z.object({
      byChannel: z.array(z.object({ channel: z.enum(CHANNEL_KINDS), conversations: Responded, averageSeconds: AverageSeconds })),
      byIntent: z.array(
        z.object({
          intent: z.string().openapi({ description: "Intent of the conversation's earliest AI suggestion, `unknown` without one" }),
          conversations: Responded,
          averageSeconds: AverageSeconds,
        }),
      ),
    }),
  })
  .openapi('ConversationStats');
/** JSON shape of {@link ConversationStats}. */
export type ConversationStatsView = z.infer<typeof ConversationStats>;

/** `true` when `A` and `B` are mutually assignable. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** Compiles only when `T` is `true`. */
type Assert<T extends true> = T;
/**
 * Compile-time guard (no run-time value): what `conversationStats` in `db/conversation-stats.ts`
 * computes is exactly the {@link ConversationStats} schema without `from` and `to`.
 */
export type ConversationStatsMatchSchema = Assert<Same<Omit<ConversationStatsView, 'from' | 'to'>, ConversationStatsData>>;
