import type { PeriodState } from '../functions/adapters/redis/usage-cache';
import type { FamilySnapshot } from '../functions/core/family';

/** One value on which Redis and the ledger disagree. */
export interface Drift {
  /** quota, remaining, or used:<customerId> (the Redis field name). */
  readonly field: string;
  readonly redis: number;
  readonly ledger: number;
}

/**
 * Compares a family's Redis period state with the ledger's snapshot. Absent
 * state is not drift: the next event hydrates it. Remaining is always
 * quota minus usage, negative when the quota was lowered below the usage.
 */
export function compareFamily(snapshot: FamilySnapshot, state: PeriodState): Drift[] {
  const drift: Drift[] = [];
  const check = (field: string, redis: number, ledger: number) => {
    if (redis !== ledger) drift.push({ field, redis, ledger });
  };
  check('quota', state.quota, snapshot.quotaBytes);
  check('remaining', state.remaining, snapshot.quotaBytes - snapshot.familyUsedBytes);
  const ledgerUsed = new Map(snapshot.members.map((m) => [m.customerId, m.usedBytes]));
  for (const [customerId, used] of state.used) {
    check(`used:${customerId}`, used, ledgerUsed.get(customerId) ?? 0);
  }
  return drift;
}
