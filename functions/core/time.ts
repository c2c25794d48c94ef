/**
 * The settlement clock: one time zone and one period rule, used by both the
 * Redis script arguments and the DynamoDB keys so the two stores can never
 * count an event in different periods.
 */
export type Period = string; // yyyyMM

interface LocalParts {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function localParts(epochMs: number, timeZone: string): LocalParts {
  const parts: Record<string, number> = {};
  for (const p of formatterFor(timeZone).formatToParts(new Date(epochMs))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return {
    year: parts.year ?? 0,
    month: parts.month ?? 0,
    day: parts.day ?? 0,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

function offsetMs(epochMs: number, timeZone: string): number {
  const p = localParts(epochMs, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(epochMs / 1000) * 1000;
}

/**
 * Epoch ms of a wall-clock time in a zone. An ambiguous time (clocks fall
 * back) resolves to the earlier instant; a time skipped by a spring-forward
 * gap resolves as if read with the offset before the gap (02:30 becomes 03:30),
 * the usual "compatible" rule.
 */
export function zonedToEpoch(
  wall: {
    year: number;
    month: number;
    day: number;
    hour?: number;
    minute?: number;
    second?: number;
    ms?: number;
  },
  timeZone: string,
): number {
  const guess = Date.UTC(
    wall.year,
    wall.month - 1,
    wall.day,
    wall.hour ?? 0,
    wall.minute ?? 0,
    wall.second ?? 0,
    wall.ms ?? 0,
  );
  const HALF_DAY = 12 * 3_600_000;
  const before = guess - offsetMs(guess - HALF_DAY, timeZone);
  const after = guess - offsetMs(guess + HALF_DAY, timeZone);
  const shows = (epochMs: number) => {
    const p = localParts(epochMs, timeZone);
    return (
      p.year === wall.year &&
      p.month === wall.month &&
      p.day === wall.day &&
      p.hour === (wall.hour ?? 0) &&
      p.minute === (wall.minute ?? 0)
    );
  };
  const matching = [before, after].filter(shows);
  return matching.length > 0 ? Math.min(...matching) : before;
}

const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Parses an ISO-8601 date-time. With `Z` or an offset it is used as is; without
 * a zone it is wall-clock time in the settlement zone. Returns null for
 * anything else (including impossible dates such as 02-30).
 */
export function parseEventTime(raw: string, timeZone: string): number | null {
  const m = ISO_8601.exec(raw);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const wall = {
    year: Number(y),
    month: Number(mo),
    day: Number(d),
    hour: Number(h),
    minute: Number(mi),
    second: Number(s ?? 0),
    ms: Number((frac ?? '0').padEnd(3, '0').slice(0, 3)),
  };
  if (wall.month < 1 || wall.month > 12 || wall.hour > 23 || wall.minute > 59 || wall.second > 59)
    return null;
  const check = new Date(Date.UTC(wall.year, wall.month - 1, wall.day));
  if (check.getUTCDate() !== wall.day || check.getUTCMonth() !== wall.month - 1) return null;
  if (zone === undefined) return zonedToEpoch(wall, timeZone);
  const utc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second, wall.ms);
  if (zone === 'Z') return utc;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const offHours = Number(digits.slice(0, 2));
  const offMinutes = Number(digits.slice(2, 4));
  if (offHours > 18 || offMinutes > 59) return null;
  return utc - sign * (offHours * 60 + offMinutes) * 60_000;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

export function periodOf(epochMs: number, timeZone: string): Period {
  const p = localParts(epochMs, timeZone);
  return `${pad(p.year, 4)}${pad(p.month)}`;
}

/** Local time of day as HHmm, the unit of block windows. */
export function localHhmm(epochMs: number, timeZone: string): string {
  const p = localParts(epochMs, timeZone);
  return `${pad(p.hour)}${pad(p.minute)}`;
}

function splitPeriod(period: Period): { year: number; month: number } {
  return { year: Number(period.slice(0, 4)), month: Number(period.slice(4, 6)) };
}

export function shiftPeriod(period: Period, months: number): Period {
  const { year, month } = splitPeriod(period);
  const index = year * 12 + (month - 1) + months;
  return `${pad(Math.floor(index / 12), 4)}${pad((index % 12) + 1)}`;
}

export function periodStart(period: Period, timeZone: string): number {
  const { year, month } = splitPeriod(period);
  return zonedToEpoch({ year, month, day: 1 }, timeZone);
}

/** How old a record may be and still be decided: the longest a batch may wait for a replay. */
export const MAX_RECORD_AGE_MS = 31 * 86_400_000;

/**
 * How far ahead of the functions' clocks a record's timestamp is believed.
 * Kafka 4 brokers refuse records stamped more than an hour ahead of theirs
 * (`message.timestamp.after.max.ms`), so a later one has no real timestamp.
 */
export const MAX_RECORD_AHEAD_MS = 3_600_000;

/**
 * Events are accepted from the start of the period before the reference
 * instant's (for a record, when it was written) up to that instant plus a
 * small clock skew; anything outside is rejected rather than counted in a
 * period that is already closed or has not started. Both ends come from the
 * record, so every delivery of it reaches the same verdict.
 */
export function acceptedWindow(referenceMs: number, timeZone: string, futureSkewMs: number) {
  const reference = periodOf(referenceMs, timeZone);
  return { fromMs: periodStart(shiftPeriod(reference, -1), timeZone), toMs: referenceMs + futureSkewMs };
}

/**
 * The periods whose events may still be accepted: from the one before the
 * oldest record that may still be decided, to the one of the latest record
 * timestamp believed. Family and policy changes reach every one of them, so
 * no decision depends on which of their states Redis happens to hold.
 */
export function acceptedPeriods(nowMs: number, timeZone: string, futureSkewMs: number): Period[] {
  const last = periodOf(nowMs + MAX_RECORD_AHEAD_MS + futureSkewMs, timeZone);
  const periods: Period[] = [];
  for (
    let p = shiftPeriod(periodOf(nowMs - MAX_RECORD_AGE_MS, timeZone), -1);
    p <= last;
    p = shiftPeriod(p, 1)
  )
    periods.push(p);
  return periods;
}

/**
 * When a period's Redis state (counters, alert markers) may expire: a day after
 * the following period ends, when nearly all of its events have arrived, but
 * never within the hour, so that a state loaded for a late replay lives while
 * its lane is decided. An expired state is loaded again from the ledger.
 */
export function periodStateExpiry(period: Period, timeZone: string, nowMs: number): number {
  const afterNextPeriod = Math.floor(periodStart(shiftPeriod(period, 2), timeZone) / 1000) + 86_400;
  return Math.max(afterNextPeriod, Math.floor(nowMs / 1000) + 3_600);
}
