import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../functions/adapters/dynamodb/client';
import { createTables } from '../functions/adapters/dynamodb/create-tables';
import { FamilyStore } from '../functions/adapters/dynamodb/family-store';
import { tableDefinitions } from '../functions/adapters/dynamodb/table-definitions';
import { createRedisClient, type RedisClient } from '../functions/adapters/redis/client';
import { forEachConcurrently } from '../functions/core/concurrency';
import { type Config, loadConfig } from '../functions/runtime/config';
import { ENV } from '../functions/runtime/env';
import { LOCAL_REGION, type LocalService } from '../local/services/dynamodb-local';
import { startPrivateRedis } from '../local/services/redis-server';
import type { WorkloadFamily } from '../local/workload/generate';
import { DelayLine } from './delay-line';
import { DynamoMeter } from './dynamodb-meter';
import { RedisLatencyProxy } from './redis-latency-proxy';
import { RedisWriteCounter } from './redis-write-counter';
import type { SharedServices } from './services';

export interface Latency {
  readonly dynamodbMs: number;
  readonly redisMs: number;
}

/** A run's own stores: fresh tables, a private Redis behind the latency proxy, a fresh dead-letter queue. */
export interface RunStores {
  readonly tables: { readonly ledger: string; readonly outbox: string };
  readonly config: Config;
  /** The handler's Redis client, connected through the proxy. */
  readonly redis: RedisClient;
  readonly proxy: RedisLatencyProxy;
  /** Round trips of the handler's Redis client (socket writes). */
  readonly redisWrites: RedisWriteCounter;
  /** The handler's document client, metered and delayed. */
  readonly doc: DynamoDBDocumentClient;
  readonly meter: DynamoMeter;
  readonly queueUrl: string;
  /** The private redis-server itself, not through the proxy: for memory readings. */
  readonly redisEndpoint: string;
  /** The private redis-server's process, for its CPU time. */
  readonly redisPid: number | undefined;
  stop(): Promise<void>;
}

/** Tables a run uses as they are (seeded once for several runs), instead of fresh ones seeded with `families`. */
export interface SharedTables {
  readonly shared: { readonly ledger: string; readonly outbox: string };
}

const SEED_CONCURRENCY = 8;

export async function openRunStores(
  shared: SharedServices,
  label: string,
  latency: Latency,
  families: ReadonlyArray<WorkloadFamily> | SharedTables,
): Promise<RunStores> {
  const stoppers: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    for (const s of stoppers.reverse()) await s().catch(() => undefined);
    stoppers.length = 0;
  };
  try {
    const tables =
      'shared' in families
        ? families.shared
        : { ledger: `bench-${label}-ledger`, outbox: `bench-${label}-outbox` };
    if (!('shared' in families)) {
      stoppers.push(async () => {
        for (const TableName of Object.values(tables)) {
          await shared.admin.send(new DeleteTableCommand({ TableName })).catch(() => undefined);
        }
      });
      // Nothing reads these tables' streams, and DynamoDB Local's stream slows every write as it grows.
      await createTables(shared.admin, tables, { streams: false });
      const familyStore = new FamilyStore(shared.adminDoc, tables.ledger);
      await forEachConcurrently([...families], SEED_CONCURRENCY, async (family) => {
        await familyStore.putFamily(family);
      });
    }

    const redisServer: LocalService = await startPrivateRedis();
    stoppers.push(() => redisServer.stop());
    const proxy = await RedisLatencyProxy.start(redisServer.endpoint, latency.redisMs);
    stoppers.push(() => proxy.stop());
    const { queueUrl } = shared.sqs.createQueue(`bench-${label}-dlq`);

    const config = loadConfig({
      ...process.env,
      [ENV.ledgerTable]: tables.ledger,
      [ENV.outboxTable]: tables.outbox,
      [ENV.dynamodbEndpoint]: shared.dynamodb.endpoint,
      [ENV.sqsEndpoint]: shared.sqs.address,
      [ENV.deadLetterQueueUrl]: queueUrl,
      [ENV.redisUrl]: proxy.url,
      [ENV.redisCluster]: 'false',
    });
    const redis = createRedisClient({ url: proxy.url, cluster: false });
    stoppers.push(async () => redis.disconnect());
    const redisWrites = new RedisWriteCounter(redis);
    const doc = createDocumentClient({ endpoint: shared.dynamodb.endpoint, region: LOCAL_REGION });
    const meter = new DynamoMeter(new DelayLine(latency.dynamodbMs), tableDefinitions(tables));
    meter.attach(doc);
    stoppers.push(async () => doc.destroy());
    return {
      tables,
      config,
      redis,
      proxy,
      redisWrites,
      doc,
      meter,
      queueUrl,
      redisEndpoint: redisServer.endpoint,
      redisPid: redisServer.pid,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
