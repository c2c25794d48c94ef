import { describe, expect, it } from 'vitest';
import { type MemberPolicy, NO_POLICY } from '../../functions/core/family';
import { cachedFamilyLimits, type LimitsCacheSettings } from '../../functions/core/snapshots/limits-cache';
import type { FamilyLimits, LimitsWanted } from '../../functions/core/snapshots/period-commits';

const NOW = 1_796_000_000_000;
const HOUR_AGO = NOW - 3_600_000;
const limit = (bytes: number): MemberPolicy => ({ ...NO_POLICY, monthlyLimitBytes: bytes });

/** A ledger of family limits that records every read it answers. */
function ledger() {
  const families = new Map<number, { quotaBytes: number; members: Map<number, number> }>();
  const reads: Array<{ familyId: number; customerIds: number[]; fresh: boolean }> = [];
  return {
    families,
    reads,
    source: {
      async read(wanted: ReadonlyArray<LimitsWanted>) {
        const found = new Map<number, FamilyLimits>();
        for (const w of wanted) {
          reads.push({ familyId: w.familyId, customerIds: [...w.customerIds], fresh: w.fresh });
          const family = families.get(w.familyId);
          if (!family) continue;
          found.set(w.familyId, {
            quotaBytes: family.quotaBytes,
            familyPolicy: NO_POLICY,
            memberPolicies: new Map(w.customerIds.map((c) => [c, limit(family.members.get(c) ?? 0)])),
          });
        }
        return found;
      },
    },
  };
}

function setup(settings?: Partial<LimitsCacheSettings>) {
  const db = ledger();
  db.families.set(7, {
    quotaBytes: 10_000,
    members: new Map([
      [71, 500],
      [72, 600],
    ]),
  });
  const clock = { nowMs: NOW, now: () => clock.nowMs };
  const cache = cachedFamilyLimits(db.source, clock, {
    maxFamilies: 100,
    maxAgeMs: 600_000,
    recentChangeMs: 60_000,
    ...settings,
  });
  const want = (
    customerIds: number[],
    changedAtMs: Array<[string, number]>,
    familyId = 7,
    listed: number[] = [],
  ): LimitsWanted => ({ familyId, customerIds, fresh: false, changedAtMs: new Map(changedAtMs), listed });
  const limitOf = async (w: LimitsWanted, customerId: number) =>
    (await cache.read([w])).get(w.familyId)?.memberPolicies.get(customerId)?.monthlyLimitBytes;
  return { db, clock, cache, want, limitOf };
}

describe('the snapshots keep a family limits while no change stamp moves', () => {
  it('answers a family again from what it read while its images carry the stamp it read against', async () => {
    const { db, cache, want, limitOf } = setup();
    expect(await limitOf(want([71], [['202612', HOUR_AGO]]), 71)).toBe(500);
    expect(await limitOf(want([71], [['202612', HOUR_AGO]]), 71)).toBe(500);
    expect(db.reads).toHaveLength(1);
    expect(cache.counts()).toEqual({ cached: 1, read: 1, items: 2 });
  });

  it('reads a family again when a change stamped one of its periods since, and shows the new limit', async () => {
    const { db, want, limitOf } = setup();
    await limitOf(want([71], [['202612', HOUR_AGO]]), 71);
    db.families.get(7)?.members.set(71, 200);
    expect(await limitOf(want([71], [['202612', HOUR_AGO + 5]]), 71)).toBe(200);
    expect(db.reads).toHaveLength(2);
  });

  it('reads a family again for a period it did not see at the read, as a late event of last month', async () => {
    const { db, want, limitOf } = setup();
    await limitOf(want([71], [['202612', HOUR_AGO]]), 71);
    await limitOf(want([71], [['202611', 0]]), 71);
    await limitOf(want([71], [['202611', 0]]), 71);
    expect(db.reads).toHaveLength(2);
  });

  it('keeps both months of a family that commits to each, as at a month change', async () => {
    const { db, want, limitOf } = setup();
    for (const period of ['202612', '202611', '202612', '202611'])
      await limitOf(want([71], [[period, HOUR_AGO]]), 71);
    expect(db.reads).toHaveLength(2);
  });

  it('reads strongly consistent when a stamp it already held is recent, though the images at hand are not', async () => {
    const { db, want, limitOf } = setup();
    await limitOf(want([71], [['202612', NOW - 10_000]]), 71);
    await limitOf(want([71], [['202611', HOUR_AGO]]), 71);
    expect(db.reads.map((r) => r.fresh)).toEqual([true, true]);
  });

  it('reads only when a member is new to it, and keeps both members under the first read stamps', async () => {
    const { db, want, limitOf } = setup();
    await limitOf(want([71], [['202612', HOUR_AGO]]), 71);
    expect(await limitOf(want([72], [['202612', HOUR_AGO]]), 72)).toBe(600);
    expect(await limitOf(want([71, 72], [['202612', HOUR_AGO]]), 71)).toBe(500);
    expect(db.reads.map((r) => r.customerIds)).toEqual([[71], [72]]);
  });

  it('reads the members the images list with the family, and answers their next commits from them', async () => {
    const { db, want, limitOf } = setup();
    await limitOf(want([71], [['202612', HOUR_AGO]], 7, [72]), 71);
    expect(await limitOf(want([72], [['202612', HOUR_AGO]], 7, [71]), 72)).toBe(600);
    expect(db.reads.map((r) => r.customerIds)).toEqual([[71, 72]]);
  });

  it('reads a family a change stamped within the last minute strongly consistent, an older one not', async () => {
    const { db, want, limitOf } = setup();
    await limitOf(want([71], [['202612', NOW - 30_000]], 7), 71);
    await limitOf(want([81], [['202612', NOW - 90_000]], 8), 81);
    // A stamp ahead of this container's clock (another host's) is recent too.
    await limitOf(want([91], [['202612', NOW + 2_000]], 9), 91);
    expect(db.reads.map((r) => r.fresh)).toEqual([true, false, true]);
  });

  it('reads again a family kept longer than its bound, even with no change seen', async () => {
    const { db, clock, want, limitOf } = setup();
    const w = want([71], [['202612', HOUR_AGO]]);
    await limitOf(w, 71);
    clock.nowMs += 599_000;
    await limitOf(w, 71);
    clock.nowMs += 2_000;
    await limitOf(w, 71);
    expect(db.reads).toHaveLength(2);
  });

  it('keeps at most its bound of families, dropping the one read longest ago', async () => {
    const { db, want, limitOf } = setup({ maxFamilies: 2 });
    for (const id of [1, 2, 3]) db.families.set(id, { quotaBytes: 1, members: new Map([[id * 10, id]]) });
    for (const id of [1, 2, 3, 2, 1]) await limitOf(want([id * 10], [['202612', HOUR_AGO]], id), id * 10);
    expect(db.reads.map((r) => r.familyId)).toEqual([1, 2, 3, 1]);
  });

  it('keeps neither a family without a family item nor a read without any image stamp', async () => {
    const { db, want, limitOf } = setup();
    await limitOf(want([81], [['202612', HOUR_AGO]], 8), 81);
    await limitOf(want([81], [['202612', HOUR_AGO]], 8), 81);
    await limitOf(want([71], []), 71);
    await limitOf(want([71], []), 71);
    expect(db.reads.map((r) => r.familyId)).toEqual([8, 8, 7, 7]);
  });
});
