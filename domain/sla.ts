import { type BusinessCalendar, addBusinessMs, businessMsBetween } from './business-time';

/**
 * SLA (service-level agreement) policy: how long a customer may wait for a staff reply.
 *
 * - First response: the customer's first unanswered message in a conversation that has never
 *   had a staff reply must be answered within `firstResponseMinutes`.
 * - Next response: after the team has replied at least once, a new customer message must be
 *   answered within `nextResponseMinutes`.
 * The clock starts at the first unanswered customer message (later messages do not move it)
 * and is cleared by a staff reply (not by an internal note) or by closing; snoozing keeps it running.
 *
 * That wall-clock rule ({@link slaDueAt}) is what runs from before patch `sla-business-hours` keep.
 * Since then {@link applySla} runs the clocks in business time (domain/business-time.ts) with a
 * resolution target, a warning (`atRisk`), pausing while pending / snoozed and per-priority targets.
 */
export interface SlaPolicy {
  /** Minutes allowed for the first staff response. */
  firstResponseMinutes: number;
  /** Minutes allowed for each later staff response. */
  nextResponseMinutes: number;
}

/** Defaults applied to a new org: 60 min first response, 240 min (4 h) next response. */
export const DEFAULT_SLA_POLICY: SlaPolicy = { firstResponseMinutes: 60, nextResponseMinutes: 240 };

/**
 * The SLA deadline (epoch ms) for a customer message received at `receivedAtMs`.
 * @param hasStaffReplied whether the conversation already had a staff reply (selects the target)
 */
export function slaDueAt(policy: SlaPolicy, receivedAtMs: number, hasStaffReplied: boolean): number {
  const minutes = hasStaffReplied ? policy.nextResponseMinutes : policy.firstResponseMinutes;
  return receivedAtMs + minutes * 60_000;
}

// ---- SLA settings with business hours (patch `sla-business-hours`) ----------------------------

/** Targets (minutes) of one priority: `resolutionMinutes` `null` / absent = no resolution target. */
export interface SlaTargets {
  firstResponseMinutes: number;
  nextResponseMinutes: number;
  resolutionMinutes?: number | null;
}

/** Priorities that may override the targets. */
export type SlaPriority = 'low' | 'normal' | 'high' | 'urgent';

/**
 * An org's full SLA settings (`GET/PUT /v1/conversations/sla`), also what a conversation run carries.
 * The base {@link SlaPolicy} fields are always there (runs recorded before these settings carry only
 * them; read the others as optional, see {@link effectiveSla}).
 */
export interface SlaSettings extends SlaTargets {
  /** Opening hours the clocks count in; `null` = 24/7. */
  businessHours?: BusinessCalendar | null;
  /** Whether the clocks stop while the conversation is `pending` / `snoozed`. */
  pauseWhile?: { pending: boolean; snoozed: boolean };
  /** Minutes (business time) before a breach at which a clock turns `atRisk`; 0 = no warning. */
  warningMinutes?: number;
  /** Targets replacing the base ones for a priority (each field optional). */
  priorityOverrides?: Partial<Record<SlaPriority, Partial<SlaTargets>>>;
  /** Settings version (increments with every PUT; a run keeps the highest it saw). */
  version?: number;
}

/** {@link SlaSettings} with every optional field filled in. */
export interface EffectiveSla {
  businessHours: BusinessCalendar | null;
  pauseWhile: { pending: boolean; snoozed: boolean };
  warningMinutes: number;
  targets: (priority: SlaPriority) => Required<SlaTargets>;
}

/** Fills the defaults in: 24/7, no pausing, no warning, no overrides, no resolution target. */
export function effectiveSla(settings: SlaSettings): EffectiveSla {
  return {
    businessHours: settings.businessHours ?? null,
    pauseWhile: settings.pauseWhile ?? { pending: false, snoozed: false },
    warningMinutes: settings.warningMinutes ?? 0,
    targets: (priority) => {
      const o = settings.priorityOverrides?.[priority] ?? {};
      return {
        firstResponseMinutes: o.firstResponseMinutes ?? settings.firstResponseMinutes,
        nextResponseMinutes: o.nextResponseMinutes ?? settings.nextResponseMinutes,
        resolutionMinutes: o.resolutionMinutes !== undefined ? o.resolutionMinutes : (settings.resolutionMinutes ?? null),
      };
    },
  };
}

/** The kind of an SLA clock: first response, next response, or resolution (open → closed). */
export type SlaClockKind = 'first' | 'next' | 'resolution';

/**
 * One running (or paused) SLA clock, stored in the conversation state. Business time is counted in
 * segments: `elapsedMs` of business time before the current segment, which runs since
 * `runningSince` (ISO-8601; `null` = paused). `dueAt` / `atRiskAt` (ISO-8601) are derived from those,
 * the settings and the priority (`null` while paused); `atRisk` / `breached` are set when they pass.
 */
export interface SlaClock {
  kind: SlaClockKind;
  startedAt: string;
  elapsedMs: number;
  runningSince: string | null;
  dueAt: string | null;
  atRiskAt: string | null;
  atRisk: boolean;
  breached: boolean;
}

/** The SLA part of a conversation's state: the response clock (first or next) and the resolution clock. */
export interface SlaClocks {
  response: SlaClock | null;
  resolution: SlaClock | null;
}

/** What a conversation shows of its SLA (`sla` in the API views; ISO-8601 instants). */
export interface SlaView {
  firstResponseDueAt: string | null;
  nextResponseDueAt: string | null;
  resolutionDueAt: string | null;
  /** A clock passed its warning instant and is not breached yet. */
  atRisk: boolean;
  /** A clock is breached. */
  overdue: boolean;
}

const isoOf = (ms: number): string => new Date(ms).toISOString();

/** The target (minutes) of a clock kind for a priority; `null` = no target (no resolution target). */
export function targetMinutes(settings: SlaSettings, priority: SlaPriority, kind: SlaClockKind): number | null {
  const t = effectiveSla(settings).targets(priority);
  if (kind === 'first') return t.firstResponseMinutes;
  if (kind === 'next') return t.nextResponseMinutes;
  return t.resolutionMinutes;
}

/**
 * Recomputes a clock at `nowMs`: pauses or resumes it (`paused`), then derives `dueAt` and
 * `atRiskAt` in business time from the remaining target and sets `atRisk` / `breached` for the
 * instants that have passed. Pure; returns a new clock.
 * - due = the instant when (target − elapsed) more business minutes have passed since `runningSince`;
 * - atRiskAt = the same with (target − warning − elapsed) (`null` without a warning);
 * - a paused clock keeps its flags and shows no instants.
 */
export function settleClock(clock: SlaClock, settings: SlaSettings, priority: SlaPriority, paused: boolean, nowMs: number): SlaClock {
  const eff = effectiveSla(settings);
  const cal = eff.businessHours;
  const target = targetMinutes(settings, priority, clock.kind) ?? 0;
  let { elapsedMs, runningSince } = clock;
  if (paused && runningSince !== null) {
    elapsedMs += businessMsBetween(cal, Date.parse(runningSince), nowMs);
    runningSince = null;
  } else if (!paused && runningSince === null) {
    runningSince = isoOf(nowMs);
  }
  const targetMs = Math.round(target * 60_000);
  const warningMs = Math.round(eff.warningMinutes * 60_000);
  if (runningSince === null) {
    return {
      ...clock,
      elapsedMs,
      runningSince,
      dueAt: null,
      atRiskAt: null,
      breached: elapsedMs >= targetMs,
      atRisk: warningMs > 0 && elapsedMs >= targetMs - warningMs,
    };
  }
  const since = Date.parse(runningSince);
  const due = addBusinessMs(cal, since, targetMs - elapsedMs);
  const atRiskAt = warningMs > 0 ? addBusinessMs(cal, since, targetMs - warningMs - elapsedMs) : null;
  return {
    ...clock,
    elapsedMs,
    runningSince,
    dueAt: isoOf(due),
    atRiskAt: atRiskAt === null ? null : isoOf(atRiskAt),
    breached: due <= nowMs,
    atRisk: atRiskAt !== null && atRiskAt <= nowMs,
  };
}

/** A new clock of `kind` started at `atMs`, settled at `nowMs`. */
export function startClock(kind: SlaClockKind, settings: SlaSettings, priority: SlaPriority, atMs: number, nowMs: number): SlaClock {
  const clock: SlaClock = {
    kind,
    startedAt: isoOf(atMs),
    elapsedMs: 0,
    runningSince: isoOf(atMs),
    dueAt: null,
    atRiskAt: null,
    atRisk: false,
    breached: false,
  };
  return settleClock(clock, settings, priority, false, nowMs);
}

/** The next instant (epoch ms) at which a clock turns at risk or breached, or `null`. */
export function nextClockDeadline(clocks: SlaClocks | undefined | null): number | null {
  if (!clocks) return null;
  const times: number[] = [];
  for (const c of [clocks.response, clocks.resolution]) {
    if (!c || c.runningSince === null) continue;
    if (!c.atRisk && c.atRiskAt !== null) times.push(Date.parse(c.atRiskAt));
    if (!c.breached && c.dueAt !== null) times.push(Date.parse(c.dueAt));
  }
  return times.length === 0 ? null : Math.min(...times);
}

/** The API's {@link SlaView} of the clocks (all `null` / `false` without clocks). */
export function slaViewOf(clocks: SlaClocks | undefined | null): SlaView {
  const r = clocks?.response ?? null;
  const z = clocks?.resolution ?? null;
  const all = [r, z].filter((c): c is SlaClock => c !== null);
  return {
    firstResponseDueAt: r?.kind === 'first' ? r.dueAt : null,
    nextResponseDueAt: r?.kind === 'next' ? r.dueAt : null,
    resolutionDueAt: z?.dueAt ?? null,
    atRisk: all.some((c) => c.atRisk && !c.breached),
    overdue: all.some((c) => c.breached),
  };
}

/** The conversation-state fields the SLA rules read and write (structural: domain/conversation's state). */
export interface SlaStateFields {
  status: 'open' | 'pending' | 'snoozed' | 'closed';
  priority: SlaPriority;
  hasStaffReplied: boolean;
  lastCustomerMessageAt: string | null;
  /** The response clock's due instant (kept for lists and older readers). */
  slaDueAt: string | null;
  /** Any clock breached. */
  overdue: boolean;
  /** Absent in states written before business-hours SLAs. */
  slaClocks?: SlaClocks;
}

/** What happened to the conversation, for {@link applySla}. */
export type SlaEvent =
  /** A customer message (not an auto-reply) received at `atMs`: starts the response and resolution clocks if not running. */
  | { type: 'customerMessage'; atMs: number }
  /** A staff or AI reply (not an internal note): stops the response clock. */
  | { type: 'staffReply' }
  /** Anything else (status, priority, settings, time passing): pause / resume / retarget / fire. */
  | { type: 'sync' };

/**
 * The SLA rules with business hours, applied after each state change of a conversation (patch
 * `sla-business-hours`; runs from before keep {@link slaDueAt}'s wall-clock rule):
 * - a customer message starts the response clock (first response before any staff reply, next
 *   response after) unless it runs, and the resolution clock when a resolution target exists;
 * - a staff reply stops the response clock; closing stops both (the next customer message restarts them);
 * - the clocks pause while `pending` / `snoozed` when `pauseWhile` says so, and resume on any other status;
 * - due and warning instants are business time (see {@link settleClock}), per the priority's targets;
 * - `slaDueAt` mirrors the response clock's due instant, `overdue` is "any clock breached".
 * A state without `slaClocks` (written before) whose customer is waiting gets a response clock
 * from its last customer message. Pure: returns a new state.
 */
export function applySla<S extends SlaStateFields>(state: S, settings: SlaSettings, event: SlaEvent, nowMs: number): S {
  let response = state.slaClocks?.response ?? null;
  let resolution = state.slaClocks?.resolution ?? null;
  if (state.slaClocks === undefined && state.slaDueAt !== null && state.status !== 'closed' && state.lastCustomerMessageAt !== null) {
    response = startClock(
      state.hasStaffReplied ? 'next' : 'first',
      settings,
      state.priority,
      Date.parse(state.lastCustomerMessageAt),
      nowMs,
    );
  }
  if (event.type === 'customerMessage') {
    response ??= startClock(state.hasStaffReplied ? 'next' : 'first', settings, state.priority, event.atMs, nowMs);
    if (resolution === null && targetMinutes(settings, state.priority, 'resolution') !== null)
      resolution = startClock('resolution', settings, state.priority, event.atMs, nowMs);
  }
  if (event.type === 'staffReply') response = null;
  if (state.status === 'closed') {
    response = null;
    resolution = null;
  }
  if (resolution !== null && targetMinutes(settings, state.priority, 'resolution') === null) resolution = null;
  const pause = effectiveSla(settings).pauseWhile;
  const paused = (state.status === 'pending' && pause.pending) || (state.status === 'snoozed' && pause.snoozed);
  if (response) response = settleClock(response, settings, state.priority, paused, nowMs);
  if (resolution) resolution = settleClock(resolution, settings, state.priority, paused, nowMs);
  const clocks: SlaClocks = { response, resolution };
  return { ...state, slaClocks: clocks, slaDueAt: response?.dueAt ?? null, overdue: slaViewOf(clocks).overdue };
}
