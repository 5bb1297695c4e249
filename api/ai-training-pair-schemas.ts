/**
 * Schemas (zod, with OpenAPI metadata) of the admin export `GET /v1/ai-assistant/training-pairs`:
 * its query and the JSON object on each NDJSON line.
 */
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import type { TrainingPairJson } from '../db/ai-training-pairs';
import { IsoDateTime } from './schemas';
import type { Assert, Same } from './type-assertions';

extendZodWithOpenApi(z);

/**
 * One line of the export: the assistant's draft for a customer message next to what a human sent
 * instead. `createdAt` ISO-8601 UTC; `staffUserId` `null` when unknown.
 */
export const AiTrainingPair = z
  .object({
    id: z.uuid(),
    conversationId: z.uuid(),
    suggestionId: z.uuid().openapi({ description: 'The AI suggestion whose draft this is' }),
    messageId: z.uuid().openapi({ description: 'The message a human sent instead' }),
    draft: z.string().openapi({ description: 'What the assistant drafted' }),
    sent: z.string().openapi({ description: 'What was actually sent' }),
    edited: z.boolean().openapi({ description: 'Whether `sent` differs from `draft`' }),
    intent: z.string().openapi({ description: "The draft's intent label" }),
    staffUserId: z.string().nullable().openapi({ description: 'Staff user who sent it' }),
    createdAt: IsoDateTime,
  })
  .openapi('AiTrainingPair');
/** JSON shape of {@link AiTrainingPair} (built by `toTrainingPairView` in `db/ai-training-pairs.ts`). */
export type AiTrainingPairView = z.infer<typeof AiTrainingPair>;

/**
 * Compile-time guard (no run-time value): `toTrainingPairView` builds exactly the {@link AiTrainingPair}
 * schema's shape ({@link TrainingPairJson}), so the OpenAPI document cannot drift from the export.
 */
export type AiTrainingPairViewMatchesSchema = Assert<Same<AiTrainingPairView, TrainingPairJson>>;

/**
 * Query parameters of `GET /v1/ai-assistant/training-pairs` as documented: optional `from` (inclusive)
 * and `to` (exclusive) bounds on the pair's creation time, ISO-8601 with zone. Parse with {@link TrainingPairsQuery}.
 */
export const TrainingPairsParams = z
  .object({
    from: IsoDateTime.optional().openapi({ description: 'Only pairs created at or after this time (ISO-8601 with zone)' }),
    to: IsoDateTime.optional().openapi({ description: 'Only pairs created before this time (ISO-8601 with zone); after `from`' }),
  })
  .strict();

/**
 * Parses the query of `GET /v1/ai-assistant/training-pairs` ({@link TrainingPairsParams}) to optional
 * `Date`s; when both are given `from` must be before `to`. A bad value, an unknown key or an empty
 * range → 400 `validation_failed` naming the field.
 */
export const TrainingPairsQuery = TrainingPairsParams.transform((q) => ({
  from: q.from !== undefined ? new Date(q.from) : undefined,
  to: q.to !== undefined ? new Date(q.to) : undefined,
})).refine((q) => q.from === undefined || q.to === undefined || q.from.getTime() < q.to.getTime(), {
  message: '`to` must be after `from`',
  path: ['to'],
});
/** Parsed {@link TrainingPairsQuery}: the optional bounds. */
export type TrainingPairsQuery = z.infer<typeof TrainingPairsQuery>;
