import { SQSClient } from '@aws-sdk/client-sqs';
import { GetCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { startFauxqs } from 'fauxqs';
import { FamilyStore } from '../../functions/adapters/dynamodb/family-store';
import { DynamoLedger } from '../../functions/adapters/dynamodb/ledger';
import { ledgerKeys } from '../../functions/adapters/dynamodb/ledger-keys';
import type { RedisUsageCache } from '../../functions/adapters/redis/usage-cache';
import { drainDeadLetters } from '../../functions/adapters/sqs/dead-letter-drain';
import { createChangeEventsHandler } from '../../functions/change-events/change-events-handler';
import { createChangeDeps } from '../../functions/change-events/dependencies';
import type { ChangeBatchDeps } from '../../functions/core/changes/apply-batch';
import type { MskEvent } from '../../functions/core/kafka-record';
import type { DeadLetter } from '../../functions/core/ports';
import type { SettlementDeps } from '../../functions/core/settlement/settle-batch';
import { loadConfig } from '../../functions/runtime/config';
import { ENV } from '../../functions/runtime/env';
import { createObservability } from '../../functions/runtime/observability';
import { createSettlementDeps } from '../../functions/usage-events/dependencies';
import {
  createUsageEventsHandler,
  type UsageEventsOptions,
} from '../../functions/usage-events/usage-events-handler';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/services/dynamodb-local';
import { settlementsOf } from '../../local/summary';
import { createTestTables } from './local-aws';
import { testRedis } from './local-redis';
import { changeRecord, mskEvent } from './msk';

export const lambdaContext = (): Context =>
  ({
    functionName: 'usage-events',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:ap-northeast-2:123456789012:function:usage-events',
    memoryLimitInMB: '1024',
    awsRequestId: `req-${Math.random().toString(36).slice(2)}`,
    logGroupName: 'test',
    logStreamName: 'test',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  }) as Context;

/**
 * Everything the usage-events handler talks to, for real: tables in DynamoDB
 * Local, a key prefix in the test Redis, and a dead-letter queue in an SQS
 * emulator. `wrap` lets a test put a fault in front of an adapter.
 */
export async function startSettlementEnv(label: string) {
  const tables = await createTestTables(label);
  const redis = testRedis(label);
  const sqsServer = await startFauxqs({ port: 0, logger: false });
  const { queueUrl } = sqsServer.createQueue(`${label}-dlq`);
  const environment: Record<string, string> = {
    [ENV.ledgerTable]: tables.names.ledger,
    [ENV.outboxTable]: tables.names.outbox,
    [ENV.dynamodbEndpoint]: tables.endpoint,
    [ENV.sqsEndpoint]: sqsServer.address,
    [ENV.deadLetterQueueUrl]: queueUrl,
    [ENV.redisUrl]: redis.url,
    [ENV.redisKeyPrefix]: redis.prefix,
    [ENV.retryBaseDelayMs]: '5',
    [ENV.outboxGraceSeconds]: '0',
    [ENV.globalPolicyRefreshSeconds]: '0',
  };
  const config = loadConfig(environment);
  const observability = createObservability(label);
  const baseDeps = createSettlementDeps(config, redis.redis, observability.logger);
  const sqs = new SQSClient({
    endpoint: sqsServer.address,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  const families = new FamilyStore(tables.doc, tables.names.ledger);
  const ledger = new DynamoLedger(tables.doc, tables.names);

  const handlerWith = (deps: SettlementDeps, options?: UsageEventsOptions) => {
    const handler = createUsageEventsHandler(deps, observability, options);
    return (event: MskEvent) => handler(event, lambdaContext());
  };
  const changeDeps = createChangeDeps(config, redis.redis, observability.logger);
  const changeHandlerWith = (deps: ChangeBatchDeps) => {
    const handler = createChangeEventsHandler(deps, observability);
    return (event: MskEvent) => handler(event, lambdaContext());
  };
  const applyChange = changeHandlerWith(changeDeps);

  return {
    config,
    /** The variables the handler was configured from: a handler in another process reads the same stores. */
    environment,
    tables,
    redis,
    families,
    deps: baseDeps,
    cache: baseDeps.cache as RedisUsageCache,
    invoke: handlerWith(baseDeps),
    handlerWith,
    changeDeps,
    /** The change-events function: policy-updated and family-updated records. */
    applyChange,
    /** The change-events function on one batch of these policy or family events. */
    applyChanges: (...events: Parameters<typeof changeRecord>[0][]) =>
      applyChange(mskEvent(events.map((e) => changeRecord(e)))),
    changeHandlerWith,
    drainDeadLetters(): Promise<DeadLetter[]> {
      return drainDeadLetters(sqs, queueUrl);
    },
    async usage(familyId: number, period: string) {
      const { Item } = await tables.doc.send(
        new GetCommand({ TableName: tables.names.ledger, Key: ledgerKeys.familyPeriod(familyId, period) }),
      );
      return Number(Item?.usedBytes ?? 0);
    },
    async memberUsage(familyId: number, period: string, customerId: number) {
      return (await ledger.periodUsage(familyId, period)).members.get(customerId);
    },
    /** The family's notifications still waiting for the relay, oldest first. */
    async pendingNotifications(familyId: number) {
      const { Items = [] } = await tables.doc.send(
        new QueryCommand({
          TableName: tables.names.outbox,
          IndexName: 'status-nextAttemptAt',
          KeyConditionExpression: '#s = :s',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':s': 'PUBLISH_PENDING' },
        }),
      );
      return Items.filter((i) => i.familyId === familyId).sort(
        (a, b) => Number(a.createdAt) - Number(b.createdAt),
      );
    },
    /** The family's correction records, by the correction's eventId. */
    async corrections(familyId: number) {
      const { Items = [] } = await tables.doc.send(
        new ScanCommand({
          TableName: tables.names.ledger,
          FilterExpression: '#type = :c AND familyId = :f',
          ExpressionAttributeNames: { '#type': 'type' },
          ExpressionAttributeValues: { ':c': 'CORRECTION', ':f': familyId },
          ConsistentRead: true,
        }),
      );
      return new Map(Items.map((i) => [String(i.eventId), i]));
    },
    settlements(familyId: number, period: string) {
      return settlementsOf({ doc: tables.doc, ledgerTable: tables.names.ledger }, familyId, period);
    },
    /** The period state's fields, without its incarnation (random each time the state is loaded) and commit stamp (a time). */
    async redisPeriod(familyId: number, period: string) {
      const {
        i: _incarnation,
        t: _stamp,
        ...fields
      } = await redis.redis.hgetall((baseDeps.cache as RedisUsageCache).keys.period(familyId, period));
      return fields;
    },
    async stop() {
      sqs.destroy();
      await sqsServer.stop();
      await redis.cleanup();
    },
  };
}

export type SettlementEnv = Awaited<ReturnType<typeof startSettlementEnv>>;
