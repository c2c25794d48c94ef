import { Consumer } from '@platformatic/kafka';
import { expect, inject } from 'vitest';
import type { MskEvent, MskRecord } from '../../../functions/core/kafka-record';
import { periodOf } from '../../../functions/core/time';
import { brokerKafka, createTopics } from '../../../local/kafka/broker/broker-kafka';
import type {
  EventSourceMapping,
  MappingOptions,
  MskInvoker,
} from '../../../local/kafka/event-source-mapping';
import type { ProducedEvent } from '../../../local/kafka/local-kafka';
import { uniqueSuffix } from '../../helpers/local-aws';
import { type UsageEnvelope, usage } from '../../helpers/msk';
import { startSettlementEnv } from '../../helpers/settlement-env';

const ZONE = 'Asia/Seoul';
const QUOTA = 10_000_000_000;
const MEMBERS_PER_FAMILY = 3;
/** Short, so that a crashed member's partitions move on within a test. */
export const SESSION_TIMEOUT_MS = 3_000;

const period = () => periodOf(Date.now(), ZONE);

/** What the handler was given, in delivery order: the offsets of each "<topic>-<partition>" per invocation. */
export function offsetsByPartition(event: MskEvent): Map<number, number[]> {
  return new Map(
    Object.values(event.records).map((records) => [
      (records[0] as MskRecord).partition,
      records.map((r) => r.offset),
    ]),
  );
}

/**
 * A topic of its own on the shared test broker, a consumer group of its
 * own, and the real usage-events handler on its own tables, Redis key
 * prefix and dead-letter queue.
 */
export async function startKafkaTestEnv(label: string, partitions: number) {
  const bootstrap = inject('kafkaBootstrap');
  const settlement = await startSettlementEnv(label);
  const topic = `${label}-${uniqueSuffix()}`;
  const group = `${label}-group-${uniqueSuffix()}`;
  await createTopics(bootstrap, [{ name: topic, partitions }]);
  const kafka = brokerKafka(bootstrap, { sessionTimeoutMs: SESSION_TIMEOUT_MS });
  let nextFamily = 1000;
  const open: EventSourceMapping[] = [];

  const env = {
    bootstrap,
    topic,
    group,
    settlement,
    kafka,

    /** Families with a large quota and MEMBERS_PER_FAMILY members (customerId = familyId * 10 + i). */
    async families(count: number): Promise<number[]> {
      const ids: number[] = [];
      for (let i = 0; i < count; i++) {
        const familyId = ++nextFamily;
        await settlement.families.putFamily({
          familyId,
          quotaBytes: QUOTA,
          members: Array.from({ length: MEMBERS_PER_FAMILY }, (_, m) => ({
            customerId: familyId * 10 + m + 1,
          })),
        });
        ids.push(familyId);
      }
      return ids;
    },

    /** perFamily valid usage events for each family, with distinct sizes so a double count shows. */
    usageEvents(familyIds: ReadonlyArray<number>, perFamily: number): UsageEnvelope[] {
      const tag = uniqueSuffix();
      return familyIds.flatMap((familyId) =>
        Array.from({ length: perFamily }, (_, i) =>
          usage(`${tag}-${familyId}-${i}`, familyId, familyId * 10 + (i % MEMBERS_PER_FAMILY) + 1, 1_000 + i),
        ),
      );
    },

    /** Usage envelopes keyed by familyId, as producers must (docs/behaviour.md, "Event contracts"). */
    produce(
      envelopes: ReadonlyArray<UsageEnvelope>,
      extra: ReadonlyArray<ProducedEvent> = [],
    ): Promise<void> {
      return kafka.produce(topic, [
        ...envelopes.map((e) => ({ key: String(e.payload.familyId), value: JSON.stringify(e) })),
        ...extra,
      ]);
    },

    async mapping(invoke: MskInvoker = settlement.invoke, options: Partial<MappingOptions> = {}) {
      const mapping = await kafka.mapping({ topic, consumerGroup: group }, invoke, {
        batchSize: 100,
        ...options,
      });
      open.push(mapping);
      return mapping;
    },

    /** Every mapping of the test leaves the group, so the next test's member owns all partitions. */
    async closeMappings(): Promise<void> {
      await Promise.all(open.splice(0).map((m) => m.close()));
    },

    /** The group's committed offset per partition (-1: nothing committed). */
    async committed(): Promise<number[]> {
      const reader = new Consumer({
        clientId: `${label}-probe`,
        groupId: group,
        bootstrapBrokers: [bootstrap],
      });
      try {
        const listed = await reader.listCommittedOffsets({
          topics: [{ topic, partitions: Array.from({ length: partitions }, (_, p) => p) }],
        });
        return (listed.get(topic) ?? []).map(Number);
      } finally {
        await reader.close();
      }
    },

    /** Where each produced event sits in the topic, read back from the broker. */
    async coordinates(): Promise<Map<string, { partition: number; offset: number }>> {
      const coordinates = new Map<string, { partition: number; offset: number }>();
      for (const record of await kafka.records(topic)) {
        if (record.value === null) continue;
        try {
          const eventId = JSON.parse(Buffer.from(record.value, 'base64').toString('utf8')).eventId;
          if (typeof eventId === 'string') coordinates.set(eventId, record);
        } catch {
          // Not an envelope (a poison record): nothing to settle.
        }
      }
      return coordinates;
    },

    /**
     * Every event settled exactly once: one settlement per eventId, written
     * from the event's own offset, usage counted once in the ledger and in
     * Redis, and nothing dead-lettered.
     */
    async expectSettledOnce(envelopes: ReadonlyArray<UsageEnvelope>): Promise<void> {
      const coordinates = await env.coordinates();
      const byFamily = new Map<number, UsageEnvelope[]>();
      for (const e of envelopes)
        byFamily.set(e.payload.familyId, [...(byFamily.get(e.payload.familyId) ?? []), e]);
      for (const [familyId, events] of byFamily) {
        const settled = await settlement.settlements(familyId, period());
        expect(settled.map((s) => s.eventId).sort(), `family ${familyId}`).toEqual(
          events.map((e) => e.eventId).sort(),
        );
        for (const s of settled) {
          const at = coordinates.get(String(s.eventId));
          expect(s.kafka, String(s.eventId)).toMatchObject({
            topic,
            partition: at?.partition,
            offset: at?.offset,
          });
        }
        const bytes = events.reduce((sum, e) => sum + e.payload.bytesUsed, 0);
        expect(await settlement.usage(familyId, period()), `ledger usage of family ${familyId}`).toBe(bytes);
        const state = await settlement.cache.periodState(familyId, period());
        expect(state?.remaining, `Redis remaining of family ${familyId}`).toBe(QUOTA - bytes);
      }
    },

    /** The group committed every partition up to its end (an empty partition has no commit at all). */
    async expectCommittedToTheEnd(): Promise<void> {
      const ends = await env.endOffsets();
      expect(await env.committed()).toEqual(ends.map((end) => (end === 0 ? -1 : end)));
    },

    async endOffsets(): Promise<number[]> {
      const records = await kafka.records(topic);
      return Array.from({ length: partitions }, (_, p) =>
        records.filter((r) => r.partition === p).reduce((end, r) => Math.max(end, r.offset + 1), 0),
      );
    },

    async stop(): Promise<void> {
      await kafka.stop();
      await settlement.stop();
    },
  };
  return env;
}

export type KafkaTestEnv = Awaited<ReturnType<typeof startKafkaTestEnv>>;
