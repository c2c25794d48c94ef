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

const answered = { batchItemFailures: [] };

/**
 * A mapping polling every 250 ms over a stream of `perRead` records a read;
 * `batches` holds what the handler answered without throwing.
 */
function startMapping(
  options: {
    perRead?: number;
    batchSize?: number;
    pollMs?: number;
    handler?: StreamHandler;
    onError?: (error: unknown) => void;
  } = {},
) {
  const batches: number[][] = [];
  const handler = options.handler ?? (async () => answered);
  const mapping = startStreamMapping({
    stream: busyStream(options.perRead ?? 3),
    handler: async (event, context) => {
      const response = await handler(event, context);
      batches.push(sequences(event));
      return response;
    },
    functionName: 'reader',
    batchSize: options.batchSize ?? 100,
    pollMs: options.pollMs ?? 250,
    onError:
      options.onError ??
      ((error) => {
        throw error;
      }),
  });
  return {
    mapping,
    batches,
    /** Stops the loop, letting the wait it may be in run out. */
    async stop(): Promise<void> {
      const stopped = mapping.stop();
      await vi.advanceTimersByTimeAsync(options.pollMs ?? 250);
      await stopped;
    },
  };
}

describe('the local DynamoDB stream mapping', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("reads a shard at most once per poll interval even while every read brings records, as Lambda's base rate", async () => {
    const { mapping, batches, stop } = startMapping();
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
    await stop();
  });

  it('starts the next read at once when a batch took longer than the interval', async () => {
    const { mapping, stop } = startMapping({
      perRead: 1,
      handler: () => new Promise((resolve) => setTimeout(() => resolve(answered), 400)),
    });
    await vi.advanceTimersByTimeAsync(1_000);
    // Invocations of 400 ms back to back: reads at 0, 400 and 800 ms.
    expect(mapping.stats.reads).toBe(3);
    await stop();
  });

  it('delivers a failed record again with every record after it and nothing before it, at the next poll', async () => {
    let failOnce = true;
    const { mapping, batches, stop } = startMapping({
      handler: async () => {
        if (!failOnce) return answered;
        failOnce = false;
        return { batchItemFailures: [{ itemIdentifier: '2' }] };
      },
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(batches).toEqual([[1, 2, 3]]);
    await vi.advanceTimersByTimeAsync(250);
    // The retry hands over what was read, a poll after the failed invocation.
    expect(batches).toEqual([
      [1, 2, 3],
      [2, 3],
    ]);
    await vi.advanceTimersByTimeAsync(250);
    expect(batches).toEqual([
      [1, 2, 3],
      [2, 3],
      [4, 5, 6],
    ]);
    expect(mapping.stats.records).toBe(1 + 2 + 3);
    await stop();
  });

  it('hands over a read larger than a batch a batch at a time, without waiting for the next poll', async () => {
    const { mapping, batches, stop } = startMapping({ perRead: 5, batchSize: 2 });
    await vi.advanceTimersByTimeAsync(0);
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
    expect(mapping.stats.reads).toBe(1);
    await stop();
  });

  it('tries a batch whose handler threw again at the next poll, losing nothing', async () => {
    const errors: unknown[] = [];
    let throwOnce = true;
    const { mapping, batches, stop } = startMapping({
      handler: async () => {
        if (!throwOnce) return answered;
        throwOnce = false;
        throw new Error('handler failed');
      },
      onError: (error) => errors.push(error),
    });
    await vi.advanceTimersByTimeAsync(249);
    expect(errors).toHaveLength(1);
    expect(batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(batches).toEqual([[1, 2, 3]]);
    await vi.advanceTimersByTimeAsync(250);
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(mapping.stats.reads).toBe(2);
    await stop();
  });

  it('drains everything written without waiting for a poll', async () => {
    const { mapping, stop } = startMapping({ pollMs: 60_000 });
    // No timer moves: the loop's first read and drain's take turns, then drain reads on until a read is empty.
    await mapping.drain();
    expect(mapping.stats.records).toBe(50 * 3);
    expect(mapping.stats.reads).toBe(51);
    await stop();
  });
});
