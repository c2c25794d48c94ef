import { livePeriods } from '../functions/adapters/dynamodb/family-store';
import type { Family, MemberPolicy } from '../functions/core/family';
import { systemClock } from '../functions/core/ports';
import type { Period } from '../functions/core/time';
import { BIN } from './command';
import type { CliContext } from './context';
import { OperationError } from './errors';

export interface FamilyPutResult {
  readonly familyId: number;
  readonly created: boolean;
  readonly members: number;
  readonly quotaBytes: number;
  readonly previousQuotaBytes: number | null;
  /** Members whose policy is new or changed. */
  readonly policiesChanged: ReadonlyArray<number>;
  /** Periods whose Redis state was dropped, to be loaded with the change by the next event. */
  readonly refreshedPeriods: ReadonlyArray<Period>;
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
 * Writes a family to the ledger (which moves the versions of its live
 * periods), then drops those period states from Redis so the next event loads
 * the change. A decision Redis made from the old state meanwhile cannot
 * commit: the ledger's version check refuses it and the family is decided
 * again.
 */
export async function putFamily(ctx: CliContext, family: Family): Promise<FamilyPutResult> {
  const store = ctx.families;
  const previous = await store.getFamily(family.familyId);
  const nowMs = systemClock.now();
  await store.putFamily(family, nowMs);
  const policiesChanged = family.members
    .filter((m) => {
      const before = previous?.members.find((p) => p.customerId === m.customerId);
      return before === undefined || !samePolicy(before.policy, m.policy);
    })
    .map((m) => m.customerId);
  const refreshedPeriods = await refreshRedis(ctx, family.familyId, nowMs, 'family put');
  return {
    familyId: family.familyId,
    created: previous === null,
    members: family.members.length,
    quotaBytes: family.quotaBytes,
    previousQuotaBytes: previous?.quotaBytes ?? null,
    policiesChanged,
    refreshedPeriods,
  };
}

/** Drops a family's live period states from Redis after a change to it in the ledger. */
export async function refreshRedis(
  ctx: CliContext,
  familyId: number,
  nowMs: number,
  command: string,
): Promise<Period[]> {
  const periods = livePeriods(nowMs, ctx.config.settlement);
  try {
    await (await ctx.cache()).invalidate(familyId, periods);
  } catch (error) {
    throw new OperationError(
      `family ${familyId} was changed in DynamoDB, but refreshing Redis failed: ` +
        `${(error as Error).message}. The change still takes effect: a decision made from the old ` +
        `state is refused by the ledger. To load it at once, run '${BIN} ${command}' again or ` +
        `'${BIN} cache rebuild --family ${familyId}' once Redis is reachable.`,
    );
  }
  return periods;
}
