import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../adapters/dynamodb/client';
import { DynamoConfigStore } from '../adapters/dynamodb/config-store';
import { DynamoHeldChanges } from '../adapters/dynamodb/held-changes';
import type { RedisClient } from '../adapters/redis/client';
import { RedisUsageCache } from '../adapters/redis/usage-cache';
import { createSqsClient } from '../adapters/sqs/client';
import { SqsDeadLetterQueue } from '../adapters/sqs/dead-letter-queue';
import type { ConfigBatchDeps } from '../core/config/apply-batch';
import { systemClock } from '../core/ports';
import { type Config, ConfigError } from '../runtime/config';
import { ENV } from '../runtime/env';
import { usageCacheSettings } from '../usage-events/dependencies';

/** Builds the adapters family and policy changes use, once per container (a test may hand it the DynamoDB client). */
export function createConfigDeps(
  config: Config,
  redis: RedisClient,
  log: ConfigBatchDeps['log'],
  clients: { readonly doc?: DynamoDBDocumentClient } = {},
): ConfigBatchDeps {
  if (!config.deadLetterQueueUrl) throw new ConfigError(`${ENV.deadLetterQueueUrl} is required`);
  const doc = clients.doc ?? createDocumentClient({ endpoint: config.endpoints.dynamodb });
  return {
    store: new DynamoConfigStore(doc, config.tables),
    held: new DynamoHeldChanges(doc, config.tables.ledger),
    hold: config.heldChanges,
    cache: new RedisUsageCache(redis, usageCacheSettings(config)),
    deadLetters: new SqsDeadLetterQueue(
      createSqsClient({ endpoint: config.endpoints.sqs }),
      config.deadLetterQueueUrl,
    ),
    clock: systemClock,
    settings: {
      timeZone: config.settlement.timeZone,
      futureSkewMs: config.settlement.futureSkewMs,
      outboxGraceMs: config.outbox.graceMs,
    },
    maxBytesPerEvent: config.settlement.maxBytesPerEvent,
    familyConcurrency: config.processing.familyConcurrency,
    retry: {
      maxAttempts: config.processing.retryMaxAttempts,
      baseDelayMs: config.processing.retryBaseDelayMs,
    },
    log,
  };
}
