import type { Family, MemberPolicy } from '../functions/core/family';
import { type Period, shiftPeriod } from '../functions/core/time';
import { BIN } from './command';
import type { CliContext } from './context';
import { OperationError } from './errors';

export interface FamilyPutResult {
  readonly familyId: number;
  readonly created: boolean;
  readonly members: number;
  readonly quotaBytes: number;
  readonly previousQuotaBytes: number | null;
  /** Members whose policy is new or changed; their cached policies were deleted. */
  readonly policiesChanged: ReadonlyArray<number>;
  /** Periods whose Redis state held the family and now has the new quota. */
  readonly quotaUpdatedIn: ReadonlyArray<Period>;
}

function samePolicy(a: MemberPolicy, b: MemberPolicy): boolean {
  return (
    a.monthlyLimitBytes === b.monthlyLimitBytes &&
    a.manualBlock === b.manualBlock &&
    a.blockWindow?.start === b.blockWindow?.start &&
    a.blockWindow?.end === b.blockWindow?.end &&
    [...a.blockedApps].sort().join('\n') === [...b.blockedApps].sort().join('\n')
  );
}

/**
 * Writes a family to the ledger, then brings Redis in line without racing live
 * events: the member set and the negative membership entries are deleted (a
 * new member is seen at once), changed policies are deleted (hydrated again on
 * the next event), and the quota is changed atomically in the current and the
 * previous period (events of both are accepted).
 */
export async function putFamily(ctx: CliContext, family: Family): Promise<FamilyPutResult> {
  const store = ctx.families;
  const previous = await store.getFamily(family.familyId);
  await store.putFamily(family);
  const policiesChanged = family.members
    .filter((m) => {
      const before = previous?.members.find((p) => p.customerId === m.customerId);
      return before === undefined || !samePolicy(before.policy, m.policy);
    })
    .map((m) => m.customerId);
  const current = ctx.currentPeriod();
  const quotaUpdatedIn: Period[] = [];
  try {
    const cache = await ctx.cache();
    await cache.invalidateMembership(
      family.familyId,
      family.members.map((m) => m.customerId),
    );
    await cache.invalidatePolicies(family.familyId, policiesChanged);
    for (const period of [shiftPeriod(current, -1), current]) {
      if (await cache.setQuota(family.familyId, period, family.quotaBytes)) quotaUpdatedIn.push(period);
    }
  } catch (error) {
    throw new OperationError(
      `family ${family.familyId} was written to DynamoDB, but refreshing Redis failed: ` +
        `${(error as Error).message}. Once Redis is reachable, run '${BIN} family put' again ` +
        `or '${BIN} cache rebuild --family ${family.familyId}'.`,
    );
  }
  return {
    familyId: family.familyId,
    created: previous === null,
    members: family.members.length,
    quotaBytes: family.quotaBytes,
    previousQuotaBytes: previous?.quotaBytes ?? null,
    policiesChanged,
    quotaUpdatedIn,
  };
}
