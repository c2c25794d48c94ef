import { describe, expect, it } from 'vitest';
import type { Change } from '../../functions/core/changes/change-event';
import type { FamilyRecord, MemberRecord, PeriodRecord } from '../../functions/core/changes/family-records';
import { planGlobalStep } from '../../functions/core/changes/global-catch-up';
import { mayWait } from '../../functions/core/changes/held-changes';
import { type PlanContext, planChange } from '../../functions/core/changes/plan-change';
import type { PolicyValue } from '../../functions/core/changes/policy-keys';
import { versionOf } from '../../functions/core/changes/version';
import { type MemberPolicy, NO_POLICY } from '../../functions/core/family';

/**
 * The change planner is pure: what the ledger holds in, what every item and
 * period must become and which notifications are owed out. The same plans
 * are committed against DynamoDB Local in test/integration/change-events.
 */
const NOW = Date.parse('2026-12-05T12:00:00+09:00');
const CURRENT = '202612';
const PREVIOUS = '202611';
let seq = 0;

const member = (customerId: number, policy: Partial<MemberPolicy> = {}, active = true): MemberRecord => ({
  customerId,
  role: 'MEMBER',
  active,
  membershipVersion: versionOf(NOW - 86_400_000, `join-${customerId}`),
  policy: { ...NO_POLICY, ...policy },
  policyVersions: {},
});

const period = (
  p: string,
  used: Record<number, number> = {},
  alerts: Record<number, string[]> = {},
): PeriodRecord => ({
  period: p,
  version: 4,
  stampMs: NOW - 1_000,
  globalRevision: 2,
  quotaBytes: 1_000,
  topupBytes: 0,
  used: new Map(Object.entries(used).map(([id, n]) => [Number(id), n])),
  alerts: new Map(Object.entries(alerts).map(([id, a]) => [Number(id), a])),
});

function family(
  members: MemberRecord[],
  periods: PeriodRecord[],
  policy: Partial<MemberPolicy> = {},
): FamilyRecord {
  return {
    familyId: 7,
    exists: true,
    name: null,
    quotaBytes: 1_000,
    quotaVersion: versionOf(NOW - 86_400_000, 'quota'),
    membersVersion: versionOf(NOW - 86_400_000, 'members'),
    policy: { ...NO_POLICY, ...policy },
    policyVersions: {},
    members: new Map(members.map((m) => [m.customerId, m])),
    periods,
  };
}

const context = (f: FamilyRecord | null, global: Partial<MemberPolicy> = {}): PlanContext => ({
  family: f,
  global: { policy: { ...NO_POLICY, ...global }, policyVersions: {}, revision: 2 },
  currentPeriod: CURRENT,
  nowMs: NOW,
});

function policy(
  target: { familyId?: number; customerId?: number },
  value: PolicyValue,
  timestampMs = NOW,
): Extract<Change, { kind: 'policy' }> {
  const eventId = `pol-${++seq}`;
  return {
    kind: 'policy',
    eventId,
    eventType: 'POLICY_UPDATED',
    timestampMs,
    version: versionOf(timestampMs, eventId),
    target:
      target.customerId !== undefined
        ? { level: 'MEMBER', familyId: target.familyId ?? 7, customerId: target.customerId }
        : target.familyId !== undefined
          ? { level: 'FAMILY', familyId: target.familyId }
          : { level: 'GLOBAL' },
    value,
  };
}

const told = (result: ReturnType<typeof planChange>) =>
  result.kind === 'apply'
    ? result.plan.notifications.map((n) => `${n.type}:${n.customerId}:${n.data.reason ?? ''}`)
    : result.kind;

describe('planning a policy change', () => {
  it('blocks a member at once whose new limit is at or below what it used, and marks the block', () => {
    const f = family([member(11), member(12)], [period(PREVIOUS), period(CURRENT, { 11: 600, 12: 100 })]);
    const result = planChange(
      policy({ customerId: 11 }, { key: 'LIMIT:DATA:MONTHLY', limitBytes: 500 }),
      context(f),
    );

    expect(told(result)).toEqual(['POLICY_CHANGED:11:', 'CUSTOMER_BLOCKED:11:MONTHLY_LIMIT_EXCEEDED']);
    if (result.kind !== 'apply') return;
    const [previous, current] = result.plan.periods;
    expect(current?.alertsAdded).toEqual([{ customerId: 11, marker: '11:MONTHLY_LIMIT_EXCEEDED' }]);
    // Every accepted period's version moves; only the current period's markers do.
    expect([previous?.versionBefore, previous?.alertsAdded]).toEqual([4, []]);
    expect(result.plan.screens).toEqual([{ customerId: 11, blockReason: 'MONTHLY_LIMIT_EXCEEDED' }]);
  });

  it('does not tell a member again of a block it was told of this period, and lifts it with its marker', () => {
    const f = family([member(11, { manualBlock: true })], [period(CURRENT, {}, { 11: ['11:MANUAL'] })]);
    const again = planChange(policy({ familyId: 7 }, { key: 'BLOCK:ACCESS', blocked: true }), context(f));
    const lifted = planChange(
      policy({ customerId: 11 }, { key: 'BLOCK:ACCESS', blocked: false }),
      context(f),
    );

    expect(told(again)).toEqual(['POLICY_CHANGED:null:']);
    expect(told(lifted)).toEqual(['POLICY_CHANGED:11:', 'CUSTOMER_UNBLOCKED:11:MANUAL']);
    if (lifted.kind === 'apply') {
      expect(lifted.plan.periods[0]?.alertsRemoved).toEqual([{ customerId: 11, marker: '11:MANUAL' }]);
    }
  });

  it('lets the member level win over the family and the global ones', () => {
    const f = family([member(11, { monthlyLimitBytes: 900 })], [period(CURRENT, { 11: 600 })]);
    // A family limit below the usage does not block a member whose own limit is above it.
    const result = planChange(
      policy({ familyId: 7 }, { key: 'LIMIT:DATA:MONTHLY', limitBytes: 100 }),
      context(f),
    );
    expect(told(result)).toEqual(['POLICY_CHANGED:null:']);
  });

  it('ignores a change not newer than the value it would replace, and says when it is a replay', () => {
    const change = policy({ familyId: 7 }, { key: 'BLOCK:TIME', window: { start: '2300', end: '0600' } });
    const stored = family([member(11)], [period(CURRENT)]);
    const f = { ...stored, policyVersions: { 'BLOCK:TIME': change.version } };
    const older = policy({ familyId: 7 }, { key: 'BLOCK:TIME', window: null }, NOW - 1);

    expect(planChange(change, context(f))).toEqual({ kind: 'stale', replayed: true });
    expect(planChange(older, context(f))).toEqual({ kind: 'stale', replayed: false });
  });

  it('refuses a member target outside the family and an unknown family: both may wait for it', () => {
    const f = family([member(11), member(12, {}, false)], [period(CURRENT)]);
    const left = policy({ customerId: 12 }, { key: 'BLOCK:ACCESS', blocked: true });
    const unknown = policy({ familyId: 8 }, { key: 'BLOCK:ACCESS', blocked: true });

    const results = [planChange(left, context(f)), planChange(unknown, context(null))];

    expect(results.map((r) => (r.kind === 'reject' ? r.rejection.reason : r.kind))).toEqual([
      'NOT_A_MEMBER',
      'UNKNOWN_FAMILY',
    ]);
    expect(
      results.every((r, i) => r.kind === 'reject' && mayWait([left, unknown][i] as Change, r.rejection)),
    ).toBe(true);
  });

  it('plans a global change as the global item and its revision, written to no family', () => {
    const result = planChange(policy({}, { key: 'BLOCK:ACCESS', blocked: true }), context(null));

    expect(told(result)).toEqual(['POLICY_CHANGED:null:']);
    if (result.kind !== 'apply') return;
    expect(result.plan.periods).toEqual([]);
    expect(result.plan.globalRevision).toMatchObject({
      revision: 3,
      before: NO_POLICY,
      after: { manualBlock: true },
    });
  });
});

describe('planning a family change', () => {
  it('moves the current pool by the quota difference and fixes the previous period at the old quota', () => {
    const f = family([member(11)], [{ ...period(PREVIOUS), quotaBytes: null }, period(CURRENT, { 11: 300 })]);
    const change: Change = {
      kind: 'quota-changed',
      eventId: 'q-1',
      eventType: 'QUOTA_CHANGED',
      timestampMs: NOW,
      version: versionOf(NOW, 'q-1'),
      familyId: 7,
      quotaBytes: 400,
    };
    const result = planChange(change, context(f));

    if (result.kind !== 'apply') throw new Error(result.kind);
    const [previous, current] = result.plan.periods;
    expect(previous?.quota).toEqual({ mode: 'fix', bytes: 1_000 });
    expect(current).toMatchObject({ quota: { mode: 'set', bytes: 400 }, remainingDelta: -600 });
    expect(result.plan.screens).toEqual([{ customerId: 11, blockReason: null }]);
  });

  it('adds a member who joins with the usage it already has, and stamps each period past its last commit', () => {
    const f = family([member(11)], [period(CURRENT, { 13: 250 })]);
    const change: Change = {
      kind: 'member-joined',
      eventId: 'j-1',
      eventType: 'MEMBER_JOINED',
      timestampMs: NOW,
      version: versionOf(NOW, 'j-1'),
      familyId: 7,
      customerId: 13,
      role: 'MEMBER',
    };
    const result = planChange(change, context(f));

    if (result.kind !== 'apply') throw new Error(result.kind);
    expect(result.plan.periods[0]).toMatchObject({
      membersJoined: [{ customerId: 13, usedBytes: 250 }],
      stampMs: NOW,
    });
  });
});

describe('a family taking a global revision', () => {
  it('owes the blocks and unblocks it starts or lifts, and moves the period to the revision', () => {
    const f = family([member(11), member(12, { monthlyLimitBytes: 50 })], [period(CURRENT, { 12: 60 })]);
    const step = planGlobalStep(
      {
        revision: 3,
        change: policy({}, { key: 'BLOCK:ACCESS', blocked: true }),
        before: NO_POLICY,
        after: { ...NO_POLICY, manualBlock: true },
      },
      f,
      { currentPeriod: CURRENT, nowMs: NOW },
    );

    expect(
      step.notifications.map((n) => `${n.type}:${n.customerId}:${'level' in n.data && n.data.level}`),
    ).toEqual(['CUSTOMER_BLOCKED:11:GLOBAL', 'CUSTOMER_BLOCKED:12:GLOBAL']);
    expect(step.periods[0]).toMatchObject({ globalRevision: 3, versionBefore: 4 });
    expect(step.global).toBeNull();
  });
});

describe('planning a top-up', () => {
  const topup = (
    topupId: string,
    bytes: number,
    at = NOW,
    eventId = `top-${++seq}`,
  ): Extract<Change, { kind: 'topup-added' }> => ({
    kind: 'topup-added',
    eventId,
    eventType: 'TOPUP_ADDED',
    timestampMs: at,
    version: versionOf(at, eventId),
    familyId: 7,
    topupId,
    bytes,
    period: CURRENT,
  });
  // Pool 1 000, all used: 11 and 12 were blocked for the empty pool and told every warning.
  const emptied = () =>
    family(
      [member(11), member(12), member(13, {}, false)],
      [
        period(
          CURRENT,
          { 11: 600, 12: 400 },
          {
            11: ['11:WARNING_50', '11:WARNING_30', '11:WARNING_10', '11:FAMILY_QUOTA_EXCEEDED'],
            12: ['12:WARNING_50', '12:FAMILY_QUOTA_EXCEEDED', '12:MANUAL'],
            13: ['13:FAMILY_QUOTA_EXCEEDED'],
          },
        ),
      ],
    );

  it('grows the pool of its period at once, lifts the empty-pool blocks and re-arms the warnings it is above', () => {
    const result = planChange(topup('order-1', 1_500), context(emptied()));

    expect(result.kind).toBe('apply');
    if (result.kind !== 'apply') return;
    const [edit] = result.plan.periods;
    expect(edit).toMatchObject({
      period: CURRENT,
      remainingDelta: 1_500,
      topup: { bytes: 1_500, totalBytes: 1_500 },
    });
    // Pool 2 500, 1 500 left (60%): every warning level is re-armed, the member who left keeps its marker.
    expect(edit?.alertsRemoved.map((a) => a.marker).sort()).toEqual([
      '11:FAMILY_QUOTA_EXCEEDED',
      '11:WARNING_10',
      '11:WARNING_30',
      '11:WARNING_50',
      '12:FAMILY_QUOTA_EXCEEDED',
      '12:WARNING_50',
    ]);
    expect(result.plan.notifications.map((n) => `${n.type}:${n.customerId}:${n.data.reason ?? ''}`)).toEqual([
      'TOPUP_APPLIED:null:',
      'CUSTOMER_UNBLOCKED:11:FAMILY_QUOTA_EXCEEDED',
      'CUSTOMER_UNBLOCKED:12:FAMILY_QUOTA_EXCEEDED',
    ]);
    expect(result.plan.notifications[0]?.data).toMatchObject({
      topupId: 'order-1',
      bytes: 1_500,
      poolBytes: 2_500,
      remainingBytes: 1_500,
    });
    expect(result.plan.topup).toMatchObject({
      topupId: 'order-1',
      familyId: 7,
      bytes: 1_500,
      period: CURRENT,
    });
    // 12 is still blocked by hand; 11 may use data again.
    expect(result.plan.screens).toEqual([
      { customerId: 11, blockReason: null },
      { customerId: 12, blockReason: null },
    ]);
  });

  it('keeps the warnings the family is still below, and every block while the pool has no data', () => {
    const small = planChange(topup('order-2', 200), context(emptied()));
    if (small.kind !== 'apply') throw new Error(small.kind);
    // Pool 1 200, 200 left (16.7%): below 50% and 30%, not below 10%.
    expect(small.plan.periods[0]?.alertsRemoved.map((a) => a.marker).sort()).toEqual([
      '11:FAMILY_QUOTA_EXCEEDED',
      '11:WARNING_10',
      '12:FAMILY_QUOTA_EXCEEDED',
    ]);

    const overdrawn = family(
      [member(11)],
      [period(CURRENT, { 11: 1_500 }, { 11: ['11:FAMILY_QUOTA_EXCEEDED'] })],
    );
    const short = planChange(topup('order-3', 300), context(overdrawn));
    if (short.kind !== 'apply') throw new Error(short.kind);
    expect(short.plan.periods[0]?.alertsRemoved).toEqual([]);
    expect(short.plan.notifications.map((n) => n.type)).toEqual(['TOPUP_APPLIED']);
    expect(short.plan.notifications[0]?.data).toMatchObject({ poolBytes: 1_300, remainingBytes: 0 });
  });

  it('is taken once by its topupId: the same purchase again changes nothing, other bytes are refused', () => {
    const first = topup('order-4', 500);
    const taken = { topupId: 'order-4', familyId: 7, bytes: 500, period: CURRENT, eventId: first.eventId };
    const f = emptied();

    expect(planChange(first, { ...context(f), topup: taken })).toEqual({ kind: 'stale', replayed: true });
    expect(planChange(topup('order-4', 500), { ...context(f), topup: taken })).toEqual({
      kind: 'stale',
      replayed: false,
    });
    const conflict = planChange(topup('order-4', 600), { ...context(f), topup: taken });
    expect(conflict).toMatchObject({ kind: 'reject', rejection: { reason: 'TOPUP_CONFLICT' } });
  });

  it('adds to the top-ups before it, fixes the quota of a period that had none, and refuses a closed period', () => {
    const f = family([member(11)], [{ ...period(CURRENT, { 11: 100 }), quotaBytes: null, topupBytes: 700 }]);
    const result = planChange(topup('order-5', 300), context(f));
    if (result.kind !== 'apply') throw new Error(result.kind);
    expect(result.plan.periods[0]).toMatchObject({
      quota: { mode: 'fix', bytes: 1_000 },
      topup: { bytes: 300, totalBytes: 1_000 },
    });
    expect(result.plan.notifications[0]?.data).toMatchObject({ poolBytes: 2_000, remainingBytes: 1_900 });

    const old = { ...topup('order-6', 300), period: PREVIOUS };
    expect(planChange(old, context(f))).toMatchObject({
      kind: 'reject',
      rejection: { reason: 'OUT_OF_WINDOW' },
    });
    expect(planChange(topup('order-7', 300), context(null))).toMatchObject({
      kind: 'reject',
      rejection: { reason: 'UNKNOWN_FAMILY' },
    });
  });
});
