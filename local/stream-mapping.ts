import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { localContext } from './outbox/delivery-loop';
import type { TableStream } from './outbox/stream-reader';

export type StreamHandler = (event: DynamoDBStreamEvent, context: Context) => Promise<DynamoDBBatchResponse>;

/**
 * A DynamoDB stream event source mapping, locally: batches of the records
 * written since the last read, handed to the real handler; a batch item
 * failure is delivered again with everything after it. The poll loop reads
 * the shard at most once per `pollMs`, as Lambda's poller does at its base
 * rate (four times a second), and hands over what it read at once, a batch
 * at a time. Reading again as soon as a batch is handled put five to nine
 * times Lambda's reads on DynamoDB Local, which serves them beside the
 * table's writes. drain() reads without waiting.
 */
export function startStreamMapping(options: {
  readonly stream: TableStream;
  readonly handler: StreamHandler;
  readonly functionName: string;
  readonly batchSize: number;
  readonly pollMs: number;
  readonly onError: (error: unknown) => void;
}) {
  let stopped = false;
  let backlog: DynamoDBRecord[] = [];
  // When the last read or invocation started: the next read, or a retry, waits a poll from it.
  let polledAt = Number.NEGATIVE_INFINITY;
  // A batch that failed (an item failure, or the handler threw) is tried again at the poll's pace, not in a tight loop.
  let failing = false;
  const stats = { reads: 0, invocations: 0, records: 0 };

  // The poll loop and drain() take turns: one invocation at a time, as a shard's mapping does.
  let turn: Promise<unknown> = Promise.resolve();
  const once = (): Promise<boolean> => {
    const next = turn.then(invokeOnce);
    turn = next.catch(() => undefined);
    return next;
  };

  /** One invocation, after a read when nothing read is left to hand over; false when there was nothing. */
  const invokeOnce = async (): Promise<boolean> => {
    if (backlog.length === 0) {
      stats.reads++;
      polledAt = performance.now();
      backlog.push(...(await options.stream.readNew()).Records);
    }
    if (backlog.length === 0) return false;
    const batch = backlog.slice(0, options.batchSize);
    stats.invocations++;
    polledAt = performance.now();
    const { batchItemFailures = [] } = await options.handler(
      { Records: batch },
      localContext(options.functionName, 60_000),
    );
    const failed = new Set(batchItemFailures.map((f) => f.itemIdentifier));
    const firstFailed = batch.findIndex((r) => failed.has(r.dynamodb?.SequenceNumber ?? ''));
    backlog = firstFailed === -1 ? backlog.slice(batch.length) : backlog.slice(firstFailed);
    stats.records += firstFailed === -1 ? batch.length : firstFailed;
    failing = firstFailed !== -1;
    return true;
  };

  const loop = (async () => {
    while (!stopped) {
      // What was read and not yet handed over goes at once; a read or a retry waits for the poll.
      const rest = failing || backlog.length === 0 ? polledAt + options.pollMs - performance.now() : 0;
      if (rest > 0) await new Promise((r) => setTimeout(r, rest));
      if (stopped) break;
      try {
        await once();
      } catch (error) {
        failing = true;
        options.onError(error);
      }
    }
  })();

  return {
    stats,
    /** Hands over everything written so far (the stores are quiet), then returns. */
    async drain(): Promise<void> {
      for (let busy = true; busy; ) {
        busy = await once().catch((error) => {
          options.onError(error);
          return false;
        });
      }
    },
    async stop(): Promise<void> {
      stopped = true;
      await loop;
    },
  };
}
