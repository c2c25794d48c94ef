import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MskEvent } from '../../functions/core/kafka-record';
import { partitionFor } from '../../local/kafka/partitioner';
import type { UsageEnvelope } from '../helpers/msk';
import { type KafkaTestEnv, offsetsByPartition, startKafkaTestEnv } from './support/kafka-test-env';

const PARTITIONS = 4;
let env: KafkaTestEnv;

beforeAll(async () => {
  env = await startKafkaTestEnv('order', PARTITIONS);
});
afterEach(() => env.closeMappings());
afterAll(() => env.stop());

describe('the local MSK mapping on a real broker', () => {
  it('hands each partition to the handler in offset order, every offset once, one family always on one partition', async () => {
    const envelopes = env.usageEvents(await env.families(12), 25);
    await env.produce(envelopes);
    const events: MskEvent[] = [];
    const mapping = await env.mapping(
      async (event) => {
        events.push(event);
        return env.settlement.invoke(event);
      },
      { batchSize: 40 },
    );

    await mapping.drain();

    expect(events.length).toBeGreaterThan(envelopes.length / 40);
    const delivered = new Map<number, number[]>();
    for (const event of events) {
      for (const [partition, offsets] of offsetsByPartition(event)) {
        delivered.set(partition, [...(delivered.get(partition) ?? []), ...offsets]);
      }
    }
    const ends = await env.endOffsets();
    for (let p = 0; p < PARTITIONS; p++) {
      expect(delivered.get(p) ?? [], `partition ${p}`).toEqual(Array.from({ length: ends[p]! }, (_, o) => o));
    }
    const familyOrder = new Map<number, string[]>();
    for (const event of events) {
      for (const records of Object.values(event.records)) {
        for (const record of records) {
          const envelope = JSON.parse(Buffer.from(record.value!, 'base64').toString('utf8')) as UsageEnvelope;
          const familyId = envelope.payload.familyId;
          expect(record.partition).toBe(partitionFor(String(familyId), PARTITIONS));
          familyOrder.set(familyId, [...(familyOrder.get(familyId) ?? []), envelope.eventId]);
        }
      }
    }
    for (const [familyId, eventIds] of familyOrder) {
      expect(eventIds, `family ${familyId}`).toEqual(
        envelopes.filter((e) => e.payload.familyId === familyId).map((e) => e.eventId),
      );
    }
    await env.expectCommittedToTheEnd();
    await env.expectSettledOnce(envelopes);
  });

  it('encodes records as MSK does: "<topic>-<partition>" groups, base64 key and value, signed header bytes, epoch-ms timestamps', async () => {
    const [familyId] = await env.families(1);
    const envelope = env.usageEvents([familyId!], 1)[0]!;
    const before = Date.now();
    await env.produce([envelope]);
    let received: MskEvent | undefined;
    const mapping = await env.mapping(async (event) => {
      received ??= event;
      return env.settlement.invoke(event);
    });

    await mapping.drain();

    const partition = partitionFor(String(familyId), PARTITIONS);
    expect(Object.keys(received!.records)).toEqual([`${env.topic}-${partition}`]);
    expect(received!.eventSource).toBe('aws:kafka');
    expect(received!.bootstrapServers).toBe(env.bootstrap);
    const [record] = received!.records[`${env.topic}-${partition}`]!;
    expect(Buffer.from(record!.key!, 'base64').toString('utf8')).toBe(String(familyId));
    expect(JSON.parse(Buffer.from(record!.value!, 'base64').toString('utf8'))).toEqual(envelope);
    expect(record!.timestampType).toBe('CREATE_TIME');
    expect(record!.timestamp).toBeGreaterThanOrEqual(before - 1_000);
    expect(record!.timestamp).toBeLessThanOrEqual(Date.now());
    const source = record!.headers.find((h) => 'source' in h)!.source!;
    expect(source.every((b) => Number.isInteger(b) && b >= -128 && b <= 127)).toBe(true);
    expect(source.some((b) => b < 0)).toBe(true);
    expect(Buffer.from(source.map((b) => b & 0xff)).toString('utf8')).toBe('로컬-하네스');
  });
});
