import type { SnapshotPublisher } from '../../functions/core/snapshots/ports';
import type { LocalKafka } from './local-kafka';

/** The usage snapshots onto a topic of the local Kafka, keyed by familyId, as KafkaSnapshotPublisher produces them. */
export function topicSnapshotPublisher(kafka: LocalKafka, topic: string): SnapshotPublisher {
  return {
    async publish(snapshots) {
      await kafka.produce(
        topic,
        snapshots.map((s) => ({ key: String(s.familyId), value: JSON.stringify(s) })),
      );
      return snapshots.map(() => ({ ok: true }));
    },
  };
}
