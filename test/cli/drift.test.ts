import { describe, expect, it } from 'vitest';
import { compareFamily } from '../../cli/drift';
import { type FamilySnapshot, NO_POLICY } from '../../functions/core/family';

const snapshot: FamilySnapshot = {
  familyId: 1,
  period: '202611',
  quotaBytes: 1000,
  familyUsedBytes: 300,
  members: [
    { customerId: 11, policy: NO_POLICY, usedBytes: 300, alerts: [] },
    { customerId: 12, policy: NO_POLICY, usedBytes: 0, alerts: [] },
  ],
};

describe('compareFamily', () => {
  it('finds no drift when Redis matches the ledger, even with members not yet hydrated', () => {
    expect(compareFamily(snapshot, { quota: 1000, remaining: 700, used: new Map([[11, 300]]) })).toEqual([]);
  });

  it('reports each field that differs', () => {
    const state = {
      quota: 900,
      remaining: 650,
      used: new Map([
        [11, 350],
        [12, 0],
        [13, 5],
      ]),
    };
    expect(compareFamily(snapshot, state)).toEqual([
      { field: 'quota', redis: 900, ledger: 1000 },
      { field: 'remaining', redis: 650, ledger: 700 },
      { field: 'used:11', redis: 350, ledger: 300 },
      { field: 'used:13', redis: 5, ledger: 0 },
    ]);
  });

  it('compares a negative remaining as 0, as hydration writes it', () => {
    const over = { ...snapshot, quotaBytes: 200 };
    expect(compareFamily(over, { quota: 200, remaining: -100, used: new Map() })).toEqual([]);
  });
});
