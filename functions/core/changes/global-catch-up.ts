import { InvariantError } from '../errors';
import type { MemberPolicy } from '../family';
import { newOutboxItem } from '../outbox/item';
import type { Clock } from '../ports';
import { effectivePolicy } from '../precedence';
import { acceptedPeriods, periodOf } from '../time';
import type { Change } from './change-event';
import { activeMembers, type FamilyRecord } from './family-records';
import { type ChangePlan, emptyEdit, showScreens } from './plan-change';
import type { ChangeStore } from './ports';
import { retroactiveBlocks } from './retroactive';

/**
 * A global default change is never applied by writing every family: each
 * family takes it when its next event is decided. A period state remembers
 * the global revision it took; settlement decides only with that revision,
 * and before deciding with a newer one the family takes every revision in
 * between, one at a time, as a family-wide change of the same key would be
 * taken: the blocks it starts or lifts notified (CUSTOMER_BLOCKED or
 * CUSTOMER_UNBLOCKED, their markers set or cleared), the period's version
 * moved so that nothing decided before it commits after it.
 */
export interface GlobalRevision {
  readonly revision: number;
  /** The global change that made it, as its event carried it. */
  readonly change: Extract<Change, { kind: 'policy' }>;
  readonly before: MemberPolicy;
  readonly after: MemberPolicy;
}

export interface CatchUpDeps {
  readonly store: ChangeStore;
  readonly clock: Clock;
  readonly settings: {
    readonly timeZone: string;
    readonly futureSkewMs: number;
    readonly outboxGraceMs: number;
  };
}

/** Attempts per revision: another writer moving the period's version makes a step plan again. */
const ATTEMPTS_PER_STEP = 5;

/**
 * Brings one period of a family from the global revision it took up to
 * `to`, one committed step per revision. Returns the notifications staged.
 */
export async function catchUpGlobal(
  familyId: number,
  period: string,
  to: number,
  deps: CatchUpDeps,
): Promise<number> {
  const { store, clock, settings } = deps;
  let staged = 0;
  let attempts = 0;
  for (;;) {
    const nowMs = clock.now();
    // A period no event is accepted for any more is never decided again: nothing to take.
    if (!acceptedPeriods(nowMs, settings.timeZone, settings.futureSkewMs).includes(period)) return staged;
    const family = await store.readFamily(familyId, [period]);
    const taken = family.periods[0]?.globalRevision ?? null;
    if (taken === null || taken >= to) return staged;
    const [next] = await store.globalRevisions(taken, taken + 1);
    if (!next) {
      throw new InvariantError(
        'LEDGER_INVARIANT',
        `global revision ${taken + 1} is not in the global history`,
      );
    }
    const plan = planGlobalStep(next, family, { currentPeriod: periodOf(nowMs, settings.timeZone), nowMs });
    const outbox = plan.notifications.map((n) => newOutboxItem(n, nowMs, settings.outboxGraceMs));
    if (await store.commit(plan, outbox, nowMs)) {
      staged += outbox.length;
      attempts = 0;
    } else if (++attempts >= ATTEMPTS_PER_STEP) {
      throw new InvariantError(
        'LEDGER_INVARIANT',
        `family ${familyId} could not take global revision ${next.revision}`,
      );
    }
  }
}

/** One global revision as one family's periods take it: like a family-wide change of the same key. */
export function planGlobalStep(
  revision: GlobalRevision,
  family: FamilyRecord,
  context: { readonly currentPeriod: string; readonly nowMs: number },
): ChangePlan {
  const current = family.periods.find((p) => p.period === context.currentPeriod);
  const effects = retroactiveBlocks({
    change: revision.change,
    familyId: family.familyId,
    level: 'GLOBAL',
    members: activeMembers(family),
    effective: (m) => ({
      before: effectivePolicy(m.policy, family.policy, revision.before),
      after: effectivePolicy(m.policy, family.policy, revision.after),
    }),
    current,
    poolBytes: (current?.quotaBytes ?? family.quotaBytes) + (current?.topupBytes ?? 0),
    currentPeriod: context.currentPeriod,
  });
  const plan: ChangePlan = {
    change: revision.change,
    familyId: family.familyId,
    family: null,
    members: [],
    global: null,
    periods: family.periods.map((p) => ({
      ...emptyEdit(p, context.nowMs),
      globalRevision: revision.revision,
      alertsAdded: p === current ? effects.alertsAdded : [],
      alertsRemoved: p === current ? effects.alertsRemoved : [],
    })),
    notifications: effects.notifications,
    screens: effects.screens,
  };
  return showScreens(plan, context.currentPeriod);
}
