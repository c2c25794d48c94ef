import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { startFauxqs } from 'fauxqs';
import { Redis } from 'ioredis';
import { ARCHIVE, FAILED_BATCHES_QUEUE } from '../cli/required-config';
import { createDocumentClient } from '../functions/adapters/dynamodb/client';
import { createTables } from '../functions/adapters/dynamodb/create-tables';
import { FamilyStore } from '../functions/adapters/dynamodb/family-store';
import { DynamoOutboxStore } from '../functions/adapters/dynamodb/outbox-store';
import { redisKeys } from '../functions/adapters/redis/keys';
import { drainDeadLetters } from '../functions/adapters/sqs/dead-letter-drain';
import { DeadLetterReader } from '../functions/adapters/sqs/dead-letter-reader';
import { describeError } from '../functions/core/errors';
import type { Family } from '../functions/core/family';
import type { DeadLetter } from '../functions/core/ports';
import { periodOf, shiftPeriod } from '../functions/core/time';
import { ENV } from '../functions/runtime/env';
import { startUsageApiServer } from './api-server';
import { archivedFates } from './archive/archive-folder';
import { classifyChangeRecords } from './change-summary';
import type { EventSourceMapping } from './kafka/event-source-mapping';
import type { LocalKafka } from './kafka/local-kafka';
import { openLocalKafka } from './kafka/open-local-kafka';
import {
  FAMILY_UPDATED_TOPIC,
  MAPPINGS,
  POLICY_UPDATED_TOPIC,
  USAGE_EVENTS_TOPIC,
  USAGE_REALTIME_TOPIC,
} from './kafka/topics';
import { localContext, startDeliveryLoop } from './outbox/delivery-loop';
import { openTableStream } from './outbox/stream-reader';
import { startArchiveFirehose } from './services/archive-firehose';
import {
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  type LocalService,
  startDynamoDbLocal,
} from './services/dynamodb-local';
import { startEventSink } from './services/event-sink';
import { RestartableRedis, resolveRedis } from './services/redis-server';
import { type StreamHandler, startStreamMapping } from './stream-mapping';
import {
  checkConsistency,
  classifyRecords,
  familyUsage,
  outboxCounts,
  type StoreReaders,
  type Summary,
} from './summary';
import { decodeSnapshots, snapshotsOfFamily, usageSnapshotsHandler } from './usage-snapshots';
import { demoWorkload } from './workload/demo';
import { segmentsOf, timelineOfLines } from './workload/timeline';

export interface PipelineOptions {
  /** Families to load instead of generated ones (validated already). */
  readonly familyList?: ReadonlyArray<Family>;
  /** Kafka record values to produce instead of generated events: JSONL lines, valid or not. */
  readonly eventLines?: ReadonlyArray<string>;
  readonly events: number;
  readonly families: number;
  readonly partitions: number;
  readonly batchSize: number;
  readonly top: number;
  readonly seed: number;
  readonly outDir: string;
  readonly logLevel: string;
  readonly settleTimeoutMs: number;
  /** A real Kafka broker instead of the in-process topics. */
  readonly kafka?: boolean;
  /** Kill the private Redis a third into the usage events and start it again, empty, two thirds in. */
  readonly redisOutage?: boolean;
  /**
   * Keep the services up after the workload until the signal aborts: consuming
   * from the broker for producers of one's own (with `kafka`), and with `serve`
   * answering the usage API and the operator CLI.
   */
  readonly keepRunning?: KeepRunning;
  /** With keepRunning: the usage API on a local port, and the dead-letter queue left for the CLI. */
  readonly serve?: boolean;
  readonly onProgress?: (phase: string, done: number, total: number) => void;
  readonly onServiceStarted?: (name: string, endpoint: string, pid: number | undefined) => void;
  /** Something the run did to itself (the Redis outage), for the user to see. */
  readonly onNotice?: (message: string) => void;
}

export interface LiveCounters {
  readonly topic: string;
  readonly committed: number;
  readonly invocations: number;
  readonly redelivered: number;
  readonly failedInvocations: number;
  readonly lag: number;
}

export interface KeepRunning {
  readonly signal: AbortSignal;
  /** The workload is settled: what the run looks like so far, and where to produce more. */
  readonly onReady: (ready: {
    summary: Summary;
    bootstrap: string | undefined;
    familiesFile: string;
    serving: Serving | undefined;
  }) => void;
  /** Called when the counters changed, at most every `countersEveryMs`. */
  readonly onCounters: (counters: LiveCounters) => void;
  readonly countersEveryMs?: number;
}

/** What `serve` offers: the usage API, and the variables that point the operator CLI at this run. */
export interface Serving {
  readonly apiUrl: string;
  readonly environment: Readonly<Record<string, string>>;
  /** The same variables as `export` lines, to source from a shell. */
  readonly environmentFile: string;
}

const TABLES = { ledger: 'local-ledger', outbox: 'local-outbox' };
const TIME_ZONE = 'Asia/Seoul';

/** Everything started for a run; stopped in reverse order whatever happens. */
export class LocalServices {
  private readonly started: Array<{ name: string; stop: () => Promise<void> }> = [];

  add<T extends { stop: () => Promise<void> }>(name: string, service: T): T {
    this.started.push({ name, stop: () => service.stop() });
    return service;
  }

  async stopAll(): Promise<void> {
    for (const service of this.started.reverse()) {
      await service.stop().catch(() => undefined);
    }
    this.started.length = 0;
  }
}

/**
 * The whole product on one machine: DynamoDB Local, Redis, an SQS emulator
 * for the dead-letter queue and a PutEvents sink, driven by the MSK event
 * source mapping (over in-process topics, or a real broker with `kafka`) and a
 * simulation of the DynamoDB-stream mapping, invoking the real handler modules.
 */
export async function runPipeline(
  options: PipelineOptions,
  services = new LocalServices(),
): Promise<Summary> {
  const runDir = join(options.outDir, new Date().toISOString().replace(/[:.]/g, '-'));
  mkdirSync(runDir, { recursive: true });
  const files = {
    deadLetters: join(runDir, 'dead-letters.jsonl'),
    notifications: join(runDir, 'notifications.jsonl'),
    families: join(runDir, 'families.json'),
    events: join(runDir, 'events.jsonl'),
    archive: join(runDir, 'archive'),
    environment: join(runDir, 'env.sh'),
  };
  writeFileSync(files.notifications, '');
  try {
    options.onProgress?.('starting services', 0, 1);
    const dynamodb: LocalService = services.add('DynamoDB Local', await startDynamoDbLocal());
    options.onServiceStarted?.('DynamoDB Local', dynamodb.endpoint, dynamodb.pid);
    const restartable = options.redisOutage ? await RestartableRedis.start() : null;
    const redisService = services.add(
      'Redis',
      restartable
        ? { endpoint: restartable.endpoint, pid: undefined, stop: () => restartable.stop() }
        : await resolveRedis(process.env.REDIS_URL),
    );
    options.onServiceStarted?.(
      redisService.pid || restartable ? 'private redis-server' : 'Redis (REDIS_URL)',
      redisService.endpoint,
      redisService.pid,
    );
    const sqsServer = await startFauxqs({ port: 0, logger: false });
    services.add('SQS emulator', { stop: () => sqsServer.stop() });
    const { queueUrl } = sqsServer.createQueue('usage-events-dlq');
    // Nothing gives up on a batch here: an empty queue, so that `batches replay` reads one as on AWS.
    const { queueUrl: failedBatchesQueueUrl } = sqsServer.createQueue('usage-events-failed-batches');
    const sink = services.add('event sink', await startEventSink(files));
    const archiveStream = services.add('archive delivery stream', await startArchiveFirehose(files.archive));
    const keyPrefix = process.env.REDIS_URL ? `local:${Date.now().toString(36)}:` : 'us:';

    Object.assign(process.env, {
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_TRACE_ENABLED: 'false',
      POWERTOOLS_LOG_LEVEL: options.logLevel,
      [ENV.ledgerTable]: TABLES.ledger,
      [ENV.outboxTable]: TABLES.outbox,
      [ENV.dynamodbEndpoint]: dynamodb.endpoint,
      [ENV.sqsEndpoint]: sqsServer.address,
      [ENV.eventBridgeEndpoint]: sink.endpoint,
      [ENV.firehoseEndpoint]: archiveStream.endpoint,
      [ENV.archiveDeliveryStream]: 'local-settlement-archive',
      [ENV.deadLetterQueueUrl]: queueUrl,
      [ENV.redisUrl]: redisService.endpoint,
      [ENV.redisKeyPrefix]: keyPrefix,
      [ENV.settlementTimeZone]: TIME_ZONE,
      [ENV.outboxGraceSeconds]: '5',
      [ENV.outboxBackoffBaseSeconds]: '1',
      [ENV.outboxBackoffCapSeconds]: '8',
      [ENV.outboxLeaseSeconds]: '5',
      // A local outage lasts seconds: try Redis again soon after it failed.
      [ENV.redisBreakerCooldownSeconds]: '2',
    });

    const client = new DynamoDBClient({
      endpoint: dynamodb.endpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    services.add('DynamoDB client', { stop: async () => client.destroy() });
    await createTables(client, TABLES);
    const doc = createDocumentClient({ endpoint: dynamodb.endpoint, region: LOCAL_REGION });

    const nowMs = Date.now();
    const demo = demoWorkload(options, nowMs);
    const familyInputs = options.familyList ?? demo.families;
    const store = new FamilyStore(doc, TABLES.ledger);
    const familyIds: number[] = [];
    for (const input of familyInputs) familyIds.push((await store.putFamily(input)).familyId);

    writeFileSync(files.families, `${JSON.stringify(familyInputs, null, 2)}\n`);

    const kafka: LocalKafka = await openLocalKafka({
      broker: options.kafka === true,
      usageEventsPartitions: options.partitions,
      register: (name, service) => services.add(name, service),
      onServiceStarted: options.onServiceStarted,
    });
    const timeline = options.eventLines ? timelineOfLines(options.eventLines) : demo.timeline;
    const usageCount = timeline.filter((e) => e.topic === USAGE_EVENTS_TOPIC).length;
    // The input as a file `--events-file` takes, to run it again or edit it.
    writeFileSync(files.events, timeline.map((e) => `${e.value ?? ''}\n`).join(''));

    const [{ handler: relay }, { handler: sweeper }, { handler: archiver }] = await Promise.all([
      import('../functions/outbox-relay/handler'),
      import('../functions/outbox-sweeper/handler'),
      import('../functions/settlement-archiver/handler'),
    ]);
    const stream = await openTableStream({ endpoint: dynamodb.endpoint, client, tableName: TABLES.outbox });
    services.add('stream reader', { stop: async () => stream.close() });
    const deliveryErrors: unknown[] = [];
    const delivery = services.add(
      'outbox delivery',
      startDeliveryLoop({
        stream,
        relay: relay as Parameters<typeof startDeliveryLoop>[0]['relay'],
        sweeper: sweeper as Parameters<typeof startDeliveryLoop>[0]['sweeper'],
        pollMs: 100,
        sweepEveryMs: 2_000,
        onError: (error) => deliveryErrors.push(error),
      }),
    );

    const ledgerStream = await openTableStream({
      endpoint: dynamodb.endpoint,
      client,
      tableName: TABLES.ledger,
    });
    services.add('ledger stream reader', { stop: async () => ledgerStream.close() });
    // The stream's second reader, as on AWS: the live usage snapshots onto usage-realtime.
    const snapshotStream = await openTableStream({
      endpoint: dynamodb.endpoint,
      client,
      tableName: TABLES.ledger,
    });
    services.add('snapshot stream reader', { stop: async () => snapshotStream.close() });
    const snapshotting = services.add(
      'usage snapshots',
      startStreamMapping({
        stream: snapshotStream,
        handler: await usageSnapshotsHandler(kafka),
        functionName: 'usage-snapshots',
        batchSize: 500,
        pollMs: 100,
        onError: (error) => deliveryErrors.push(error),
      }),
    );
    const archiving = services.add(
      'settlement archiver',
      startStreamMapping({
        stream: ledgerStream,
        handler: archiver as StreamHandler,
        functionName: 'settlement-archiver',
        batchSize: 1_000,
        pollMs: 200,
        onError: (error) => deliveryErrors.push(error),
      }),
    );

    const mappings = new Map<string, EventSourceMapping>();
    for (const route of MAPPINGS) {
      const handler = await route.handler();
      mappings.set(
        route.topic,
        await kafka.mapping(route, (event) => handler(event, localContext(route.functionName, 300_000)), {
          batchSize: options.batchSize,
        }),
      );
    }
    const usageEvents = mappings.get(USAGE_EVENTS_TOPIC) as EventSourceMapping;
    const outage = { killed: false, restarted: false };
    const onUsageProgress = (consumed: number) => {
      options.onProgress?.('settling events', consumed, usageCount);
      if (!restartable) return;
      // Between invocations, as a failover would: the batches in between are decided from DynamoDB alone.
      if (!outage.killed && consumed >= usageCount / 3) {
        outage.killed = true;
        outageTasks.push(restartable.kill());
        options.onNotice?.(`Redis outage: redis-server killed after ${consumed} usage events`);
      } else if (outage.killed && !outage.restarted && consumed >= (usageCount * 2) / 3) {
        outage.restarted = true;
        outageTasks.push(restartable.restart());
        options.onNotice?.(`Redis back, empty, after ${consumed} usage events`);
      }
    };
    const outageTasks: Array<Promise<void>> = [];
    const started = Date.now();
    // Each segment is consumed before the next is published, so a change takes effect where the
    // timeline puts it: consumed side by side, a change would race the usage around it, and one
    // seed would not give one summary.
    for (const segment of segmentsOf(timeline)) {
      await kafka.produce(segment.topic, segment.events);
      await Promise.all(
        [...mappings].map(([topic, mapping]) =>
          mapping.drain((consumed) => (topic === USAGE_EVENTS_TOPIC ? onUsageProgress(consumed) : undefined)),
        ),
      );
    }
    await Promise.all(outageTasks);
    await restartable?.restart();
    const seconds = (Date.now() - started) / 1000;

    const outbox = new DynamoOutboxStore(doc, TABLES.outbox);
    const redis = new Redis(redisService.endpoint);
    services.add('Redis client', { stop: async () => void (await redis.quit()) });
    const readers: StoreReaders = {
      doc,
      ledgerTable: TABLES.ledger,
      outbox,
      redis,
      keys: redisKeys(keyPrefix),
    };
    const letters: DeadLetter[] = [];
    /** The last summary stops the outbox delivery first: it reads the stores once nothing moves. */
    const summarize = async (last: boolean): Promise<Summary> => {
      const counts = await waitForNotifications(outbox, options);
      if (last) await delivery.stop();
      await archiving.drain();
      await snapshotting.drain();
      if (options.serve) {
        // The letters stay in the queue for `dlq list` and `dlq replay`: what it holds now is counted.
        letters.splice(0, letters.length, ...(await peekQueue(sqsServer.address, queueUrl)));
      } else {
        letters.push(...(await drainQueue(sqsServer.address, queueUrl)));
      }
      writeFileSync(
        files.deadLetters,
        letters.map((l) => JSON.stringify(l)).join('\n') + (letters.length ? '\n' : ''),
      );
      const current = periodOf(nowMs, TIME_ZONE);
      const periods = [shiftPeriod(current, -1), current];
      // The generated events fall on the day before the run: on the 1st of a month, in the previous period.
      const period = options.eventLines ? current : periodOf(demo.eventTimes.fromMs, TIME_ZONE);
      const records = await kafka.records(USAGE_EVENTS_TOPIC);
      const usageLetters = letters.filter((l) => l.record.topic === USAGE_EVENTS_TOPIC);
      // A fresh readers object: settlementsOf reads the ledger once per object.
      const classified = await classifyRecords({ ...readers }, records, usageLetters, familyIds, periods);
      const changeRecords = (
        await Promise.all([POLICY_UPDATED_TOPIC, FAMILY_UPDATED_TOPIC].map((t) => kafka.records(t)))
      ).flat();
      const config = await classifyChangeRecords(readers, changeRecords, letters, familyIds);
      const usage = await Promise.all(familyIds.map((id) => familyUsage(readers, id, period)));
      const snapshots = decodeSnapshots(await kafka.records(USAGE_REALTIME_TOPIC));
      const consistency = await checkConsistency(readers, familyIds, periods);
      if (deliveryErrors.length > 0) {
        consistency.differences.push(
          `${deliveryErrors.length} errors in the outbox delivery loop: ${describeError(deliveryErrors[0])}`,
        );
      }
      return {
        events: {
          received: records.length,
          settled: {
            total: Object.values(classified.byDecision).reduce((a, b) => a + b, 0),
            byDecision: classified.byDecision,
            byStore: classified.byStore,
          },
          corrected: classified.corrected,
          duplicates: classified.duplicates,
          rejected: {
            total: Object.values(classified.byReason).reduce((a, b) => a + b, 0),
            byReason: classified.byReason,
            file: files.deadLetters,
          },
          skipped: classified.skipped,
          lost: classified.lost,
        },
        config,
        notifications: {
          due: classified.notificationsDue + config.notificationsStaged,
          staged: counts.staged,
          sent: counts.sent,
          pending: counts.pending,
          failed: counts.failed,
          published: sink.published(),
          publishedByType: sink.byType(),
          file: files.notifications,
        },
        throughput: {
          seconds: Math.round(seconds * 100) / 100,
          eventsPerSecond: Math.round(usageCount / Math.max(seconds, 0.001)),
          invocations: usageEvents.stats.invocations,
          redeliveredRecords: usageEvents.stats.redeliveredRecords,
        },
        period: { id: period, unit: 'month', timeZone: TIME_ZONE },
        usageSnapshots: { published: snapshots.length, topic: USAGE_REALTIME_TOPIC },
        archive: { fates: archivedFates(files.archive), dir: files.archive },
        families: usage
          .sort((a, b) => b.usedBytes - a.usedBytes)
          .slice(0, options.top)
          .map((f) => ({ ...f, snapshots: snapshotsOfFamily(snapshots, f.familyId) })),
        consistency,
      };
    };

    if (options.keepRunning) {
      const keep = options.keepRunning;
      const summary = await summarize(false);
      let serving: Serving | undefined;
      if (options.serve) {
        const { handler: usageApi } = await import('../functions/usage-api/handler');
        const api = services.add('usage API', await startUsageApiServer(usageApi));
        const environment = {
          AWS_REGION: LOCAL_REGION,
          AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
          [ENV.dynamodbEndpoint]: dynamodb.endpoint,
          [ENV.sqsEndpoint]: sqsServer.address,
          [ENV.ledgerTable]: TABLES.ledger,
          [ENV.outboxTable]: TABLES.outbox,
          [ENV.deadLetterQueueUrl]: queueUrl,
          [FAILED_BATCHES_QUEUE]: failedBatchesQueueUrl,
          [ENV.redisUrl]: redisService.endpoint,
          [ENV.redisKeyPrefix]: keyPrefix,
          [ENV.settlementTimeZone]: TIME_ZONE,
          [ARCHIVE.dir]: files.archive,
        };
        writeFileSync(files.environment, exportLines(environment));
        serving = { apiUrl: api.url, environment, environmentFile: files.environment };
      }
      keep.onReady({ summary, bootstrap: kafka.bootstrap, familiesFile: files.families, serving });
      if (options.kafka) await consumeUntilAborted(mappings, keep);
      else await aborted(keep.signal);
    }
    return await summarize(true);
  } finally {
    await services.stopAll();
  }
}

async function waitForNotifications(outbox: DynamoOutboxStore, options: PipelineOptions) {
  const deadline = Date.now() + options.settleTimeoutMs;
  let counts = await outboxCounts(outbox);
  while (counts.pending > 0 && Date.now() < deadline) {
    options.onProgress?.('delivering notifications', counts.sent + counts.failed, counts.staged);
    await new Promise((r) => setTimeout(r, 500));
    counts = await outboxCounts(outbox);
  }
  return counts;
}

/** Every mapping keeps consuming; the counters are reported when they change. */
async function consumeUntilAborted(mappings: ReadonlyMap<string, EventSourceMapping>, keep: KeepRunning) {
  const errors: unknown[] = [];
  const running = [...mappings.values()].map((m) => m.run(keep.signal, (error) => errors.push(error)));
  const last = new Map<string, string>();
  while (!keep.signal.aborted) {
    await new Promise((r) => setTimeout(r, keep.countersEveryMs ?? 2_000));
    for (const [topic, mapping] of mappings) {
      const counters: LiveCounters = {
        topic,
        committed: mapping.stats.recordsCommitted,
        invocations: mapping.stats.invocations,
        redelivered: mapping.stats.redeliveredRecords,
        failedInvocations: mapping.stats.failedInvocations,
        lag: await mapping.pendingRecords().catch(() => -1),
      };
      const key = JSON.stringify(counters);
      if (key !== last.get(topic)) keep.onCounters(counters);
      last.set(topic, key);
    }
  }
  await Promise.all(running);
}

/** `export NAME=value` lines a POSIX shell reads back as they were (values single-quoted when needed). */
export function exportLines(environment: Readonly<Record<string, string>>): string {
  const quote = (v: string) => (/^[\w@%+=:,./-]+$/.test(v) ? v : `'${v.replaceAll("'", "'\\''")}'`);
  return Object.entries(environment)
    .map(([name, value]) => `export ${name}=${quote(value)}\n`)
    .join('');
}

const aborted = (signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });

/** The letters the queue holds, received and released again: nothing is deleted. */
async function peekQueue(endpoint: string, queueUrl: string): Promise<DeadLetter[]> {
  const sqs = new SQSClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  try {
    const reader = new DeadLetterReader(sqs, queueUrl);
    const received = await reader.receive({ max: 100_000, visibilitySeconds: 30 });
    await reader.release(received);
    return received.flatMap((r) => (r.letter ? [r.letter] : []));
  } finally {
    sqs.destroy();
  }
}

async function drainQueue(endpoint: string, queueUrl: string): Promise<DeadLetter[]> {
  const sqs = new SQSClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  try {
    return await drainDeadLetters(sqs, queueUrl);
  } finally {
    sqs.destroy();
  }
}
