import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDocumentClient } from '../functions/adapters/dynamodb/client';
import { DynamoFamilyLimits } from '../functions/adapters/dynamodb/family-limits';
import { noGlobalPolicy, systemClock } from '../functions/core/ports';
import { cachedFamilyLimits } from '../functions/core/snapshots/limits-cache';
import { createObservability } from '../functions/runtime/observability';
import { createUsageSnapshotsHandler } from '../functions/usage-snapshots/usage-snapshots-handler';
import { openTableStream } from '../local/outbox/stream-reader';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/services/dynamodb-local';
import { startStreamMapping } from '../local/stream-mapping';
import { ownCpuSeconds } from './process-cpu';
import { useLocalAwsEnvironment } from './services';
import type { FromSnapshotProcess, SnapshotProcessSpec, ToSnapshotProcess } from './snapshot-process';
import { openSnapshotSink } from './snapshot-sink';

/**
 * The usage-snapshots process of a run's open-loop steps (snapshot-process.ts):
 * the handler on the ledger stream's records during each step it is armed
 * for, with the family and member reads on a client of its own, producing to
 * a stand-in with a fixed delay. The limits it keeps last the whole run, as
 * in a container that stays warm.
 */
async function main(): Promise<void> {
  useLocalAwsEnvironment();
  const spec = JSON.parse(process.argv[2] ?? '{}') as SnapshotProcessSpec;
  const post = (message: FromSnapshotProcess) => process.send?.(message);
  const admin = new DynamoDBClient({
    endpoint: spec.endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  const doc = createDocumentClient({ endpoint: spec.endpoint, region: LOCAL_REGION });
  const stream = await openTableStream({ endpoint: spec.endpoint, client: admin, tableName: spec.table });
  const limits = cachedFamilyLimits(new DynamoFamilyLimits(doc, spec.table), systemClock);
  const observability = createObservability('bench-usage-snapshots');

  /** A step's reading of the stream: from what was written when it was armed to the step's end. */
  const arm = async () => {
    await stream.skipWritten();
    const sink = openSnapshotSink(spec.latencyMs);
    const handler = createUsageSnapshotsHandler(
      {
        limits,
        publisher: sink.publisher,
        globalPolicy: noGlobalPolicy,
        clock: systemClock,
        settings: { retry: { maxAttempts: 3, baseDelayMs: 20 }, budgetMs: 10_000 },
      },
      observability,
      (report) => sink.record(report),
    );
    const errors: unknown[] = [];
    const mapping = startStreamMapping({
      stream,
      handler,
      functionName: 'usage-snapshots',
      batchSize: 500,
      // Lambda polls a shard four times a second.
      pollMs: 250,
      onError: (error) => errors.push(error),
    });
    return { sink, mapping, errors, cpu: ownCpuSeconds(), limits: limits.counts() };
  };
  let step: Awaited<ReturnType<typeof arm>> | null = null;

  const finish = async (armed: NonNullable<typeof step>) => {
    await armed.mapping.drain();
    await armed.mapping.stop();
    if (armed.errors.length > 0) return post({ type: 'failed', error: String(armed.errors[0]) });
    const counts = limits.counts();
    post({
      type: 'figures',
      figures: {
        ...armed.sink.figures(),
        cpuSeconds: ownCpuSeconds() - armed.cpu,
        limits: {
          cached: counts.cached - armed.limits.cached,
          read: counts.read - armed.limits.read,
          items: counts.items - armed.limits.items,
        },
      },
    });
  };

  // One message at a time, in the order sent.
  let turn = Promise.resolve();
  process.on('message', (message: ToSnapshotProcess) => {
    turn = turn.then(async () => {
      try {
        if (message.type === 'arm') {
          step = await arm();
          post({ type: 'armed' });
        } else if (message.type === 'begin' && step) {
          step = { ...step, cpu: ownCpuSeconds(), limits: limits.counts() };
        } else if (message.type === 'finish' && step) {
          const armed = step;
          step = null;
          await finish(armed);
        } else if (message.type === 'close') {
          stream.close();
          admin.destroy();
          doc.destroy();
          process.disconnect();
        }
      } catch (error) {
        post({ type: 'failed', error: String(error) });
      }
    });
  });
  // The bench gone (a run that failed): nothing is left to read for.
  process.on('disconnect', () => process.exit());
  post({ type: 'ready' });
}

main().catch((error: unknown) => {
  process.send?.({ type: 'failed', error: String(error) } satisfies FromSnapshotProcess);
  process.exitCode = 1;
  process.disconnect?.();
});
