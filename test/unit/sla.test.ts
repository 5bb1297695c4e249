import type { BusinessCalendar } from '../../domain/business-time';
import type { ConversationState } from '../../domain/conversation';
import { DEFAULT_SLA_POLICY, type SlaPolicy, type SlaSettings, applySla, nextClockDeadline, slaDueAt, slaViewOf } from '../../domain/sla';
import { HOUR, MINUTE, T0, freeze, inbound, iso, makeState, reply } from './fixtures';

describe('sla', () => {
  it('defaults to 60 min first response and 240 min next response', () => {
    expect(DEFAULT_SLA_POLICY).toEqual({ firstResponseMinutes: 60, nextResponseMinutes: 240 });
  });

  describe('slaDueAt', () => {
    it('uses the first-response target when the team never replied', () => {
      expect(slaDueAt(DEFAULT_SLA_POLICY, T0, false)).toBe(T0 + HOUR);
    });

    it('uses the next-response target after a staff reply', () => {
      expect(slaDueAt(DEFAULT_SLA_POLICY, T0, true)).toBe(T0 + 4 * HOUR);
    });

    it('follows a custom policy', () => {
      const policy: SlaPolicy = { firstResponseMinutes: 15, nextResponseMinutes: 90 };
      expect(slaDueAt(policy, T0 + 7, false)).toBe(T0 + 7 + 15 * MINUTE);
      expect(slaDueAt(policy, T0 + 7, true)).toBe(T0 + 7 + 90 * MINUTE);
    });

    it('is due at receipt for a zero-minute target', () => {
      expect(slaDueAt({ firstResponseMinutes: 0, nextResponseMinutes: 0 }, T0, false)).toBe(T0);
    });

    it('returns whole epoch milliseconds for fractional minutes', () => {
      expect(slaDueAt({ firstResponseMinutes: 0.5, nextResponseMinutes: 1 }, T0, false)).toBe(T0 + 30_000);
    });
  });
});

describe('business-hours SLA clocks (applySla)', () => {
  const at = (isoTime: string): number => Date.parse(isoTime);
  const NY: BusinessCalendar = {
    timeZone: 'America/New_York',
    periods: (['mon', 'tue', 'wed', 'thu', 'fri'] as const).map((day) => ({ day, start: '09:00', end: '17:00' })),
    holidays: [],
  };
  const settings: SlaSettings = {
    firstResponseMinutes: 60,
    nextResponseMinutes: 240,
    resolutionMinutes: 480,
    businessHours: NY,
    pauseWhile: { pending: true, snoozed: false },
    warningMinutes: 10,
    priorityOverrides: { urgent: { firstResponseMinutes: 15, resolutionMinutes: null } },
  };
  /** A customer message at `atMs` through the conversation rules, then the SLA rules. */
  const customer = (state: ConversationState, atMs: number, s: SlaSettings = settings) =>
    freeze(applySla(inbound(state, atMs), s, { type: 'customerMessage', atMs }, atMs));
  const staff = (state: ConversationState, atMs: number, s: SlaSettings = settings) =>
    freeze(applySla(reply(state, atMs), s, { type: 'staffReply' }, atMs));
  const sync = (state: ConversationState, nowMs: number, s: SlaSettings = settings) => freeze(applySla(state, s, { type: 'sync' }, nowMs));
  const FRIDAY_1650 = at('2026-12-04T16:50:00-05:00');

  it('counts in business hours: Friday 16:50 + 60 min is due Monday 09:50, at risk Monday 09:40', () => {
    const s = customer(makeState({ channelKind: 'sms' }), FRIDAY_1650);
    expect(slaViewOf(s.slaClocks)).toEqual({
      firstResponseDueAt: '2026-12-07T14:50:00.000Z',
      nextResponseDueAt: null,
      resolutionDueAt: '2026-12-07T21:50:00.000Z', // 10 min Friday + 470 min Monday → 16:50
      atRisk: false,
      overdue: false,
    });
    expect(s.slaDueAt).toBe('2026-12-07T14:50:00.000Z');
    expect(s.slaClocks!.response!.atRiskAt).toBe('2026-12-07T14:40:00.000Z');
    // the next timer is the warning, then the breach
    expect(nextClockDeadline(s.slaClocks)).toBe(at('2026-12-07T09:40:00-05:00'));
    const warned = sync(s, at('2026-12-07T09:40:00-05:00'));
    expect(slaViewOf(warned.slaClocks)).toMatchObject({ atRisk: true, overdue: false });
    expect(nextClockDeadline(warned.slaClocks)).toBe(at('2026-12-07T09:50:00-05:00'));
    const late = sync(warned, at('2026-12-07T09:50:00-05:00'));
    expect(slaViewOf(late.slaClocks)).toMatchObject({ atRisk: false, overdue: true });
    expect(late.overdue).toBe(true);
  });

  it('a later customer message does not move a running clock', () => {
    const s = customer(customer(makeState(), FRIDAY_1650), FRIDAY_1650 + 5 * MINUTE);
    expect(s.slaClocks!.response!.dueAt).toBe('2026-12-07T14:50:00.000Z');
  });

  it('a staff reply stops the response clock (and its overdue), the resolution clock keeps counting; next response after', () => {
    const late = sync(customer(makeState(), FRIDAY_1650), at('2026-12-07T10:00:00-05:00'));
    expect(late.overdue).toBe(true);
    const replied = staff(late, at('2026-12-07T10:00:00-05:00'));
    expect(replied.slaClocks!.response).toBeNull();
    expect(replied.overdue).toBe(false);
    expect(replied.slaDueAt).toBeNull();
    // pending pauses the resolution clock: 10 + 60 business minutes used
    expect(replied.slaClocks!.resolution).toMatchObject({ runningSince: null, elapsedMs: 70 * MINUTE, dueAt: null });
    const again = customer(replied, at('2026-12-07T11:00:00-05:00'));
    expect(slaViewOf(again.slaClocks)).toMatchObject({
      firstResponseDueAt: null,
      nextResponseDueAt: '2026-12-07T20:00:00.000Z', // 11:00 + 240 min = 15:00 New York
      resolutionDueAt: '2026-12-08T14:50:00.000Z', // 410 min left: 360 on Monday + 50 on Tuesday → Tuesday 09:50
    });
  });

  it('pauses while snoozed only when configured', () => {
    const s = customer(makeState(), at('2026-12-07T10:00:00-05:00'));
    const snoozed = freeze({ ...s, status: 'snoozed' as const });
    expect(sync(snoozed, at('2026-12-07T10:30:00-05:00')).slaClocks!.response!.runningSince).not.toBeNull();
    const pausing = { ...settings, pauseWhile: { pending: false, snoozed: true } };
    const paused = sync(snoozed, at('2026-12-07T10:30:00-05:00'), pausing);
    expect(paused.slaClocks!.response).toMatchObject({ runningSince: null, elapsedMs: 30 * MINUTE, dueAt: null });
    // a week later, back open: 30 minutes left
    const open = sync(freeze({ ...paused, status: 'open' as const }), at('2026-12-14T16:00:00-05:00'), pausing);
    expect(open.slaClocks!.response!.dueAt).toBe(new Date(at('2026-12-14T16:30:00-05:00')).toISOString());
  });

  it('priority overrides: urgent is tighter and has no resolution target', () => {
    const s = customer(makeState({ priority: 'urgent' }), at('2026-12-07T10:00:00-05:00'));
    expect(slaViewOf(s.slaClocks)).toMatchObject({ firstResponseDueAt: '2026-12-07T15:15:00.000Z', resolutionDueAt: null });
    // raising a normal conversation to urgent retargets the running clock
    const normal = customer(makeState(), at('2026-12-07T10:00:00-05:00'));
    const raised = sync(freeze({ ...normal, priority: 'urgent' as const }), at('2026-12-07T10:05:00-05:00'));
    expect(raised.slaClocks!.response!.dueAt).toBe('2026-12-07T15:15:00.000Z');
    expect(raised.slaClocks!.resolution).toBeNull();
  });

  it('new settings retarget: a breach under the old target is lifted by a longer one', () => {
    const s = sync(customer(makeState(), at('2026-12-07T10:00:00-05:00')), at('2026-12-07T11:30:00-05:00'));
    expect(s.overdue).toBe(true);
    const longer = sync(s, at('2026-12-07T11:30:00-05:00'), { ...settings, firstResponseMinutes: 120 });
    expect(longer.overdue).toBe(false);
    expect(longer.slaDueAt).toBe('2026-12-07T17:00:00.000Z');
  });

  it('closing stops every clock; a 24/7 (null) calendar is wall-clock time', () => {
    const s = customer(makeState(), at('2026-12-05T10:00:00Z'), { ...settings, businessHours: null });
    expect(s.slaDueAt).toBe('2026-12-05T11:00:00.000Z');
    const closed = sync(freeze({ ...s, status: 'closed' as const }), at('2026-12-05T10:10:00Z'));
    expect(closed.slaClocks).toEqual({ response: null, resolution: null });
    expect(nextClockDeadline(closed.slaClocks)).toBeNull();
  });

  it('a state written before the clocks (a customer waiting) gets a response clock from its last customer message', () => {
    const old = inbound(makeState(), at('2026-12-07T10:00:00-05:00'));
    expect(old.slaClocks).toBeUndefined();
    const upgraded = sync(old, at('2026-12-07T10:20:00-05:00'));
    expect(upgraded.slaClocks!.response).toMatchObject({
      kind: 'first',
      startedAt: '2026-12-07T15:00:00.000Z',
      dueAt: '2026-12-07T16:00:00.000Z',
    });
    expect(upgraded.slaClocks!.resolution).toBeNull();
    // and nothing for a state nobody waits on
    expect(sync(makeState(), T0).slaClocks).toEqual({ response: null, resolution: null });
  });

  it('an auto-filled settings object (targets only) behaves like the wall-clock rule', () => {
    const s = customer(makeState(), T0, { firstResponseMinutes: 60, nextResponseMinutes: 240 });
    expect(s.slaDueAt).toBe(iso(slaDueAt(DEFAULT_SLA_POLICY, T0, false)));
    expect(s.slaClocks!.resolution).toBeNull();
    expect(s.slaClocks!.response!.atRiskAt).toBeNull();
  });
});
