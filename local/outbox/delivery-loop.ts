import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { TableStream } from './stream-reader';

type RelayHandler = (event: DynamoDBStreamEvent, context: Context) => Promise<DynamoDBBatchResponse>;
type SweeperHandler = (event: Record<string, unknown>, context: Context) => Promise<unknown>;

export const localContext = (name: string, timeoutMs: number): Context => {
  const deadline = Date.now() + timeoutMs;
  return {
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:ap-northeast-2:000000000000:function:${name}`,
    memoryLimitInMB: '512',
    awsRequestId: `local-${Math.random().toString(36).slice(2)}`,
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
};

/**
 * The outbox side of a local run, as AWS wires it: the stream event source
 * mapping feeding the relay (a failed sequence number is redelivered with
 * everything after it) and a schedule invoking the sweeper.
 */
export function startDeliveryLoop(options: {
  stream: TableStream;
  relay: RelayHandler;
  sweeper: SweeperHandler;
  pollMs: number;
  sweepEveryMs: number;
  onError: (error: unknown) => void;
}) {
  let stopped = false;
  let backlog: DynamoDBRecord[] = [];
  let lastSweep = Date.now();
  const stats = { relayInvocations: 0, sweeps: 0 };

  const relayOnce = async () => {
    backlog.push(...(await options.stream.readNew()).Records);
    if (backlog.length === 0) return;
    const batch = backlog.slice(0, 100);
    stats.relayInvocations++;
    const { batchItemFailures = [] } = await options.relay(
      { Records: batch },
      localContext('outbox-relay', 60_000),
    );
    const failed = new Set(batchItemFailures.map((f) => f.itemIdentifier));
    const firstFailed = batch.findIndex((r) => failed.has(r.dynamodb?.SequenceNumber ?? ''));
    backlog = firstFailed === -1 ? backlog.slice(batch.length) : backlog.slice(firstFailed);
  };

  const loop = (async () => {
    while (!stopped) {
      try {
        await relayOnce();
        if (Date.now() - lastSweep >= options.sweepEveryMs) {
          lastSweep = Date.now();
          stats.sweeps++;
          await options.sweeper(
            { source: 'aws.scheduler', 'detail-type': 'Scheduled Event' },
            localContext('outbox-sweeper', 30_000),
          );
        }
      } catch (error) {
        options.onError(error);
      }
      await new Promise((r) => setTimeout(r, options.pollMs));
    }
  })();

  return {
    stats,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}
