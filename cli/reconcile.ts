import { compareFamily, type Drift } from '../functions/adapters/redis/period-drift';
import { forEachConcurrently } from '../functions/core/concurrency';
import type { Period } from '../functions/core/time';
import type { CliContext } from './context';
import { rebuildFamily } from './rebuild';

/** Families inspected at once. */
const CONCURRENCY = 8;
/**
 * An event Redis has decided but the ledger not yet committed looks like
 * drift for a few milliseconds; drift is reported only if it is still there
 * this much later.
 */
export const RECHECK_MS = 300;

export interface FamilyDrift {
  readonly familyId: number;
  readonly drift: ReadonlyArray<Drift>;
  /** With --fix: whether Redis matched the ledger after the rebuild. */
  readonly fixed?: boolean;
}

export interface ReconcileReport {
  readonly period: Period;
  readonly checked: number;
  readonly inSync: number;
  /** Families without Redis state for the period: nothing to compare, the next event hydrates them. */
  readonly notCached: number;
  readonly drifted: ReadonlyArray<FamilyDrift>;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Null when Redis holds no state for the family and period. */
async function inspect(ctx: CliContext, familyId: number, period: Period): Promise<Drift[] | null> {
  const state = await (await ctx.cache()).periodState(familyId, period);
  if (!state) return null;
  const [snapshot] = await ctx.ledger.loadSnapshots(familyId, [period]);
  return snapshot ? compareFamily(snapshot, state) : null;
}

/**
 * Compares Redis with the ledger for every family with usage in the period
 * (the ledger's period index, never a scan) and, with `fix`, rebuilds the
 * drifted families from the ledger.
 */
export async function reconcile(ctx: CliContext, period: Period, fix: boolean): Promise<ReconcileReport> {
  const families = await ctx.reports.familiesWithUsage(period);
  let inSync = 0;
  let notCached = 0;
  const drifted: FamilyDrift[] = [];
  await forEachConcurrently(families, CONCURRENCY, async (familyId) => {
    let drift = await inspect(ctx, familyId, period);
    if (drift !== null && drift.length > 0) {
      await pause(RECHECK_MS);
      drift = await inspect(ctx, familyId, period);
    }
    if (drift === null) notCached++;
    else if (drift.length === 0) inSync++;
    else if (!fix) drifted.push({ familyId, drift });
    else {
      await rebuildFamily(ctx, familyId, period);
      const after = await inspect(ctx, familyId, period);
      drifted.push({ familyId, drift, fixed: after !== null && after.length === 0 });
    }
  });
  drifted.sort((a, b) => a.familyId - b.familyId);
  return { period, checked: families.length, inSync, notCached, drifted };
}
