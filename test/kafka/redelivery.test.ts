import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MskEvent, MskRecord } from '../../functions/core/kafka-record';
import type { KafkaBatchResponse } from '../../local/kafka/event-source-mapping';
import { partitionFor } from '../../local/kafka/partitioner';
import { type KafkaTestEnv, offsetsByPartition, startKafkaTestEnv } from './support/kafka-test-env';

const PARTITIONS = 3;
let env: KafkaTestEnv;

beforeAll(async () => {
  env = await startKafkaTestEnv('redelivery', PARTITIONS);
});
afterEach(() => env.closeMappings());
afterAll(() => env.stop());

/** The event without the records of one partition from `offset` on: what a handler that stopped there processed. */
function upTo(event: MskEvent, partitionKey: string, offset: number): MskEvent {
  const records: Record<string, MskRecord[]> = {};
  for (const [key, batch] of Object.entries(event.records)) {
    records[key] = key === partitionKey ? batch.filter((r) => r.offset < offset) : [...batch];
  }
  return { ...event, records };
}

describe('redelivery on a real broker', () => {
  it('after a partial batch response, redelivers that partition from the failed offset; the others advance; nothing settles twice', async () => {
    const families = await env.families(9);
    const envelopes = env.usageEvents(families, 10);
    await env.produce(envelopes);
    const failing = partitionFor(String(families[0]), PARTITIONS);
    const failingKey = `${env.topic}-${failing}`;
    const failAt = 4;
    const events: MskEvent[] = [];
    const responses: KafkaBatchResponse[] = [];
    const mapping = await env.mapping(
      async (event) => {
        events.push(event);
        if (events.length > 1) return env.settlement.invoke(event);
        // The handler processed the partition up to failAt and reports failAt as its first unfinished record.
        const response = await env.settlement.invoke(upTo(event, failingKey, failAt));
        const partial = {
          batchItemFailures: [
            ...response.batchItemFailures,
            { itemIdentifier: { partition: failingKey, offset: failAt } },
          ],
        };
        responses.push(partial);
        return partial;
      },
      { batchSize: 1_000 },
    );

    await mapping.drain();

    expect(responses).toHaveLength(1);
    const first = offsetsByPartition(events[0]!);
    expect(first.get(failing)!.length).toBeGreaterThan(failAt);
    const later = events.slice(1).map(offsetsByPartition);
    const redelivered = later.flatMap((offsets) => offsets.get(failing) ?? []);
    expect(redelivered[0]).toBe(failAt);
    expect(redelivered).toEqual(first.get(failing)!.filter((o) => o >= failAt));
    for (const [partition] of first) {
      if (partition === failing) continue;
      expect(
        later.some((offsets) => offsets.has(partition)),
        `partition ${partition} redelivered`,
      ).toBe(false);
    }
    expect(mapping.stats.redeliveredRecords).toBe(redelivered.length);
    await env.expectCommittedToTheEnd();
    await env.expectSettledOnce(envelopes);
    expect(await env.settlement.drainDeadLetters()).toEqual([]);
  });

  it('after the handler throws, redelivers the whole batch and commits nothing of it in between', async () => {
    const envelopes = env.usageEvents(await env.families(6), 5);
    await env.produce(envelopes);
    const committedBefore = await env.committed();
    const events: MskEvent[] = [];
    let committedAfterThrow: number[] = [];
    const mapping = await env.mapping(
      async (event) => {
        events.push(event);
        if (events.length === 1) {
          // Settles everything, then dies before answering: Lambda reports a function error.
          await env.settlement.invoke(event);
          throw new Error('function error after settling');
        }
        if (events.length === 2) committedAfterThrow = await env.committed();
        return env.settlement.invoke(event);
      },
      { batchSize: 1_000, retryDelayMs: 0 },
    );

    await mapping.drain();

    expect(mapping.stats.failedInvocations).toBe(1);
    expect(offsetsByPartition(events[1]!)).toEqual(offsetsByPartition(events[0]!));
    expect(committedAfterThrow).toEqual(committedBefore);
    await env.expectCommittedToTheEnd();
    await env.expectSettledOnce([...envelopes]);
  });
});
