import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDocumentClient } from '../functions/adapters/dynamodb/client';
import { DynamoFamilyLimits } from '../functions/adapters/dynamodb/family-limits';
import { noGlobalPolicy, systemClock } from '../functions/core/ports';
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
 * The usage-snapshots process of an open-loop step (snapshot-process.ts):
 * the handler on the ledger stream's records, with the family and member
 * reads on a client of its own, producing to a stand-in with a fixed delay.
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
  await stream.skipWritten();
  const sink = openSnapshotSink(spec.latencyMs);
  const handler = createUsageSnapshotsHandler(
    {
      limits: new DynamoFamilyLimits(doc, spec.table),
      publisher: sink.publisher,
      globalPolicy: noGlobalPolicy,
      clock: systemClock,
      settings: { retry: { maxAttempts: 3, baseDelayMs: 20 }, budgetMs: 10_000 },
    },
    createObservability('bench-usage-snapshots'),
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
  let cpuAtBegin = ownCpuSeconds();
  process.on('message', (message: ToSnapshotProcess) => {
    if (message.type === 'begin') {
      cpuAtBegin = ownCpuSeconds();
      return;
    }
    void (async () => {
      await mapping.drain();
      await mapping.stop();
      stream.close();
      admin.destroy();
      doc.destroy();
      if (errors.length > 0) post({ type: 'failed', error: String(errors[0]) });
      else
        post({ type: 'figures', figures: { ...sink.figures(), cpuSeconds: ownCpuSeconds() - cpuAtBegin } });
      process.disconnect();
    })();
  });
  post({ type: 'ready' });
}

main().catch((error: unknown) => {
  process.send?.({ type: 'failed', error: String(error) } satisfies FromSnapshotProcess);
  process.exitCode = 1;
  process.disconnect?.();
});
