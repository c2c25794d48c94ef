import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { periodImageChanges } from '../../functions/adapters/dynamodb/period-stream';
import { memberChangesOf } from '../../functions/core/period-commits';

const n = (v: number) => ({ N: String(v) });
const s = (v: string) => ({ S: v });

const periodItem = (
  members: Record<number, { used: number; settled: number; blocked?: number; latest?: string }>,
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

  it('names each member whose settled events rose, with its latest decision and whether it counted', () => {
    const keys = { PK: s('FAMILY#7'), SK: s('PERIOD#202612') };
    const before = periodItem({
      71: { used: 10, settled: 1, latest: 'NORMAL' },
      72: { used: 5, settled: 1, latest: 'NORMAL' },
    });
    const after = periodItem({
      71: { used: 30, settled: 2, blocked: 1, latest: 'APP_BLOCK' },
      72: { used: 5, settled: 1, latest: 'NORMAL' },
      73: { used: 4, settled: 1, latest: 'WARNING_50' },
    });
    const [change] = periodImageChanges([record('MODIFY', keys, before, after)]);
    const changed = memberChangesOf(change!);
    expect(changed.map((c) => [c.customerId, c.status, c.counted])).toEqual([
      [71, 'APP_BLOCK', false],
      [73, 'WARNING_50', true],
    ]);
    expect(changed[0]).toMatchObject({ familyId: 7, period: '202612', committedStampMs: 1_796_000_000_123 });
  });

  it('finds no member in a change that settled nothing (a family or policy change moving the version)', () => {
    const keys = { PK: s('FAMILY#7'), SK: s('PERIOD#202612') };
    const item = periodItem({ 71: { used: 10, settled: 1, latest: 'NORMAL' } });
    const [change] = periodImageChanges([record('MODIFY', keys, item, { ...item, ver: n(9) })]);
    expect(memberChangesOf(change!)).toEqual([]);
  });
});
