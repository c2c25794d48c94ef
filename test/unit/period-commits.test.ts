import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { periodImageChanges } from '../../functions/adapters/dynamodb/period-stream';
import { NO_POLICY } from '../../functions/core/family';
import {
  committedFromImages,
  type LimitsWanted,
  memberChangesOf,
} from '../../functions/core/snapshots/period-commits';

const n = (v: number) => ({ N: String(v) });
const s = (v: string) => ({ S: v });

const periodItem = (
  members: Record<
    number,
    { used: number; settled: number; blocked?: number; latest?: string; shown?: number; zeroRated?: number }
  >,
) => ({
  PK: s('FAMILY#7'),
  SK: s('PERIOD#202612'),
  usedBytes: n(Object.values(members).reduce((a, m) => a + m.used, 0)),
  quota: n(1_000_000),
  ts: n(1_796_000_000_123),
  lastSettledAt: n(1_796_000_000_100),
  ...Object.fromEntries(
    Object.entries(members).flatMap(([id, m]) => [
      [`used_${id}`, n(m.used)],
      [`settled_${id}`, n(m.settled)],
      ...(m.blocked ? [[`blocked_${id}`, n(m.blocked)]] : []),
      ...(m.latest ? [[`latest_${id}`, s(m.latest)]] : []),
      ...(m.shown ? [[`shown_${id}`, n(m.shown)]] : []),
      ...(m.zeroRated ? [[`zeroRated_${id}`, n(m.zeroRated)]] : []),
    ]),
  ),
});

const record = (eventName: 'INSERT' | 'MODIFY' | 'REMOVE', keys: object, before?: object, after?: object) =>
  ({
    eventName,
    dynamodb: { Keys: keys, OldImage: before, NewImage: after, SequenceNumber: '1' },
  }) as unknown as DynamoDBRecord;

describe('the live usage snapshots read commits from the ledger stream', () => {
  it('takes the family period items only, before and after, and leaves every other record', () => {
    const keys = { PK: s('FAMILY#7'), SK: s('PERIOD#202612') };
    const after = periodItem({ 71: { used: 10, settled: 1, latest: 'NORMAL' } });
    const changes = periodImageChanges([
      record('INSERT', { PK: s('SETTLEMENT#e1'), SK: s('SETTLEMENT') }, undefined, { type: s('SETTLEMENT') }),
      record('MODIFY', { PK: s('FAMILY#7'), SK: s('MEMBER#71') }, {}, {}),
      record('REMOVE', keys, after, undefined),
      record('INSERT', keys, undefined, after),
    ]);
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({
      before: null,
      after: { familyId: 7, period: '202612', stampMs: 1_796_000_000_123, committedAtMs: 1_796_000_000_100 },
    });
  });

  it('names each member whose screen the commit changed, with what the screen shows now', () => {
    const keys = { PK: s('FAMILY#7'), SK: s('PERIOD#202612') };
    const before = periodItem({
      71: { used: 10, settled: 1, latest: 'NORMAL', shown: 5 },
      72: { used: 5, settled: 1, latest: 'NORMAL', shown: 5 },
    });
    const after = periodItem({
      71: { used: 30, settled: 2, blocked: 1, latest: 'APP_BLOCK', shown: 9 },
      72: { used: 5, settled: 1, latest: 'NORMAL', shown: 5 },
      73: { used: 4, settled: 1, latest: 'WARNING_50', shown: 9 },
    });
    const [change] = periodImageChanges([record('MODIFY', keys, before, after)]);
    const changed = memberChangesOf(change!);
    expect(changed.map((c) => [c.customerId, c.status])).toEqual([
      [71, 'APP_BLOCK'],
      [73, 'WARNING_50'],
    ]);
    expect(changed[0]).toMatchObject({ familyId: 7, period: '202612', committedStampMs: 1_796_000_000_123 });
  });

  it('names the members a family or policy change shows on screen, though it settled nothing', () => {
    const keys = { PK: s('FAMILY#7'), SK: s('PERIOD#202612') };
    const before = periodItem({ 71: { used: 10, settled: 1, latest: 'NORMAL', shown: 5 } });
    const after = {
      ...periodItem({ 71: { used: 10, settled: 1, latest: 'MONTHLY_LIMIT_EXCEEDED', shown: 9 } }),
      topups: n(500),
      configuredAt: n(1_796_000_000_120),
    };
    const [change] = periodImageChanges([record('MODIFY', keys, before, after)]);
    expect(change?.after).toMatchObject({ topupBytes: 500, committedAtMs: 1_796_000_000_120 });
    expect(memberChangesOf(change!).map((c) => [c.customerId, c.status])).toEqual([
      [71, 'MONTHLY_LIMIT_EXCEEDED'],
    ]);
  });

  it("reads each member's zero-rated usage from the image", () => {
    const keys = { PK: s('FAMILY#7'), SK: s('PERIOD#202612') };
    const after = periodItem({ 71: { used: 0, settled: 0, latest: 'ZERO_RATED', shown: 9, zeroRated: 70 } });
    const [change] = periodImageChanges([record('INSERT', keys, undefined, after)]);
    expect(change?.after.members.get(71)).toMatchObject({ usedBytes: 0, zeroRatedBytes: 70 });
    expect(memberChangesOf(change!).map((c) => c.status)).toEqual(['ZERO_RATED']);
  });

  it('finds no member in a change that changed no screen (a time window, say, moving the version)', () => {
    const keys = { PK: s('FAMILY#7'), SK: s('PERIOD#202612') };
    const item = periodItem({ 71: { used: 10, settled: 1, latest: 'NORMAL', shown: 5 } });
    const [change] = periodImageChanges([record('MODIFY', keys, item, { ...item, ver: n(9) })]);
    expect(memberChangesOf(change!)).toEqual([]);
  });

  it('reads the limits of a family a change of the batch wrote strongly consistent, and no other', async () => {
    const keys = { PK: s('FAMILY#7'), SK: s('PERIOD#202612') };
    const item = periodItem({ 71: { used: 10, settled: 1, latest: 'NORMAL', shown: 5 } });
    const changed = { ...item, configuredAt: n(1_796_000_000_120), shown_71: n(9) };
    const asked: Array<{ familyId: number; fresh: boolean }> = [];
    const limits = {
      read: async (wanted: ReadonlyArray<{ familyId: number; fresh: boolean }>) => {
        asked.push(...wanted.map(({ familyId, fresh }) => ({ familyId, fresh })));
        return new Map();
      },
    };
    const wanted = [{ familyId: 7, period: '202612', customerIds: [71] }];
    for (const after of [{ ...item, shown_71: n(9) }, changed]) {
      const images = periodImageChanges([record('MODIFY', keys, item, after)]);
      await committedFromImages(images, limits).read(wanted, NO_POLICY);
    }
    expect(asked).toEqual([
      { familyId: 7, fresh: false },
      { familyId: 7, fresh: true },
    ]);
  });

  it("hands the limits each period's change stamp from the newest image of the batch, and the members it lists", async () => {
    const keys = { PK: s('FAMILY#7'), SK: s('PERIOD#202612') };
    const item = periodItem({
      71: { used: 10, settled: 1, latest: 'NORMAL', shown: 5 },
      72: { used: 3, settled: 1, latest: 'NORMAL', shown: 4 },
    });
    const first = { ...item, configuredAt: n(1_796_000_000_050), shown_71: n(7) };
    const second = { ...first, ts: n(1_796_000_000_200), configuredAt: n(1_796_000_000_190), shown_71: n(9) };
    const asked: Array<{ changedAtMs: ReadonlyMap<string, number>; listed: ReadonlyArray<number> }> = [];
    const limits = {
      read: async (wanted: ReadonlyArray<LimitsWanted>) => {
        asked.push(...wanted.map(({ changedAtMs, listed }) => ({ changedAtMs, listed })));
        return new Map();
      },
    };
    const images = periodImageChanges([
      record('MODIFY', keys, first, second),
      record('MODIFY', keys, item, first),
    ]);
    await committedFromImages(images, limits).read(
      [{ familyId: 7, period: '202612', customerIds: [71] }],
      NO_POLICY,
    );
    expect(asked).toEqual([{ changedAtMs: new Map([['202612', 1_796_000_000_190]]), listed: [72] }]);
  });
});
