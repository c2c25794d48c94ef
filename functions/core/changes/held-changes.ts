import { describeError, TransientError } from '../errors';
import type { KafkaRecord, MskRecord } from '../kafka-record';
import type { Clock, DeadLetter, DeadLetterQueue } from '../ports';
import { letterIdOf } from '../record-fates';
import { type Rejection, reject } from '../rejection';
import { type RetryPolicy, retryTransient } from '../retry';
import { applyChange, type ChangeDeps, type ChangeOutcome } from './apply-change';
import { type Change, familyOf, validateChangeRecord } from './change-event';

/**
 * A policy change that arrived before its member or family. policy-updated
 * and family-updated are separate topics with no order between them, so the
 * app's "add a member, then set their limit" can deliver the limit first. It
 * is held in the ledger, bounded in time and per family, applied as soon as
 * the member or family appears (versions still decide which value wins), and
 * dead-lettered with its original record only when the wait runs out.
 */
export interface HeldChange {
  readonly familyId: number;
  readonly eventId: string;
  /** Orders a family's held changes as their versions do, and keys them. */
  readonly version: string;
  readonly record: MskRecord;
  /** Why it could not be applied when it arrived: its dead letter's reason if the wait runs out. */
  readonly rejection: Rejection;
  readonly heldAtMs: number;
  readonly expiresAtMs: number;
}

export type HoldOutcome = 'held' | 'already-held' | 'full';

export interface HeldChangeStore {
  /** Holds a change unless the family already holds `maxPerFamily`; a replay of a held change is `already-held`. */
  hold(change: HeldChange, maxPerFamily: number): Promise<HoldOutcome>;
  /** A family's held changes in version order. */
  heldFor(familyId: number): Promise<HeldChange[]>;
  /** Forgets a held change; false when it was gone already (someone else released or expired it). */
  release(change: Pick<HeldChange, 'familyId' | 'version'>): Promise<boolean>;
  /** Held changes whose wait ran out by `nowMs`, oldest first, at most `limit`. */
  expired(nowMs: number, limit: number): Promise<HeldChange[]>;
}

export interface HoldSettings {
  readonly waitMs: number;
  readonly maxPerFamily: number;
}

/** The rejections that mean "not yet": the change names a member or family the ledger does not have. */
export function mayWait(change: Change, rejection: Rejection): boolean {
  return (
    change.kind === 'policy' &&
    familyOf(change) !== null &&
    (rejection.reason === 'NOT_A_MEMBER' || rejection.reason === 'UNKNOWN_FAMILY')
  );
}

/** Holds a change that arrived before its member or family; the rejection to dead-letter if it cannot wait. */
export async function holdChange(
  record: KafkaRecord,
  change: Change,
  rejection: Rejection,
  deps: { readonly held: HeldChangeStore; readonly clock: Clock; readonly hold: HoldSettings },
): Promise<{ kind: 'held' } | { kind: 'reject'; rejection: Rejection }> {
  const nowMs = deps.clock.now();
  const outcome = await deps.held.hold(
    {
      familyId: familyOf(change) as number,
      eventId: change.eventId,
      version: change.version,
      record: record.raw,
      rejection,
      heldAtMs: nowMs,
      expiresAtMs: nowMs + deps.hold.waitMs,
    },
    deps.hold.maxPerFamily,
  );
  if (outcome !== 'full') return { kind: 'held' };
  return {
    kind: 'reject',
    rejection: reject(
      rejection.reason,
      `${rejection.message}; ${deps.hold.maxPerFamily} changes already wait for this family, so this one cannot`,
    ),
  };
}

export type ReleaseDeps = ChangeDeps & {
  readonly held: HeldChangeStore;
  readonly deadLetters?: DeadLetterQueue;
  readonly maxBytesPerEvent: number;
  readonly retry: RetryPolicy;
};

export interface ReleaseReport {
  applied: number;
  /** Held changes applied that a newer value had already replaced. */
  stale: number;
  /** Refused for another reason now that their member or family exists: dead-lettered. */
  rejected: number;
}

/**
 * Applies a family's held changes after a change that may have brought their
 * member or family, in version order. One still waiting for its member stays
 * held; one refused for another reason now goes to the dead-letter queue
 * (without a queue to send it to, it stays held until its wait runs out).
 */
export async function releaseHeldChanges(familyId: number, deps: ReleaseDeps): Promise<ReleaseReport> {
  const report: ReleaseReport = { applied: 0, stale: 0, rejected: 0 };
  for (const held of await deps.held.heldFor(familyId)) {
    const record = kafkaRecordOf(held.record);
    const validated = validateChangeRecord(record, {
      timeZone: deps.settings.timeZone,
      nowMs: deps.clock.now(),
      futureSkewMs: deps.settings.futureSkewMs,
      maxBytesPerEvent: deps.maxBytesPerEvent,
    });
    if (validated.kind !== 'change') continue;
    const outcome: ChangeOutcome = await retryTransient(
      () => applyChange(validated.change, deps),
      deps.retry,
    );
    if (outcome.kind === 'reject' && mayWait(validated.change, outcome.rejection)) continue;
    if (outcome.kind === 'reject') {
      if (!deps.deadLetters) continue;
      await sendLetter(deps.deadLetters, record, outcome.rejection, held.eventId, deps.clock);
      report.rejected++;
    } else if (outcome.kind === 'stale') report.stale++;
    else report.applied++;
    await deps.held.release(held);
  }
  return report;
}

/**
 * Dead-letters the held changes whose wait ran out, with their original
 * record and the reason they could not be applied. A change released (or
 * expired by another run) meanwhile is not dead-lettered twice: the letter
 * goes out first, and its id is stable, so a second one is recognisable.
 */
export async function expireHeldChanges(
  deps: {
    readonly held: HeldChangeStore;
    readonly deadLetters: DeadLetterQueue;
    readonly clock: Clock;
    readonly retry: RetryPolicy;
    readonly log: { warn(message: string, extra: Record<string, unknown>): void };
  },
  limit = 100,
): Promise<number> {
  let expired = 0;
  for (const held of await deps.held.expired(deps.clock.now(), limit)) {
    const rejection = reject(
      held.rejection.reason,
      `${held.rejection.message}; it waited until ${new Date(held.expiresAtMs).toISOString()} for its member or family`,
    );
    try {
      await retryTransient(
        () => sendLetter(deps.deadLetters, kafkaRecordOf(held.record), rejection, held.eventId, deps.clock),
        deps.retry,
      );
      if (await deps.held.release(held)) expired++;
    } catch (error) {
      deps.log.warn('a held change could not be dead-lettered; the next run tries again', {
        eventId: held.eventId,
        error: describeError(error),
      });
    }
  }
  return expired;
}

function kafkaRecordOf(raw: MskRecord): KafkaRecord {
  return {
    raw,
    partitionKey: `${raw.topic}-${raw.partition}`,
    offset: raw.offset,
    key: raw.key === null ? null : Buffer.from(raw.key, 'base64').toString('utf8'),
    headers: {},
  };
}

async function sendLetter(
  queue: DeadLetterQueue,
  record: KafkaRecord,
  rejection: Rejection,
  eventId: string,
  clock: Clock,
): Promise<void> {
  const letter: DeadLetter = {
    ...rejection,
    letterId: letterIdOf(record, rejection),
    partitionKey: record.partitionKey,
    record: record.raw,
    eventId,
    rejectedAt: new Date(clock.now()).toISOString(),
  };
  const unsent = await queue.send([letter]);
  if (unsent.length > 0) throw new TransientError(`the dead letter of ${eventId} was not accepted`);
}
