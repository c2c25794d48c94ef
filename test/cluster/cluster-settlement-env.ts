import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { startFauxqs } from 'fauxqs';
import { FamilyStore } from '../../functions/adapters/dynamodb/family-store';
import { ledgerKeys } from '../../functions/adapters/dynamodb/ledger-keys';
import { readPeriodUsage } from '../../functions/adapters/dynamodb/period-usage';
import type { RedisUsageCache } from '../../functions/adapters/redis/usage-cache';
import type { MskEvent } from '../../functions/core/kafka-record';
import { loadConfig } from '../../functions/runtime/config';
import { ENV } from '../../functions/runtime/env';
import { createObservability } from '../../functions/runtime/observability';
import { connectRedis } from '../../functions/runtime/redis-connection';
import { createSettlementDeps } from '../../functions/usage-events/dependencies';
import { createUsageEventsHandler } from '../../functions/usage-events/usage-events-handler';
import { settlementsOf } from '../../local/summary';
import { createTestTables, type TestTables } from '../helpers/local-aws';
import { lambdaContext } from '../helpers/settlement-env';
import { startClusterEnv } from './cluster-env';

function ledgerQueries({ doc, names }: TestTables) {
  return {
    async usage(familyId: number, period: string): Promise<number> {
      const { Item } = await doc.send(
        new GetCommand({ TableName: names.ledger, Key: ledgerKeys.familyPeriod(familyId, period) }),
      );
      return Number(Item?.usedBytes ?? 0);
    },
    async memberUsage(familyId: number, period: string, customerId: number): Promise<number> {
      const { Item } = await doc.send(
        new GetCommand({ TableName: names.ledger, Key: ledgerKeys.familyPeriod(familyId, period) }),
      );
      return readPeriodUsage(familyId, period, Item).members.get(customerId)?.usedBytes ?? 0;
    },
    settlements(familyId: number, period: string) {
      return settlementsOf({ doc: doc, ledgerTable: names.ledger }, familyId, period);
    },
  };
}

/**
 * The real usage-events handler wired exactly as in Lambda (loadConfig with
 * REDIS_CLUSTER=true, connectRedis, createSettlementDeps) against the test
 * Redis Cluster, fresh DynamoDB Local tables and an SQS emulator for the
 * dead-letter queue.
 */
export async function startClusterSettlementEnv(label: string) {
  const cluster = await startClusterEnv(label);
  const tables = await createTestTables(label);
  const sqsServer = await startFauxqs({ port: 0, logger: false });
  const { queueUrl } = sqsServer.createQueue(`${label}-dlq`);
  const config = loadConfig({
    [ENV.ledgerTable]: tables.names.ledger,
    [ENV.outboxTable]: tables.names.outbox,
    [ENV.dynamodbEndpoint]: tables.endpoint,
    [ENV.sqsEndpoint]: sqsServer.address,
    [ENV.deadLetterQueueUrl]: queueUrl,
    [ENV.redisUrl]: cluster.server.seedUrl,
    [ENV.redisCluster]: 'true',
    [ENV.redisKeyPrefix]: cluster.prefix,
    [ENV.retryBaseDelayMs]: '5',
    [ENV.outboxGraceSeconds]: '0',
  });
  const connectionErrors: Error[] = [];
  // No REDIS_AUTH_SECRET_ARN: the local cluster has no auth token.
  const redis = await connectRedis(config, (e) => connectionErrors.push(e), {});
  const observability = createObservability(label);
  const deps = createSettlementDeps(config, redis, observability.logger);
  const handler = createUsageEventsHandler(deps, observability);
  const cache = deps.cache as RedisUsageCache;

  return {
    config,
    cluster,
    cache,
    connectionErrors,
    families: new FamilyStore(tables.doc, tables.names.ledger),
    ledger: ledgerQueries(tables),
    invoke: (event: MskEvent) => handler(event, lambdaContext()),
    /** The period state's fields, without its incarnation (random each time the state is loaded) and commit stamp (a time). */
    async redisPeriod(familyId: number, period: string) {
      const {
        i: _incarnation,
        t: _stamp,
        ...fields
      } = await redis.hgetall(cache.keys.period(familyId, period));
      return fields;
    },
    async stop() {
      await redis.quit();
      await sqsServer.stop();
      await cluster.cleanup();
    },
  };
}

export type ClusterSettlementEnv = Awaited<ReturnType<typeof startClusterSettlementEnv>>;
