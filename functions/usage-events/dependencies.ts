import { createDocumentClient } from '../adapters/dynamodb/client';
import { DynamoLedger } from '../adapters/dynamodb/ledger';
import type { RedisClient } from '../adapters/redis/client';
import { RedisUsageCache } from '../adapters/redis/usage-cache';
import { createSqsClient } from '../adapters/sqs/client';
import { SqsDeadLetterQueue } from '../adapters/sqs/dead-letter-queue';
import { systemClock } from '../core/ports';
import type { SettlementDeps, SettlementLog, SettlementSettings } from '../core/settle-batch';
import { type Config, ConfigError } from '../shared/config';
import { ENV } from '../shared/env';

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
  };
}

/** Builds the adapters settlement uses, once per container. */
export function createSettlementDeps(config: Config, redis: RedisClient, log: SettlementLog): SettlementDeps {
  if (!config.deadLetterQueueUrl) throw new ConfigError(`${ENV.deadLetterQueueUrl} is required`);
  return {
    cache: new RedisUsageCache(redis, {
      keyPrefix: config.redis.keyPrefix,
      timeZone: config.settlement.timeZone,
      dedupWindowSeconds: config.settlement.dedupWindowSeconds,
      membershipSeconds: config.cache.membershipSeconds,
      nonMemberSeconds: config.cache.nonMemberSeconds,
      policySeconds: config.cache.policySeconds,
    }),
    ledger: new DynamoLedger(createDocumentClient({ endpoint: config.endpoints.dynamodb }), config.tables),
    deadLetters: new SqsDeadLetterQueue(
      createSqsClient({ endpoint: config.endpoints.sqs }),
      config.deadLetterQueueUrl,
    ),
    clock: systemClock,
    settings: settlementSettings(config),
    log,
  };
}
