/**
 * Request and response schemas (zod, with OpenAPI metadata) of `/v1/conversations/sla`: an org's SLA
 * settings (targets, business hours, pausing, warning, priority overrides). They mirror `SlaSettings`
 * (domain/sla.ts) and `BusinessCalendar` (domain/business-time.ts); the calendar rules that need more
 * than a shape (known time zone, start before end, no overlaps, real dates) are checked by
 * `calendarIssues` in the route (422 `invalid_sla_settings`).
 */
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { WEEKDAYS } from '../domain/business-time';
import { IsoDateTime } from './schemas';

extendZodWithOpenApi(z);

/** Longest target: one year of minutes. */
export const MAX_SLA_MINUTES = 525_600;

const Minutes = z.number().int().min(1).max(MAX_SLA_MINUTES);
const HhMm = z
  .string()
  .regex(/^\d{2}:\d{2}$/, 'must be HH:MM')
  .openapi({ description: 'Local wall-clock time `HH:MM` (24 h); an `end` may be `24:00`', example: '09:00' });

/** A weekly opening period in the calendar's zone (may not cross midnight). */
export const SlaPeriod = z
  .object({
    day: z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const satisfies readonly (typeof WEEKDAYS)[number][]),
    start: HhMm,
    end: HhMm,
  })
  .strict()
  .openapi('SlaPeriod');

/** Opening hours: IANA time zone, weekly periods, holiday dates. */
export const SlaBusinessHours = z
  .object({
    timeZone: z.string().min(1).max(64).openapi({ description: 'IANA time zone', example: 'America/New_York' }),
    periods: z
      .array(SlaPeriod)
      .max(100)
      .openapi({
        description:
          'Weekly opening periods, several per day allowed (e.g. 09:00–12:00 and 13:00–17:00). A period may not cross ' +
          'midnight (write an overnight shift as …–24:00 and 00:00–… on the next day); periods of a day may not overlap; at least one',
      }),
    holidays: z
      .array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD'))
      .max(1_000)
      .default([])
      .openapi({ description: 'Closed days, `YYYY-MM-DD` in `timeZone`' }),
  })
  .strict()
  .openapi('SlaBusinessHours');

/** Targets replacing the org's for one priority (each optional). */
export const SlaTargetOverride = z
  .object({
    firstResponseMinutes: Minutes.optional(),
    nextResponseMinutes: Minutes.optional(),
    resolutionMinutes: Minutes.nullable().optional().openapi({ description: '`null` = no resolution target for this priority' }),
  })
  .strict()
  .openapi('SlaTargetOverride');

/** Body of `PUT /v1/conversations/sla` (replaces every setting; optional fields take their defaults). */
export const PutSlaSettingsBody = z
  .object({
    firstResponseMinutes: Minutes.openapi({ description: 'Business minutes allowed for the first staff reply' }),
    nextResponseMinutes: Minutes.openapi({ description: 'Business minutes allowed for each later staff reply' }),
    resolutionMinutes: Minutes.nullable()
      .default(null)
      .openapi({ description: 'Business minutes from the customer opening the conversation to closing it; `null` = no target' }),
    businessHours: SlaBusinessHours.nullable().openapi({ description: 'Opening hours the targets count in; `null` = 24/7' }),
    pauseWhile: z
      .object({ pending: z.boolean(), snoozed: z.boolean() })
      .strict()
      .default({ pending: false, snoozed: false })
      .openapi({ description: 'Whether the clocks stop while the conversation is `pending` (waiting on the customer) / `snoozed`' }),
    warningMinutes: z
      .number()
      .int()
      .min(0)
      .max(MAX_SLA_MINUTES)
      .default(0)
      .openapi({ description: 'Business minutes before a breach at which the conversation turns `atRisk`; 0 = no warning' }),
    priorityOverrides: z
      .object({ urgent: SlaTargetOverride, high: SlaTargetOverride, normal: SlaTargetOverride, low: SlaTargetOverride })
      .partial()
      .strict()
      .default({})
      .openapi({ description: 'Targets replacing the ones above for a priority, e.g. tighter for `urgent`' }),
  })
  .strict()
  .openapi('PutSlaSettings');
/** Parsed {@link PutSlaSettingsBody}. */
export type PutSlaSettingsBody = z.infer<typeof PutSlaSettingsBody>;

/** 200 body of `GET` / `PUT /v1/conversations/sla`: every setting (defaults filled in), its version and time. */
export const SlaSettingsView = z
  .object({
    firstResponseMinutes: Minutes,
    nextResponseMinutes: Minutes,
    resolutionMinutes: Minutes.nullable(),
    businessHours: SlaBusinessHours.nullable(),
    pauseWhile: z.object({ pending: z.boolean(), snoozed: z.boolean() }),
    warningMinutes: z.number().int().min(0),
    priorityOverrides: z
      .object({ urgent: SlaTargetOverride, high: SlaTargetOverride, normal: SlaTargetOverride, low: SlaTargetOverride })
      .partial(),
    version: z.number().int().min(0).openapi({ description: 'Increments with every change; 0 = never saved (defaults)' }),
    updatedAt: IsoDateTime.nullable().openapi({ description: '`null` = never saved' }),
  })
  .openapi('SlaSettings');
/** JSON shape of {@link SlaSettingsView}. */
export type SlaSettingsView = z.infer<typeof SlaSettingsView>;

/** Query of `GET /v1/conversations/overdue/count`. */
export const OverdueCountQuery = z
  .object({
    scope: z.enum(['mine', 'team', 'all']).optional().openapi({
      description: '`mine` = assigned to me, `team` = assigned to one of my teams, `all` (default) = the whole org',
    }),
  })
  .strict();

/** 200 body of `GET /v1/conversations/overdue/count`. */
export const OverdueCount = z
  .object({
    count: z.number().int().min(0).openapi({ description: 'Conversations not closed with a breached SLA target' }),
    atRisk: z.number().int().min(0).openapi({ description: 'Conversations not closed past a warning instant, not breached yet' }),
  })
  .openapi('OverdueCount');
