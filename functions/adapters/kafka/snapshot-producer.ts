import { compatibilityPartitioner, Producer } from '@platformatic/kafka';
import { generateAuthToken } from 'aws-msk-iam-sasl-signer-js';
import type { SnapshotPublisher, SnapshotPutResult } from '../../core/snapshots/ports';
import { USAGE_UPDATED, type UsageSnapshot } from '../../core/snapshots/usage-snapshot';

export interface KafkaSnapshotSettings {
  readonly bootstrapBrokers: ReadonlyArray<string>;
  readonly topic: string;
  /** MSK IAM (TLS, SASL OAUTHBEARER with a signed token), or a plain listener (the local broker). */
  readonly iamAuthRegion: string | null;
  readonly clientId: string;
}

const EVENT_TYPE_HEADER = 'eventType';

/**
 * Usage snapshots to a Kafka topic, keyed by familyId with Kafka's own
 * partitioner rule (as the Java client), so a family's entries stay in order
 * on one partition; header eventType = USAGE_UPDATED, value = the snapshot.
 * One produce request for the whole batch: it stands or fails as one.
 */
export class KafkaSnapshotPublisher implements SnapshotPublisher {
  private readonly producer: Producer<Buffer, Buffer, Buffer, Buffer>;

  constructor(private readonly settings: KafkaSnapshotSettings) {
    const region = settings.iamAuthRegion;
    this.producer = new Producer({
      clientId: settings.clientId,
      bootstrapBrokers: [...settings.bootstrapBrokers],
      partitioner: compatibilityPartitioner,
      ...(region
        ? {
            tls: {},
            sasl: {
              mechanism: 'OAUTHBEARER' as const,
              // A signed kafka-cluster:Connect request, valid 15 minutes, from the function's credentials.
              token: async () => (await generateAuthToken({ region })).token,
            },
          }
        : {}),
    });
  }

  async publish(snapshots: ReadonlyArray<UsageSnapshot>): Promise<ReadonlyArray<SnapshotPutResult>> {
    if (snapshots.length === 0) return [];
    try {
      await this.producer.send({
        messages: snapshots.map((s) => ({
          topic: this.settings.topic,
          key: Buffer.from(String(s.familyId), 'utf8'),
          value: Buffer.from(JSON.stringify(s), 'utf8'),
          headers: new Map([[Buffer.from(EVENT_TYPE_HEADER), Buffer.from(USAGE_UPDATED)]]),
        })),
      });
      return snapshots.map(() => ({ ok: true }));
    } catch (error) {
      const code = (error as { code?: string }).code ?? (error as Error).name ?? 'KAFKA_ERROR';
      return snapshots.map(() => ({ ok: false, code, permanent: false }));
    }
  }

  close(): Promise<void> {
    return this.producer.close();
  }
}
