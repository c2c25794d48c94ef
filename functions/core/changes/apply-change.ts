import { TransientError } from '../errors';
import { newOutboxItem, type OutboxItem } from '../outbox/item';
import type { Clock } from '../ports';
import { acceptedPeriods, periodOf } from '../time';
import { type Change, familyOf } from './change-event';
import { type ChangePlan, type PlanResult, planChange } from './plan-change';
import type { ChangeCache, ChangeStore } from './ports';

export interface ChangeSettings {
  readonly timeZone: string;
  readonly futureSkewMs: number;
  readonly outboxGraceMs: number;
}

export interface ChangeDeps {
  readonly store: ChangeStore;
  readonly cache: ChangeCache;
  readonly clock: Clock;
  readonly settings: ChangeSettings;
}

export type ChangeOutcome =
  | Exclude<PlanResult, { kind: 'apply' }>
  | {
      readonly kind: 'applied';
      readonly plan: ChangePlan;
      readonly outbox: ReadonlyArray<OutboxItem>;
      /** False when Redis could not follow: its states are then outdated, and refused at their next commit. */
      readonly redisUpdated: boolean;
    };

/** Plans against a fresh read as often as a concurrent writer moves the versions under it. */
const ATTEMPTS = 5;

/**
 * Applies one family or policy change: DynamoDB first, as one transaction
 * under the versions it was planned against; then Redis under the same
 * versions. Redis is best effort: if it cannot follow, the states it holds are
 * at an older version, their next commit is refused, and they are loaded again
 * from the ledger, with the change.
 */
export async function applyChange(change: Change, deps: ChangeDeps): Promise<ChangeOutcome> {
  const { store, cache, clock, settings } = deps;
  const familyId = familyOf(change);
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const nowMs = clock.now();
    const periods = acceptedPeriods(nowMs, settings.timeZone, settings.futureSkewMs);
    const [family, global, topup] = await Promise.all([
      familyId === null ? Promise.resolve(null) : store.readFamily(familyId, periods),
      store.readGlobal(),
      change.kind === 'topup-added' ? store.readTopup(change.topupId) : Promise.resolve(null),
    ]);
    const currentPeriod = periodOf(nowMs, settings.timeZone);
    const result = planChange(change, { family, global, topup, currentPeriod, nowMs });
    if (result.kind !== 'apply') return result;
    const { plan } = result;
    const outbox = plan.notifications.map((n) => newOutboxItem(n, nowMs, settings.outboxGraceMs));
    if (!(await store.commit(plan, outbox, nowMs))) continue;
    let redisUpdated = true;
    if (familyId !== null && plan.periods.length > 0) {
      redisUpdated = await cache.applyChange(familyId, plan.periods).then(
        () => true,
        () => false,
      );
    }
    return {
      kind: 'applied',
      plan,
      outbox,
      redisUpdated,
    };
  }
  throw new TransientError(`family ${familyId} kept changing while ${change.eventId} was applied`);
}
