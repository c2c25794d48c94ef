import type { LocalService } from '../services/dynamodb-local';
import { brokerKafka, createTopics } from './broker/broker-kafka';
import { startKafkaBroker } from './broker/kafka-broker';
import { inProcessKafka, type LocalKafka } from './local-kafka';
import { PRODUCED_TOPICS, TOPICS, type TopicSpec, USAGE_EVENTS_TOPIC } from './topics';

export interface OpenKafkaOptions {
  /** A real single-node broker instead of the in-process topics. */
  readonly broker: boolean;
  /** Partitions of usage-events; the other topics keep theirs. */
  readonly usageEventsPartitions: number;
  /** Everything started is handed over here, to be stopped in reverse order. */
  readonly register: <T extends { stop: () => Promise<void> }>(name: string, service: T) => T;
  readonly onServiceStarted?: (name: string, endpoint: string, pid: number | undefined) => void;
  readonly log?: (line: string) => void;
}

function topicsWith(usageEventsPartitions: number): TopicSpec[] {
  return [...TOPICS, ...PRODUCED_TOPICS].map((t) =>
    t.name === USAGE_EVENTS_TOPIC ? { ...t, partitions: usageEventsPartitions } : t,
  );
}

/** The Kafka of a local run, with every topic of TOPICS and PRODUCED_TOPICS created. */
export async function openLocalKafka(options: OpenKafkaOptions): Promise<LocalKafka> {
  const topics = topicsWith(options.usageEventsPartitions);
  if (!options.broker) return options.register('in-process Kafka', inProcessKafka(topics));
  const broker: LocalService = options.register('Kafka broker', await startKafkaBroker({ log: options.log }));
  options.onServiceStarted?.('Kafka broker', broker.endpoint, broker.pid);
  await createTopics(broker.endpoint, topics);
  return options.register('Kafka clients', brokerKafka(broker.endpoint));
}
