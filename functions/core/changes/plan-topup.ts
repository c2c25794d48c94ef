import { alertMarker } from '../family';
import { effectivePolicy } from '../precedence';
import { reject } from '../rejection';
import type { Change } from './change-event';
import { activeMembers, type FamilyRecord } from './family-records';
import { type ChangePlan, emptyEdit, type PlanContext, type PlanResult } from './plan-change';
import { type Marker, type PlannedNotification, rearmedWarnings, screenOf } from './retroactive';

type Topup = Extract<Change, { kind: 'topup-added' }>;

/**
 * Plans a top-up (docs/behaviour.md, "Top-ups"): taken once by its topupId,
 * whatever event carries it and in any order with other top-ups and quota
 * changes; it grows the pool of its own period only, at once. In the same
 * transaction it lifts every empty-pool block of the period when the pool has
 * data again, and re-arms every warning level the family is no longer below,
 * so each is told again when usage crosses it again.
 */
export function planTopup(change: Topup, family: FamilyRecord, context: PlanContext): PlanResult {
  const known = context.topup ?? null;
  if (known !== null) {
    if (known.familyId === change.familyId && known.bytes === change.bytes) {
      return { kind: 'stale', replayed: known.eventId === change.eventId };
    }
    return {
      kind: 'reject',
      rejection: reject(
        'TOPUP_CONFLICT',
        `top-up ${change.topupId} was taken before as ${known.bytes} bytes for family ${known.familyId}; this event says ${change.bytes} bytes for family ${change.familyId}`,
      ),
    };
  }
  const period = family.periods.find((p) => p.period === change.period);
  if (!period) {
    return {
      kind: 'reject',
      rejection: reject(
        'OUT_OF_WINDOW',
        `top-up ${change.topupId} is for period ${change.period}, which is not open (open: ${family.periods.map((p) => p.period).join(', ')})`,
      ),
    };
  }
  const quota = period.quotaBytes ?? family.quotaBytes;
  const topups = period.topupBytes + change.bytes;
  const pool = quota + topups;
  if (!Number.isSafeInteger(pool)) {
    return {
      kind: 'reject',
      rejection: reject(
        'SCHEMA_VIOLATION',
        `top-up ${change.topupId} would take the pool of ${change.period} past ${Number.MAX_SAFE_INTEGER} bytes`,
      ),
    };
  }
  const remaining = pool - [...period.used.values()].reduce((a, b) => a + b, 0);

  const alertsRemoved: Marker[] = [];
  const unblocked: number[] = [];
  const members = activeMembers(family);
  if (remaining > 0) {
    for (const m of members) {
      const marker = alertMarker(m.customerId, 'FAMILY_QUOTA_EXCEEDED', null);
      if (period.alerts.get(m.customerId)?.includes(marker)) {
        alertsRemoved.push({ customerId: m.customerId, marker });
        unblocked.push(m.customerId);
      }
    }
  }
  alertsRemoved.push(...rearmedWarnings(period.alerts, remaining, pool));

  const data = {
    originEventId: change.eventId,
    eventTime: new Date(change.timestampMs).toISOString(),
    period: change.period,
    topupId: change.topupId,
    bytes: change.bytes,
    poolBytes: pool,
    remainingBytes: Math.max(0, remaining),
  };
  const notifications: PlannedNotification[] = [
    { familyId: change.familyId, customerId: null, type: 'TOPUP_APPLIED', data },
    ...unblocked.map(
      (customerId): PlannedNotification => ({
        familyId: change.familyId,
        customerId,
        type: 'CUSTOMER_UNBLOCKED',
        data: { ...data, reason: 'FAMILY_QUOTA_EXCEEDED' },
      }),
    ),
  ];
  const plan: ChangePlan = {
    change,
    familyId: change.familyId,
    family: null,
    members: [],
    global: null,
    periods: [
      {
        ...emptyEdit(period, context.nowMs),
        // The pool is this quota plus the top-ups from now on: a later quota change cannot move it.
        quota: period.quotaBytes === null ? { mode: 'fix', bytes: quota } : null,
        remainingDelta: change.bytes,
        topup: { bytes: change.bytes, totalBytes: topups },
        alertsRemoved,
      },
    ],
    notifications,
    screens:
      change.period === context.currentPeriod
        ? members.map((m) =>
            screenOf(
              m.customerId,
              effectivePolicy(m.policy, family.policy, context.global.policy),
              period,
              pool,
            ),
          )
        : [],
    topup: {
      topupId: change.topupId,
      familyId: change.familyId,
      bytes: change.bytes,
      period: change.period,
      eventId: change.eventId,
    },
  };
  return { kind: 'apply', plan };
}
