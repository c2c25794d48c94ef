import type { Context } from 'aws-lambda';
import type { MskEvent } from '../../functions/core/kafka-record';
import type { KafkaBatchResponse } from './event-source-mapping';

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
}

/** Every topic the product consumes, as the local harness creates it (keyed by familyId, SPEC §2, §8, §9). */
export const TOPICS: readonly TopicSpec[] = [
  { name: 'usage-events', partitions: 8 },
  { name: 'policy-updated', partitions: 4 },
  { name: 'family-updated', partitions: 4 },
];

export const USAGE_EVENTS_TOPIC = 'usage-events';

export type MskHandler = (event: MskEvent, context: Context) => Promise<KafkaBatchResponse>;

export interface MappingRoute {
  readonly topic: string;
  /** The function the mapping invokes, named like its folder under functions/. */
  readonly functionName: string;
  /** One consumer group per mapping, as on AWS. */
  readonly consumerGroup: string;
  /** The real handler module, imported only once the environment it reads at import time is set. */
  readonly handler: () => Promise<MskHandler>;
}

const route = (topic: string, load: () => Promise<{ handler: unknown }>): MappingRoute => ({
  topic,
  functionName: topic,
  consumerGroup: `usage-settlement-${topic}`,
  handler: async () => (await load()).handler as MskHandler,
});

/** The event source mappings a local run starts: one per consumed topic, each invoking its own handler. */
export const MAPPINGS: readonly MappingRoute[] = [
  route(USAGE_EVENTS_TOPIC, () => import('../../functions/usage-events/handler')),
];
