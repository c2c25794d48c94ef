import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TableStream } from '../../local/outbox/stream-reader';
import { type StreamHandler, startStreamMapping } from '../../local/stream-mapping';

const record = (sequence: number): DynamoDBRecord => ({
  eventName: 'INSERT',
  dynamodb: { SequenceNumber: String(sequence), Keys: { pk: { S: `item-${sequence}` } } },
});

/** A stream that has `perRead` new records at each of its first 50 reads, numbered on from 1. */
function busyStream(perRead: number) {
  let next = 1;
  let reads = 0;
  const stream = {
    async readNew(): Promise<DynamoDBStreamEvent> {
      const length = reads++ < 50 ? perRead : 0;
      return { Records: Array.from({ length }, () => record(next++)) };
    },
  };
  return stream as unknown as TableStream;
}

const sequences = (event: DynamoDBStreamEvent) =>
  event.Records.map((r) => Number(r.dynamodb?.SequenceNumber));

describe('the local DynamoDB stream mapping', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("reads a shard at most once per poll interval even while every read brings records, as Lambda's base rate", async () => {
    const batches: number[][] = [];
    const mapping = startStreamMapping({
      stream: busyStream(3),
      handler: async (event) => {
        batches.push(sequences(event));
        return { batchItemFailures: [] };
      },
      functionName: 'reader',
      batchSize: 100,
      pollMs: 250,
      onError: (error) => {
        throw error;
      },
    });
    await vi.advanceTimersByTimeAsync(1_000);
    // Reads at 0, 250, 500, 750 and 1,000 ms: five, however fast the handler answers.
    expect(mapping.stats.reads).toBe(5);
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5, 6],
      [7, 8, 9],
      [10, 11, 12],
      [13, 14, 15],
    ]);
    const stopped = mapping.stop();
    await vi.advanceTimersByTimeAsync(250);
    await stopped;
  });

  it('starts the next read at once when a batch took longer than the interval', async () => {
    const handler: StreamHandler = () =>
      new Promise((resolve) => setTimeout(() => resolve({ batchItemFailures: [] }), 400));
    const mapping = startStreamMapping({
      stream: busyStream(1),
      handler,
      functionName: 'slow-reader',
      batchSize: 100,
      pollMs: 250,
      onError: (error) => {
        throw error;
      },
    });
    await vi.advanceTimersByTimeAsync(1_000);
    // Invocations of 400 ms back to back: reads at 0, 400 and 800 ms.
    expect(mapping.stats.reads).toBe(3);
    const stopped = mapping.stop();
    await vi.advanceTimersByTimeAsync(400);
    await stopped;
  });

  it('delivers a failed record again with every record after it and nothing before it, at the next poll', async () => {
    const batches: number[][] = [];
    let failOnce = true;
    const mapping = startStreamMapping({
      stream: busyStream(3),
      handler: async (event) => {
        batches.push(sequences(event));
        if (!failOnce) return { batchItemFailures: [] };
        failOnce = false;
        return { batchItemFailures: [{ itemIdentifier: '2' }] };
      },
      functionName: 'failing-reader',
      batchSize: 100,
      pollMs: 250,
      onError: (error) => {
        throw error;
      },
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(batches).toEqual([[1, 2, 3]]);
    await vi.advanceTimersByTimeAsync(250);
    // The retry hands over what was read; the next read follows it at once, a poll having passed.
    expect(batches).toEqual([
      [1, 2, 3],
      [2, 3],
      [4, 5, 6],
    ]);
    expect(mapping.stats.records).toBe(1 + 2 + 3);
    const stopped = mapping.stop();
    await vi.advanceTimersByTimeAsync(250);
    await stopped;
  });

  it('hands over a read larger than a batch a batch at a time, without waiting for the next poll', async () => {
    const batches: number[][] = [];
    const mapping = startStreamMapping({
      stream: busyStream(5),
      handler: async (event) => {
        batches.push(sequences(event));
        return { batchItemFailures: [] };
      },
      functionName: 'small-batches',
      batchSize: 2,
      pollMs: 250,
      onError: (error) => {
        throw error;
      },
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
    expect(mapping.stats.reads).toBe(1);
    const stopped = mapping.stop();
    await vi.advanceTimersByTimeAsync(250);
    await stopped;
  });

  it('tries a batch whose handler threw again at the next poll, losing nothing', async () => {
    const batches: number[][] = [];
    const errors: unknown[] = [];
    let throwOnce = true;
    const mapping = startStreamMapping({
      stream: busyStream(3),
      handler: async (event) => {
        if (throwOnce) {
          throwOnce = false;
          throw new Error('handler failed');
        }
        batches.push(sequences(event));
        return { batchItemFailures: [] };
      },
      functionName: 'throwing-reader',
      batchSize: 100,
      pollMs: 250,
      onError: (error) => errors.push(error),
    });
    await vi.advanceTimersByTimeAsync(249);
    expect(errors).toHaveLength(1);
    expect(batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(mapping.stats.reads).toBe(2);
    const stopped = mapping.stop();
    await vi.advanceTimersByTimeAsync(250);
    await stopped;
  });

  it('drains everything written without waiting for a poll', async () => {
    const mapping = startStreamMapping({
      stream: busyStream(3),
      handler: async () => ({ batchItemFailures: [] }),
      functionName: 'drained',
      batchSize: 100,
      pollMs: 60_000,
      onError: (error) => {
        throw error;
      },
    });
    // No timer moves: the loop's first read and drain's take turns, then drain reads on until a read is empty.
    await mapping.drain();
    expect(mapping.stats.records).toBe(50 * 3);
    expect(mapping.stats.reads).toBe(51);
    const stopped = mapping.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    await stopped;
  });
});
