import type { OffsetRange, ReceivedFailure } from '../functions/adapters/sqs/failed-batch-reader';
import { applyChangeBatch, type ChangeBatchReport } from '../functions/core/changes/apply-batch';
import { decodeMskEvent, type MskRecord, type PartitionBatch } from '../functions/core/kafka-record';
import type { BatchItemFailure } from '../functions/core/record-fates';
import { type BatchReport, settleBatch } from '../functions/core/settlement/settle-batch';
import type { CliContext } from './context';
import { type KafkaAccess, type KafkaAuth, readOffsetRanges } from './kafka-ranges';

/** How long received failure records stay hidden from other readers while a replay runs. */
const REPLAY_VISIBILITY_SECONDS = 900;

export interface BatchReplayOptions {
  readonly max: number;
  /** A broker to read from instead of the one the record names (host:port). */
  readonly bootstrap: string | undefined;
  readonly auth: KafkaAuth;
  /** Topics whose records are policy and family events; all others are usage events. */
  readonly changeTopics: ReadonlyArray<string>;
}

export interface BatchOutcome {
  readonly messageId: string;
  readonly condition: string;
  readonly ranges: ReadonlyArray<OffsetRange>;
  readonly records: number;
  /** Offsets the topic no longer holds: the batch cannot be replayed whole and stays in the queue. */
  readonly gone: ReadonlyArray<OffsetRange>;
  /** Records that did not finish (a transient failure): the batch stays in the queue. */
  readonly unfinished: number;
  readonly deleted: boolean;
  /** What settling the usage records did (duplicates: finished before). */
  readonly usage: BatchReport | null;
  readonly config: ChangeBatchReport | null;
}

export interface BatchReplayReport {
  readonly received: number;
  /** Messages that are not MSK on-failure records, left in the queue. */
  readonly unreadable: number;
  readonly batches: ReadonlyArray<BatchOutcome>;
}

/** Records from the first unfinished offset of a failure's partition on. */
function unfinishedCount(batch: ReadonlyArray<PartitionBatch>, failures: ReadonlyArray<BatchItemFailure>) {
  let count = 0;
  for (const partition of batch) {
    const failure = failures.find((f) => f.itemIdentifier.partition === partition.partitionKey);
    if (!failure) continue;
    const at = partition.records.findIndex((r) => r.offset === failure.itemIdentifier.offset);
    count += at < 0 ? partition.records.length : partition.records.length - at;
  }
  return count;
}

function byTopic(records: ReadonlyArray<MskRecord>): Record<string, MskRecord[]> {
  const grouped: Record<string, MskRecord[]> = {};
  for (const record of records) {
    const key = `${record.topic}-${record.partition}`;
    grouped[key] = [...(grouped[key] ?? []), record];
  }
  return grouped;
}

/**
 * Replays the batches the MSK mappings gave up on: for each on-failure record
 * in the queue, the offsets it names are read again from Kafka and go through
 * the code the functions run (settleBatch for usage events, applyChangeBatch
 * for policy and family events). Whatever finished before is a duplicate and
 * changes nothing. A record is deleted only once every offset it names was
 * read and finished.
 */
export async function replayFailedBatches(
  ctx: CliContext,
  options: BatchReplayOptions,
): Promise<BatchReplayReport> {
  const reader = ctx.failedBatches;
  const received = await reader.receive({ max: options.max, visibilitySeconds: REPLAY_VISIBILITY_SECONDS });
  const readable = received.filter((m) => m.batch !== null);
  const outcomes: BatchOutcome[] = [];
  const finished: ReceivedFailure[] = [];
  const kept: ReceivedFailure[] = received.filter((m) => m.batch === null);
  try {
    for (const message of readable) {
      const batch = message.batch!;
      const access: KafkaAccess = {
        bootstrap: options.bootstrap ?? batch.bootstrapServers.split(',')[0] ?? '',
        auth: options.auth,
        region: ctx.region,
      };
      const read = await readOffsetRanges(access, batch.ranges);
      const usage = read.records.filter((r) => !options.changeTopics.includes(r.topic));
      const config = read.records.filter((r) => options.changeTopics.includes(r.topic));
      let unfinished = 0;
      let usageReport: BatchReport | null = null;
      let changeReport: ChangeBatchReport | null = null;
      if (usage.length > 0) {
        const partitions = decodeMskEvent({ eventSource: 'aws:kafka', records: byTopic(usage) });
        const { batchItemFailures, report } = await settleBatch(partitions, await ctx.settlementDeps());
        unfinished += unfinishedCount(partitions, batchItemFailures);
        usageReport = report;
      }
      if (config.length > 0) {
        const partitions = decodeMskEvent({ eventSource: 'aws:kafka', records: byTopic(config) });
        const { batchItemFailures, report } = await applyChangeBatch(partitions, await ctx.changeBatchDeps());
        unfinished += unfinishedCount(partitions, batchItemFailures);
        changeReport = report;
      }
      const done = unfinished === 0 && read.gone.length === 0;
      (done ? finished : kept).push(message);
      outcomes.push({
        messageId: message.messageId,
        condition: batch.condition,
        ranges: batch.ranges,
        records: read.records.length,
        gone: read.gone,
        unfinished,
        deleted: done,
        usage: usageReport,
        config: changeReport,
      });
    }
  } finally {
    const notDeleted = await reader.delete(finished);
    await reader.release([
      ...kept,
      ...notDeleted,
      ...readable.filter((m) => !outcomes.some((o) => o.messageId === m.messageId)),
    ]);
  }
  return { received: received.length, unreadable: received.length - readable.length, batches: outcomes };
}
