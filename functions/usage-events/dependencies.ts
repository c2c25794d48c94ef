import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../adapters/dynamodb/client';
import { DynamoCommittedStateReader } from '../adapters/dynamodb/committed-state-reader';
import { DynamoConfigStore } from '../adapters/dynamodb/config-store';
import { RefreshingGlobalPolicy } from '../adapters/dynamodb/global-policy';
import { DynamoLedger } from '../adapters/dynamodb/ledger';
import { createEventBridgeClient } from '../adapters/eventbridge/client';
import { EventBridgeSnapshotPublisher } from '../adapters/eventbridge/snapshot-publisher';
import { MemoryUsageCache } from '../adapters/memory/memory-usage-cache';
import type { RedisClient } from '../adapters/redis/client';
import { RedisUsageCache, type UsageCacheSettings } from '../adapters/redis/usage-cache';
import { createSqsClient } from '../adapters/sqs/client';
import { SqsDeadLetterQueue } from '../adapters/sqs/dead-letter-queue';
import { systemClock } from '../core/ports';
import type { SnapshotDeps } from '../core/publish-snapshots';
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

/** The longest the snapshot path may add to an invocation; a slower bus costs snapshots, never settlement. */
const SNAPSHOT_BUDGET_MS = 5_000;

/**
 * The usage snapshots' adapters, once per container: the committed-state
 * reader on the ledger and a PutEvents publisher whose SDK does not retry
 * (the snapshot path retries failed entries itself, within its budget).
 */
export function createSnapshotDeps(
  config: Config,
  settlement: SettlementDeps,
  clients: { readonly doc?: DynamoDBDocumentClient; readonly eventBridge?: EventBridgeClient } = {},
): SnapshotDeps {
  const doc = clients.doc ?? createDocumentClient({ endpoint: config.endpoints.dynamodb });
  const eventBridge =
    clients.eventBridge ??
    createEventBridgeClient({ endpoint: config.endpoints.eventBridge, maxAttempts: 1 });
  return {
    reader: new DynamoCommittedStateReader(doc, config.tables.ledger),
    publisher: new EventBridgeSnapshotPublisher(eventBridge, {
      source: config.notificationSource,
      eventBusName: config.eventBusName,
    }),
    globalPolicy: settlement.globalPolicy,
    clock: settlement.clock,
    settings: { retry: settlement.settings.retry, budgetMs: SNAPSHOT_BUDGET_MS },
    log: settlement.log,
  };
}
