import { TransientError } from '../errors';
import { newOutboxItem, type OutboxItem } from '../outbox/item';
import type { GlobalLevel } from '../ports';
import type { Rejection } from '../rejection';
import { periodOf } from '../time';
import { type CorrectionPlan, correctable, planCorrection } from './plan-correction';
import type { CorrectionDeps, KafkaPosition } from './ports';
import type { UsageCorrection } from './usage-correction';

export type CorrectionOutcome =
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'rejected'; readonly rejection: Rejection }
  | { readonly kind: 'applied'; readonly plan: CorrectionPlan; readonly outbox: ReadonlyArray<OutboxItem> };

/** Plans against a fresh read as often as a concurrent writer moves the ledger under it. */
const ATTEMPTS = 5;

/**
 * Applies one correction to the ledger: reads its own fate and the event it
 * corrects (strongly consistent), plans, and commits in one transaction
 * under what it read. The global level is the one its batch decides with,
 * so the correction and the events around it see the same defaults. The
 * caller drops the family's period state afterwards, so the next decision
 * starts from the ledger with the correction in it.
 */
export async function applyCorrection(
  correction: UsageCorrection,
  kafka: KafkaPosition,
  global: GlobalLevel,
  deps: CorrectionDeps,
): Promise<CorrectionOutcome> {
  const { store, ledger, changes, clock, settings } = deps;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const fates = await ledger.findFates([correction.eventId, correction.correctsEventId]);
    const checked = correctable(
      correction,
      fates.get(correction.eventId),
      fates.get(correction.correctsEventId),
    );
    if (checked.kind === 'duplicate') return checked;
    if (checked.kind === 'reject') return { kind: 'rejected', rejection: checked.rejection };
    const original = checked.record;
    const family = await changes.readFamily(correction.familyId, [original.period]);
    const nowMs = clock.now();
    const plan = planCorrection(correction, original, family, {
      global,
      currentPeriod: periodOf(nowMs, settings.timeZone),
      nowMs,
    });
    const outbox = plan.notifications.map((n) => newOutboxItem(n, nowMs, settings.outboxGraceMs));
    if (await store.commit(plan, outbox, { kafka, nowMs })) return { kind: 'applied', plan, outbox };
  }
  throw new TransientError(
    `the ledger kept changing while correction ${correction.eventId} of ${correction.correctsEventId} was applied`,
  );
}
