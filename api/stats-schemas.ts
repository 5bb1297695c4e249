/**
 * Request and response schemas (zod, with OpenAPI metadata) of `GET /v1/conversations/stats`; the
 * numbers are computed by `db/conversation-stats.ts`.
 */
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import type { ConversationStats as ConversationStatsData } from '../db/conversation-stats';
import { CHANNEL_KINDS, type ChannelKind } from '../channels/kinds';
import { IsoDateTime } from './schemas';
import type { Assert, Same } from './type-assertions';

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
 * - `ai.decisions`: AI suggestions created in the range by what the assistant decided (`failed` = no usable draft);
 * - `ai.outcomes`: the same suggestions by what became of them (`cancelled`: auto-sends that did not go out);
 * - `ai.suggestions` (deprecated): decision counts under their old names (`autoSent` counts auto-send
 *   decisions, including cancelled ones; no `failed`);
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
      byChannel: z.object(Object.fromEntries(CHANNEL_KINDS.map((kind) => [kind, Count])) as Record<ChannelKind, typeof Count>),
    }),
    ai: z.object({
      suggestions: z.object({ autoSent: Count, suggested: Count, handedOff: Count }).openapi({
        deprecated: true,
        description:
          'Deprecated, use `decisions` and `outcomes`. Suggestions by DECISION under old names: `autoSent` = auto-send ' +
          'decisions (including those a human then cancelled), `suggested`, `handedOff`; failed ones are not counted.',
      }),
      decisions: z
        .object({
          autoSend: Count.openapi({ description: 'Drafts the assistant decided to send itself (held for `autoSendDelay`)' }),
          suggest: Count.openapi({ description: 'Drafts left for staff' }),
          handOff: Count.openapi({ description: 'Hand-offs to a human' }),
          failed: Count.openapi({
            description: 'Turns without a usable draft: the model refused, its output was invalid, or OpenAI stayed unavailable',
          }),
        })
        .openapi({ description: 'AI suggestions created in the range, by what the assistant decided (each counts once)' }),
      outcomes: z
        .object({
          autoSent: Count.openapi({ description: 'Sent by the assistant itself' }),
          cancelled: Count.openapi({
            description:
              'Auto-send decisions that did not go out (a human acted during the hold, a newer customer message, or closing); ' +
              'also counted by their final status (`sentByStaff`, `dismissed`, `superseded`)',
          }),
          sentByStaff: Count.openapi({ description: 'Sent by staff, as drafted or edited' }),
          dismissed: Count.openapi({ description: 'Dismissed by staff' }),
          superseded: Count.openapi({ description: 'Replaced by a draft for a newer customer message' }),
        })
        .openapi({
          description:
            "The same suggestions by what became of them; open ones, ones answered in staff's own words, closed unused, " +
            'handed off or failed are in no outcome (except `cancelled` for auto-sends)',
        }),
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
          intent: z
            .string()
            .openapi({ description: "Intent of the conversation's earliest AI suggestion (failed ones aside), `unknown` without one" }),
          conversations: Responded,
          averageSeconds: AverageSeconds,
        }),
      ),
    }),
  })
  .openapi('ConversationStats');
/** JSON shape of {@link ConversationStats}. */
export type ConversationStatsView = z.infer<typeof ConversationStats>;

/**
 * Compile-time guard (no run-time value): what `conversationStats` in `db/conversation-stats.ts`
 * computes is exactly the {@link ConversationStats} schema without `from` and `to`.
 */
export type ConversationStatsMatchSchema = Assert<Same<Omit<ConversationStatsView, 'from' | 'to'>, ConversationStatsData>>;
