import { type EventSourceIdentity, toMskEvent } from '../../functions/adapters/kafka/msk-event';
import type { MskEvent, MskRecord } from '../../functions/core/kafka-record';
import type { RecordSource } from './record-source';

export interface KafkaBatchResponse {
  readonly batchItemFailures?: ReadonlyArray<{
    readonly itemIdentifier: { partition: string; offset: number };
  }>;
}

export type MskInvoker = (event: MskEvent) => Promise<KafkaBatchResponse>;

export interface MappingStats {
  invocations: number;
  recordsDelivered: number;
  redeliveredRecords: number;
  failedInvocations: number;
  recordsCommitted: number;
}

export interface MappingOptions {
  /** Most records in one invocation (MSK: BatchSize). */
  readonly batchSize: number;
  /** How long to wait for a batch to fill (MSK: MaximumBatchingWindowInSeconds). */
  readonly batchingWindowMs?: number;
  /** drain() gives up after this many invocations in a row that moved no partition. */
  readonly maxAttemptsWithoutProgress?: number;
  /** Pause after an invocation that moved no partition, before the redelivery. */
  readonly retryDelayMs?: number;
  readonly source?: EventSourceIdentity;
}

export class PartitionStuckError extends Error {}

const LOCAL_SOURCE: EventSourceIdentity = {
  eventSourceArn:
    'arn:aws:kafka:ap-northeast-2:000000000000:cluster/local/00000000-0000-0000-0000-000000000000-1',
  bootstrapServers: 'localhost:9092',
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The MSK event source mapping as Lambda runs it, over any RecordSource:
 * batches of up to batchSize records grouped by "<topic>-<partition>" and
 * encoded as MSK encodes them; offsets are committed only after the handler
 * returned, and only up to what it processed. A partial batch response moves
 * each named partition back to its first failed offset (the rest of that
 * partition is redelivered, the others advance); a thrown error redelivers
 * the whole batch.
 */
export class EventSourceMapping {
  readonly stats: MappingStats = {
    invocations: 0,
    recordsDelivered: 0,
    redeliveredRecords: 0,
    failedInvocations: 0,
    recordsCommitted: 0,
  };
  /** Highest offset + 1 ever delivered per partition, to count redeliveries. */
  private readonly delivered = new Map<number, number>();

  constructor(
    protected readonly source: RecordSource,
    private readonly invoke: MskInvoker,
    private readonly options: MappingOptions,
  ) {}

  /** One invocation when records are available; true when some partition advanced. */
  async pollOnce(): Promise<boolean> {
    const records = await this.source.fetch(this.options.batchSize, this.options.batchingWindowMs ?? 0);
    if (records.length === 0) return false;
    const ranges = this.partitionRanges(records);
    this.stats.invocations++;
    this.stats.recordsDelivered += records.length;

    let response: KafkaBatchResponse;
    try {
      response = await this.invoke(toMskEvent(records, this.options.source ?? LOCAL_SOURCE));
    } catch {
      this.stats.failedInvocations++;
      for (const [partition, { first }] of ranges) this.source.seek(partition, first);
      return false;
    }

    const failedAt = new Map<string, number>();
    for (const { itemIdentifier } of response?.batchItemFailures ?? []) {
      const known = failedAt.get(itemIdentifier.partition);
      failedAt.set(itemIdentifier.partition, Math.min(known ?? Infinity, Number(itemIdentifier.offset)));
    }
    const commits = new Map<number, number>();
    for (const [partition, { first, last }] of ranges) {
      const failed = failedAt.get(`${this.source.topic}-${partition}`);
      // Never past the last delivered record, never behind the first: a bad identifier cannot skip or rewind.
      const next = failed === undefined ? last + 1 : Math.min(Math.max(failed, first), last + 1);
      if (next <= last) this.source.seek(partition, next);
      if (next > first) {
        commits.set(partition, next);
        this.stats.recordsCommitted += next - first;
      }
    }
    if (commits.size > 0) await this.source.commit(commits);
    return commits.size > 0;
  }

  /** Invokes until the group has committed every record of the topic. */
  async drain(onBatch: (consumed: number) => void = () => {}): Promise<MappingStats> {
    let withoutProgress = 0;
    while ((await this.source.lag()) > 0) {
      const invocationsBefore = this.stats.invocations;
      const progressed = await this.pollOnce();
      onBatch(this.consumed());
      // A poll that found nothing of this consumer's (another group member owns the rest) is not a failure.
      if (this.stats.invocations === invocationsBefore) continue;
      withoutProgress = progressed ? 0 : withoutProgress + 1;
      if (withoutProgress >= (this.options.maxAttemptsWithoutProgress ?? 20)) {
        throw new PartitionStuckError(`no partition advanced in ${withoutProgress} invocations`);
      }
      if (!progressed) await sleep(this.options.retryDelayMs ?? 50);
    }
    return this.stats;
  }

  /** Keeps consuming, as a deployed mapping does, until the signal aborts. */
  async run(signal: AbortSignal, onError: (error: unknown) => void = () => {}): Promise<void> {
    while (!signal.aborted) {
      const invocationsBefore = this.stats.invocations;
      try {
        const progressed = await this.pollOnce();
        if (this.stats.invocations > invocationsBefore && !progressed) {
          await sleep(this.options.retryDelayMs ?? 50);
        }
      } catch (error) {
        onError(error);
        await sleep(this.options.retryDelayMs ?? 50);
      }
    }
  }

  /** Leaves the consumer group (its partitions move to the other members). */
  close(): Promise<void> {
    return this.source.close();
  }

  /** Records of the topic the group has not committed yet. */
  pendingRecords(): Promise<number> {
    return this.source.lag();
  }

  /** Progress reported by drain(): records committed by this mapping. */
  protected consumed(): number {
    return this.stats.recordsCommitted;
  }

  private partitionRanges(records: ReadonlyArray<MskRecord>): Map<number, { first: number; last: number }> {
    const ranges = new Map<number, { first: number; last: number }>();
    for (const { partition, offset } of records) {
      const range = ranges.get(partition);
      if (range) range.last = Math.max(range.last, offset);
      else ranges.set(partition, { first: offset, last: offset });
      const highest = this.delivered.get(partition) ?? 0;
      if (offset < highest) this.stats.redeliveredRecords++;
      else this.delivered.set(partition, offset + 1);
    }
    return ranges;
  }
}
