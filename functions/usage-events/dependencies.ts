import { createDocumentClient } from '../adapters/dynamodb/client';
import { DynamoConfigStore } from '../adapters/dynamodb/config-store';
import { RefreshingGlobalPolicy } from '../adapters/dynamodb/global-policy';
import { DynamoLedger } from '../adapters/dynamodb/ledger';
import { MemoryUsageCache } from '../adapters/memory/memory-usage-cache';
import type { RedisClient } from '../adapters/redis/client';
import { RedisUsageCache, type UsageCacheSettings } from '../adapters/redis/usage-cache';
import { createSqsClient } from '../adapters/sqs/client';
import { SqsDeadLetterQueue } from '../adapters/sqs/dead-letter-queue';
import { systemClock } from '../core/ports';
import { RedisBreaker } from '../core/redis-breaker';
import type { SettlementDeps, SettlementLog, SettlementSettings } from '../core/settle-batch';
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

export function usageCacheSettings(config: Config): UsageCacheSettings {
  return {
    keyPrefix: config.redis.keyPrefix,
    timeZone: config.settlement.timeZone,
    dedupWindowSeconds: config.settlement.dedupWindowSeconds,
  };
}

/** Builds the adapters settlement uses, once per container. */
export function createSettlementDeps(config: Config, redis: RedisClient, log: SettlementLog): SettlementDeps {
  if (!config.deadLetterQueueUrl) throw new ConfigError(`${ENV.deadLetterQueueUrl} is required`);
  const doc = createDocumentClient({ endpoint: config.endpoints.dynamodb });
  return {
    cache: new RedisUsageCache(redis, usageCacheSettings(config)),
    ledger: new DynamoLedger(doc, config.tables, {
      retry: settlementSettings(config).retry,
      concurrency: config.processing.familyConcurrency,
      fateRetentionDays: config.settlement.fateRetentionDays,
    }),
    deadLetters: new SqsDeadLetterQueue(
      createSqsClient({ endpoint: config.endpoints.sqs }),
      config.deadLetterQueueUrl,
    ),
    globalPolicy: new RefreshingGlobalPolicy(
      new DynamoConfigStore(doc, config.tables),
      config.settlement.globalPolicyRefreshMs,
      systemClock,
    ),
    ...(config.processing.degradedMode
      ? {
          degradation: {
            breaker: new RedisBreaker(config.processing.redisBreaker, systemClock),
            inMemory: () => new MemoryUsageCache(),
          },
        }
      : {}),
    clock: systemClock,
    settings: settlementSettings(config),
    log,
  };
}
