import { describe, expect, it } from 'vitest';
import { compareFamily } from '../../functions/adapters/redis/period-drift';
import type { PeriodState } from '../../functions/adapters/redis/period-fields';
import { NO_POLICY, type PeriodSnapshot } from '../../functions/core/family';

const snapshot: PeriodSnapshot = {
  familyId: 1,
  period: '202611',
  quotaBytes: 1000,
  topupBytes: 0,
  familyUsedBytes: 300,
  version: 4,
  stampMs: 0,
  globalRevision: null,
  settledHorizonMs: 0,
  familyPolicy: NO_POLICY,
  members: [
    { customerId: 11, policy: NO_POLICY, usedBytes: 300, alerts: [] },
    { customerId: 12, policy: NO_POLICY, usedBytes: 0, alerts: [] },
  ],
};

const state = (fields: Partial<PeriodState>): PeriodState => ({
  quota: 1000,
  topups: 0,
  remaining: 700,
  version: 4,
  used: new Map([
    [11, 300],
    [12, 0],
  ]),
  pendingBytes: new Map(),
  pendingDecisions: 0,
  ...fields,
});

describe('compareFamily', () => {
  it('finds no drift when Redis matches the ledger', () => {
    expect(compareFamily(snapshot, state({}))).toEqual([]);
  });

  it('counts decisions Redis holds pending on top of what the ledger committed', () => {
    const pending = state({
      remaining: 650,
      used: new Map([
        [11, 350],
        [12, 0],
      ]),
      pendingBytes: new Map([[11, 50]]),
      pendingDecisions: 2,
    });
    expect(compareFamily(snapshot, pending)).toEqual([]);
  });

  it('reports each field that differs', () => {
    const drifted = state({
      quota: 900,
      remaining: 650,
      used: new Map([
        [11, 350],
        [12, 0],
        [13, 5],
      ]),
    });
    expect(compareFamily(snapshot, drifted)).toEqual([
      { field: 'quota', redis: 900, ledger: 1000 },
      { field: 'remaining', redis: 650, ledger: 700 },
      { field: 'used:11', redis: 350, ledger: 300 },
      { field: 'used:13', redis: 5, ledger: 0 },
    ]);
  });

  it('counts top-ups in the pool, and reports a state that missed one', () => {
    const toppedUp = { ...snapshot, topupBytes: 500 };
    expect(compareFamily(toppedUp, state({ topups: 500, remaining: 1200 }))).toEqual([]);
    expect(compareFamily(toppedUp, state({}))).toEqual([
      { field: 'topups', redis: 0, ledger: 500 },
      { field: 'remaining', redis: 700, ledger: 1200 },
    ]);
  });

  it('reports a state at another version as outdated only: the next commit from it is refused', () => {
    expect(compareFamily(snapshot, state({ version: 3, remaining: 1 }))).toEqual([
      { field: 'version', redis: 3, ledger: 4 },
    ]);
  });

  it('compares a remaining below zero exactly: an overdrawn family', () => {
    const over = { ...snapshot, quotaBytes: 200 };
    expect(compareFamily(over, state({ quota: 200, remaining: -100 }))).toEqual([]);
  });
});
