import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoChangeStore } from '../adapters/dynamodb/change-store';
import { createDocumentClient } from '../adapters/dynamodb/client';
import { DynamoHeldChanges } from '../adapters/dynamodb/held-changes';
import type { RedisClient } from '../adapters/redis/client';
import { RedisUsageCache } from '../adapters/redis/usage-cache';
import { createSqsClient } from '../adapters/sqs/client';
import { SqsDeadLetterQueue } from '../adapters/sqs/dead-letter-queue';
import type { ChangeBatchDeps } from '../core/changes/apply-batch';
import { systemClock } from '../core/ports';
import { usageCacheSettings } from '../runtime/cache-settings';
import { type Config, ConfigError } from '../runtime/config';
import { ENV } from '../runtime/env';

/** Builds the adapters family and policy changes use, once per container (a test may hand it the DynamoDB client). */
export function createChangeDeps(
  config: Config,
  redis: RedisClient,
  log: ChangeBatchDeps['log'],
  clients: { readonly doc?: DynamoDBDocumentClient } = {},
): ChangeBatchDeps {
  if (!config.deadLetterQueueUrl) throw new ConfigError(`${ENV.deadLetterQueueUrl} is required`);
  const doc = clients.doc ?? createDocumentClient({ endpoint: config.endpoints.dynamodb });
  return {
    store: new DynamoChangeStore(doc, config.tables),
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
