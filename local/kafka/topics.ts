import type { Context } from 'aws-lambda';
import { FAMILY_EVENT_TYPES, POLICY_UPDATED } from '../../functions/core/changes/change-event';
import type { MskEvent } from '../../functions/core/kafka-record';
import type { KafkaBatchResponse } from './event-source-mapping';

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
}

export const USAGE_EVENTS_TOPIC = 'usage-events';
export const POLICY_UPDATED_TOPIC = 'policy-updated';
export const FAMILY_UPDATED_TOPIC = 'family-updated';
/** Where usage-snapshots produces the live usage snapshots, keyed by familyId. */
export const USAGE_REALTIME_TOPIC = 'usage-realtime';

/** Every topic the product consumes, as the local harness creates it; producers key records by familyId. */
export const TOPICS: readonly TopicSpec[] = [
  { name: USAGE_EVENTS_TOPIC, partitions: 8 },
  { name: POLICY_UPDATED_TOPIC, partitions: 4 },
  { name: FAMILY_UPDATED_TOPIC, partitions: 4 },
];

/** The topics the product produces to: nothing of the product consumes them. */
export const PRODUCED_TOPICS: readonly TopicSpec[] = [{ name: USAGE_REALTIME_TOPIC, partitions: 8 }];

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

const route = (
  topic: string,
  functionName: string,
  load: () => Promise<{ handler: unknown }>,
): MappingRoute => ({
  topic,
  functionName,
  consumerGroup: `usage-settlement-${topic}`,
  handler: async () => (await load()).handler as MskHandler,
});

/** The event source mappings a local run starts: one per consumed topic, each invoking its own handler. */
export const MAPPINGS: readonly MappingRoute[] = [
  route(USAGE_EVENTS_TOPIC, 'usage-events', () => import('../../functions/usage-events/handler')),
  route(POLICY_UPDATED_TOPIC, 'change-events', () => import('../../functions/change-events/handler')),
  route(FAMILY_UPDATED_TOPIC, 'change-events', () => import('../../functions/change-events/handler')),
];

/** The topic an event goes to, by its eventType: policy and family events have their own. */
export function topicOfEventType(eventType: unknown): string {
  if (eventType === POLICY_UPDATED) return POLICY_UPDATED_TOPIC;
  if ((FAMILY_EVENT_TYPES as ReadonlyArray<unknown>).includes(eventType)) return FAMILY_UPDATED_TOPIC;
  return USAGE_EVENTS_TOPIC;
}
