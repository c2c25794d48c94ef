import type { MskRecord } from '../functions/core/kafka-record';
import type { UsageSnapshot } from '../functions/core/snapshots/usage-snapshot';
import { loadConfig } from '../functions/runtime/config';
import { ENV } from '../functions/runtime/env';
import { createObservability } from '../functions/runtime/observability';
import { createUsageSnapshotsDeps } from '../functions/usage-snapshots/dependencies';
import { createUsageSnapshotsHandler } from '../functions/usage-snapshots/usage-snapshots-handler';
import type { LocalKafka } from './kafka/local-kafka';
import { topicSnapshotPublisher } from './kafka/topic-snapshot-publisher';
import { USAGE_REALTIME_TOPIC } from './kafka/topics';
import type { StreamHandler } from './stream-mapping';
import type { FamilySnapshotSummary } from './summary';

/**
 * The usage-snapshots function of a local run. On a real broker it is the
 * handler module as Lambda loads it, producing with the Kafka client to
 * usage-realtime (plain listener); on the in-process topics the same handler
 * with a publisher onto the in-process topic.
 */
export async function usageSnapshotsHandler(kafka: LocalKafka): Promise<StreamHandler> {
  Object.assign(process.env, {
    [ENV.usageSnapshots]: 'true',
    [ENV.usageSnapshotTopic]: USAGE_REALTIME_TOPIC,
    [ENV.kafkaIamAuth]: 'false',
  });
  if (kafka.bootstrap) {
    process.env[ENV.kafkaBootstrapBrokers] = kafka.bootstrap;
    return (await import('../functions/usage-snapshots/handler')).handler;
  }
  return createUsageSnapshotsHandler(
    createUsageSnapshotsDeps(
      loadConfig(),
      process.env.AWS_REGION,
      topicSnapshotPublisher(kafka, USAGE_REALTIME_TOPIC),
    ),
    createObservability('usage-snapshots'),
  );
}

/** The usage-realtime records as the apps would read them. */
export function decodeSnapshots(records: ReadonlyArray<MskRecord>): UsageSnapshot[] {
  return records.flatMap((r) =>
    r.value === null ? [] : [JSON.parse(Buffer.from(r.value, 'base64').toString('utf8')) as UsageSnapshot],
  );
}

/** How many snapshots a family's members received, and the newest by version. */
export function snapshotsOfFamily(
  snapshots: ReadonlyArray<UsageSnapshot>,
  familyId: number,
): FamilySnapshotSummary {
  const own = snapshots.filter((s) => s.familyId === familyId);
  const last = own.reduce<UsageSnapshot | null>(
    (held, s) => (held && held.version > s.version ? held : s),
    null,
  );
  return { count: own.length, last };
}
