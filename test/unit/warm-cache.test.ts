import { describe, expect, it } from 'vitest';
import { familyPeriods } from '../../bench/warm-cache';
import type { GeneratedEvent } from '../../local/workload/generate';

/** What a warm run loads before its clock starts: each family its usage events touch, in each period. */
const usage = (
  familyId: number,
  timestamp: string,
  kind: GeneratedEvent['kind'] = 'usage',
): GeneratedEvent => ({
  key: String(familyId),
  value: JSON.stringify({ eventId: `e-${familyId}-${timestamp}`, timestamp, payload: { familyId } }),
  kind,
});

describe('the families and periods a slice of the stream touches', () => {
  it('gives each family the periods of its events in local time, once each and in order', () => {
    const periods = familyPeriods(
      [
        // 2026-11-30T16:00Z is already December in Seoul.
        usage(7, '2026-11-30T16:00:00Z'),
        usage(7, '2026-11-30T10:00:00Z'),
        usage(7, '2026-11-01T00:00:00Z'),
        usage(9, '2026-11-15T00:00:00Z'),
      ],
      'Asia/Seoul',
    );
    expect(Object.fromEntries(periods)).toEqual({ 7: ['202611', '202612'], 9: ['202611'] });
  });

  it('leaves out records that are not new usage: duplicates, malformed bytes, other event types', () => {
    const periods = familyPeriods(
      [
        usage(1, '2026-11-15T00:00:00Z', 'duplicate'),
        usage(2, '2026-11-15T00:00:00Z', 'skip'),
        { key: '3', value: '{not json', kind: 'malformed' },
        { key: null, value: null, kind: 'malformed' },
      ],
      'Asia/Seoul',
    );
    expect(periods.size).toBe(0);
  });
});
