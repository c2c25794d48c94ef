import { alertMarker, type MemberPolicy } from '../family';
import type { PolicyNotificationData, PoolNotificationData, RetroactiveBlock } from '../outbox/item';
import type { PolicyLevel } from '../precedence';
import { isBelow, WARNING_TENTHS, type WarningLevel } from '../thresholds';
import type { Change } from './change-event';
import type { MemberRecord, PeriodRecord } from './family-records';
import { describeValue } from './policy-keys';

/** A notification a change owes, staged in its transaction. */
export type PlannedNotification = {
  readonly familyId: number | null;
  readonly customerId: number | null;
} & (
  | {
      readonly type: 'POLICY_CHANGED' | 'CUSTOMER_BLOCKED' | 'CUSTOMER_UNBLOCKED';
      readonly data: PolicyNotificationData;
    }
  | { readonly type: 'TOPUP_APPLIED' | 'CUSTOMER_UNBLOCKED'; readonly data: PoolNotificationData }
);

/** A member's usage screen after a change: shown again with the figures and the block state the change left. */
export interface Screen {
  readonly customerId: number;
  /** The block the member is in now, whatever it uses next; null when its next usage may be allowed. */
  readonly blockReason: 'MANUAL' | 'MONTHLY_LIMIT_EXCEEDED' | 'FAMILY_QUOTA_EXCEEDED' | null;
}

export interface Marker {
  readonly customerId: number;
  readonly marker: string;
}

/** What a policy change does right away to the members it reaches, judged in the current period. */
export interface Retroactive {
  readonly notifications: PlannedNotification[];
  readonly alertsAdded: Marker[];
  readonly alertsRemoved: Marker[];
  readonly screens: Screen[];
}

/** The notification fields every notification of one policy change shares. */
export function policyNotificationData(change: Extract<Change, { kind: 'policy' }>, currentPeriod: string) {
  return (level: PolicyLevel, reason?: RetroactiveBlock): PolicyNotificationData => ({
    originEventId: change.eventId,
    eventTime: new Date(change.timestampMs).toISOString(),
    period: currentPeriod,
    policyKey: change.value.key,
    level,
    value: describeValue(change.value),
    ...(reason ? { reason } : {}),
  });
}

/**
 * The blocks a policy change starts or lifts on its own (a manual block, a
 * monthly limit at or below what the member used this period): each started
 * one notified once (its alert marker set), each lifted one notified and its
 * marker cleared, so a later block is notified again. Only a limit or a
 * manual block shows on the usage screen, so only those refresh it.
 */
export function retroactiveBlocks(input: {
  readonly change: Extract<Change, { kind: 'policy' }>;
  readonly familyId: number;
  readonly level: PolicyLevel;
  readonly members: ReadonlyArray<MemberRecord>;
  /** Each member's effective policy before and after the change. */
  readonly effective: (member: MemberRecord) => {
    readonly before: MemberPolicy;
    readonly after: MemberPolicy;
  };
  readonly current: PeriodRecord | undefined;
  /** The period's pool: its quota plus its top-ups. */
  readonly poolBytes: number;
  readonly currentPeriod: string;
}): Retroactive {
  const data = policyNotificationData(input.change, input.currentPeriod);
  const { current, familyId } = input;
  const result: Retroactive = { notifications: [], alertsAdded: [], alertsRemoved: [], screens: [] };
  const key = input.change.value.key;
  for (const m of input.members) {
    const { before, after } = input.effective(m);
    if (key === 'LIMIT:DATA:MONTHLY' || key === 'BLOCK:ACCESS') {
      result.screens.push(screenOf(m.customerId, after, current, input.poolBytes));
    }
    const used = current?.used.get(m.customerId) ?? 0;
    const alerts = current?.alerts.get(m.customerId) ?? [];
    for (const reason of ['MANUAL', 'MONTHLY_LIMIT_EXCEEDED'] as const) {
      const was = blocksNow(before, reason, used);
      const is = blocksNow(after, reason, used);
      const marker = `${m.customerId}:${reason}`;
      const notify = (type: 'CUSTOMER_BLOCKED' | 'CUSTOMER_UNBLOCKED') =>
        result.notifications.push({
          familyId,
          customerId: m.customerId,
          type,
          data: data(input.level, reason),
        });
      if (!was && is && !alerts.includes(marker)) {
        notify('CUSTOMER_BLOCKED');
        result.alertsAdded.push({ customerId: m.customerId, marker });
      } else if (was && !is) {
        notify('CUSTOMER_UNBLOCKED');
        if (alerts.includes(marker)) result.alertsRemoved.push({ customerId: m.customerId, marker });
      }
    }
  }
  return result;
}

/**
 * The block a member is in right after a change, in the order the decision
 * rules check them (the time window and app blocks depend on the next event,
 * so they are not shown): manual, the member's limit reached, the pool empty.
 */
export function screenOf(
  customerId: number,
  policy: MemberPolicy,
  period: PeriodRecord | undefined,
  /** The period's quota plus its top-ups. */
  poolBytes: number,
): Screen {
  const used = period?.used.get(customerId) ?? 0;
  const familyUsed = [...(period?.used.values() ?? [])].reduce((a, b) => a + b, 0);
  const blockReason = policy.manualBlock
    ? 'MANUAL'
    : blocksNow(policy, 'MONTHLY_LIMIT_EXCEEDED', used)
      ? 'MONTHLY_LIMIT_EXCEEDED'
      : poolBytes - familyUsed <= 0
        ? 'FAMILY_QUOTA_EXCEEDED'
        : null;
  return { customerId, blockReason };
}

/** Whether an effective policy blocks a member right now, whatever it uses next: the blocks a change can start or end. */
function blocksNow(policy: MemberPolicy, reason: RetroactiveBlock, usedBytes: number): boolean {
  return reason === 'MANUAL'
    ? policy.manualBlock
    : policy.monthlyLimitBytes !== null && policy.monthlyLimitBytes <= usedBytes;
}

/**
 * The warning markers to clear when a period's remaining data grows (a
 * top-up, a refund): every level the family is no longer below, so that
 * crossing it again is told again.
 */
export function rearmedWarnings(
  alerts: ReadonlyMap<number, ReadonlyArray<string>>,
  remaining: number,
  pool: number,
): Marker[] {
  const rearmed: Marker[] = [];
  for (const [customerId, markers] of alerts) {
    for (const level of Object.keys(WARNING_TENTHS) as WarningLevel[]) {
      const marker = alertMarker(customerId, level, null);
      if (markers.includes(marker) && !isBelow(remaining, pool, WARNING_TENTHS[level])) {
        rearmed.push({ customerId, marker });
      }
    }
  }
  return rearmed;
}
