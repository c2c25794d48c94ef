import { Admin, Consumer, ListOffsetTimestamps, Producer } from '@platformatic/kafka';
import { fetchRecords } from '../../../functions/adapters/kafka/fetch-records';
import type { MskRecord } from '../../../functions/core/kafka-record';
import { EventSourceMapping } from '../event-source-mapping';
import type { LocalKafka, ProducedEvent } from '../local-kafka';
import { partitionFor } from '../partitioner';
import type { TopicSpec } from '../topics';
import { BrokerRecordSource } from './broker-record-source';

/** Headers every harness record carries; the non-ASCII value exercises MSK's signed header bytes. */
const HARNESS_HEADERS = new Map([
  [Buffer.from('source'), Buffer.from('로컬-하네스', 'utf8')],
  [Buffer.from('content-type'), Buffer.from('application/json', 'utf8')],
]);
const PRODUCE_CHUNK = 500;
const LOCAL_BROKER_ARN =
  'arn:aws:kafka:ap-northeast-2:000000000000:cluster/local-broker/00000000-0000-0000-0000-000000000000-1';

export interface BrokerKafkaOptions {
  /** Session timeout of the mappings' group members: how long a crashed member keeps its partitions. */
  readonly sessionTimeoutMs?: number;
  readonly onCommitError?: (error: unknown) => void;
}

/** Creates the topics that do not exist yet (one replica: a single broker). */
export async function createTopics(bootstrap: string, topics: ReadonlyArray<TopicSpec>): Promise<void> {
  const admin = new Admin({ clientId: 'usage-settlement-admin', bootstrapBrokers: [bootstrap] });
  try {
    const existing = new Set(await admin.listTopics());
    for (const topic of topics.filter((t) => !existing.has(t.name))) {
      await admin.createTopics({ topics: [topic.name], partitions: topic.partitions, replicas: 1 });
    }
  } finally {
    await admin.close();
  }
}

/** Reads a whole topic from its earliest offsets to its end offsets, outside any consumer group. */
async function readTopic(bootstrap: string, topic: string): Promise<MskRecord[]> {
  const reader = new Consumer({
    clientId: 'usage-settlement-reader',
    groupId: 'unused',
    bootstrapBrokers: [bootstrap],
  });
  try {
    const [starts, ends] = await Promise.all(
      [ListOffsetTimestamps.EARLIEST, ListOffsetTimestamps.LATEST].map((timestamp) =>
        reader.listOffsets({ topics: [topic], timestamp }),
      ),
    );
    const end = (ends?.get(topic) ?? []).map(Number);
    const next = (starts?.get(topic) ?? []).map(Number);
    const records: MskRecord[] = [];
    for (;;) {
      const positions = next
        .map((offset, partition) => ({ partition, offset }))
        .filter(({ partition, offset }) => offset < (end[partition] ?? 0));
      if (positions.length === 0)
        return records.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
      const round = await fetchRecords(reader, topic, positions, 100);
      // Only control records (transaction markers) left before the end: nothing more to read.
      if (round.size === 0) return records.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
      for (const [partition, fetched] of round) {
        const below = fetched.filter((r) => r.offset < (end[partition] ?? 0));
        records.push(...below);
        next[partition] = (fetched[fetched.length - 1] as MskRecord).offset + 1;
      }
    }
  } finally {
    await reader.close();
  }
}

/**
 * A real broker behind the LocalKafka interface: records are produced with
 * Kafka's own partitioner rule (the same partitioner.ts the simulator uses),
 * and each mapping is a consumer-group member over the broker.
 */
export function brokerKafka(bootstrap: string, options: BrokerKafkaOptions = {}): LocalKafka {
  const producer = new Producer({ clientId: 'usage-settlement-producer', bootstrapBrokers: [bootstrap] });
  const sources: BrokerRecordSource[] = [];
  const produced = new Map<string, number>();
  return {
    bootstrap,
    async produce(topic, events: ReadonlyArray<ProducedEvent>) {
      const metadata = (await producer.metadata({ topics: [topic] })).topics.get(topic);
      const partitions = metadata?.partitionsCount ?? 1;
      for (let i = 0; i < events.length; i += PRODUCE_CHUNK) {
        const messages = events.slice(i, i + PRODUCE_CHUNK).map((e) => {
          const count = produced.get(topic) ?? 0;
          produced.set(topic, count + 1);
          return {
            topic,
            partition: e.key === null ? count % partitions : partitionFor(e.key, partitions),
            key: e.key === null ? undefined : Buffer.from(e.key, 'utf8'),
            value: e.value === null ? undefined : Buffer.from(e.value, 'utf8'),
            headers: HARNESS_HEADERS,
          };
        });
        await producer.send({ messages });
      }
    },
    async mapping(target, invoke, mappingOptions) {
      const source = await BrokerRecordSource.join({
        bootstrap,
        topic: target.topic,
        groupId: target.consumerGroup,
        sessionTimeoutMs: options.sessionTimeoutMs,
        onCommitError: options.onCommitError,
      });
      sources.push(source);
      return new EventSourceMapping(source, invoke, {
        batchingWindowMs: 500,
        ...mappingOptions,
        source: { eventSourceArn: LOCAL_BROKER_ARN, bootstrapServers: bootstrap },
      });
    },
    records: (topic) => readTopic(bootstrap, topic),
    async stop() {
      await Promise.all(sources.map((s) => s.close()));
      await producer.close();
    },
  };
}
