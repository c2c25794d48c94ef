import { describe, expect, it } from 'vitest';
import {
  acceptedPeriods,
  acceptedWindow,
  localHhmm,
  localParts,
  MAX_RECORD_AGE_MS,
  MAX_RECORD_AHEAD_MS,
  parseEventTime,
  periodOf,
  periodStart,
  periodStateExpiry,
  shiftPeriod,
  zonedToEpoch,
} from '../../functions/core/time';

const SEOUL = 'Asia/Seoul';
const NEW_YORK = 'America/New_York';
const BERLIN = 'Europe/Berlin';
const at = (iso: string) => Date.parse(iso);

describe('parseEventTime', () => {
  it.each([
    ['Z', '2026-03-17T01:00:00Z', '2026-03-17T01:00:00.000Z'],
    ['+HH:MM', '2026-03-17T10:00:00+09:00', '2026-03-17T01:00:00.000Z'],
    ['+HHMM', '2026-03-17T10:00:00+0900', '2026-03-17T01:00:00.000Z'],
    ['-HH:MM', '2026-03-16T20:00:00-05:00', '2026-03-17T01:00:00.000Z'],
    ['-HHMM', '2026-03-16T20:00:00-0500', '2026-03-17T01:00:00.000Z'],
    ['a half-hour offset', '2026-03-17T06:30:00+05:30', '2026-03-17T01:00:00.000Z'],
    ['-00:00', '2026-03-17T01:00:00-00:00', '2026-03-17T01:00:00.000Z'],
    ['an offset that crosses the date line', '2026-03-17T08:00:00+09:00', '2026-03-16T23:00:00.000Z'],
    ['no seconds', '2026-03-17T10:00+09:00', '2026-03-17T01:00:00.000Z'],
  ])('uses a timestamp with %s as is, whatever the settlement zone', (_case, raw, expected) => {
    expect(parseEventTime(raw, SEOUL)).toBe(at(expected));
    expect(parseEventTime(raw, NEW_YORK)).toBe(at(expected));
  });

  it('interprets a zoneless timestamp as wall-clock time in the settlement zone', () => {
    expect(parseEventTime('2026-03-17T10:00:00', SEOUL)).toBe(at('2026-03-17T01:00:00Z'));
    expect(parseEventTime('2026-03-17T10:00:00', 'UTC')).toBe(at('2026-03-17T10:00:00Z'));
    expect(parseEventTime('2026-03-17T10:00:00', NEW_YORK)).toBe(at('2026-03-17T14:00:00Z'));
  });

  it.each([
    ['.5', 500],
    ['.05', 50],
    ['.123', 123],
    ['.1234', 123],
    ['.123456789', 123],
  ])('keeps fractional seconds %s as %d ms (truncated to milliseconds)', (fraction, ms) => {
    expect(parseEventTime(`2026-03-17T01:00:00${fraction}Z`, SEOUL)).toBe(at('2026-03-17T01:00:00Z') + ms);
    expect(parseEventTime(`2026-03-17T10:00:00${fraction}`, SEOUL)).toBe(at('2026-03-17T01:00:00Z') + ms);
  });

  it('accepts 29 February in a leap year', () => {
    expect(parseEventTime('2028-02-29T00:00:00Z', SEOUL)).toBe(at('2028-02-29T00:00:00Z'));
  });

  it.each([
    ['empty', ''],
    ['free text', 'yesterday'],
    ['date only', '2026-03-17'],
    ['space instead of T', '2026-03-17 10:00:00Z'],
    ['lower-case z', '2026-03-17T10:00:00z'],
    ['surrounding spaces', ' 2026-03-17T10:00:00Z '],
    ['epoch milliseconds as text', '1773712800000'],
    ['impossible date 2026-02-30', '2026-02-30T10:00:00Z'],
    ['29 February in a common year', '2026-02-29T10:00:00Z'],
    ['31 April', '2026-04-31T10:00:00'],
    ['month 13', '2026-13-01T10:00:00Z'],
    ['month 00', '2026-00-10T10:00:00Z'],
    ['day 00', '2026-03-00T10:00:00Z'],
    ['hour 24', '2026-03-17T24:00:00Z'],
    ['minute 60', '2026-03-17T10:60:00Z'],
    ['second 60', '2026-03-17T10:00:60Z'],
    ['offset hours above 18', '2026-03-17T10:00:00+19:00'],
    ['offset minutes above 59', '2026-03-17T10:00:00+09:60'],
    ['single-digit offset hour', '2026-03-17T10:00:00+9:00'],
    ['hour-only offset', '2026-03-17T10:00:00+09'],
    ['dangling decimal point', '2026-03-17T10:00:00.Z'],
    ['named zone suffix', '2026-03-17T10:00:00 KST'],
  ])('returns null for %s', (_case, raw) => {
    expect(parseEventTime(raw, SEOUL)).toBeNull();
  });
});

describe('periodOf and localHhmm in Asia/Seoul', () => {
  it('puts 2026-03-31T15:00:00Z (00:00 on 1 April in Seoul) in 202604', () => {
    expect(periodOf(at('2026-03-31T15:00:00Z'), SEOUL)).toBe('202604');
    expect(localHhmm(at('2026-03-31T15:00:00Z'), SEOUL)).toBe('0000');
  });

  it('puts 2026-03-31T14:59:59.999Z (23:59 on 31 March in Seoul) in 202603', () => {
    expect(periodOf(at('2026-03-31T14:59:59.999Z'), SEOUL)).toBe('202603');
    expect(localHhmm(at('2026-03-31T14:59:59.999Z'), SEOUL)).toBe('2359');
  });

  it('changes year at Seoul midnight on 1 January, nine hours before UTC does', () => {
    expect(periodOf(at('2025-12-31T14:59:59.999Z'), SEOUL)).toBe('202512');
    expect(periodOf(at('2025-12-31T15:00:00Z'), SEOUL)).toBe('202601');
    expect(periodOf(at('2025-12-31T15:00:00Z'), 'UTC')).toBe('202512');
  });

  it('an event from a UTC producer at 13:30Z is 22:30 in Seoul, where time blocks are judged', () => {
    const eventTime = parseEventTime('2026-03-17T13:30:00Z', SEOUL);
    if (eventTime === null) throw new Error('timestamp should parse');

    expect(localHhmm(eventTime, SEOUL)).toBe('2230');
    expect(periodOf(eventTime, SEOUL)).toBe('202603');
  });

  it('a zoneless 13:30 is 13:30 in Seoul', () => {
    const eventTime = parseEventTime('2026-03-17T13:30:00', SEOUL);
    if (eventTime === null) throw new Error('timestamp should parse');

    expect(localHhmm(eventTime, SEOUL)).toBe('1330');
  });

  it('pads hours and minutes to HHmm', () => {
    expect(localHhmm(at('2026-03-17T00:05:00+09:00'), SEOUL)).toBe('0005');
    expect(localHhmm(at('2026-03-17T09:09:00+09:00'), SEOUL)).toBe('0909');
  });
});

describe('shiftPeriod', () => {
  it.each([
    ['202601', -1, '202512'],
    ['202612', 1, '202701'],
    ['202603', 0, '202603'],
    ['202603', 2, '202605'],
    ['202603', -14, '202501'],
    ['202603', 24, '202803'],
  ])('shifts %s by %d months to %s', (period, months, expected) => {
    expect(shiftPeriod(period, months)).toBe(expected);
  });
});

describe('periodStart', () => {
  it('is local midnight on the 1st in the settlement zone', () => {
    expect(periodStart('202603', SEOUL)).toBe(at('2026-03-01T00:00:00+09:00'));
    expect(periodStart('202601', SEOUL)).toBe(at('2026-01-01T00:00:00+09:00'));
    expect(periodStart('202603', 'UTC')).toBe(at('2026-03-01T00:00:00Z'));
  });

  it('is exactly where periodOf changes', () => {
    const start = periodStart('202604', SEOUL);

    expect(periodOf(start, SEOUL)).toBe('202604');
    expect(periodOf(start - 1, SEOUL)).toBe('202603');
  });
});

describe('acceptedWindow', () => {
  it('runs from the start of the period before the record was written to its timestamp + skew', () => {
    const written = at('2026-03-17T12:00:00+09:00');

    expect(acceptedWindow(written, SEOUL, 300_000)).toEqual({
      fromMs: at('2026-02-01T00:00:00+09:00'),
      toMs: written + 300_000,
    });
  });

  it('moves at Seoul midnight on the 1st, not at UTC midnight', () => {
    const lastMomentOfMarch = at('2026-03-31T23:59:59.999+09:00');
    const firstMomentOfApril = at('2026-04-01T00:00:00+09:00');

    expect(acceptedWindow(lastMomentOfMarch, SEOUL, 0).fromMs).toBe(at('2026-02-01T00:00:00+09:00'));
    expect(acceptedWindow(firstMomentOfApril, SEOUL, 0).fromMs).toBe(at('2026-03-01T00:00:00+09:00'));
  });

  it('reaches back into the previous year in January', () => {
    const written = at('2026-01-10T09:00:00+09:00');
    expect(acceptedWindow(written, SEOUL, 0).fromMs).toBe(at('2025-12-01T00:00:00+09:00'));
  });
});

describe('acceptedPeriods', () => {
  it('reaches back to the period before the oldest record that may still be decided', () => {
    // On December 1st, a record written on October 31st about September is still decided.
    expect(acceptedPeriods(at('2026-12-01T10:00:00+09:00'), SEOUL, 300_000)).toEqual([
      '202609',
      '202610',
      '202611',
      '202612',
    ]);
    expect(acceptedPeriods(at('2026-12-20T10:00:00+09:00'), SEOUL, 300_000)).toEqual([
      '202610',
      '202611',
      '202612',
    ]);
  });

  it('reaches the next period when a record may be stamped in it', () => {
    expect(acceptedPeriods(at('2026-12-31T23:30:00+09:00'), SEOUL, 300_000)).toEqual([
      '202610',
      '202611',
      '202612',
      '202701',
    ]);
  });

  it('holds the period of every event a record written within the replay bound may carry', () => {
    const now = at('2026-12-01T10:00:00+09:00');
    const periods = acceptedPeriods(now, SEOUL, 300_000);
    for (const written of [now - MAX_RECORD_AGE_MS, now, now + MAX_RECORD_AHEAD_MS]) {
      const { fromMs, toMs } = acceptedWindow(written, SEOUL, 300_000);
      expect(periods).toContain(periodOf(fromMs, SEOUL));
      expect(periods).toContain(periodOf(toMs, SEOUL));
    }
  });
});

describe('periodStateExpiry', () => {
  const early = at('2026-01-01T00:00:00+09:00');

  it('is a day after the period after next begins, in epoch seconds', () => {
    expect(periodStateExpiry('202603', SEOUL, early)).toBe(at('2026-05-02T00:00:00+09:00') / 1000);
    expect(periodStateExpiry('202611', SEOUL, early)).toBe(at('2027-01-02T00:00:00+09:00') / 1000);
  });

  it('is never within the hour, so a state loaded for a late replay lives while its lane is decided', () => {
    const replayedLate = at('2026-06-20T10:00:00+09:00');
    expect(periodStateExpiry('202603', SEOUL, replayedLate)).toBe(replayedLate / 1000 + 3_600);
  });
});

describe('zonedToEpoch in a zone with daylight saving time', () => {
  const wall = (month: number, day: number, hour: number, minute: number) => ({
    year: 2026,
    month,
    day,
    hour,
    minute,
  });

  it('maps an ordinary wall time in New York to its instant', () => {
    expect(zonedToEpoch(wall(3, 7, 2, 30), NEW_YORK)).toBe(at('2026-03-07T07:30:00Z'));
    expect(zonedToEpoch(wall(7, 1, 12, 0), NEW_YORK)).toBe(at('2026-07-01T16:00:00Z'));
  });

  it('resolves the ambiguous 01:30 on 2026-11-01 (clocks fall back) to the earlier instant, 01:30 EDT', () => {
    expect(zonedToEpoch(wall(11, 1, 1, 30), NEW_YORK)).toBe(at('2026-11-01T01:30:00-04:00'));
  });

  it('resolves the nonexistent 02:30 on 2026-03-08 (clocks spring forward) with the offset before the gap, 07:30Z', () => {
    // Read with the EST offset in force before the gap: 07:30Z, shown as 03:30 EDT.
    expect(zonedToEpoch(wall(3, 8, 2, 30), NEW_YORK)).toBe(at('2026-03-08T07:30:00Z'));
  });

  it.each([
    [
      'New York, 2026-11-01 00:30 (EDT, before the fold)',
      NEW_YORK,
      wall(11, 1, 0, 30),
      '2026-11-01T04:30:00Z',
    ],
    [
      'New York, 2026-11-01 02:30 (EST, after the fold)',
      NEW_YORK,
      wall(11, 1, 2, 30),
      '2026-11-01T07:30:00Z',
    ],
    ['New York, 2026-11-01 05:30 (EST)', NEW_YORK, wall(11, 1, 5, 30), '2026-11-01T10:30:00Z'],
    ['New York, 2026-11-01 06:30 (EST)', NEW_YORK, wall(11, 1, 6, 30), '2026-11-01T11:30:00Z'],
    ['New York, 2026-03-08 01:30 (EST, before the gap)', NEW_YORK, wall(3, 8, 1, 30), '2026-03-08T06:30:00Z'],
    ['New York, 2026-03-08 03:30 (EDT, after the gap)', NEW_YORK, wall(3, 8, 3, 30), '2026-03-08T07:30:00Z'],
    ['Berlin, 2026-03-29 00:30 (CET)', BERLIN, wall(3, 29, 0, 30), '2026-03-28T23:30:00Z'],
    ['Berlin, 2026-03-29 01:30 (CET, before the gap)', BERLIN, wall(3, 29, 1, 30), '2026-03-29T00:30:00Z'],
    ['Berlin, 2026-03-29 03:30 (CEST, after the gap)', BERLIN, wall(3, 29, 3, 30), '2026-03-29T01:30:00Z'],
    ['Berlin, 2026-10-25 01:30 (CEST, before the fold)', BERLIN, wall(10, 25, 1, 30), '2026-10-24T23:30:00Z'],
    ['Berlin, 2026-10-25 03:30 (CET, after the fold)', BERLIN, wall(10, 25, 3, 30), '2026-10-25T02:30:00Z'],
  ])(
    'maps the unambiguous wall time %s to the one instant that shows it',
    (_case, zone, wallTime, expected) => {
      // Act
      const epoch = zonedToEpoch(wallTime, zone);

      // Assert
      expect(new Date(epoch).toISOString()).toBe(new Date(at(expected)).toISOString());
      expect(localParts(epoch, zone)).toMatchObject({
        day: wallTime.day,
        hour: wallTime.hour,
        minute: wallTime.minute,
      });
    },
  );

  it('resolves the ambiguous 02:30 on 2026-10-25 in Berlin to the earlier instant, 02:30 CEST', () => {
    expect(new Date(zonedToEpoch(wall(10, 25, 2, 30), BERLIN)).toISOString()).toBe(
      '2026-10-25T00:30:00.000Z',
    );
  });

  it('gives a zoneless event at 03:00 on 2026-11-01 in New York the local time 0300 (time blocks depend on it)', () => {
    const eventTime = parseEventTime('2026-11-01T03:00:00', NEW_YORK);
    if (eventTime === null) throw new Error('timestamp should parse');

    expect(localHhmm(eventTime, NEW_YORK)).toBe('0300');
  });
});
