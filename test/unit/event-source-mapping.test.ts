import { describe, expect, it } from 'vitest';
import type { MskEvent } from '../../functions/core/kafka-record';
import {
  type KafkaBatchResponse,
  PartitionStuckError,
  SimulatedEventSourceMapping,
  SimulatedTopic,
} from '../../local/kafka/esm-simulator';

/** A topic whose keys are chosen so that records land on known partitions. */
function topicWith(partitions: number, perPartition: number): SimulatedTopic {
  const topic = new SimulatedTopic('usage-events', partitions);
  let key = 0;
  while (topic.logs.some((log) => log.length < perPartition)) {
    const candidate = String(key++);
    const record = topic.produce(candidate, `{"n":${key}}`);
    const log = topic.logs[record.partition]!;
    if (log.length > perPartition) log.pop();
  }
  return topic;
}

const offsetsIn = (event: MskEvent) =>
  Object.fromEntries(
    Object.entries(event.records).map(([key, records]) => [key, records.map((r) => r.offset)]),
  );

const failure = (partition: string, offset: number): KafkaBatchResponse => ({
  batchItemFailures: [{ itemIdentifier: { partition, offset } }],
});

describe('the event source mapping core (over the in-process topic)', () => {
  it('delivers MSK-shaped batches: "<topic>-<partition>" groups in offset order, base64 values, signed header bytes', async () => {
    const topic = topicWith(2, 3);
    const events: MskEvent[] = [];
    const mapping = new SimulatedEventSourceMapping(
      topic,
      async (event) => {
        events.push(event);
        return {};
      },
      { batchSize: 10 },
    );

    await mapping.drain();

    expect(events).toHaveLength(1);
    expect(offsetsIn(events[0]!)).toEqual({ 'usage-events-0': [0, 1, 2], 'usage-events-1': [0, 1, 2] });
    const record = events[0]!.records['usage-events-0']![0]!;
    expect(JSON.parse(Buffer.from(record.value!, 'base64').toString('utf8'))).toHaveProperty('n');
    const source = record.headers.find((h) => 'source' in h)!.source!;
    expect(source.some((b) => b < 0)).toBe(true);
    expect(Buffer.from(source.map((b) => b & 0xff)).toString('utf8')).toBe('로컬-시뮬레이터');
  });

  it('commits only after the handler returns', async () => {
    const topic = topicWith(1, 4);
    const seenDuringInvocation: number[] = [];
    const mapping: SimulatedEventSourceMapping = new SimulatedEventSourceMapping(
      topic,
      async () => {
        seenDuringInvocation.push(mapping.committedOffset(0));
        return {};
      },
      { batchSize: 2 },
    );

    await mapping.drain();

    expect(seenDuringInvocation).toEqual([0, 2]);
    expect(mapping.committedOffset(0)).toBe(4);
  });

  it('on a partial batch response redelivers the failed partition from the failed offset and advances the others', async () => {
    const topic = topicWith(2, 4);
    const events: MskEvent[] = [];
    const mapping = new SimulatedEventSourceMapping(
      topic,
      async (event) => {
        events.push(event);
        return events.length === 1 ? failure('usage-events-1', 2) : {};
      },
      { batchSize: 8 },
    );

    await mapping.drain();

    expect(events.map(offsetsIn)).toEqual([
      { 'usage-events-0': [0, 1, 2, 3], 'usage-events-1': [0, 1, 2, 3] },
      { 'usage-events-1': [2, 3] },
    ]);
    expect(mapping.stats.redeliveredRecords).toBe(2);
  });

  it('on a thrown error redelivers the whole batch and commits nothing of it', async () => {
    const topic = topicWith(2, 2);
    const events: MskEvent[] = [];
    const committedWhenThrown: number[] = [];
    const mapping: SimulatedEventSourceMapping = new SimulatedEventSourceMapping(
      topic,
      async (event) => {
        events.push(event);
        if (events.length === 1) {
          committedWhenThrown.push(mapping.committedOffset(0), mapping.committedOffset(1));
          throw new Error('crash');
        }
        return {};
      },
      { batchSize: 10, retryDelayMs: 0 },
    );

    await mapping.drain();

    expect(events.map(offsetsIn)).toEqual([
      { 'usage-events-0': [0, 1], 'usage-events-1': [0, 1] },
      { 'usage-events-0': [0, 1], 'usage-events-1': [0, 1] },
    ]);
    expect(committedWhenThrown).toEqual([0, 0]);
    expect(mapping.stats).toMatchObject({ failedInvocations: 1, redeliveredRecords: 4 });
  });

  it('takes the lowest failed offset of a partition and never commits outside the delivered range', async () => {
    const topic = topicWith(2, 3);
    const responses: KafkaBatchResponse[] = [
      {
        batchItemFailures: [
          { itemIdentifier: { partition: 'usage-events-0', offset: 2 } },
          { itemIdentifier: { partition: 'usage-events-0', offset: 1 } },
          // Beyond the batch: the whole partition counts as processed, nothing later is skipped.
          { itemIdentifier: { partition: 'usage-events-1', offset: 99 } },
        ],
      },
    ];
    const events: MskEvent[] = [];
    const mapping = new SimulatedEventSourceMapping(
      topic,
      async (event) => {
        events.push(event);
        return responses.shift() ?? {};
      },
      { batchSize: 10 },
    );

    await mapping.drain();

    expect(events.map(offsetsIn)).toEqual([
      { 'usage-events-0': [0, 1, 2], 'usage-events-1': [0, 1, 2] },
      { 'usage-events-0': [1, 2] },
    ]);
    expect([mapping.committedOffset(0), mapping.committedOffset(1)]).toEqual([3, 3]);
  });

  it('gives up with PartitionStuckError when no invocation moves any partition', async () => {
    const topic = topicWith(1, 1);
    const mapping = new SimulatedEventSourceMapping(topic, async () => failure('usage-events-0', 0), {
      batchSize: 10,
      maxAttemptsWithoutProgress: 3,
      retryDelayMs: 0,
    });

    await expect(mapping.drain()).rejects.toBeInstanceOf(PartitionStuckError);
    expect(mapping.stats.invocations).toBe(3);
    expect(mapping.committedOffset(0)).toBe(0);
  });

  it('replays from a rewound offset, as a consumer-group offset reset does', async () => {
    const topic = topicWith(1, 3);
    const events: MskEvent[] = [];
    const mapping = new SimulatedEventSourceMapping(
      topic,
      async (event) => {
        events.push(event);
        return {};
      },
      { batchSize: 10 },
    );
    await mapping.drain();

    mapping.rewind(0, 1);
    await mapping.drain();

    expect(events.map(offsetsIn)).toEqual([{ 'usage-events-0': [0, 1, 2] }, { 'usage-events-0': [1, 2] }]);
  });
});
