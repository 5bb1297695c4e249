/**
 * Business time: arithmetic over an org's opening hours (pure, no I/O, workflow-safe).
 *
 * A {@link BusinessCalendar} is an IANA time zone, weekly opening periods (several per day allowed,
 * e.g. 09:00–12:00 and 13:00–17:00 around a lunch break) and holiday dates (`YYYY-MM-DD`, closed all
 * day, in the calendar's zone). `null` stands for "always open" (24/7) everywhere in this module.
 *
 * Rules (see {@link calendarIssues}):
 * - A period lies within one local day: `start` < `end`, `start` from `00:00` to `23:59`, `end` from
 *   `00:01` to `24:00`. A period crossing midnight is REJECTED; an overnight shift is written as two
 *   periods (`fri 22:00–24:00` and `sat 00:00–06:00`), which join without a gap.
 * - Periods of one day must not overlap; a calendar needs at least one period (no periods → invalid;
 *   use `null` for 24/7).
 * - Local times are wall-clock times in the zone, so an opening at 09:00 stays 09:00 across DST
 *   changes. A boundary that falls into a DST gap (02:30 on a spring-forward night) is moved forward
 *   by the gap (03:30); one that falls into a repeated hour (fall-back) takes the earlier instant —
 *   the same as JavaScript Temporal's `disambiguation: 'compatible'`.
 *
 * Time-zone math uses `Intl.DateTimeFormat` with `timeZone` (V8's ICU), which the Temporal workflow
 * sandbox provides (checked by test/workflow/sla-business-hours.test.ts). All instants are epoch ms.
 */

/** Week days as used in periods (`mon` … `sun`). */
export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
/** One of {@link WEEKDAYS}. */
export type Weekday = (typeof WEEKDAYS)[number];

/** A weekly opening period: `start` / `end` are local wall-clock `HH:MM` (24 h; `end` may be `24:00`). */
export interface BusinessPeriod {
  day: Weekday;
  start: string;
  end: string;
}

/** An org's opening hours. */
export interface BusinessCalendar {
  /** IANA time zone, e.g. `Europe/London`. */
  timeZone: string;
  periods: BusinessPeriod[];
  /** Closed days, `YYYY-MM-DD` in `timeZone`. */
  holidays: string[];
}

/** A validation problem: `path` (e.g. `periods.2.end`) and a message. */
export interface CalendarIssue {
  path: string;
  message: string;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** How far ahead the arithmetic looks for opening hours before giving up (10 years of days). */
const MAX_DAYS = 3_660;
const HH_MM = /^([01]\d|2[0-4]):([0-5]\d)$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Minutes after local midnight of an `HH:MM` string, or `null` when malformed (`24:00` = 1440). */
function minutesOf(hhmm: string): number | null {
  const m = HH_MM.exec(hhmm);
  if (!m) return null;
  const value = Number(m[1]) * 60 + Number(m[2]);
  return value > 1440 ? null : value;
}

function isValidDate(value: string): boolean {
  const m = DATE.exec(value);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const dt = new Date(Date.UTC(y, mo - 1, d));
  return dt.getUTCFullYear() === y && dt.getUTCMonth() === mo - 1 && dt.getUTCDate() === d;
}

/** Whether `timeZone` is an IANA zone this runtime knows. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/**
 * Every problem of a calendar (empty = valid): unknown time zone, no periods, a malformed time,
 * `start` ≥ `end` (periods crossing midnight included), overlapping periods on one day, a malformed
 * or repeated holiday.
 */
export function calendarIssues(calendar: BusinessCalendar): CalendarIssue[] {
  const issues: CalendarIssue[] = [];
  if (!isValidTimeZone(calendar.timeZone)) issues.push({ path: 'timeZone', message: `unknown IANA time zone "${calendar.timeZone}"` });
  if (calendar.periods.length === 0)
    issues.push({ path: 'periods', message: 'at least one opening period is required (use businessHours: null for 24/7)' });
  const byDay = new Map<string, { start: number; end: number; index: number }[]>();
  calendar.periods.forEach((p, index) => {
    if (!(WEEKDAYS as readonly string[]).includes(p.day)) issues.push({ path: `periods.${index}.day`, message: 'day must be mon … sun' });
    const start = minutesOf(p.start);
    const end = minutesOf(p.end);
    if (start === null || start >= 1440)
      issues.push({ path: `periods.${index}.start`, message: 'start must be HH:MM from 00:00 to 23:59' });
    if (end === null || end === 0) issues.push({ path: `periods.${index}.end`, message: 'end must be HH:MM from 00:01 to 24:00' });
    if (start === null || end === null) return;
    if (start >= end) {
      issues.push({
        path: `periods.${index}`,
        message: 'start must be before end; a period may not cross midnight (split it: …–24:00 and 00:00–…)',
      });
      return;
    }
    const list = byDay.get(p.day) ?? [];
    for (const other of list) {
      if (start < other.end && other.start < end)
        issues.push({ path: `periods.${index}`, message: `overlaps periods.${other.index} on ${p.day}` });
    }
    list.push({ start, end, index });
    byDay.set(p.day, list);
  });
  const seen = new Set<string>();
  calendar.holidays.forEach((d, index) => {
    if (!isValidDate(d)) issues.push({ path: `holidays.${index}`, message: 'holidays are dates YYYY-MM-DD' });
    else if (seen.has(d)) issues.push({ path: `holidays.${index}`, message: `${d} is listed twice` });
    seen.add(d);
  });
  return issues;
}

// ---- time-zone math -------------------------------------------------------------------------

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The zone's local wall-clock fields at an instant. */
interface LocalFields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function localFields(timeZone: string, atMs: number): LocalFields {
  const out: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(new Date(atMs))) {
    if (part.type !== 'literal') out[part.type] = Number(part.value);
  }
  return {
    year: out.year!,
    month: out.month!,
    day: out.day!,
    hour: out.hour! % 24,
    minute: out.minute!,
    second: out.second!,
  };
}

/** The zone's UTC offset (ms, local − UTC) at an instant. */
function offsetAt(timeZone: string, atMs: number): number {
  const f = localFields(timeZone, atMs);
  const asUtc = Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second);
  return asUtc - Math.floor(atMs / 1000) * 1000;
}

/**
 * The instant of a local wall-clock time (`minutes` after local midnight of the date, up to 1440) in
 * the zone, with 'compatible' disambiguation (gap → moved forward, repeated hour → earlier instant).
 */
function instantOf(timeZone: string, date: { year: number; month: number; day: number }, minutes: number): number {
  const wall = Date.UTC(date.year, date.month - 1, date.day) + minutes * MINUTE_MS;
  const before = offsetAt(timeZone, wall - DAY_MS / 2);
  const after = offsetAt(timeZone, wall + DAY_MS / 2);
  const candidates = [...new Set([before, after])].map((o) => wall - o).filter((t) => offsetAt(timeZone, t) === wall - t);
  if (candidates.length > 0) return Math.min(...candidates);
  // a DST gap: read the wall time with the offset in force before it (→ later by the gap)
  return wall - before;
}

/** A local calendar date. */
interface LocalDate {
  year: number;
  month: number;
  day: number;
}

function nextDate(d: LocalDate): LocalDate {
  const t = new Date(Date.UTC(d.year, d.month - 1, d.day + 1));
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
}

function dateKey(d: LocalDate): string {
  return `${String(d.year).padStart(4, '0')}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
}

/** Open intervals `[start, end)` (epoch ms, sorted, touching ones merged) of one local date. */
function openIntervalsOn(calendar: BusinessCalendar, date: LocalDate): [number, number][] {
  if (calendar.holidays.includes(dateKey(date))) return [];
  const weekday = WEEKDAYS[new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay()]!;
  const spans = calendar.periods
    .filter((p) => p.day === weekday)
    .map((p) => [minutesOf(p.start) ?? 0, minutesOf(p.end) ?? 0] as const)
    .filter(([s, e]) => s < e)
    .sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [s, e] of spans) {
    const start = instantOf(calendar.timeZone, date, s);
    const end = instantOf(calendar.timeZone, date, e);
    if (end <= start) continue;
    const last = out.at(-1);
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else out.push([start, end]);
  }
  return out;
}

/** Calls `visit` with the open intervals of each local date from the one containing `fromMs` on, until it returns true. */
function forEachDay(calendar: BusinessCalendar, fromMs: number, visit: (intervals: [number, number][]) => boolean): void {
  const f = localFields(calendar.timeZone, fromMs);
  let date: LocalDate = { year: f.year, month: f.month, day: f.day };
  for (let i = 0; i < MAX_DAYS; i++) {
    if (visit(openIntervalsOn(calendar, date))) return;
    date = nextDate(date);
  }
  throw new RangeError(`no opening hours within ${MAX_DAYS} days of ${new Date(fromMs).toISOString()}`);
}

// ---- public arithmetic --------------------------------------------------------------------------

/** Whether the calendar is open at `atMs` (`null` calendar: always). */
export function isOpen(calendar: BusinessCalendar | null, atMs: number): boolean {
  if (calendar === null) return true;
  const f = localFields(calendar.timeZone, atMs);
  return openIntervalsOn(calendar, { year: f.year, month: f.month, day: f.day }).some(([s, e]) => s <= atMs && atMs < e);
}

/**
 * The instant (epoch ms) when `minutes` business minutes have passed since `startMs`. Time outside
 * opening hours does not count; the result lies inside or at the end of an open period (e.g. Friday
 * 16:50 + 60 min in a 09:00–17:00 Mon–Fri calendar → Monday 09:50). `minutes` ≤ 0 → `startMs`.
 * Fractional minutes are allowed. `null` calendar: plain wall-clock addition.
 * @throws RangeError when the calendar has no opening hours within 10 years (e.g. no periods)
 */
export function addBusinessMinutes(calendar: BusinessCalendar | null, startMs: number, minutes: number): number {
  return addBusinessMs(calendar, startMs, Math.round(minutes * MINUTE_MS));
}

/** {@link addBusinessMinutes} in milliseconds. */
export function addBusinessMs(calendar: BusinessCalendar | null, startMs: number, ms: number): number {
  if (ms <= 0) return startMs;
  if (calendar === null) return startMs + ms;
  let remaining = ms;
  let result = startMs;
  forEachDay(calendar, startMs, (intervals) => {
    for (const [s, e] of intervals) {
      const from = Math.max(s, startMs);
      if (e <= from) continue;
      if (remaining <= e - from) {
        result = from + remaining;
        return true;
      }
      remaining -= e - from;
    }
    return false;
  });
  return result;
}

/** Business milliseconds in `[aMs, bMs)` (0 when `bMs` ≤ `aMs`). `null` calendar: `bMs − aMs`. */
export function businessMsBetween(calendar: BusinessCalendar | null, aMs: number, bMs: number): number {
  if (bMs <= aMs) return 0;
  if (calendar === null) return bMs - aMs;
  let total = 0;
  const f = localFields(calendar.timeZone, aMs);
  let date: LocalDate = { year: f.year, month: f.month, day: f.day };
  // one more day than the span covers, so the local date holding bMs is always visited
  const days = Math.ceil((bMs - aMs) / DAY_MS) + 2;
  for (let i = 0; i < days; i++) {
    for (const [s, e] of openIntervalsOn(calendar, date)) {
      const from = Math.max(s, aMs);
      const to = Math.min(e, bMs);
      if (to > from) total += to - from;
    }
    date = nextDate(date);
  }
  return total;
}

/** Business minutes (fractional) in `[aMs, bMs)`; see {@link businessMsBetween}. */
export function businessMinutesBetween(calendar: BusinessCalendar | null, aMs: number, bMs: number): number {
  return businessMsBetween(calendar, aMs, bMs) / MINUTE_MS;
}
