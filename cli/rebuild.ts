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
 * Replaces a family's Redis state for a period with what the ledger holds:
 * the state is dropped, then loaded from the ledger. Decisions Redis held
 * pending (not yet committed) go with it; their events are decided again
 * when they are redelivered, and a commit made meanwhile from the dropped
 * state is refused by the ledger's version check. Safe while events flow.
 */
export async function rebuildFamily(
  ctx: CliContext,
  familyId: number,
  period: Period,
): Promise<RebuildResult> {
  if (!(await ctx.families.getFamily(familyId)))
    throw new OperationError(`family ${familyId} does not exist`);
  const cache = await ctx.cache();
  await cache.invalidate(familyId, [period]);
  const [snapshot] = await ctx.ledger.loadSnapshots(familyId, [period]);
  if (!snapshot) throw new OperationError(`family ${familyId} has no state for ${period}`);
  await cache.hydrate(snapshot);
  return {
    familyId,
    period,
    quotaBytes: snapshot.quotaBytes,
    remainingBytes: Math.max(0, snapshot.quotaBytes - snapshot.familyUsedBytes),
    members: snapshot.members.length,
  };
}
