import { forEachConcurrently } from '../concurrency';
import { describeError, isInvariantError } from '../errors';
import type { KafkaRecord, PartitionBatch } from '../kafka-record';
import type { DeadLetterQueue } from '../ports';
import { type BatchItemFailure, RecordFates } from '../record-fates';
import type { RejectionReason } from '../rejection';
import { type RetryPolicy, retryTransient } from '../retry';
import type { MemberChange } from '../usage-snapshot';
import { applyConfigChange, type ConfigDeps, type ConfigOutcome } from './apply-change';
import { type ConfigChange, familyOf, validateConfigRecord } from './config-event';

export interface ConfigBatchDeps extends ConfigDeps {
  readonly deadLetters: DeadLetterQueue;
  readonly maxBytesPerEvent: number;
  readonly familyConcurrency: number;
  readonly retry: RetryPolicy;
  readonly log: {
    warn(message: string, extra: Record<string, unknown>): void;
    error(message: string, extra: Record<string, unknown>): void;
  };
}

export interface ConfigBatchReport {
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
  bugs: number;
  unfinished: number;
}

interface Entry {
  readonly record: KafkaRecord;
  readonly change: ConfigChange;
}

/**
 * Applies one MSK batch of policy or family events. Each family's changes (and
 * the global ones, as one lane) are applied one at a time in delivery order;
 * families run side by side. A lane stops at a change that could not be
 * applied: it and what follows on its partition are redelivered. Bad records
 * go to the dead-letter queue with their reason.
 */
export async function applyConfigBatch(
  partitions: ReadonlyArray<PartitionBatch>,
  deps: ConfigBatchDeps,
): Promise<{
  batchItemFailures: BatchItemFailure[];
  report: ConfigBatchReport;
  /** The usage screens the batch's committed changes altered (for the live usage snapshots). */
  committedChanges: MemberChange[];
}> {
  const fates = new RecordFates(deps);
  const report: ConfigBatchReport = {
    received: 0,
    applied: {},
    stale: 0,
    replayed: 0,
    rejected: {},
    skipped: 0,
    notificationsStaged: 0,
    redisNotUpdated: 0,
    bugs: 0,
    unfinished: 0,
  };
  const nowMs = deps.clock.now();
  const committedChanges: MemberChange[] = [];
  const lanes = new Map<number | null, Entry[]>();
  for (const partition of partitions) {
    for (const record of partition.records) {
      report.received++;
      const validated = validateConfigRecord(record, {
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

  await forEachConcurrently([...lanes.values()], deps.familyConcurrency, async (lane) => {
    for (const { record, change } of lane) {
      let outcome: ConfigOutcome;
      try {
        outcome = await retryTransient(() => applyConfigChange(change, deps), deps.retry);
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
        return;
      }
      if (outcome.kind === 'reject') {
        fates.reject(record, outcome.rejection, change.eventId);
        continue;
      }
      fates.finish(record);
      if (outcome.kind === 'stale') {
        report.stale++;
        if (outcome.replayed) report.replayed++;
        continue;
      }
      report.applied[change.eventType] = (report.applied[change.eventType] ?? 0) + 1;
      report.notificationsStaged += outcome.outbox.length;
      committedChanges.push(...outcome.screens);
      if (!outcome.redisUpdated) report.redisNotUpdated++;
    }
  });

  await fates.sendLetters();
  const batchItemFailures = fates.failures(partitions);
  report.rejected = fates.rejected;
  report.unfinished = fates.unfinished;
  return { batchItemFailures, report, committedChanges };
}
