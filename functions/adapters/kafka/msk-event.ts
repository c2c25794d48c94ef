import type { MskEvent, MskRecord } from '../../core/kafka-record';

/** A record as Kafka stores it: bytes, or null for a null key or value. */
export interface RawKafkaRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly timestampType: 'CREATE_TIME' | 'LOG_APPEND_TIME';
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: ReadonlyArray<readonly [string, Buffer]>;
}

/** Where the local mappings say their records come from; the handler only logs it. */
export interface EventSourceIdentity {
  readonly eventSourceArn: string;
  readonly bootstrapServers: string;
}

/** Java's byte is signed: MSK sends header bytes above 127 as negative numbers. */
const signedBytes = (bytes: Buffer): number[] => [...bytes].map((b) => (b > 127 ? b - 256 : b));

/** One record as the MSK event source mapping encodes it: base64 key and value, headers as signed bytes. */
export function toMskRecord(raw: RawKafkaRecord): MskRecord {
  return {
    topic: raw.topic,
    partition: raw.partition,
    offset: raw.offset,
    timestamp: raw.timestamp,
    timestampType: raw.timestampType,
    key: raw.key === null ? null : raw.key.toString('base64'),
    value: raw.value === null ? null : raw.value.toString('base64'),
    headers: raw.headers.map(([name, value]) => ({ [name]: signedBytes(value) })),
  };
}

/** The invocation payload: records grouped by "<topic>-<partition>", each group in offset order. */
export function toMskEvent(records: ReadonlyArray<MskRecord>, source: EventSourceIdentity): MskEvent {
  const grouped: Record<string, MskRecord[]> = {};
  for (const record of records) {
    const key = `${record.topic}-${record.partition}`;
    grouped[key] ??= [];
    grouped[key].push(record);
  }
  return {
    eventSource: 'aws:kafka',
    eventSourceArn: source.eventSourceArn,
    bootstrapServers: source.bootstrapServers,
    records: grouped,
  };
}
