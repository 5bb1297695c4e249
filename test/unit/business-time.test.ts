import { type BusinessCalendar, addBusinessMinutes, businessMinutesBetween, calendarIssues, isOpen } from '../../domain/business-time';

const at = (iso: string): number => Date.parse(iso);
const isoOf = (ms: number): string => new Date(ms).toISOString();
const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri'] as const;

/** Mon–Fri 09:00–17:00 in a zone. */
const nineToFive = (timeZone: string, holidays: string[] = []): BusinessCalendar => ({
  timeZone,
  periods: weekdays.map((day) => ({ day, start: '09:00', end: '17:00' })),
  holidays,
});

/** Mon–Fri 09:00–12:00 and 13:00–17:00 (lunch break) in a zone. */
const withLunch = (timeZone: string): BusinessCalendar => ({
  timeZone,
  periods: weekdays.flatMap((day) => [
    { day, start: '09:00', end: '12:00' },
    { day, start: '13:00', end: '17:00' },
  ]),
  holidays: [],
});

describe('business time', () => {
  const ny = nineToFive('America/New_York');

  describe('addBusinessMinutes', () => {
    it('crosses a weekend: Friday 16:50 + 60 min → Monday 09:50 (New York)', () => {
      // 2026-12-04 is a Friday; EST is UTC−5
      expect(isoOf(addBusinessMinutes(ny, at('2026-12-04T16:50:00-05:00'), 60))).toBe('2026-12-07T14:50:00.000Z');
      // the warning instant 10 min earlier: Monday 09:40
      expect(isoOf(addBusinessMinutes(ny, at('2026-12-04T16:50:00-05:00'), 50))).toBe('2026-12-07T14:40:00.000Z');
    });

    it('ends exactly at closing time when the minutes run out there', () => {
      expect(isoOf(addBusinessMinutes(ny, at('2026-12-04T16:50:00-05:00'), 10))).toBe('2026-12-04T22:00:00.000Z');
    });

    it('starts counting at the next opening when started outside hours', () => {
      // Saturday → Monday 09:00 + 30 min
      expect(isoOf(addBusinessMinutes(ny, at('2026-12-05T11:00:00-05:00'), 30))).toBe('2026-12-07T14:30:00.000Z');
      // before opening on a weekday
      expect(isoOf(addBusinessMinutes(ny, at('2026-12-08T07:00:00-05:00'), 1))).toBe('2026-12-08T14:01:00.000Z');
    });

    it('skips holidays (dates in the calendar zone)', () => {
      const cal = nineToFive('America/New_York', ['2026-12-07', '2026-12-08']);
      expect(isoOf(addBusinessMinutes(cal, at('2026-12-04T16:50:00-05:00'), 60))).toBe('2026-12-09T14:50:00.000Z');
    });

    it('skips the lunch break', () => {
      const cal = withLunch('Europe/London');
      // Tuesday 2026-12-08 11:30 GMT + 60 min → 30 before lunch, 30 after → 13:30
      expect(isoOf(addBusinessMinutes(cal, at('2026-12-08T11:30:00Z'), 60))).toBe('2026-12-08T13:30:00.000Z');
      // exactly the morning's remainder ends at 12:00, not 13:00
      expect(isoOf(addBusinessMinutes(cal, at('2026-12-08T11:30:00Z'), 30))).toBe('2026-12-08T12:00:00.000Z');
    });

    it('spans several days', () => {
      // 3 business days of 8 h from Monday 09:00 → Wednesday 17:00
      expect(isoOf(addBusinessMinutes(ny, at('2026-12-07T09:00:00-05:00'), 3 * 8 * 60))).toBe('2026-12-09T22:00:00.000Z');
    });

    it('keeps opening at 09:00 local across the New York spring-forward (2026-03-08)', () => {
      // Friday 2026-03-06 16:00 EST (UTC−5) + 120 min → Monday 2026-03-09 10:00 EDT (UTC−4)
      expect(isoOf(addBusinessMinutes(ny, at('2026-03-06T16:00:00-05:00'), 120))).toBe('2026-03-09T14:00:00.000Z');
    });

    it('keeps opening at 09:00 local across the New York fall-back (2026-11-01)', () => {
      // Friday 2026-10-30 16:00 EDT + 120 min → Monday 2026-11-02 10:00 EST
      expect(isoOf(addBusinessMinutes(ny, at('2026-10-30T16:00:00-04:00'), 120))).toBe('2026-11-02T15:00:00.000Z');
    });

    it('counts real elapsed time across a DST night inside a 24 h period', () => {
      // Sunday 2026-03-08 open 00:00–24:00 in New York: the day has 23 hours
      const sundays: BusinessCalendar = {
        timeZone: 'America/New_York',
        periods: [{ day: 'sun', start: '00:00', end: '24:00' }],
        holidays: [],
      };
      expect(businessMinutesBetween(sundays, at('2026-03-08T00:00:00-05:00'), at('2026-03-09T00:00:00-04:00'))).toBe(23 * 60);
      // and 25 hours on the fall-back Sunday 2026-11-01
      expect(businessMinutesBetween(sundays, at('2026-11-01T00:00:00-04:00'), at('2026-11-02T00:00:00-05:00'))).toBe(25 * 60);
      // 01:00 + 120 min on the spring-forward night ends at 04:00 EDT (02:00–03:00 does not exist)
      expect(isoOf(addBusinessMinutes(sundays, at('2026-03-08T01:00:00-05:00'), 120))).toBe('2026-03-08T08:00:00.000Z');
    });

    it('moves a period boundary that falls into a DST gap forward (compatible disambiguation)', () => {
      const early: BusinessCalendar = {
        timeZone: 'America/New_York',
        periods: [{ day: 'sun', start: '02:30', end: '05:00' }],
        holidays: [],
      };
      // 02:30 does not exist on 2026-03-08: opening at 03:30 EDT (07:30Z)
      expect(isoOf(addBusinessMinutes(early, at('2026-03-08T00:00:00-05:00'), 1))).toBe('2026-03-08T07:31:00.000Z');
    });

    it('follows Europe/London summer time (BST from 2026-03-29, GMT from 2026-10-25)', () => {
      const london = nineToFive('Europe/London');
      // Friday 2026-03-27 16:30 GMT + 60 → Monday 2026-03-30 09:30 BST = 08:30Z
      expect(isoOf(addBusinessMinutes(london, at('2026-03-27T16:30:00Z'), 60))).toBe('2026-03-30T08:30:00.000Z');
      // Friday 2026-10-23 16:30 BST (15:30Z) + 60 → Monday 2026-10-26 09:30 GMT
      expect(isoOf(addBusinessMinutes(london, at('2026-10-23T15:30:00Z'), 60))).toBe('2026-10-26T09:30:00.000Z');
    });

    it('joins an overnight shift written as two periods', () => {
      const nights: BusinessCalendar = {
        timeZone: 'UTC',
        periods: [
          { day: 'fri', start: '22:00', end: '24:00' },
          { day: 'sat', start: '00:00', end: '06:00' },
        ],
        holidays: [],
      };
      expect(isoOf(addBusinessMinutes(nights, at('2026-12-04T23:00:00Z'), 120))).toBe('2026-12-05T01:00:00.000Z');
    });

    it('is plain addition for a 24/7 (null) calendar, and for 0 minutes', () => {
      expect(addBusinessMinutes(null, at('2026-12-05T11:00:00Z'), 90)).toBe(at('2026-12-05T12:30:00Z'));
      expect(addBusinessMinutes(ny, at('2026-12-05T11:00:00Z'), 0)).toBe(at('2026-12-05T11:00:00Z'));
    });

    it('throws for a calendar without opening hours', () => {
      expect(() => addBusinessMinutes({ timeZone: 'UTC', periods: [], holidays: [] }, at('2026-12-05T11:00:00Z'), 1)).toThrow(RangeError);
    });
  });

  describe('businessMinutesBetween', () => {
    it('counts only open time', () => {
      // Friday 16:00 → Monday 10:00: 60 + 60
      expect(businessMinutesBetween(ny, at('2026-12-04T16:00:00-05:00'), at('2026-12-07T10:00:00-05:00'))).toBe(120);
      expect(businessMinutesBetween(withLunch('UTC'), at('2026-12-08T11:00:00Z'), at('2026-12-08T14:00:00Z'))).toBe(120);
      expect(businessMinutesBetween(ny, at('2026-12-07T10:00:00-05:00'), at('2026-12-07T09:00:00-05:00'))).toBe(0);
      expect(businessMinutesBetween(null, at('2026-12-05T10:00:00Z'), at('2026-12-05T11:30:00Z'))).toBe(90);
    });

    it('is the inverse of addBusinessMinutes', () => {
      const start = at('2026-03-05T15:17:00-05:00');
      for (const minutes of [1, 59, 480, 1000, 5000]) {
        expect(businessMinutesBetween(ny, start, addBusinessMinutes(ny, start, minutes))).toBe(minutes);
      }
    });
  });

  describe('isOpen', () => {
    it('is open inside periods only (start inclusive, end exclusive)', () => {
      const cal = withLunch('America/New_York');
      expect(isOpen(cal, at('2026-12-07T09:00:00-05:00'))).toBe(true);
      expect(isOpen(cal, at('2026-12-07T12:00:00-05:00'))).toBe(false);
      expect(isOpen(cal, at('2026-12-07T12:59:59-05:00'))).toBe(false);
      expect(isOpen(cal, at('2026-12-07T13:00:00-05:00'))).toBe(true);
      expect(isOpen(cal, at('2026-12-07T17:00:00-05:00'))).toBe(false);
      expect(isOpen(cal, at('2026-12-05T10:00:00-05:00'))).toBe(false); // Saturday
      expect(isOpen(nineToFive('America/New_York', ['2026-12-07']), at('2026-12-07T10:00:00-05:00'))).toBe(false);
      expect(isOpen(null, at('2026-12-05T03:00:00Z'))).toBe(true);
    });
  });

  describe('calendarIssues', () => {
    it('accepts a valid calendar', () => {
      expect(calendarIssues(withLunch('Europe/London'))).toEqual([]);
    });

    it('rejects no periods, unknown zones, crossing midnight, overlaps, bad times and holidays', () => {
      const issues = calendarIssues({
        timeZone: 'Mars/Olympus',
        periods: [
          { day: 'mon', start: '22:00', end: '02:00' },
          { day: 'tue', start: '09:00', end: '12:00' },
          { day: 'tue', start: '11:00', end: '13:00' },
          { day: 'wed', start: '9:00', end: '25:00' },
        ],
        holidays: ['2026-02-30', '2026-12-25', '2026-12-25'],
      });
      expect(issues.map((i) => i.path)).toEqual([
        'timeZone',
        'periods.0',
        'periods.2',
        'periods.3.start',
        'periods.3.end',
        'holidays.0',
        'holidays.2',
      ]);
      expect(calendarIssues({ timeZone: 'UTC', periods: [], holidays: [] }).map((i) => i.path)).toEqual(['periods']);
    });
  });
});
