import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../functions/adapters/dynamodb/client';
import { DynamoFamilyLimits } from '../functions/adapters/dynamodb/family-limits';
import type { ArchiveSink } from '../functions/core/archive/archive-fates';
import { noGlobalPolicy, systemClock } from '../functions/core/ports';
import { cachedFamilyLimits } from '../functions/core/snapshots/limits-cache';
import { createObservability } from '../functions/runtime/observability';
import { createSettlementArchiverHandler } from '../functions/settlement-archiver/settlement-archiver-handler';
import { createUsageSnapshotsHandler } from '../functions/usage-snapshots/usage-snapshots-handler';
import { openTableStream } from '../local/outbox/stream-reader';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/services/dynamodb-local';
import { type StreamHandler, startStreamMapping } from '../local/stream-mapping';
import { DelayLine } from './delay-line';
import { ownCpuSeconds } from './process-cpu';
import { useLocalAwsEnvironment } from './services';
import { openSnapshotSink } from './snapshot-sink';
import type {
  FromStreamFunction,
  StreamFunctionFigures,
  StreamFunctionSpec,
  ToStreamFunction,
} from './stream-function-process';

/** A step's handler of one function, and its figures once the step is over. */
interface Armed {
  readonly handler: StreamHandler;
  readonly batchSize: number;
  /** Its figures, given what the process spent over the step: CPU seconds, and its mapping's reads of the stream. */
  figures(spent: Spent): StreamFunctionFigures[keyof StreamFunctionFigures];
  /** The step starts now: what the function kept counts from here. */
  begin(): void;
}

interface Spent {
  readonly cpuSeconds: number;
  readonly streamReads: number;
}
type Arming = (spec: StreamFunctionSpec) => Armed;

/**
 * usage-snapshots: produces to a stand-in with a fixed delay per request,
 * reading the limits on a client of its own. The limits it keeps last the
 * whole run, as in a container that stays warm.
 */
function usageSnapshots(doc: DynamoDBDocumentClient, spec: StreamFunctionSpec): Arming {
  const limits = cachedFamilyLimits(new DynamoFamilyLimits(doc, spec.table), systemClock);
  const observability = createObservability('bench-usage-snapshots');
  return () => {
    const sink = openSnapshotSink(spec.latencyMs);
    let counted = limits.counts();
    return {
      handler: createUsageSnapshotsHandler(
        {
          limits,
          publisher: sink.publisher,
          globalPolicy: noGlobalPolicy,
          clock: systemClock,
          settings: { retry: { maxAttempts: 3, baseDelayMs: 20 }, budgetMs: 10_000 },
        },
        observability,
        (report) => sink.record(report),
      ),
      batchSize: 500,
      begin: () => {
        counted = limits.counts();
      },
      figures: (spent) => {
        const now = limits.counts();
        return {
          ...sink.figures(),
          ...spent,
          limits: {
            cached: now.cached - counted.cached,
            read: now.read - counted.read,
            items: now.items - counted.items,
          },
        };
      },
    };
  };
}

/** The settlement archiver: hands its lines to a stand-in of the delivery stream with a fixed delay per request. */
function settlementArchiver(spec: StreamFunctionSpec): Arming {
  const observability = createObservability('bench-settlement-archiver');
  return () => {
    const delay = new DelayLine(spec.latencyMs);
    let archived = 0;
    const sink: ArchiveSink = {
      async put(lines) {
        await delay.wait();
        archived += lines.length;
        return [];
      },
    };
    return {
      handler: createSettlementArchiverHandler(sink, observability),
      batchSize: 1_000,
      begin: () => {
        archived = 0;
      },
      figures: (spent) => ({ archived, ...spent }),
    };
  };
}

/**
 * A function of the ledger stream for a run's open-loop steps
 * (stream-function-process.ts): its handler on the stream's records during
 * each step it is armed for.
 */
async function main(): Promise<void> {
  useLocalAwsEnvironment();
  const spec = JSON.parse(process.argv[2] ?? '{}') as StreamFunctionSpec;
  const post = (message: FromStreamFunction) => process.send?.(message);
  const admin = new DynamoDBClient({
    endpoint: spec.endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  const doc = createDocumentClient({ endpoint: spec.endpoint, region: LOCAL_REGION });
  const stream = await openTableStream({ endpoint: spec.endpoint, client: admin, tableName: spec.table });
  const arming = spec.fn === 'usage-snapshots' ? usageSnapshots(doc, spec) : settlementArchiver(spec);

  /** A step's reading of the stream: from what was written when it was armed to the step's end. */
  const arm = async () => {
    await stream.skipWritten();
    const armed = arming(spec);
    const errors: unknown[] = [];
    const mapping = startStreamMapping({
      stream,
      handler: armed.handler,
      functionName: spec.fn,
      batchSize: armed.batchSize,
      // Lambda polls a shard four times a second.
      pollMs: 250,
      onError: (error) => errors.push(error),
    });
    return { armed, mapping, errors, cpu: ownCpuSeconds(), reads: 0 };
  };
  let step: Awaited<ReturnType<typeof arm>> | null = null;

  const finish = async ({ armed, mapping, errors, cpu, reads }: NonNullable<typeof step>) => {
    await mapping.drain();
    await mapping.stop();
    if (errors.length > 0) post({ type: 'failed', error: String(errors[0]) });
    else {
      const spent = { cpuSeconds: ownCpuSeconds() - cpu, streamReads: mapping.stats.reads - reads };
      post({ type: 'figures', figures: armed.figures(spent) });
    }
  };

  // One message at a time, in the order sent.
  let turn = Promise.resolve();
  process.on('message', (message: ToStreamFunction) => {
    turn = turn.then(async () => {
      try {
        if (message.type === 'arm') {
          if (step) throw new Error('armed twice: the step before was not finished');
          step = await arm();
          post({ type: 'armed' });
        } else if (message.type === 'begin' || message.type === 'finish') {
          if (!step) throw new Error(`${message.type} without a step armed`);
          if (message.type === 'begin') {
            step.armed.begin();
            step = { ...step, cpu: ownCpuSeconds(), reads: step.mapping.stats.reads };
          } else {
            const armed = step;
            step = null;
            await finish(armed);
          }
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
  process.send?.({ type: 'failed', error: String(error) } satisfies FromStreamFunction);
  process.exitCode = 1;
  process.disconnect?.();
});
