import { describe, expect, it } from 'vitest';
import { NO_POLICY } from '../../functions/core/family';
import type { SnapshotPutResult } from '../../functions/core/snapshots/ports';
import { publishSnapshots, type SnapshotDeps } from '../../functions/core/snapshots/publish';
import {
  buildSnapshot,
  type CoalescedChange,
  type CommittedPeriod,
  coalesceChanges,
  type MemberChange,
  snapshotVersion,
} from '../../functions/core/snapshots/usage-snapshot';

const JUNE_10 = Date.UTC(2025, 5, 10);

const change = (over: Partial<MemberChange> = {}): MemberChange => ({
  familyId: 1,
  customerId: 11,
  period: '202506',
  status: 'NORMAL',
  committedStampMs: JUNE_10 + 3,
  committedAtMs: 1_000,
  ...over,
});

const state = (over: Partial<CommittedPeriod> = {}): CommittedPeriod => ({
  familyId: 1,
  period: '202506',
  stampMs: JUNE_10 + 3,
  quotaBytes: 1_000,
  topupBytes: 0,
  familyUsedBytes: 250,
  members: new Map([
    [11, { usedBytes: 100, zeroRatedBytes: 0, monthlyLimitBytes: 400 }],
    [12, { usedBytes: 150, zeroRatedBytes: 0, monthlyLimitBytes: null }],
  ]),
  ...over,
});

describe('coalescing', () => {
  it('keeps one change per member: newest period, then newest stamp, then the latest delivered', () => {
    const { entries, superseded } = coalesceChanges([
      change({ customerId: 11, committedStampMs: JUNE_10 + 3 }),
      change({ customerId: 11, committedStampMs: JUNE_10 + 4, status: 'MANUAL' }),
      change({ customerId: 12, committedStampMs: JUNE_10 + 4 }),
      // A late commit of May, stamped later than June's: the screen still shows June.
      change({ customerId: 12, period: '202505', committedStampMs: JUNE_10 + 90 }),
      change({ customerId: 11, committedStampMs: JUNE_10 + 4 }),
    ]);
    expect(superseded).toBe(3);
    expect(entries.map((e) => [e.latest.customerId, e.latest.period, e.latest.committedStampMs])).toEqual([
      [11, '202506', JUNE_10 + 4],
      [12, '202506', JUNE_10 + 4],
    ]);
    expect(entries[0]?.blockReason).toBeNull();
  });

  it('a blocked latest event makes the entry blocked with its reason', () => {
    const { entries } = coalesceChanges([change(), change({ status: 'APP_BLOCK' })]);
    expect(entries[0]?.blockReason).toBe('APP_BLOCK');
  });

  it('a zero-rated or warned latest event is not a block: the member may go on', () => {
    for (const status of ['ZERO_RATED', 'WARNING_10'] as const) {
      const { entries } = coalesceChanges([change({ status: 'MANUAL' }), change({ status })]);
      expect(entries[0]?.blockReason).toBeNull();
    }
  });
});

describe('the snapshot', () => {
  it('carries the family and member figures and a version that outranks every earlier period', () => {
    const s = buildSnapshot(state(), { latest: change(), blockReason: null }, Date.UTC(2025, 5, 1));
    expect(s).toEqual({
      familyId: 1,
      customerId: 11,
      period: '202506',
      familyQuotaBytes: 1_000,
      familyTopupBytes: 0,
      familyPoolBytes: 1_000,
      familyUsedBytes: 250,
      familyRemainingBytes: 750,
      familyUsedPercent: 25,
      memberUsedBytes: 100,
      memberZeroRatedBytes: 0,
      memberLimitBytes: 400,
      memberUsedPercent: 25,
      blocked: false,
      blockReason: null,
      version: snapshotVersion('202506', JUNE_10 + 3),
      asOf: '2025-06-01T00:00:00.000Z',
    });
  });

  it('orders versions by period first, then by commit stamp, within the safe integers', () => {
    const lateMayCommit = Date.UTC(2025, 7, 20);
    expect(snapshotVersion('202506', Date.UTC(2025, 4, 31, 20))).toBeGreaterThan(
      snapshotVersion('202505', lateMayCommit),
    );
    expect(snapshotVersion('202506', JUNE_10 + 1)).toBeGreaterThan(snapshotVersion('202506', JUNE_10));
    expect(Number.isSafeInteger(snapshotVersion('299912', Date.UTC(2300, 0, 1)))).toBe(true);
  });

  it('an overdrawn family shows nothing remaining; no limit means no member percentage', () => {
    const s = buildSnapshot(
      state({ quotaBytes: 200 }),
      { latest: change({ customerId: 12 }), blockReason: 'FAMILY_QUOTA_EXCEEDED' },
      0,
    );
    expect(s).toMatchObject({
      familyRemainingBytes: 0,
      familyUsedPercent: 125,
      memberLimitBytes: null,
      memberUsedPercent: null,
      blocked: true,
      blockReason: 'FAMILY_QUOTA_EXCEEDED',
    });
  });
});

describe('the pool and zero-rated usage', () => {
  it('shows the pool as the quota plus the top-ups, and what is left of it', () => {
    const s = buildSnapshot(state({ topupBytes: 500 }), { latest: change(), blockReason: null }, 0);
    expect(s).toMatchObject({
      familyQuotaBytes: 1_000,
      familyTopupBytes: 500,
      familyPoolBytes: 1_500,
      familyUsedBytes: 250,
      familyRemainingBytes: 1_250,
      familyUsedPercent: 16.7,
    });
  });

  it("shows the member's zero-rated usage beside what it used of the pool", () => {
    const members = new Map([[11, { usedBytes: 100, zeroRatedBytes: 4_000, monthlyLimitBytes: 400 }]]);
    const s = buildSnapshot(
      state({ members }),
      coalesceChanges([change({ status: 'ZERO_RATED' })]).entries[0] as CoalescedChange,
      0,
    );
    expect(s).toMatchObject({
      memberUsedBytes: 100,
      memberZeroRatedBytes: 4_000,
      memberUsedPercent: 25,
      blocked: false,
      blockReason: null,
    });
  });
});

describe('publishing', () => {
  const deps = (
    publish: (n: number, attempt: number) => Promise<SnapshotPutResult[]>,
    over: Partial<SnapshotDeps> = {},
  ) => {
    let attempt = 0;
    return {
      reader: { read: async () => [state()] },
      publisher: { publish: (s: ReadonlyArray<unknown>) => publish(s.length, ++attempt) },
      globalPolicy: {
        current: async () => ({ policy: NO_POLICY, revision: 0 }),
        refresh: async () => ({ policy: NO_POLICY, revision: 0 }),
      },
      clock: { now: () => 1_250 },
      settings: { retry: { maxAttempts: 3, baseDelayMs: 1 }, budgetMs: 1_000 },
      log: { warn: () => {} },
      ...over,
    } satisfies SnapshotDeps;
  };
  const two = [change({ customerId: 11 }), change({ customerId: 12 })];

  it('retries failed entries within the invocation and measures from the commit', async () => {
    const report = await publishSnapshots(
      two,
      deps(async (n, attempt) =>
        Array.from({ length: n }, (_, i) =>
          attempt === 1 && i === 0 ? { ok: false, code: 'InternalFailure', permanent: false } : { ok: true },
        ),
      ),
    );
    expect(report).toEqual({ published: 2, failed: 0, superseded: 0, commitToPublishMs: [250, 250] });
  });

  it('counts entries that stay refused, and does not retry a permanent error', async () => {
    let calls = 0;
    const report = await publishSnapshots(
      two,
      deps(async (n) => {
        calls++;
        return Array.from({ length: n }, () => ({ ok: false, code: 'MalformedDetail', permanent: true }));
      }),
    );
    expect(report).toMatchObject({ published: 0, failed: 2 });
    expect(calls).toBe(1);
  });

  it('never throws and never outlives its budget', async () => {
    const unreadable = await publishSnapshots(
      two,
      deps(async () => [], {
        reader: {
          read: async () => {
            throw new Error('ledger down');
          },
        },
      }),
    );
    expect(unreadable).toMatchObject({ published: 0, failed: 2 });

    const started = Date.now();
    const hung = await publishSnapshots(
      two,
      deps(() => new Promise(() => {}), {
        settings: { retry: { maxAttempts: 3, baseDelayMs: 1 }, budgetMs: 50 },
      }),
    );
    expect(hung).toMatchObject({ published: 0, failed: 2 });
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
