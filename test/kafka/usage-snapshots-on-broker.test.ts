import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DynamoFamilyLimits } from '../../functions/adapters/dynamodb/family-limits';
import { KafkaSnapshotPublisher } from '../../functions/adapters/kafka/snapshot-producer';
import type { MskRecord } from '../../functions/core/kafka-record';
import { systemClock } from '../../functions/core/ports';
import { USAGE_UPDATED, type UsageSnapshot } from '../../functions/core/snapshots/usage-snapshot';
import { periodOf } from '../../functions/core/time';
import { createObservability } from '../../functions/runtime/observability';
import { createUsageSnapshotsHandler } from '../../functions/usage-snapshots/usage-snapshots-handler';
import { brokerKafka, createTopics } from '../../local/kafka/broker/broker-kafka';
import { partitionFor } from '../../local/kafka/partitioner';
import { openTableStream, type TableStream } from '../../local/outbox/stream-reader';
import { uniqueSuffix } from '../helpers/local-aws';
import { mskEvent, mskRecord, usage } from '../helpers/msk';
import { lambdaContext, type SettlementEnv, startSettlementEnv } from '../helpers/settlement-env';

const PARTITIONS = 4;
const decode = (value: string | null) => Buffer.from(value ?? '', 'base64').toString('utf8');

/**
 * The snapshot producer against a real broker: the Kafka client the function
 * runs, on a topic of its own, fed by the ledger stream of a real settlement.
 */
describe('usage snapshots on a Kafka topic (real broker)', () => {
  let env: SettlementEnv;
  let stream: TableStream;
  let publisher: KafkaSnapshotPublisher;
  let publishFromStream: () => Promise<void>;
  const topic = `usage-realtime-${uniqueSuffix()}`;
  const bootstrap = () => inject('kafkaBootstrap');
  let offset = 0;

  beforeAll(async () => {
    env = await startSettlementEnv('snapshots-broker');
    await createTopics(bootstrap(), [{ name: topic, partitions: PARTITIONS }]);
    stream = await openTableStream({
      endpoint: env.tables.endpoint,
      client: env.tables.client,
      tableName: env.tables.names.ledger,
    });
    publisher = new KafkaSnapshotPublisher({
      bootstrapBrokers: [bootstrap()],
      topic,
      iamAuthRegion: null,
      clientId: 'usage-snapshots-test',
    });
    const handler = createUsageSnapshotsHandler(
      {
        limits: new DynamoFamilyLimits(env.tables.doc, env.tables.names.ledger),
        publisher,
        globalPolicy: env.deps.globalPolicy,
        clock: systemClock,
        settings: { retry: { maxAttempts: 3, baseDelayMs: 20 }, budgetMs: 20_000 },
      },
      createObservability('usage-snapshots-broker'),
    );
    publishFromStream = async () => {
      await handler(await stream.readNew(), lambdaContext());
    };
  });
  afterAll(async () => {
    await publisher?.close();
    stream?.close();
    await env?.stop();
  });

  it('keys every entry by familyId on the partition Kafka gives that key, in version order, ending at the ledger', async () => {
    const families = [9_100_001, 9_100_002, 9_100_003];
    for (const familyId of families) {
      await env.families.putFamily({
        familyId,
        quotaBytes: 10_000_000,
        members: [{ customerId: familyId * 10 + 1 }, { customerId: familyId * 10 + 2 }],
      });
    }
    for (let round = 0; round < 4; round++) {
      const records = families.flatMap((f, i) =>
        [1, 2].map((m) => usage(`snap-${f}-${round}-${m}`, f, f * 10 + m, 1_000 * (round + 1) + i)),
      );
      await env.invoke(mskEvent(records.map((r) => mskRecord(0, offset++, r))));
      await publishFromStream();
    }

    const onTopic: MskRecord[] = await brokerKafka(bootstrap()).records(topic);
    expect(onTopic).toHaveLength(families.length * 2 * 4);
    const period = periodOf(Date.now(), env.config.settlement.timeZone);
    const newest = new Map<string, UsageSnapshot>();
    for (const record of onTopic) {
      const key = decode(record.key);
      const snapshot = JSON.parse(decode(record.value)) as UsageSnapshot;
      expect(key).toBe(String(snapshot.familyId));
      expect(record.partition).toBe(partitionFor(key, PARTITIONS));
      expect(record.headers).toEqual(
        expect.arrayContaining([{ eventType: [...Buffer.from(USAGE_UPDATED)] }]),
      );
      const member = `${snapshot.familyId}/${snapshot.customerId}`;
      const held = newest.get(member);
      // One family per key, so a member's entries are in one partition, in the order they were produced.
      if (held) expect(snapshot.version).toBeGreaterThan(held.version);
      newest.set(member, snapshot);
    }
    for (const familyId of families) {
      for (const m of [1, 2]) {
        const customerId = familyId * 10 + m;
        const shown = newest.get(`${familyId}/${customerId}`);
        expect(shown?.memberUsedBytes).toBe((await env.memberUsage(familyId, period, customerId))?.usedBytes);
        expect(shown?.familyUsedBytes).toBe(await env.usage(familyId, period));
      }
    }
  }, 120_000);
});
