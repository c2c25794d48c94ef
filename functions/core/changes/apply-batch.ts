import { forEachConcurrently } from '../concurrency';
import { describeError, isInvariantError } from '../errors';
import type { KafkaRecord, PartitionBatch } from '../kafka-record';
import type { DeadLetterQueue } from '../ports';
import { type BatchItemFailure, RecordFates } from '../record-fates';
import type { RejectionReason } from '../rejection';
import { type RetryPolicy, retryTransient } from '../retry';
import { applyChange, type ChangeDeps, type ChangeOutcome } from './apply-change';
import { type Change, familyOf, validateChangeRecord } from './change-event';
import {
  type HeldChangeStore,
  type HoldSettings,
  holdChange,
  mayWait,
  releaseHeldChanges,
} from './held-changes';

export interface ChangeBatchDeps extends ChangeDeps {
  readonly deadLetters: DeadLetterQueue;
  /** Where a policy change that arrived before its member or family waits for it. */
  readonly held: HeldChangeStore;
  readonly hold: HoldSettings;
  readonly maxBytesPerEvent: number;
  readonly familyConcurrency: number;
  readonly retry: RetryPolicy;
  readonly log: {
    warn(message: string, extra: Record<string, unknown>): void;
    error(message: string, extra: Record<string, unknown>): void;
  };
}

export interface ChangeBatchReport {
  received: number;
  /** Changes committed, by event type. */
  applied: Record<string, number>;
  /** Not newer than what the ledger holds (ignored), replays of an applied event included. */
  stale: number;
  replayed: number;
  rejected: Partial<Record<RejectionReason, number>>;
  skipped: number;
  notificationsStaged: number;
  /** Changes committed while Redis could not follow (its states are reloaded on their next commit). */
  redisNotUpdated: number;
  /** Policy changes that arrived before their member or family and now wait for it. */
  held: number;
  /** Held changes applied (or found stale) once their member or family appeared. */
  released: number;
  bugs: number;
  unfinished: number;
}

interface Entry {
  readonly record: KafkaRecord;
  readonly change: Change;
}

/**
 * Applies one MSK batch of policy or family events. Each family's changes (and
 * the global ones, as one lane) are applied one at a time in delivery order;
 * families run side by side. A lane stops at a change that could not be
 * applied: it and what follows on its partition are redelivered. Bad records
 * go to the dead-letter queue with their reason.
 */
export async function applyChangeBatch(
  partitions: ReadonlyArray<PartitionBatch>,
  deps: ChangeBatchDeps,
): Promise<{
  batchItemFailures: BatchItemFailure[];
  report: ChangeBatchReport;
}> {
  const fates = new RecordFates(deps);
  const report: ChangeBatchReport = {
    received: 0,
    applied: {},
    stale: 0,
    replayed: 0,
    rejected: {},
    skipped: 0,
    notificationsStaged: 0,
    redisNotUpdated: 0,
    held: 0,
    released: 0,
    bugs: 0,
    unfinished: 0,
  };
  const nowMs = deps.clock.now();
  const lanes = new Map<number | null, Entry[]>();
  for (const partition of partitions) {
    for (const record of partition.records) {
      report.received++;
      const validated = validateChangeRecord(record, {
        timeZone: deps.settings.timeZone,
        nowMs,
        futureSkewMs: deps.settings.futureSkewMs,
        maxBytesPerEvent: deps.maxBytesPerEvent,
      });
      if (validated.kind === 'skip') {
        report.skipped++;
        fates.finish(record);
      } else if (validated.kind === 'reject') {
        fates.reject(record, validated.rejection, validated.eventId);
      } else {
        const family = familyOf(validated.change);
        lanes.set(family, [...(lanes.get(family) ?? []), { record, change: validated.change }]);
      }
    }
  }

  /** One change of a lane, to its fate; false when it could not be finished (the lane stops there). */
  const applyOne = async ({ record, change }: Entry): Promise<boolean> => {
    try {
      const outcome = await retryTransient(() => applyChange(change, deps), deps.retry);
      if (outcome.kind === 'reject') {
        const held = mayWait(change, outcome.rejection)
          ? await retryTransient(() => holdChange(record, change, outcome.rejection, deps), deps.retry)
          : { kind: 'reject' as const, rejection: outcome.rejection };
        if (held.kind === 'held') {
          report.held++;
          fates.finish(record);
        } else fates.reject(record, held.rejection, change.eventId);
        return true;
      }
      // Before the record is finished: if this fails, the change comes again (stale) and releases them then.
      if (change.kind === 'member-joined' || change.kind === 'family-upserted') {
        const released = await releaseHeldChanges(change.familyId, deps);
        report.released += released.applied + released.stale;
      }
      fates.finish(record);
      recordOutcome(change, outcome);
      return true;
    } catch (error) {
      if (isInvariantError(error)) report.bugs++;
      deps.log.error(
        'a family or policy change could not be applied; the partition is redelivered from here',
        {
          partition: record.partitionKey,
          offset: record.offset,
          eventId: change.eventId,
          error: describeError(error),
        },
      );
      return false;
    }
  };
  const recordOutcome = (change: Change, outcome: Exclude<ChangeOutcome, { kind: 'reject' }>) => {
    if (outcome.kind === 'stale') {
      report.stale++;
      if (outcome.replayed) report.replayed++;
      return;
    }
    report.applied[change.eventType] = (report.applied[change.eventType] ?? 0) + 1;
    report.notificationsStaged += outcome.outbox.length;
    if (!outcome.redisUpdated) report.redisNotUpdated++;
  };

  await forEachConcurrently([...lanes.values()], deps.familyConcurrency, async (lane) => {
    for (const entry of lane) if (!(await applyOne(entry))) return;
  });

  await fates.sendLetters();
  const batchItemFailures = fates.failures(partitions);
  report.rejected = fates.rejected;
  report.unfinished = fates.unfinished;
  return { batchItemFailures, report };
}
