import { toMskRecord } from '../../functions/adapters/kafka/msk-event';
import type { MskRecord } from '../../functions/core/kafka-record';
import { EventSourceMapping, type MappingOptions, type MskInvoker } from './event-source-mapping';
import { partitionFor } from './partitioner';
import type { RecordSource } from './record-source';

export type { KafkaBatchResponse, MappingStats, MskInvoker } from './event-source-mapping';
export { PartitionStuckError } from './event-source-mapping';

const SIMULATOR_HEADERS: ReadonlyArray<readonly [string, Buffer]> = [
  ['source', Buffer.from('로컬-시뮬레이터', 'utf8')],
  ['content-type', Buffer.from('application/json', 'utf8')],
];

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
    const record = toMskRecord({
      topic: this.name,
      partition,
      offset: log.length,
      timestamp: nowMs,
      timestampType: 'CREATE_TIME',
      key: key === null ? null : Buffer.from(key, 'utf8'),
      value: value === null ? null : Buffer.from(value, 'utf8'),
      headers: SIMULATOR_HEADERS,
    });
    log.push(record);
    return record;
  }

  size(): number {
    return this.logs.reduce((n, log) => n + log.length, 0);
  }
}

/**
 * The simulated topic read by a single consumer that owns every partition.
 * Records are all there at once, so a fetch never waits; it fills the batch
 * from the lowest partition up, as the simulator always has.
 */
class InProcessRecordSource implements RecordSource {
  private readonly positions: number[];
  private readonly committed: number[];

  constructor(private readonly simulated: SimulatedTopic) {
    this.positions = Array.from({ length: simulated.partitions }, () => 0);
    this.committed = Array.from({ length: simulated.partitions }, () => 0);
  }

  get topic(): string {
    return this.simulated.name;
  }

  async fetch(max: number): Promise<MskRecord[]> {
    const records: MskRecord[] = [];
    for (let p = 0; p < this.simulated.partitions && records.length < max; p++) {
      const from = this.positions[p] as number;
      const slice = (this.simulated.logs[p] as MskRecord[]).slice(from, from + max - records.length);
      records.push(...slice);
      this.positions[p] = from + slice.length;
    }
    return records;
  }

  seek(partition: number, offset: number): void {
    this.positions[partition] = offset;
  }

  async commit(offsets: ReadonlyMap<number, number>): Promise<void> {
    for (const [partition, offset] of offsets) this.committed[partition] = offset;
  }

  async lag(): Promise<number> {
    return this.pending();
  }

  pending(): number {
    return this.simulated.logs.reduce((n, log, p) => n + log.length - (this.committed[p] as number), 0);
  }

  committedOffset(partition: number): number {
    return this.committed[partition] as number;
  }

  consumed(): number {
    return this.committed.reduce((a, b) => a + b, 0);
  }

  /** A consumer-group offset reset: the group goes back, never forward. */
  rewind(partition: number, toOffset: number): void {
    const offset = Math.max(0, Math.min(toOffset, this.committed[partition] as number));
    this.committed[partition] = offset;
    this.positions[partition] = offset;
  }

  async close(): Promise<void> {}
}

/** The MSK event source mapping over a simulated topic: the fast default of npm start and the tests. */
export class SimulatedEventSourceMapping extends EventSourceMapping {
  private readonly inProcess: InProcessRecordSource;

  constructor(topic: SimulatedTopic, invoke: MskInvoker, options: MappingOptions) {
    const source = new InProcessRecordSource(topic);
    super(source, invoke, options);
    this.inProcess = source;
  }

  lag(): number {
    return this.inProcess.pending();
  }

  rewind(partition: number, toOffset: number): void {
    this.inProcess.rewind(partition, toOffset);
  }

  committedOffset(partition: number): number {
    return this.inProcess.committedOffset(partition);
  }

  /** Records below the committed offsets: what a progress bar shows against the topic size. */
  override consumed(): number {
    return this.inProcess.consumed();
  }
}
