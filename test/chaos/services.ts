import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startFauxqs } from 'fauxqs';
import { Redis } from 'ioredis';
import { createDocumentClient } from '../../functions/adapters/dynamodb/client';
import { createTables } from '../../functions/adapters/dynamodb/create-tables';
import { createRedisClient } from '../../functions/adapters/redis/client';
import { loadConfig } from '../../functions/runtime/config';
import { ENV } from '../../functions/runtime/env';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/services/dynamodb-local';
import { RestartableRedis } from '../../local/services/redis-server';
import type { seededRandom } from '../../local/workload/random';
import { startPutEventsFake } from '../helpers/put-events-fake';
import { injectDynamoFaults } from './dynamodb-faults';
import type { Scenario } from './scenarios';

/** What a chaos run stops when it ends, last started first. */
export type Stoppers = Array<() => Promise<unknown>>;

/**
 * The services of one chaos run: fresh tables in DynamoDB Local, a private
 * Redis (it may be flushed or killed), an SQS emulator for the dead letters,
 * a PutEvents fake for the bus, and the functions' configuration pointing
 * at them. The functions' DynamoDB client carries the scenario's faults.
 */
export async function startChaosServices(
  scenario: Scenario,
  dynamodbEndpoint: string,
  random: ReturnType<typeof seededRandom>,
  stoppers: Stoppers,
  onDynamoFault: () => void,
) {
  const suffix = `${Date.now().toString(36)}${random.int(0, 1e6)}`;
  const tables = { ledger: `chaos-ledger-${suffix}`, outbox: `chaos-outbox-${suffix}` };
  const client = new DynamoDBClient({
    endpoint: dynamodbEndpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  stoppers.push(async () => client.destroy());
  await createTables(client, tables);

  const redisServer = await RestartableRedis.start();
  stoppers.push(() => redisServer.stop());
  const sqsServer = await startFauxqs({ port: 0, logger: false });
  stoppers.push(() => sqsServer.stop());
  const { queueUrl } = sqsServer.createQueue('chaos-dlq');
  const bus = await startPutEventsFake();
  stoppers.push(() => bus.stop());

  const config = loadConfig({
    [ENV.ledgerTable]: tables.ledger,
    [ENV.outboxTable]: tables.outbox,
    [ENV.dynamodbEndpoint]: dynamodbEndpoint,
    [ENV.sqsEndpoint]: sqsServer.address,
    [ENV.eventBridgeEndpoint]: bus.endpoint,
    [ENV.deadLetterQueueUrl]: queueUrl,
    [ENV.redisUrl]: redisServer.endpoint,
    [ENV.retryBaseDelayMs]: '5',
    [ENV.retryMaxAttempts]: '4',
    [ENV.redisBreakerFailures]: '2',
    [ENV.redisBreakerCooldownSeconds]: '1',
    [ENV.outboxGraceSeconds]: '1',
    [ENV.outboxLeaseSeconds]: '2',
    [ENV.outboxBackoffBaseSeconds]: '1',
    [ENV.outboxBackoffCapSeconds]: '4',
    [ENV.outboxMaxAttempts]: '12',
    ...scenario.config,
  });

  const redis = createRedisClient({ url: redisServer.endpoint, cluster: false });
  const admin = new Redis(redisServer.endpoint, { maxRetriesPerRequest: 1 });
  admin.on('error', () => undefined);
  stoppers.push(async () => {
    redis.disconnect();
    admin.disconnect();
  });
  // The functions' client, with the scenario's faults; the checks read through a plain one.
  const doc = createDocumentClient({ endpoint: dynamodbEndpoint, region: LOCAL_REGION });
  for (const kind of scenario.dynamo?.faults ?? []) {
    const share = (scenario.dynamo?.probability ?? 0) / (scenario.dynamo?.faults.length ?? 1);
    injectDynamoFaults(doc, kind, share, random, onDynamoFault);
  }
  const plainDoc = createDocumentClient({ endpoint: dynamodbEndpoint, region: LOCAL_REGION });
  return { tables, client, config, redisServer, redis, admin, doc, plainDoc, sqsServer, queueUrl, bus };
}

export type ChaosServices = Awaited<ReturnType<typeof startChaosServices>>;
