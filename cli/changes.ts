import { randomUUID } from 'node:crypto';
import { applyChange, type ChangeOutcome } from '../functions/core/changes/apply-change';
import type { Change } from '../functions/core/changes/change-event';
import { describeChange } from '../functions/core/changes/change-log';
import { releaseHeldChanges } from '../functions/core/changes/held-changes';
import { versionOf } from '../functions/core/changes/version';
import { systemClock } from '../functions/core/ports';
import { periodOf } from '../functions/core/time';
import type { CliContext } from './context';
import { OperationError } from './errors';
import { plural } from './output';

/** A change as an operator states it: the event's id, type, time and version are added. */
export type ChangeBody = Change extends infer C
  ? C extends Change
    ? Omit<C, 'eventId' | 'eventType' | 'timestampMs' | 'version' | 'period'>
    : never
  : never;

const EVENT_TYPE: Record<Change['kind'], string> = {
  policy: 'POLICY_UPDATED',
  'family-upserted': 'FAMILY_UPSERTED',
  'member-joined': 'MEMBER_JOINED',
  'member-left': 'MEMBER_LEFT',
  'quota-changed': 'QUOTA_CHANGED',
  'topup-added': 'TOPUP_ADDED',
};

/**
 * Operator changes as the events the carrier's systems publish: each gets an
 * eventId and the current time as its version (a few milliseconds apart when
 * one command makes several, so they apply in the order given).
 */
export function operatorChanges(bodies: ReadonlyArray<ChangeBody>, timeZone: string): Change[] {
  const start = systemClock.now();
  return bodies.map((body, i) => {
    const eventId = `cli-${randomUUID()}`;
    const timestampMs = start + i;
    return {
      ...body,
      eventId,
      eventType: EVENT_TYPE[body.kind],
      timestampMs,
      version: versionOf(timestampMs, eventId),
      // A top-up is for the period of its time, as an event's is.
      ...(body.kind === 'topup-added' ? { period: periodOf(timestampMs, timeZone) } : {}),
    } as Change;
  });
}

/** Applies operator changes one after another through the core the change-events function runs. */
export async function applyChanges(
  ctx: CliContext,
  changes: ReadonlyArray<Change>,
): Promise<ChangeOutcome[]> {
  const deps = await ctx.changeDeps();
  const outcomes: ChangeOutcome[] = [];
  for (const change of changes) {
    const outcome = await applyChange(change, deps);
    if (outcome.kind === 'reject') throw new OperationError(outcome.rejection.message);
    // A member or family an operator adds takes the policy changes that waited for it, as an event's would.
    if (change.kind === 'member-joined' || change.kind === 'family-upserted') {
      await releaseHeldChanges(change.familyId, deps);
    }
    outcomes.push(outcome);
  }
  return outcomes;
}

/** One line per change: what it set, what it notified, whether Redis followed. */
export function describeOutcome(outcome: ChangeOutcome): string {
  if (outcome.kind === 'stale') return 'not applied: the ledger holds it already, or a newer value';
  if (outcome.kind === 'reject') return `rejected: ${outcome.rejection.message}`;
  const what = describeChange(outcome.plan.change);
  const redis = outcome.redisUpdated
    ? 'Redis updated'
    : 'Redis not reachable: the next event of the family loads the change from the ledger';
  return `${what}; ${plural(outcome.outbox.length, 'notification')} staged; ${redis}`;
}
