import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { localContext } from './outbox/delivery-loop';
import type { TableStream } from './outbox/stream-reader';

export type StreamHandler = (event: DynamoDBStreamEvent, context: Context) => Promise<DynamoDBBatchResponse>;

/**
 * A DynamoDB stream event source mapping, locally: batches of the records
 * written since the last read, handed to the real handler; a batch item
 * failure is delivered again with everything after it. Reads start at least
 * `pollMs` apart, records or not, as Lambda's poller reads a shard at its
 * base rate (four times a second); reading again as soon as a batch is
 * handled would put ten times Lambda's reads on DynamoDB Local, which serves
 * them beside the table's writes.
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
  const stats = { reads: 0, invocations: 0, records: 0 };

  // The poll loop and drain() take turns: one invocation at a time, as a shard's mapping does.
  let turn: Promise<unknown> = Promise.resolve();
  const once = (): Promise<boolean> => {
    const next = turn.then(invokeOnce);
    turn = next.catch(() => undefined);
    return next;
  };

  /** One read and one invocation; false when there was nothing to hand over. */
  const invokeOnce = async (): Promise<boolean> => {
    stats.reads++;
    backlog.push(...(await options.stream.readNew()).Records);
    if (backlog.length === 0) return false;
    const batch = backlog.slice(0, options.batchSize);
    stats.invocations++;
    const { batchItemFailures = [] } = await options.handler(
      { Records: batch },
      localContext(options.functionName, 60_000),
    );
    const failed = new Set(batchItemFailures.map((f) => f.itemIdentifier));
    const firstFailed = batch.findIndex((r) => failed.has(r.dynamodb?.SequenceNumber ?? ''));
    backlog = firstFailed === -1 ? backlog.slice(batch.length) : backlog.slice(firstFailed);
    stats.records += firstFailed === -1 ? batch.length : firstFailed;
    return true;
  };

  const loop = (async () => {
    while (!stopped) {
      const started = performance.now();
      try {
        await once();
      } catch (error) {
        options.onError(error);
      }
      const rest = options.pollMs - (performance.now() - started);
      if (rest > 0 && !stopped) await new Promise((r) => setTimeout(r, rest));
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
