import type { ChangeLogEntry } from '../functions/core/changes/change-log';
import { activeMembers } from '../functions/core/changes/family-records';
import { levelsOf, type PolicyKey } from '../functions/core/changes/policy-keys';
import type { MemberPolicy } from '../functions/core/family';
import { effectivePolicy } from '../functions/core/precedence';
import type { Period } from '../functions/core/time';
import type { CliContext } from './context';
import { OperationError } from './errors';

export const RECENT_CHANGES = 5;

export interface MemberView {
  readonly customerId: number;
  readonly role: 'OWNER' | 'MEMBER';
  /** The member's own level. */
  readonly policy: MemberPolicy;
  /** What decides the member's events: per key the member's value, else the family's, else the global default. */
  readonly effectivePolicy: MemberPolicy;
  /** Where each effective value comes from. */
  readonly policySources: Record<PolicyKey, 'MEMBER' | 'FAMILY' | 'GLOBAL' | null>;
  readonly usedBytes: number;
  /** Usage of zero-rated apps: recorded, never charged to the pool or the limit. */
  readonly zeroRatedBytes: number;
  /** What corrections of the member's usage gave back this period (usedBytes is net of it). */
  readonly refundedBytes: number;
  readonly settledEvents: number;
  readonly blockedEvents: number;
  readonly lastBlockReason: string | null;
  readonly lastBlockedAt: string | null;
  readonly blockReasons: ReadonlyArray<string>;
  readonly blockedApps: ReadonlyArray<string>;
  readonly alerts: ReadonlyArray<string>;
}

export interface FamilyView {
  readonly familyId: number;
  readonly name: string | null;
  readonly period: Period;
  readonly timeZone: string;
  readonly quotaBytes: number;
  /** The period's top-ups. */
  readonly topupBytes: number;
  /** What the family can use this period: the quota plus the top-ups. */
  readonly poolBytes: number;
  readonly usedBytes: number;
  readonly remainingBytes: number;
  readonly familyPolicy: MemberPolicy;
  readonly globalPolicy: MemberPolicy;
  readonly members: ReadonlyArray<MemberView>;
  /** The family's latest committed family and policy changes, newest first. */
  readonly recentChanges: ReadonlyArray<ChangeLogEntry>;
}

/** A family's state in a period as the ledger (the source of truth) holds it. */
export async function familyView(ctx: CliContext, familyId: number, period: Period): Promise<FamilyView> {
  const store = ctx.changeStore;
  const [family, global] = await Promise.all([store.readFamily(familyId, [period]), store.readGlobal()]);
  if (!family.exists) throw new OperationError(`family ${familyId} does not exist`);
  const [usage, changes] = await Promise.all([
    ctx.reports.periodUsage(familyId, period),
    store.recentChanges(familyId, RECENT_CHANGES),
  ]);
  const usageOf = new Map(usage.members.map((m) => [m.customerId, m]));
  const quotaBytes = family.periods[0]?.quotaBytes ?? family.quotaBytes;
  const poolBytes = quotaBytes + usage.topupBytes;
  return {
    familyId,
    name: family.name,
    period,
    timeZone: ctx.config.settlement.timeZone,
    quotaBytes,
    topupBytes: usage.topupBytes,
    poolBytes,
    usedBytes: usage.usedBytes,
    remainingBytes: Math.max(0, poolBytes - usage.usedBytes),
    familyPolicy: family.policy,
    globalPolicy: global.policy,
    members: activeMembers(family).map((m) => {
      const u = usageOf.get(m.customerId);
      return {
        customerId: m.customerId,
        role: m.role,
        policy: m.policy,
        effectivePolicy: effectivePolicy(m.policy, family.policy, global.policy),
        policySources: levelsOf(m.policy, family.policy, global.policy),
        usedBytes: u?.usedBytes ?? 0,
        zeroRatedBytes: u?.zeroRatedBytes ?? 0,
        refundedBytes: u?.refundedBytes ?? 0,
        settledEvents: u?.settledEvents ?? 0,
        blockedEvents: u?.blockedEvents ?? 0,
        lastBlockReason: u?.lastBlockReason ?? null,
        lastBlockedAt: u?.lastBlockedAt ? new Date(u.lastBlockedAt).toISOString() : null,
        blockReasons: u?.blockReasons ?? [],
        blockedApps: u?.blockedApps ?? [],
        alerts: u?.alerts ?? [],
      };
    }),
    recentChanges: changes,
  };
}
