import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MskEvent } from '../../functions/core/kafka-record';
import type { EventSourceMapping } from '../../local/kafka/event-source-mapping';
import { type KafkaTestEnv, offsetsByPartition, startKafkaTestEnv } from './support/kafka-test-env';

const PARTITIONS = 8;
let env: KafkaTestEnv;

beforeAll(async () => {
  env = await startKafkaTestEnv('rebalance', PARTITIONS);
});
afterEach(() => env.closeMappings());
afterAll(() => env.stop());

describe('a rebalance between two consumers of one group', () => {
  it('moves partitions mid-stream without losing or double-settling an event', async () => {
    const envelopes = env.usageEvents(await env.families(24), 40);
    await env.produce(envelopes);
    const delivered: Array<{ consumer: 'A' | 'B'; event: MskEvent }> = [];
    let secondJoined: () => void = () => {};
    const joined = new Promise<void>((resolve) => {
      secondJoined = resolve;
    });
    let firstBatch: () => void = () => {};
    const firstBatchSettled = new Promise<void>((resolve) => {
      firstBatch = resolve;
    });

    const a = await env.mapping(async (event) => {
      delivered.push({ consumer: 'A', event });
      const response = await env.settlement.invoke(event);
      if (delivered.length === 1) {
        // A's first batch is settled but not yet answered when B joins: some of its partitions move to B.
        firstBatch();
        await joined;
      }
      return response;
    });
    const draining: Array<Promise<unknown>> = [a.drain()];
    await firstBatchSettled;
    const b: EventSourceMapping = await env.mapping(async (event) => {
      delivered.push({ consumer: 'B', event });
      return env.settlement.invoke(event);
    });
    secondJoined();
    draining.push(b.drain());
    await Promise.all(draining);

    const afterRebalance = delivered.slice(1);
    expect(afterRebalance.some((d) => d.consumer === 'A')).toBe(true);
    expect(afterRebalance.some((d) => d.consumer === 'B')).toBe(true);
    const ownersAfterRebalance = new Map<number, Set<string>>();
    const offsetsSeen = new Map<number, Set<number>>();
    for (const { consumer, event } of delivered) {
      for (const [partition, offsets] of offsetsByPartition(event)) {
        if (event !== delivered[0]!.event) {
          ownersAfterRebalance.set(
            partition,
            (ownersAfterRebalance.get(partition) ?? new Set()).add(consumer),
          );
        }
        for (const offset of offsets)
          offsetsSeen.set(partition, (offsetsSeen.get(partition) ?? new Set()).add(offset));
      }
    }
    // After the rebalance each partition has one owner.
    for (const [partition, owners] of ownersAfterRebalance)
      expect([...owners], `partition ${partition}`).toHaveLength(1);
    const ends = await env.endOffsets();
    for (let p = 0; p < PARTITIONS; p++) {
      expect(offsetsSeen.get(p)?.size ?? 0, `every offset of partition ${p} delivered`).toBe(ends[p]);
    }
    await env.expectCommittedToTheEnd();
    await env.expectSettledOnce(envelopes);
    expect(await env.settlement.drainDeadLetters()).toEqual([]);
  }, 90_000);
});
