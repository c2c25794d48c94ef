import { nextStamp } from '../commit-stamp';
import { type MemberPolicy, NO_POLICY } from '../family';
import { effectivePolicy } from '../precedence';
import { type Rejection, reject } from '../rejection';
import type { Change, PolicyTarget, Role } from './change-event';
import {
  activeMembers,
  type FamilyRecord,
  type GlobalRecord,
  type MemberRecord,
  type PeriodRecord,
  type PolicyVersions,
  type TopupRecord,
} from './family-records';
import type { GlobalRevision } from './global-catch-up';
import { planTopup } from './plan-topup';
import { withValue } from './policy-keys';
import {
  type PlannedNotification,
  policyNotificationData,
  retroactiveBlocks,
  type Screen,
  screenOf,
} from './retroactive';

export type { PlannedNotification, Screen } from './retroactive';

import { isNewer, type Version } from './version';

/** One period's share of a change: what its item and its Redis state must become. */
export interface PeriodEdit {
  readonly period: string;
  /** The period item's version the change was planned against; the commit moves it by one. */
  readonly versionBefore: number;
  /** The commit stamp the change leaves on the period item. */
  readonly stampMs: number;
  /** The global revision the period takes with this change (a family taking a global change); absent: as it was. */
  readonly globalRevision?: number;
  /** The period's quota: set to a new value, or fixed at the value it had (only if none is fixed yet). */
  readonly quota: { readonly mode: 'set' | 'fix'; readonly bytes: number } | null;
  /** How far the remaining pool moves (a quota change in the current period or later). */
  readonly remainingDelta: number;
  readonly policyLevels: ReadonlyArray<{
    readonly level: 'F' | number;
    readonly before: MemberPolicy;
    readonly after: MemberPolicy;
  }>;
  readonly membersJoined: ReadonlyArray<{
    readonly customerId: number;
    readonly usedBytes: number;
    readonly policy: MemberPolicy;
  }>;
  readonly membersLeft: ReadonlyArray<{ readonly customerId: number; readonly policy: MemberPolicy }>;
  readonly alertsAdded: ReadonlyArray<{ readonly customerId: number; readonly marker: string }>;
  readonly alertsRemoved: ReadonlyArray<{ readonly customerId: number; readonly marker: string }>;
  /** A correction of a member's usage: how far it moves (negative: a refund), and the member's usage after it. */
  readonly usage?: { readonly customerId: number; readonly deltaBytes: number; readonly usedBytes: number };
  /** A top-up of this period: the bytes it adds, and the period's top-ups with it. */
  readonly topup?: { readonly bytes: number; readonly totalBytes: number };
  /**
   * The usage screens the change alters, on the current period's edit only:
   * written to the period item, where the live usage snapshots read them from
   * the ledger's stream.
   */
  readonly screens?: ReadonlyArray<Screen>;
}

export interface FamilyWrite {
  readonly name: string | null;
  readonly quotaBytes: number;
  readonly quotaVersion: Version | undefined;
  readonly membersVersion: Version | undefined;
  readonly policy: MemberPolicy;
  readonly policyVersions: PolicyVersions;
}

export interface ChangePlan {
  readonly change: Change;
  readonly familyId: number | null;
  /** The family item as it must be; null when it does not change. */
  readonly family: FamilyWrite | null;
  /** Member items as they must be (only those that change). */
  readonly members: ReadonlyArray<MemberRecord>;
  /** The global item as it must be; null unless the change is to the global default. */
  readonly global: GlobalRecord | null;
  /** With a global change, the revision it makes, kept in the global history for the families to take. */
  readonly globalRevision?: GlobalRevision;
  readonly periods: ReadonlyArray<PeriodEdit>;
  readonly notifications: ReadonlyArray<PlannedNotification>;
  /** The members whose usage screen the change alters in the current period, and the block it leaves each in. */
  readonly screens: ReadonlyArray<Screen>;
  /** With a top-up, the record that keeps it from being taken twice. */
  readonly topup?: TopupRecord;
}

export type PlanResult =
  | { readonly kind: 'apply'; readonly plan: ChangePlan }
  /** Not newer than what the ledger holds: ignored. `replayed`: this very event was applied before. */
  | { readonly kind: 'stale'; readonly replayed: boolean }
  | { readonly kind: 'reject'; readonly rejection: Rejection };

export interface PlanContext {
  readonly family: FamilyRecord | null;
  readonly global: GlobalRecord;
  /** For a top-up: what the ledger took under its topupId before (null: nothing). */
  readonly topup?: TopupRecord | null;
  /** The current period: retroactive blocks are judged against its usage. */
  readonly currentPeriod: string;
  /** When the change is planned: the periods' commit stamps move to it (or past it). */
  readonly nowMs: number;
}

const stale = (candidate: Version, stored: Version | undefined): PlanResult => ({
  kind: 'stale',
  replayed: candidate === stored,
});

const unknownFamily = (familyId: number): PlanResult => ({
  kind: 'reject',
  rejection: reject('UNKNOWN_FAMILY', `family ${familyId} does not exist`),
});

export const emptyEdit = (period: PeriodRecord, nowMs: number): PeriodEdit => ({
  period: period.period,
  versionBefore: period.version,
  stampMs: nextStamp(period.stampMs, nowMs),
  quota: null,
  remainingDelta: 0,
  policyLevels: [],
  membersJoined: [],
  membersLeft: [],
  alertsAdded: [],
  alertsRemoved: [],
});

/**
 * Plans a family or policy change against what the ledger holds: whether it
 * is newer than the value it replaces, what every item and every live period
 * must become, and which notifications it owes. Pure: the caller reads the
 * state, commits the plan under the versions it was planned against, and
 * plans again when they moved.
 */
export function planChange(change: Change, context: PlanContext): PlanResult {
  const result = planOf(change, context);
  return result.kind === 'apply'
    ? { kind: 'apply', plan: showScreens(result.plan, context.currentPeriod) }
    : result;
}

/**
 * The plan with its screens on the current period's edit: a change that
 * leaves that period alone (it has no edit there) shows on no screen.
 */
export function showScreens(plan: ChangePlan, currentPeriod: string): ChangePlan {
  if (plan.screens.length === 0) return plan;
  return {
    ...plan,
    periods: plan.periods.map((p) => (p.period === currentPeriod ? { ...p, screens: plan.screens } : p)),
  };
}

function planOf(change: Change, context: PlanContext): PlanResult {
  if (change.kind === 'policy') return planPolicy(change, change.target, context);
  const family = context.family;
  if (change.kind !== 'family-upserted' && (family === null || !family.exists))
    return unknownFamily(change.familyId);
  switch (change.kind) {
    case 'family-upserted':
      return planUpsert(change, context);
    case 'member-joined':
    case 'member-left':
      return planMembership(change, family as FamilyRecord, context);
    case 'quota-changed': {
      const f = family as FamilyRecord;
      if (!isNewer(change.version, f.quotaVersion)) return stale(change.version, f.quotaVersion);
      return apply(change, f, { quota: change.quotaBytes, quotaVersion: change.version }, [], context);
    }
    case 'topup-added':
      return planTopup(change, family as FamilyRecord, context);
  }
}

interface FamilyDelta {
  readonly quota?: number;
  readonly quotaVersion?: Version;
  readonly membersVersion?: Version;
  readonly name?: string | null;
}

/** A plan for family changes: the family item, changed members, and every live period's edits. */
function apply(
  change: Change,
  family: FamilyRecord,
  delta: FamilyDelta,
  memberChanges: ReadonlyArray<MemberRecord>,
  context: PlanContext,
): PlanResult {
  const familyId = family.familyId;
  const newQuota = delta.quota ?? family.quotaBytes;
  const periods = family.periods.map((period) => {
    const edit = { ...emptyEdit(period, context.nowMs) } as {
      -readonly [K in keyof PeriodEdit]: PeriodEdit[K];
    };
    if (delta.quota !== undefined) {
      if (period.period < context.currentPeriod && family.exists) {
        edit.quota = { mode: 'fix', bytes: family.quotaBytes };
      } else {
        edit.quota = { mode: 'set', bytes: newQuota };
        edit.remainingDelta = newQuota - (period.quotaBytes ?? family.quotaBytes);
      }
    }
    const joined: Array<PeriodEdit['membersJoined'][number]> = [];
    const left: Array<PeriodEdit['membersLeft'][number]> = [];
    for (const member of memberChanges) {
      const was = family.members.get(member.customerId)?.active === true;
      if (member.active && !was) {
        joined.push({
          customerId: member.customerId,
          usedBytes: period.used.get(member.customerId) ?? 0,
          policy: member.policy,
        });
      } else if (!member.active && was) {
        left.push({ customerId: member.customerId, policy: member.policy });
      }
    }
    edit.membersJoined = joined;
    edit.membersLeft = left;
    return edit as PeriodEdit;
  });
  const after = new Map([...family.members].filter(([, m]) => m.active));
  for (const m of memberChanges) {
    if (m.active) after.set(m.customerId, m);
    else after.delete(m.customerId);
  }
  const shown =
    delta.quota !== undefined && delta.quota !== family.quotaBytes
      ? [...after.values()]
      : memberChanges.filter((m) => m.active && family.members.get(m.customerId)?.active !== true);
  const current = family.periods.find((p) => p.period === context.currentPeriod);
  const screens = shown.map((m) =>
    screenOf(
      m.customerId,
      effectivePolicy(m.policy, family.policy, context.global.policy),
      current,
      // The pool: the period's quota (the new one when this change sets it) plus its top-ups.
      (current?.quotaBytes !== null && current?.quotaBytes !== undefined && delta.quota === undefined
        ? current.quotaBytes
        : newQuota) + (current?.topupBytes ?? 0),
    ),
  );
  return {
    kind: 'apply',
    plan: {
      change,
      familyId,
      screens,
      family: {
        name: delta.name === undefined ? family.name : delta.name,
        quotaBytes: newQuota,
        quotaVersion: delta.quotaVersion ?? family.quotaVersion,
        membersVersion: delta.membersVersion ?? family.membersVersion,
        policy: family.policy,
        policyVersions: family.policyVersions,
      },
      members: memberChanges,
      global: null,
      periods,
      notifications: [],
    },
  };
}

function planUpsert(change: Extract<Change, { kind: 'family-upserted' }>, context: PlanContext): PlanResult {
  const family = context.family;
  const listed = new Map(change.members.map((m) => [m.customerId, m.role]));
  const member = (
    customerId: number,
    role: Role,
    active: boolean,
    existing?: MemberRecord,
  ): MemberRecord => ({
    customerId,
    role,
    active,
    membershipVersion: change.version,
    policy: existing?.policy ?? NO_POLICY,
    policyVersions: existing?.policyVersions ?? {},
  });
  if (family === null || !family.exists) {
    const fresh: FamilyRecord = family ?? {
      familyId: change.familyId,
      exists: false,
      name: null,
      quotaBytes: 0,
      quotaVersion: undefined,
      membersVersion: undefined,
      policy: NO_POLICY,
      policyVersions: {},
      members: new Map(),
      periods: [],
    };
    const members = change.members.map((m) =>
      member(m.customerId, m.role, true, fresh.members.get(m.customerId)),
    );
    return apply(
      change,
      fresh,
      {
        quota: change.quotaBytes,
        quotaVersion: change.version,
        membersVersion: change.version,
        name: change.name,
      },
      members,
      context,
    );
  }
  const quotaNewer = isNewer(change.version, family.quotaVersion);
  const membersNewer = isNewer(change.version, family.membersVersion);
  if (!quotaNewer && !membersNewer) return stale(change.version, family.quotaVersion);
  const memberChanges: MemberRecord[] = [];
  if (membersNewer) {
    for (const [customerId, role] of listed) {
      const existing = family.members.get(customerId);
      if (!isNewer(change.version, existing?.membershipVersion)) continue;
      if (existing?.active && existing.role === role) continue;
      memberChanges.push(member(customerId, role, true, existing));
    }
    for (const existing of activeMembers(family)) {
      if (listed.has(existing.customerId) || !isNewer(change.version, existing.membershipVersion)) continue;
      memberChanges.push(member(existing.customerId, existing.role, false, existing));
    }
  }
  return apply(
    change,
    family,
    {
      ...(quotaNewer ? { quota: change.quotaBytes, quotaVersion: change.version } : {}),
      ...(membersNewer ? { membersVersion: change.version, name: change.name ?? family.name } : {}),
    },
    memberChanges,
    context,
  );
}

function planMembership(
  change: Extract<Change, { kind: 'member-joined' | 'member-left' }>,
  family: FamilyRecord,
  context: PlanContext,
): PlanResult {
  const existing = family.members.get(change.customerId);
  const stored = [existing?.membershipVersion, family.membersVersion]
    .filter((v): v is Version => v !== undefined)
    .sort()
    .pop();
  if (!isNewer(change.version, stored)) return stale(change.version, stored);
  const joined = change.kind === 'member-joined';
  const updated: MemberRecord = {
    customerId: change.customerId,
    role: joined ? change.role : (existing?.role ?? 'MEMBER'),
    active: joined,
    membershipVersion: change.version,
    policy: existing?.policy ?? NO_POLICY,
    policyVersions: existing?.policyVersions ?? {},
  };
  return apply(change, family, {}, [updated], context);
}

function planPolicy(
  change: Extract<Change, { kind: 'policy' }>,
  target: PolicyTarget,
  context: PlanContext,
): PlanResult {
  const key = change.value.key;
  const data = policyNotificationData(change, context.currentPeriod);

  if (target.level === 'GLOBAL') {
    const stored = context.global.policyVersions[key];
    if (!isNewer(change.version, stored)) return stale(change.version, stored);
    return {
      kind: 'apply',
      plan: {
        change,
        familyId: null,
        family: null,
        members: [],
        global: {
          policy: withValue(context.global.policy, change.value),
          policyVersions: { ...context.global.policyVersions, [key]: change.version },
          revision: context.global.revision + 1,
        },
        globalRevision: {
          revision: context.global.revision + 1,
          change,
          before: context.global.policy,
          after: withValue(context.global.policy, change.value),
        },
        periods: [],
        notifications: [{ familyId: null, customerId: null, type: 'POLICY_CHANGED', data: data('GLOBAL') }],
        screens: [],
      },
    };
  }

  const family = context.family;
  if (family === null || !family.exists) return unknownFamily(target.familyId);
  const member = target.level === 'MEMBER' ? family.members.get(target.customerId) : undefined;
  if (target.level === 'MEMBER' && !member?.active) {
    return {
      kind: 'reject',
      rejection: reject(
        'NOT_A_MEMBER',
        `customer ${target.customerId} is not a member of family ${family.familyId}`,
      ),
    };
  }
  const stored = member ? member.policyVersions[key] : family.policyVersions[key];
  if (!isNewer(change.version, stored)) return stale(change.version, stored);

  const familyAfter = member ? family.policy : withValue(family.policy, change.value);
  const memberAfter = member ? withValue(member.policy, change.value) : undefined;
  const affected = member ? [member] : activeMembers(family);
  const current = family.periods.find((p) => p.period === context.currentPeriod);
  const effects = retroactiveBlocks({
    change,
    familyId: family.familyId,
    level: member ? 'MEMBER' : 'FAMILY',
    members: affected,
    effective: (m) => ({
      before: effectivePolicy(m.policy, family.policy, context.global.policy),
      after: effectivePolicy(
        member ? (memberAfter as MemberPolicy) : m.policy,
        familyAfter,
        context.global.policy,
      ),
    }),
    current,
    poolBytes: (current?.quotaBytes ?? family.quotaBytes) + (current?.topupBytes ?? 0),
    currentPeriod: context.currentPeriod,
  });
  const notifications: PlannedNotification[] = [
    {
      familyId: family.familyId,
      customerId: member ? member.customerId : null,
      type: 'POLICY_CHANGED',
      data: data(member ? 'MEMBER' : 'FAMILY'),
    },
    ...effects.notifications,
  ];
  const { alertsAdded, alertsRemoved, screens } = effects;

  const level: 'F' | number = member ? member.customerId : 'F';
  const levelBefore = member ? member.policy : family.policy;
  const levelAfter = member ? (memberAfter as MemberPolicy) : familyAfter;
  return {
    kind: 'apply',
    plan: {
      change,
      familyId: family.familyId,
      family: member
        ? null
        : {
            name: family.name,
            quotaBytes: family.quotaBytes,
            quotaVersion: family.quotaVersion,
            membersVersion: family.membersVersion,
            policy: familyAfter,
            policyVersions: { ...family.policyVersions, [key]: change.version },
          },
      members: member
        ? [
            {
              ...member,
              policy: levelAfter,
              policyVersions: { ...member.policyVersions, [key]: change.version },
            },
          ]
        : [],
      global: null,
      periods: family.periods.map((p) => ({
        ...emptyEdit(p, context.nowMs),
        policyLevels: [{ level, before: levelBefore, after: levelAfter }],
        alertsAdded: p.period === context.currentPeriod ? alertsAdded : [],
        alertsRemoved: p.period === context.currentPeriod ? alertsRemoved : [],
      })),
      notifications,
      screens,
    },
  };
}
