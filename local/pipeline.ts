import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { startFauxqs } from 'fauxqs';
import { Redis } from 'ioredis';
import { createDocumentClient } from '../functions/adapters/dynamodb/client';
import { createTables } from '../functions/adapters/dynamodb/create-tables';
import { FamilyStore } from '../functions/adapters/dynamodb/family-store';
import { DynamoOutboxStore } from '../functions/adapters/dynamodb/outbox-store';
import { redisKeys } from '../functions/adapters/redis/keys';
import { drainDeadLetters } from '../functions/adapters/sqs/dead-letter-drain';
import { describeError } from '../functions/core/errors';
import type { Family } from '../functions/core/family';
import type { MskRecord } from '../functions/core/kafka-record';
import type { DeadLetter } from '../functions/core/ports';
import { periodOf, shiftPeriod } from '../functions/core/time';
import { ENV } from '../functions/shared/env';
import { SimulatedEventSourceMapping, SimulatedTopic } from './kafka/esm-simulator';
import { localContext, startDeliveryLoop } from './outbox/delivery-loop';
import { openTableStream } from './outbox/stream-reader';
import {
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  type LocalService,
  startDynamoDbLocal,
} from './services/dynamodb-local';
import { startEventSink } from './services/event-sink';
import { resolveRedis } from './services/redis-server';
import {
  checkConsistency,
  classifyRecords,
  familyUsage,
  outboxCounts,
  type StoreReaders,
  type Summary,
} from './summary';
import { DEMO_WORKLOAD, type GeneratedEvent, generateWorkload } from './workload/generate';

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
  readonly onProgress?: (phase: string, done: number, total: number) => void;
  readonly onServiceStarted?: (name: string, endpoint: string, pid: number | undefined) => void;
}

const TABLES = { ledger: 'local-ledger', outbox: 'local-outbox' };
const TOPIC = 'usage-events';
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

/** Keyed by familyId as producers key them; a line that is not JSON gets a null key. */
function keyedEvents(lines: ReadonlyArray<string>): GeneratedEvent[] {
  return lines.map((line) => {
    let key: string | null = null;
    try {
      const familyId = (JSON.parse(line) as { payload?: { familyId?: unknown } }).payload?.familyId;
      key = familyId === undefined ? null : String(familyId);
    } catch {
      key = null;
    }
    return { key, value: line, kind: 'usage' as const };
  });
}

/**
 * The whole product on one machine: DynamoDB Local, Redis, an SQS emulator
 * for the dead-letter queue and a PutEvents sink, driven by a faithful
 * simulation of the MSK and DynamoDB-stream event source mappings that
 * invoke the real handler modules.
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
  };
  writeFileSync(files.notifications, '');
  try {
    options.onProgress?.('starting services', 0, 1);
    const dynamodb: LocalService = services.add('DynamoDB Local', await startDynamoDbLocal());
    options.onServiceStarted?.('DynamoDB Local', dynamodb.endpoint, dynamodb.pid);
    const redisService = services.add('Redis', await resolveRedis(process.env.REDIS_URL));
    options.onServiceStarted?.(
      redisService.pid ? 'private redis-server' : 'Redis (REDIS_URL)',
      redisService.endpoint,
      redisService.pid,
    );
    const sqsServer = await startFauxqs({ port: 0, logger: false });
    services.add('SQS emulator', { stop: () => sqsServer.stop() });
    const { queueUrl } = sqsServer.createQueue('usage-events-dlq');
    const sink = services.add('event sink', await startEventSink(files.notifications));
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
      [ENV.deadLetterQueueUrl]: queueUrl,
      [ENV.redisUrl]: redisService.endpoint,
      [ENV.redisKeyPrefix]: keyPrefix,
      [ENV.settlementTimeZone]: TIME_ZONE,
      [ENV.outboxGraceSeconds]: '5',
      [ENV.outboxBackoffBaseSeconds]: '1',
      [ENV.outboxBackoffCapSeconds]: '8',
      [ENV.outboxLeaseSeconds]: '5',
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
    const generated = generateWorkload({
      ...DEMO_WORKLOAD,
      seed: options.seed,
      families: options.families,
      events: options.events,
      nowMs,
    });
    const familyInputs = options.familyList ?? generated.families;
    const store = new FamilyStore(doc, TABLES.ledger);
    const familyIds: number[] = [];
    for (const input of familyInputs) familyIds.push((await store.putFamily(input)).familyId);

    const topic = new SimulatedTopic(TOPIC, options.partitions);
    const events = options.eventLines ? keyedEvents(options.eventLines) : generated.events;
    for (const e of events) topic.produce(e.key, e.value);

    const [{ handler: usageEvents }, { handler: relay }, { handler: sweeper }] = await Promise.all([
      import('../functions/usage-events/handler'),
      import('../functions/outbox-relay/handler'),
      import('../functions/outbox-sweeper/handler'),
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

    const mapping = new SimulatedEventSourceMapping(
      topic,
      (event) => usageEvents(event, localContext('usage-events', 300_000)),
      { batchSize: options.batchSize },
    );
    const started = Date.now();
    await mapping.drain((consumed) => options.onProgress?.('settling events', consumed, topic.size()));
    const seconds = (Date.now() - started) / 1000;

    const outbox = new DynamoOutboxStore(doc, TABLES.outbox);
    const deadline = Date.now() + options.settleTimeoutMs;
    let counts = await outboxCounts(outbox);
    while (counts.pending > 0 && Date.now() < deadline) {
      options.onProgress?.('delivering notifications', counts.sent + counts.failed, counts.staged);
      await new Promise((r) => setTimeout(r, 500));
      counts = await outboxCounts(outbox);
    }
    await delivery.stop();

    const letters = await drainQueue(sqsServer.address, queueUrl);
    writeFileSync(
      files.deadLetters,
      letters.map((l) => JSON.stringify(l)).join('\n') + (letters.length ? '\n' : ''),
    );

    const redis = new Redis(redisService.endpoint);
    services.add('Redis client', { stop: async () => void (await redis.quit()) });
    const readers: StoreReaders = {
      doc,
      ledgerTable: TABLES.ledger,
      outbox,
      redis,
      keys: redisKeys(keyPrefix),
    };
    const period = periodOf(nowMs, TIME_ZONE);
    const periods = [shiftPeriod(period, -1), period];
    const records = topic.logs.flat() as MskRecord[];
    const classified = await classifyRecords(readers, records, letters, familyIds, periods);
    const usage = await Promise.all(familyIds.map((id) => familyUsage(readers, id, period)));
    const consistency = await checkConsistency(readers, familyIds, periods);
    const settledTotal = Object.values(classified.byDecision).reduce((a, b) => a + b, 0);
    const rejectedTotal = Object.values(classified.byReason).reduce((a, b) => a + b, 0);
    if (deliveryErrors.length > 0) {
      consistency.differences.push(
        `${deliveryErrors.length} errors in the outbox delivery loop: ${describeError(deliveryErrors[0])}`,
      );
    }

    return {
      events: {
        received: records.length,
        settled: { total: settledTotal, byDecision: classified.byDecision },
        duplicates: classified.duplicates,
        rejected: { total: rejectedTotal, byReason: classified.byReason, file: files.deadLetters },
        skipped: classified.skipped,
        lost: classified.lost,
      },
      notifications: {
        due: classified.notificationsDue,
        staged: counts.staged,
        sent: counts.sent,
        pending: counts.pending,
        failed: counts.failed,
        published: sink.published(),
        file: files.notifications,
      },
      throughput: {
        seconds: Math.round(seconds * 100) / 100,
        eventsPerSecond: Math.round(records.length / Math.max(seconds, 0.001)),
        invocations: mapping.stats.invocations,
        redeliveredRecords: mapping.stats.redeliveredRecords,
      },
      period: { id: period, unit: 'month', timeZone: TIME_ZONE },
      families: usage.sort((a, b) => b.usedBytes - a.usedBytes).slice(0, options.top),
      consistency,
    };
  } finally {
    await services.stopAll();
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
