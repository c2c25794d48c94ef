import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaBatchResponse } from '../../local/kafka/event-source-mapping';
import { partitionFor } from '../../local/kafka/partitioner';
import { type KafkaTestEnv, startKafkaTestEnv } from './support/kafka-test-env';

const PARTITIONS = 2;
let env: KafkaTestEnv;

beforeAll(async () => {
  env = await startKafkaTestEnv('poison', PARTITIONS);
});
afterEach(() => env.closeMappings());
afterAll(() => env.stop());

describe('poison records on a real broker', () => {
  it('go to the dead-letter queue with their reason and the record as the broker delivered it; their partition goes on', async () => {
    const [familyId, otherFamily] = await env.families(2);
    const key = String(familyId);
    const [before, after] = [env.usageEvents([familyId!], 3), env.usageEvents([familyId!], 3)];
    const outsider = env.usageEvents([otherFamily!], 1).map((e) => ({
      ...e,
      payload: { ...e.payload, customerId: 999_999 },
    }));
    await env.produce(before);
    await env.produce(outsider, [
      { key, value: '{"eventId": "truncated' },
      { key, value: null },
      { key: null, value: 'not json at all' },
    ]);
    await env.produce(after);
    const responses: KafkaBatchResponse[] = [];
    const mapping = await env.mapping(async (event) => {
      const response = await env.settlement.invoke(event);
      responses.push(response);
      return response;
    });

    await mapping.drain();

    expect(responses.flatMap((r) => r.batchItemFailures ?? [])).toEqual([]);
    expect(mapping.stats.redeliveredRecords).toBe(0);
    const records = await env.kafka.records(env.topic);
    const letters = await env.settlement.drainDeadLetters();
    const byOffset = (partition: number, offset: number) =>
      letters.find((l) => l.record.partition === partition && l.record.offset === offset);
    const poison = records.filter((r) => {
      const text = r.value === null ? null : Buffer.from(r.value, 'base64').toString('utf8');
      return text === null || !text.startsWith('{"eventId":"') || text.includes('999999');
    });
    expect(poison).toHaveLength(4);
    for (const record of poison) {
      const letter = byOffset(record.partition, record.offset);
      expect(letter, `record ${record.partition}:${record.offset}`).toBeDefined();
      expect(letter!.record).toEqual(record);
      expect(letter!.partitionKey).toBe(`${env.topic}-${record.partition}`);
    }
    expect(letters).toHaveLength(4);
    const reasonOf = (value: string | null) =>
      letters.find((l) => l.record.value === (value === null ? null : Buffer.from(value).toString('base64')))
        ?.reason;
    expect(reasonOf('{"eventId": "truncated')).toBe('MALFORMED_JSON');
    expect(reasonOf('not json at all')).toBe('MALFORMED_JSON');
    expect(reasonOf(JSON.stringify(outsider[0]))).toBe('NOT_A_MEMBER');
    expect(reasonOf(null)).toBeDefined();
    // The valid events behind the poison records in the same partition settled, in order.
    const partition = partitionFor(key, PARTITIONS);
    const familyRecords = records.filter(
      (r) => r.partition === partition && r.key === Buffer.from(key).toString('base64'),
    );
    expect(familyRecords.length).toBeGreaterThan(before.length + after.length);
    await env.expectSettledOnce([...before, ...after]);
    await env.expectCommittedToTheEnd();
  });
});
