import { activeMembers, type FamilyRecord } from '../changes/family-records';
import { emptyEdit, type PeriodEdit } from '../changes/plan-change';
import { type Marker, type PlannedNotification, rearmedWarnings, screenOf } from '../changes/retroactive';
import { versionOf } from '../changes/version';
import { alertMarker } from '../family';
import type { GlobalLevel } from '../ports';
import { effectivePolicy } from '../precedence';
import { type Rejection, reject } from '../rejection';
import type {
  AppliedCorrection,
  CorrectionRecord,
  LedgerFate,
  SettlementRecord,
} from '../settlement/records';
import type { UsageCorrection } from './usage-correction';

/** What the ledger must write for a correction, in one transaction. */
export interface CorrectionPlan {
  readonly familyId: number;
  readonly record: Omit<CorrectionRecord, 'kafka' | 'correctedAt' | 'notificationIds'>;
  /** The corrected event's record and what it counts from now on; null when the correction is superseded. */
  readonly original: {
    readonly eventId: string;
    /** The correction it replaces (null: none); the write is refused if another landed meanwhile. */
    readonly previousVersion: string | null;
    readonly correction: Omit<AppliedCorrection, 'correctedAt'>;
  } | null;
  /** The period's usage and markers; null when nothing is refunded. */
  readonly edit: PeriodEdit | null;
  readonly notifications: ReadonlyArray<PlannedNotification>;
  /** Members whose block the refund lifted, with the block. */
  readonly unblocked: ReadonlyArray<{ readonly customerId: number; readonly reason: UnblockReason }>;
}

type UnblockReason = 'FAMILY_QUOTA_EXCEEDED' | 'MONTHLY_LIMIT_EXCEEDED';

export type CorrectionResult =
  /** The ledger holds this correction already. */
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'reject'; readonly rejection: Rejection }
  | { readonly kind: 'apply'; readonly plan: CorrectionPlan };

/**
 * The settled event a correction may change, from the fates the ledger
 * holds under the correction's eventId and under the event it corrects: the
 * correction itself may be there already (a redelivery), and the original
 * must be a counted settlement of the same family and customer, in a period
 * the correction's record still accepts.
 */
export function correctable(
  correction: UsageCorrection,
  own: LedgerFate | undefined,
  original: LedgerFate | undefined,
):
  | { readonly kind: 'original'; readonly record: SettlementRecord }
  | Exclude<CorrectionResult, { kind: 'apply' }> {
  const refuse = (reason: Rejection['reason'], message: string) =>
    ({ kind: 'reject', rejection: reject(reason, message) }) as const;
  if (own) {
    return own.kind === 'corrected' && own.record.payloadHash === correction.payloadHash
      ? { kind: 'duplicate' }
      : refuse(
          'EVENT_ID_CONFLICT',
          `eventId ${correction.eventId} was already settled with a different payload`,
        );
  }
  const target = `event ${correction.correctsEventId}`;
  if (!original) return refuse('UNKNOWN_EVENT', `the ledger holds no settled ${target}`);
  if (original.kind !== 'settled') {
    return refuse(
      'NOT_CORRECTABLE',
      original.kind === 'rejected'
        ? `${target} was rejected (${original.record.reason}), so it counts nothing`
        : `${target} is a correction; correct the usage event itself`,
    );
  }
  const { record } = original;
  if (record.familyId !== correction.familyId || record.customerId !== correction.customerId) {
    return refuse(
      'CORRECTION_MISMATCH',
      `${target} is customer ${record.customerId} of family ${record.familyId}, not customer ${correction.customerId} of family ${correction.familyId}`,
    );
  }
  if (!record.decision.counted) {
    return refuse('NOT_CORRECTABLE', `${target} was settled ${record.decision.status}, so it counts nothing`);
  }
  if (record.period < correction.oldestPeriod) {
    return refuse(
      'OUT_OF_WINDOW',
      `${target} is of period ${record.period}; this correction's record accepts ${correction.oldestPeriod} and later`,
    );
  }
  const counted = record.correction?.bytes ?? record.bytesUsed;
  if (correction.bytesUsed > counted) {
    return refuse(
      'CORRECTION_INCREASES',
      `${target} counts ${counted} bytes; a correction can only lower it (this one says ${correction.bytesUsed}); send more usage as a usage event`,
    );
  }
  return { kind: 'original', record };
}

/**
 * Plans a correction of a counted event (docs/behaviour.md, "Corrections").
 * A correction not newer than the one the event last took changes nothing
 * and is recorded as superseded. Otherwise the event counts the new amount:
 * the family's pool and the member's usage get the difference back, in the
 * event's period; a member blocked because the pool was empty, or (the
 * corrected member) because it reached its monthly limit, is unblocked when
 * that no longer holds; and every warning level the family is no longer
 * below is re-armed, as after a top-up.
 */
export function planCorrection(
  correction: UsageCorrection,
  original: SettlementRecord,
  family: FamilyRecord,
  context: { readonly global: GlobalLevel; readonly currentPeriod: string; readonly nowMs: number },
): CorrectionPlan {
  const version = versionOf(correction.eventTimeMs, correction.eventId);
  const counted = original.correction?.bytes ?? original.bytesUsed;
  const record = {
    eventId: correction.eventId,
    familyId: correction.familyId,
    customerId: correction.customerId,
    correctsEventId: original.eventId,
    period: original.period,
    eventTimeMs: correction.eventTimeMs,
    bytesBefore: counted,
    payloadHash: correction.payloadHash,
  };
  const previousVersion = original.correction?.version ?? null;
  if (previousVersion !== null && version <= previousVersion) {
    return {
      familyId: correction.familyId,
      record: { ...record, bytesAfter: counted, applied: false, unblocked: [], decidedAtVersion: null },
      original: null,
      edit: null,
      notifications: [],
      unblocked: [],
    };
  }
  const refund = counted - correction.bytesUsed;
  const plan = {
    familyId: correction.familyId,
    record: {
      ...record,
      bytesAfter: correction.bytesUsed,
      applied: true,
      unblocked: [] as string[],
      decidedAtVersion: null as number | null,
    },
    original: {
      eventId: original.eventId,
      previousVersion,
      correction: { bytes: correction.bytesUsed, version, eventId: correction.eventId },
    },
  };
  const period = family.periods.find((p) => p.period === original.period);
  if (refund === 0 || !period) return { ...plan, edit: null, notifications: [], unblocked: [] };

  const pool = (period.quotaBytes ?? family.quotaBytes) + period.topupBytes;
  const used = new Map(period.used);
  const memberUsed = (used.get(correction.customerId) ?? 0) - refund;
  used.set(correction.customerId, memberUsed);
  const remaining = pool - [...used.values()].reduce((a, b) => a + b, 0);
  const members = activeMembers(family);
  const policyOf = (customerId: number) =>
    effectivePolicy(family.members.get(customerId)?.policy, family.policy, context.global.policy);
  const holds = (customerId: number, marker: string) => period.alerts.get(customerId)?.includes(marker);

  const unblocked: Array<{ customerId: number; reason: UnblockReason }> = [];
  const alertsRemoved: Marker[] = [];
  for (const m of members) {
    const reasons: UnblockReason[] = [];
    if (remaining > 0) reasons.push('FAMILY_QUOTA_EXCEEDED');
    const limit = policyOf(m.customerId).monthlyLimitBytes;
    if (m.customerId === correction.customerId && (limit === null || memberUsed < limit)) {
      reasons.push('MONTHLY_LIMIT_EXCEEDED');
    }
    for (const reason of reasons) {
      const marker = alertMarker(m.customerId, reason, null);
      if (!holds(m.customerId, marker)) continue;
      alertsRemoved.push({ customerId: m.customerId, marker });
      unblocked.push({ customerId: m.customerId, reason });
    }
  }
  alertsRemoved.push(...rearmedWarnings(period.alerts, remaining, pool));
  const data = {
    originEventId: correction.eventId,
    eventTime: new Date(correction.eventTimeMs).toISOString(),
    period: original.period,
    correctsEventId: original.eventId,
    bytes: refund,
    poolBytes: pool,
    remainingBytes: Math.max(0, remaining),
  };
  const after = { ...period, used };
  const edit: PeriodEdit = {
    ...emptyEdit(period, context.nowMs),
    remainingDelta: refund,
    usage: { customerId: correction.customerId, deltaBytes: -refund, usedBytes: memberUsed },
    alertsRemoved,
    screens:
      original.period === context.currentPeriod
        ? members.map((m) => screenOf(m.customerId, policyOf(m.customerId), after, pool))
        : [],
  };
  return {
    ...plan,
    record: {
      ...plan.record,
      unblocked: unblocked.map((u) => `${u.customerId}:${u.reason}`),
      decidedAtVersion: period.version,
    },
    edit,
    notifications: unblocked.map(
      ({ customerId, reason }): PlannedNotification => ({
        familyId: correction.familyId,
        customerId,
        type: 'CUSTOMER_UNBLOCKED',
        data: { ...data, reason },
      }),
    ),
    unblocked,
  };
}
