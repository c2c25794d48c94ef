import { afterAll, describe, expect, inject, it } from 'vitest';
import type { MskEvent } from '../../functions/core/kafka-record';
import { brokerKafka, createTopics } from '../../local/kafka/broker/broker-kafka';
import { MAPPINGS, TOPICS, USAGE_EVENTS_TOPIC } from '../../local/kafka/topics';
import { uniqueSuffix } from '../helpers/local-aws';

const kafka = brokerKafka(inject('kafkaBootstrap'));
afterAll(() => kafka.stop());

describe('several topics, each routed to its own handler', () => {
  it('registers a mapping only for topics the harness creates, each with a consumer group of its own', () => {
    const created = new Map(TOPICS.map((t) => [t.name, t.partitions]));
    expect(created.get(USAGE_EVENTS_TOPIC)).toBe(8);
    expect([...created.keys()]).toEqual(expect.arrayContaining(['policy-updated', 'family-updated']));
    for (const route of MAPPINGS) expect(created.has(route.topic), route.topic).toBe(true);
    expect(new Set(MAPPINGS.map((r) => r.consumerGroup)).size).toBe(MAPPINGS.length);
  });

  it('hands each mapping the records of its topic only', async () => {
    const suffix = uniqueSuffix();
    const topics = [`usage-${suffix}`, `policy-${suffix}`];
    await createTopics(
      inject('kafkaBootstrap'),
      topics.map((name) => ({ name, partitions: 2 })),
    );
    await kafka.produce(topics[0]!, [
      { key: '1', value: 'u1' },
      { key: '2', value: 'u2' },
    ]);
    await kafka.produce(topics[1]!, [{ key: '1', value: 'p1' }]);
    const received = new Map<string, string[]>(topics.map((t) => [t, []]));
    const mappings = await Promise.all(
      topics.map((topic) =>
        kafka.mapping(
          { topic, consumerGroup: `${topic}-group` },
          async (event: MskEvent) => {
            for (const records of Object.values(event.records)) {
              for (const r of records)
                received.get(topic)!.push(`${r.topic}:${Buffer.from(r.value!, 'base64')}`);
            }
            return {};
          },
          { batchSize: 10 },
        ),
      ),
    );

    await Promise.all(mappings.map((m) => m.drain()));

    expect(received.get(topics[0]!)!.sort()).toEqual([`${topics[0]}:u1`, `${topics[0]}:u2`]);
    expect(received.get(topics[1]!)).toEqual([`${topics[1]}:p1`]);
  });
});
