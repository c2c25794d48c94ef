import type { PeriodSnapshot } from '../../core/family';
import type { PeriodState } from './period-fields';

/** One value on which Redis and the ledger disagree. */
export interface Drift {
  /** quota, topups, remaining, version, or used:<customerId>. */
  readonly field: string;
  readonly redis: number;
  readonly ledger: number;
}

/**
 * Compares a family's Redis period state with the ledger's snapshot. Redis
 * holds what the ledger committed plus the decisions still pending there
 * (decided, not yet confirmed); those are added to the ledger's side. A state
 * at another version than the ledger's is outdated, not drifted: the ledger
 * refuses the next commit made from it and the family is loaded afresh, so
 * only the version is reported. Absent state is not drift either.
 */
export function compareFamily(snapshot: PeriodSnapshot, state: PeriodState): Drift[] {
  if (state.version !== snapshot.version) {
    return [{ field: 'version', redis: state.version, ledger: snapshot.version }];
  }
  const drift: Drift[] = [];
  const check = (field: string, redis: number, ledger: number) => {
    if (redis !== ledger) drift.push({ field, redis, ledger });
  };
  const pending = [...state.pendingBytes.values()].reduce((a, b) => a + b, 0);
  check('quota', state.quota, snapshot.quotaBytes);
  check('topups', state.topups, snapshot.topupBytes);
  check(
    'remaining',
    state.remaining,
    snapshot.quotaBytes + snapshot.topupBytes - snapshot.familyUsedBytes - pending,
  );
  const ledgerUsed = new Map(snapshot.members.map((m) => [m.customerId, m.usedBytes]));
  for (const [customerId, used] of state.used) {
    check(
      `used:${customerId}`,
      used,
      (ledgerUsed.get(customerId) ?? 0) + (state.pendingBytes.get(customerId) ?? 0),
    );
  }
  return drift;
}
