import { describe, expect, it } from 'vitest';
import {
  fateLifetimeDays,
  poolItemSizes,
  projectStorage,
  SECONDS_PER_MONTH,
} from '../../bench/storage-projection';
import type { ItemKindSizes } from '../../bench/write-billing';

/** The bench's storage projection: item sizes measured in runs, priced per GB-month. */
const kind = (items: number, meanBytes: number, indexEntries = 0, indexMeanBytes = 0): ItemKindSizes => ({
  items,
  writes: items,
  meanBytes,
  maxBytes: meanBytes,
  wcuPerWrite: 2,
  indexEntries,
  indexMeanBytes,
});
const GB = 1024 ** 3;

describe('item sizes over several runs', () => {
  it('weights means by items, writes and index entries, and keeps the largest item', () => {
    const pooled = poolItemSizes([
      { events: 10, items: { SETTLEMENT: { ...kind(1, 400, 1, 400), maxBytes: 450, wcuPerWrite: 1 } } },
      { events: 30, items: { SETTLEMENT: kind(3, 600, 3, 600), OUTBOX: kind(2, 300) } },
    ]);
    expect(pooled.events).toBe(40);
    expect(pooled.kinds.SETTLEMENT).toEqual({
      items: 4,
      writes: 4,
      meanBytes: 550,
      maxBytes: 600,
      wcuPerWrite: 1.75,
      indexEntries: 4,
      indexMeanBytes: 550,
    });
    expect(pooled.kinds.OUTBOX).toEqual(kind(2, 300));
  });
});

describe('storage projection', () => {
  const pooled = poolItemSizes([
    {
      events: 100,
      items: {
        // 90 settlements with an index copy, 5 rejections; the rest were duplicates or malformed.
        SETTLEMENT: kind(90, 500, 90, 500),
        REJECTION: kind(5, 200),
        OUTBOX: kind(10, 400, 10, 400),
        PERIOD: kind(4, 300, 4, 50),
      },
    },
  ]);

  it('counts every item and index entry 100 bytes above its size', () => {
    const p = projectStorage(pooled, 1_000, 7 * 86_400, 35);
    expect(p?.recordBytesPerEvent).toBeCloseTo((90 * 600 * 2 + 5 * 300) / 100);
    expect(p?.outboxItemsPerEvent).toBeCloseTo(0.1);
    expect(p?.outboxItemBytes).toBe(500 * 2);
    expect(p?.periodItemBytes).toBe(400 + 150);
  });

  it('holds records for their TTL lifetime, piles period items up month after month, and outbox items for their retention', () => {
    const p = projectStorage(pooled, 1_000, 7 * 86_400, 35);
    const at = p?.at['5000/s'];
    // Half a month to the period's end, the next period, a day of zone slack, 35 days.
    const lifetimeDays = (1.5 * SECONDS_PER_MONTH) / 86_400 + 1 + 35;
    expect(p?.recordLifetimeDays).toBeCloseTo(lifetimeDays, 9);
    expect(fateLifetimeDays(35)).toBeCloseTo(lifetimeDays, 9);
    const recordsGb = (5_000 * lifetimeDays * 86_400 * 1_095) / GB;
    const periodsGb = (1_000 * 550) / GB;
    const outboxGb = (5_000 * 7 * 86_400 * 0.1 * 1_000) / GB;
    expect(at?.recordsGb).toBeCloseTo(recordsGb, 6);
    expect(at?.periodsGb).toBeCloseTo(periodsGb, 9);
    expect(at?.outboxGb).toBeCloseTo(outboxGb, 6);
    expect(at?.recordsUsdPerMonth).toBeCloseTo(recordsGb * 0.25, 6);
    expect(at?.periodsAddUsdPerMonth).toBeCloseTo(periodsGb * 0.25, 9);
    expect(at?.outboxUsdPerMonth).toBeCloseTo(outboxGb * 0.25, 6);
    // A million events' records, held their lifetime: bytes x months x price.
    expect(p?.recordUsdPerMillionEvents).toBeCloseTo(
      ((1e6 * 1_095) / GB) * (lifetimeDays / (SECONDS_PER_MONTH / 86_400)) * 0.25,
      9,
    );
  });

  it('doubles what depends on the rate at 10,000 events/s, not the period items', () => {
    const p = projectStorage(pooled, 1_000, 7 * 86_400, 35);
    const [low, high] = [p?.at['5000/s'], p?.at['10000/s']];
    expect(high?.recordsGb).toBeCloseTo(2 * (low?.recordsGb ?? 0), 6);
    expect(high?.outboxGb).toBeCloseTo(2 * (low?.outboxGb ?? 0), 6);
    expect(high?.periodsGb).toBe(low?.periodsGb);
  });

  it('projects nothing from runs without events', () => {
    expect(projectStorage(poolItemSizes([]), 1_000, 86_400, 35)).toBeNull();
  });
});
