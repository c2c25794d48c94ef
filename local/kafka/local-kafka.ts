import type { MskRecord } from '../../functions/core/kafka-record';
import { SimulatedEventSourceMapping, SimulatedTopic } from './esm-simulator';
import type { EventSourceMapping, MappingOptions, MskInvoker } from './event-source-mapping';
import type { TopicSpec } from './topics';

export interface ProducedEvent {
  /** The Kafka key (the familyId); null for a record without one. */
  readonly key: string | null;
  readonly value: string | null;
}

export interface MappingTarget {
  readonly topic: string;
  readonly consumerGroup: string;
}

/** The Kafka a local run talks to: in-process topics, or a real broker. */
export interface LocalKafka {
  /** host:port of a real broker; undefined for in-process topics. */
  readonly bootstrap: string | undefined;
  produce(topic: string, events: ReadonlyArray<ProducedEvent>): Promise<void>;
  /** An event source mapping reading the topic as one member of the consumer group. */
  mapping(target: MappingTarget, invoke: MskInvoker, options: MappingOptions): Promise<EventSourceMapping>;
  /** Every record the topic holds now, in MSK's encoding: what the summary accounts for. */
  records(topic: string): Promise<MskRecord[]>;
  stop(): Promise<void>;
}

/** The simulator: topics in memory, one consumer per mapping owning every partition. */
export function inProcessKafka(topics: ReadonlyArray<TopicSpec>): LocalKafka {
  const simulated = new Map(topics.map((t) => [t.name, new SimulatedTopic(t.name, t.partitions)]));
  const topic = (name: string) => {
    const found = simulated.get(name);
    if (!found) throw new Error(`no topic ${name}`);
    return found;
  };
  return {
    bootstrap: undefined,
    async produce(name, events) {
      const t = topic(name);
      for (const e of events) t.produce(e.key, e.value);
    },
    async mapping(target, invoke, options) {
      return new SimulatedEventSourceMapping(topic(target.topic), invoke, options);
    },
    async records(name) {
      return topic(name).logs.flat();
    },
    async stop() {},
  };
}
