import type { PeriodEdit } from '../../core/changes/plan-change';
import type { MemberPolicy, PeriodSnapshot } from '../../core/family';

/**
 * The fields of a period state (see lua/settle-lane.lua for what each means),
 * written from a ledger snapshot and read back for operators.
 */
export const FIELD = {
  quota: 'q',
  topups: 'tu',
  remaining: 'r',
  version: 'v',
  stamp: 't',
  globalRevision: 'g',
  incarnation: 'i',
  settledHorizon: 'sd',
  used: 'u:',
  alert: 'a:',
  pending: 'd:',
  policy: 'P:',
} as const;

/** The policy level a field belongs to: the family's (F) or a member's (its customerId). */
export type PolicyLevel = 'F' | number;

/** One policy level as fields; an absent value writes nothing, so the level below shows through. */
export function policyFields(level: PolicyLevel, policy: MemberPolicy): string[] {
  const at = `${FIELD.policy}${level}:`;
  const fields: string[] = [];
  if (policy.monthlyLimitBytes !== null) fields.push(`${at}lim`, String(policy.monthlyLimitBytes));
  if (policy.manualBlock) fields.push(`${at}man`, '1');
  if (policy.blockWindow) fields.push(`${at}win`, `${policy.blockWindow.start}-${policy.blockWindow.end}`);
  if (policy.blockedApps.length > 0) {
    fields.push(`${at}app`, '1');
    for (const app of policy.blockedApps) fields.push(`${at}a:${app}`, '1');
  }
  if (policy.zeroRatedApps.length > 0) {
    fields.push(`${at}zr`, '1');
    for (const app of policy.zeroRatedApps) fields.push(`${at}z:${app}`, '1');
  }
  return fields;
}

/** Field/value pairs of a whole period state. Remaining is exactly the pool minus usage, negative when overdrawn. */
export function snapshotFields(snapshot: PeriodSnapshot): string[] {
  const fields = [
    FIELD.quota,
    String(snapshot.quotaBytes),
    FIELD.topups,
    String(snapshot.topupBytes),
    FIELD.remaining,
    String(snapshot.quotaBytes + snapshot.topupBytes - snapshot.familyUsedBytes),
    FIELD.version,
    String(snapshot.version),
    FIELD.stamp,
    String(snapshot.stampMs),
    ...(snapshot.globalRevision === null ? [] : [FIELD.globalRevision, String(snapshot.globalRevision)]),
    FIELD.settledHorizon,
    String(snapshot.settledHorizonMs),
    ...policyFields('F', snapshot.familyPolicy),
  ];
  for (const member of snapshot.members) {
    fields.push(`${FIELD.used}${member.customerId}`, String(member.usedBytes));
    for (const marker of member.alerts) fields.push(`${FIELD.alert}${marker}`, '1');
    fields.push(...policyFields(member.customerId, member.policy));
  }
  return fields;
}

/** The fields a period state must set and delete to follow one period's share of a family or policy change. */
export function editFields(edit: PeriodEdit): { set: string[]; del: string[] } {
  const set: string[] = [];
  const del: string[] = [];
  const names = (fields: string[]) => fields.filter((_, i) => i % 2 === 0);
  set.push(FIELD.stamp, String(edit.stampMs));
  if (edit.quota?.mode === 'set') set.push(FIELD.quota, String(edit.quota.bytes));
  if (edit.topup) set.push(FIELD.topups, String(edit.topup.totalBytes));
  for (const { level, before, after } of edit.policyLevels) {
    const next = policyFields(level, after);
    const kept = new Set(names(next));
    del.push(...names(policyFields(level, before)).filter((f) => !kept.has(f)));
    set.push(...next);
  }
  for (const { customerId, usedBytes, policy } of edit.membersJoined) {
    set.push(`${FIELD.used}${customerId}`, String(usedBytes), ...policyFields(customerId, policy));
  }
  for (const { customerId, policy } of edit.membersLeft) {
    del.push(`${FIELD.used}${customerId}`, ...names(policyFields(customerId, policy)));
  }
  for (const { marker } of edit.alertsAdded) set.push(`${FIELD.alert}${marker}`, '1');
  for (const { marker } of edit.alertsRemoved) del.push(`${FIELD.alert}${marker}`);
  return { set, del };
}

/** A period state as Redis holds it, read back (reconciliation, operators). */
export interface PeriodState {
  readonly quota: number;
  readonly topups: number;
  readonly remaining: number;
  readonly version: number;
  /** u:<customerId> fields: the members and their usage. */
  readonly used: ReadonlyMap<number, number>;
  /** Counted bytes of pending decisions (decided, not yet confirmed in the ledger), per member. */
  readonly pendingBytes: ReadonlyMap<number, number>;
  readonly pendingDecisions: number;
}

export function readPeriodState(fields: Record<string, string>): PeriodState | null {
  if (fields[FIELD.quota] === undefined) return null;
  const used = new Map<number, number>();
  const pendingBytes = new Map<number, number>();
  let pendingDecisions = 0;
  for (const [field, value] of Object.entries(fields)) {
    if (field.startsWith(FIELD.used)) used.set(Number(field.slice(FIELD.used.length)), Number(value));
    else if (field.startsWith(FIELD.pending)) {
      pendingDecisions++;
      const decision = JSON.parse(value) as { c?: number; b?: string; u?: string };
      const customerId = Number(decision.u);
      if (decision.c === 1)
        pendingBytes.set(customerId, (pendingBytes.get(customerId) ?? 0) + Number(decision.b));
    }
  }
  return {
    quota: Number(fields[FIELD.quota]),
    topups: Number(fields[FIELD.topups] ?? 0),
    remaining: Number(fields[FIELD.remaining] ?? 0),
    version: Number(fields[FIELD.version] ?? 0),
    used,
    pendingBytes,
    pendingDecisions,
  };
}
