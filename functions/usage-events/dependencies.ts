import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoChangeStore } from '../adapters/dynamodb/change-store';
import { createDocumentClient } from '../adapters/dynamodb/client';
import { DynamoCorrectionStore } from '../adapters/dynamodb/correction-store';
import { RefreshingGlobalPolicy } from '../adapters/dynamodb/global-policy';
import { DynamoLedger } from '../adapters/dynamodb/ledger';
import type { RedisClient } from '../adapters/redis/client';
import { RedisUsageCache } from '../adapters/redis/usage-cache';
import { createSqsClient } from '../adapters/sqs/client';
import { SqsDeadLetterQueue } from '../adapters/sqs/dead-letter-queue';
import { RedisBreaker } from '../core/degraded/redis-breaker';
import { SettleLaneTwin } from '../core/degraded/settle-lane-twin';
import { systemClock } from '../core/ports';
import type { SettlementDeps, SettlementLog, SettlementSettings } from '../core/settlement/settle-batch';
import { usageCacheSettings } from '../runtime/cache-settings';
import { type Config, ConfigError } from '../runtime/config';
import { ENV } from '../runtime/env';

export function settlementSettings(config: Config): SettlementSettings {
  return {
    timeZone: config.settlement.timeZone,
    futureSkewMs: config.settlement.futureSkewMs,
    maxBytesPerEvent: config.settlement.maxBytesPerEvent,
    familyConcurrency: config.processing.familyConcurrency,
    retry: {
      maxAttempts: config.processing.retryMaxAttempts,
      baseDelayMs: config.processing.retryBaseDelayMs,
    },
    outboxGraceMs: config.outbox.graceMs,
    dedupWindowMs: config.settlement.dedupWindowSeconds * 1000,
    clockMarginMs: config.settlement.clockMarginMs,
  };
}

/** Builds the adapters settlement uses, once per container (a test may hand it the DynamoDB client). */
export function createSettlementDeps(
  config: Config,
  redis: RedisClient,
  log: SettlementLog,
  clients: { readonly doc?: DynamoDBDocumentClient } = {},
): SettlementDeps {
  if (!config.deadLetterQueueUrl) throw new ConfigError(`${ENV.deadLetterQueueUrl} is required`);
  const doc = clients.doc ?? createDocumentClient({ endpoint: config.endpoints.dynamodb });
  const changes = new DynamoChangeStore(doc, config.tables);
  return {
    cache: new RedisUsageCache(redis, usageCacheSettings(config)),
    ledger: new DynamoLedger(doc, config.tables, {
      retry: settlementSettings(config).retry,
      concurrency: config.processing.familyConcurrency,
      fateRetentionDays: config.settlement.fateRetentionDays,
    }),
    corrections: new DynamoCorrectionStore(doc, config.tables, config.settlement.fateRetentionDays),
    deadLetters: new SqsDeadLetterQueue(
      createSqsClient({ endpoint: config.endpoints.sqs }),
      config.deadLetterQueueUrl,
    ),
    globalPolicy: new RefreshingGlobalPolicy(changes, config.settlement.globalPolicyRefreshMs, systemClock),
    globalChanges: {
      store: changes,
      clock: systemClock,
      settings: {
        timeZone: config.settlement.timeZone,
        futureSkewMs: config.settlement.futureSkewMs,
        outboxGraceMs: config.outbox.graceMs,
      },
    },
    ...(config.processing.degradedMode
      ? {
          degradation: {
            breaker: new RedisBreaker(config.processing.redisBreaker, systemClock),
            inMemory: () => new SettleLaneTwin(),
          },
        }
      : {}),
    clock: systemClock,
    settings: settlementSettings(config),
    log,
  };
}
