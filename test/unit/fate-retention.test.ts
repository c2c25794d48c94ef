import { describe, expect, it } from 'vitest';
import {
  DEFAULT_FATE_RETENTION_DAYS,
  fateExpiry,
  MIN_FATE_RETENTION_DAYS,
} from '../../functions/core/settlement/retention';
import { MAX_RECORD_AGE_MS, periodStart, shiftPeriod } from '../../functions/core/time';

const DAY_MS = 86_400_000;
/** The zones furthest ahead of and behind UTC, and the product's default. */
const ZONES = ['Pacific/Kiritimati', 'Pacific/Pago_Pago', 'Asia/Seoul', 'America/New_York'];
const PERIODS = ['202601', '202602', '202612', '202707', '202802'];

/** The last instant a record of `period` can still be decided: written just before P + 2 began, at its age limit. */
const lastDecisionMs = (period: string, zone: string) =>
  periodStart(shiftPeriod(period, 2), zone) - 1 + MAX_RECORD_AGE_MS;

describe('how long an event fate stays in the ledger', () => {
  it.each(ZONES)(
    'outlives every delivery or replay that may still decide a record of its period, in %s',
    (zone) => {
      for (const period of PERIODS) {
        for (const days of [MIN_FATE_RETENTION_DAYS, DEFAULT_FATE_RETENTION_DAYS]) {
          expect(fateExpiry(period, days) * 1000).toBeGreaterThan(lastDecisionMs(period, zone));
        }
      }
    },
  );

  it('outlives a topic retention of the same number of days after the last record of its period', () => {
    for (const zone of ZONES) {
      for (const period of PERIODS) {
        const lastRecordMs = periodStart(shiftPeriod(period, 2), zone);
        expect(fateExpiry(period, 60) * 1000).toBeGreaterThanOrEqual(lastRecordMs + 60 * DAY_MS);
      }
    }
  });

  it('is the UTC start of the period after next, plus a day of zone slack, plus the retention', () => {
    expect(fateExpiry('202612', 35)).toBe(Date.parse('2027-02-01T00:00:00Z') / 1000 + 36 * 86_400);
    // One period later is the length of the period after next later: December's 31 days.
    expect(fateExpiry('202611', 35) - fateExpiry('202610', 35)).toBe(31 * 86_400);
  });

  it('keeps the minimum at the replay bound plus a day', () => {
    expect(MIN_FATE_RETENTION_DAYS).toBe(32);
    expect(DEFAULT_FATE_RETENTION_DAYS).toBeGreaterThanOrEqual(MIN_FATE_RETENTION_DAYS);
  });
});
