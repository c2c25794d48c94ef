import type { Period } from '../functions/core/time';
import type { CliContext } from './context';
import { OperationError } from './errors';

export interface RebuildResult {
  readonly familyId: number;
  readonly period: Period;
  readonly quotaBytes: number;
  readonly remainingBytes: number;
  readonly members: number;
}

/**
 * Replaces a family's Redis state for a period with what the ledger holds
 * (RedisUsageCache.rebuild: one MULTI/EXEC). An event Redis decided but the
 * ledger had not committed when the snapshot was read is lost from Redis;
 * the next reconcile repairs that.
 */
export async function rebuildFamily(
  ctx: CliContext,
  familyId: number,
  period: Period,
): Promise<RebuildResult> {
  if (!(await ctx.families.getFamily(familyId)))
    throw new OperationError(`family ${familyId} does not exist`);
  const snapshot = await ctx.ledger.loadSnapshot(familyId, period);
  await (await ctx.cache()).rebuild(snapshot);
  return {
    familyId,
    period,
    quotaBytes: snapshot.quotaBytes,
    remainingBytes: Math.max(0, snapshot.quotaBytes - snapshot.familyUsedBytes),
    members: snapshot.members.length,
  };
}
