import type { MskEvent, MskRecord } from '../../functions/core/kafka-record';
import { partitionFor } from './partitioner';

export interface KafkaBatchResponse {
  readonly batchItemFailures?: ReadonlyArray<{
    readonly itemIdentifier: { partition: string; offset: number };
  }>;
}

export type MskInvoker = (event: MskEvent) => Promise<KafkaBatchResponse>;

/** Java's byte is signed: MSK sends header bytes above 127 as negative numbers. */
const signedBytes = (text: string) => [...Buffer.from(text, 'utf8')].map((b) => (b > 127 ? b - 256 : b));

/** An in-memory Kafka topic: keyed records appended to partitions with increasing offsets. */
export class SimulatedTopic {
  readonly logs: MskRecord[][];

  constructor(
    readonly name: string,
    readonly partitions: number,
  ) {
    this.logs = Array.from({ length: partitions }, () => []);
  }

  produce(key: string | null, value: string | null, nowMs = Date.now()): MskRecord {
    const partition = key === null ? this.size() % this.partitions : partitionFor(key, this.partitions);
    const log = this.logs[partition] as MskRecord[];
    const record: MskRecord = {
      topic: this.name,
      partition,
      offset: log.length,
      timestamp: nowMs,
      timestampType: 'CREATE_TIME',
      key: key === null ? null : Buffer.from(key, 'utf8').toString('base64'),
      value: value === null ? null : Buffer.from(value, 'utf8').toString('base64'),
      headers: [
        { source: signedBytes('로컬-시뮬레이터') },
        { 'content-type': signedBytes('application/json') },
      ],
    };
    log.push(record);
    return record;
  }

  size(): number {
    return this.logs.reduce((n, log) => n + log.length, 0);
  }
}

export interface MappingStats {
  invocations: number;
  recordsDelivered: number;
  redeliveredRecords: number;
  failedInvocations: number;
}

export class PartitionStuckError extends Error {}

/**
 * The MSK event source mapping as Lambda runs it: batches of up to batchSize
 * records, grouped by "<topic>-<partition>", encoded as MSK encodes them. A
 * partial batch response moves each partition to its first failed offset (the
 * rest of the partition is redelivered); a thrown error redelivers the whole
 * batch; other partitions advance.
 */
export class SimulatedEventSourceMapping {
  private readonly committed: number[];
  readonly stats: MappingStats = {
    invocations: 0,
    recordsDelivered: 0,
    redeliveredRecords: 0,
    failedInvocations: 0,
  };
  private readonly delivered: number[];

  constructor(
    private readonly topic: SimulatedTopic,
    private readonly invoke: MskInvoker,
    private readonly options: {
      batchSize: number;
      maxAttemptsWithoutProgress?: number;
      retryDelayMs?: number;
    },
  ) {
    this.committed = Array.from({ length: topic.partitions }, () => 0);
    this.delivered = Array.from({ length: topic.partitions }, () => 0);
  }

  lag(): number {
    return this.topic.logs.reduce((n, log, p) => n + log.length - (this.committed[p] as number), 0);
  }

  /** Invokes until every partition is consumed to its end. */
  async drain(onBatch: (consumed: number) => void = () => {}): Promise<MappingStats> {
    let withoutProgress = 0;
    while (this.lag() > 0) {
      const progressed = await this.pollOnce();
      onBatch(this.consumed());
      withoutProgress = progressed ? 0 : withoutProgress + 1;
      if (withoutProgress >= (this.options.maxAttemptsWithoutProgress ?? 20)) {
        throw new PartitionStuckError(`no partition advanced in ${withoutProgress} invocations`);
      }
      if (!progressed) await new Promise((r) => setTimeout(r, this.options.retryDelayMs ?? 50));
    }
    return this.stats;
  }

  /** Moves a partition back, as a consumer-group offset reset or a replay does. */
  rewind(partition: number, toOffset: number): void {
    this.committed[partition] = Math.max(0, Math.min(toOffset, this.committed[partition] as number));
  }

  committedOffset(partition: number): number {
    return this.committed[partition] as number;
  }

  consumed(): number {
    return this.committed.reduce((a, b) => a + b, 0);
  }

  /** One invocation; true when some partition advanced. */
  async pollOnce(): Promise<boolean> {
    const records: Record<string, MskRecord[]> = {};
    let budget = this.options.batchSize;
    for (let p = 0; p < this.topic.partitions && budget > 0; p++) {
      const from = this.committed[p] as number;
      const slice = (this.topic.logs[p] as MskRecord[]).slice(from, from + budget);
      if (slice.length === 0) continue;
      records[`${this.topic.name}-${p}`] = slice;
      budget -= slice.length;
      const alreadySeen = Math.max(0, Math.min(this.delivered[p] as number, from + slice.length) - from);
      this.stats.redeliveredRecords += alreadySeen;
      this.delivered[p] = Math.max(this.delivered[p] as number, from + slice.length);
    }
    const event: MskEvent = {
      eventSource: 'aws:kafka',
      eventSourceArn:
        'arn:aws:kafka:ap-northeast-2:000000000000:cluster/local/00000000-0000-0000-0000-000000000000-1',
      bootstrapServers: 'localhost:9092',
      records,
    };
    this.stats.invocations++;
    this.stats.recordsDelivered += Object.values(records).reduce((n, r) => n + r.length, 0);
    let response: KafkaBatchResponse;
    try {
      response = await this.invoke(event);
    } catch {
      this.stats.failedInvocations++;
      return false;
    }
    let progressed = false;
    const failures = new Map(
      (response?.batchItemFailures ?? []).map((f) => [f.itemIdentifier.partition, f.itemIdentifier.offset]),
    );
    for (const [key, batch] of Object.entries(records)) {
      const p = (batch[0] as MskRecord).partition;
      const before = this.committed[p] as number;
      const failedAt = failures.get(key);
      const last = (batch[batch.length - 1] as MskRecord).offset;
      const next = failedAt === undefined ? last + 1 : Math.min(Math.max(failedAt, before), last + 1);
      this.committed[p] = next;
      if (next > before) progressed = true;
    }
    return progressed;
  }
}
