import { DynamoChangeStore } from '../adapters/dynamodb/change-store';
import { createDocumentClient } from '../adapters/dynamodb/client';
import { DynamoFamilyLimits } from '../adapters/dynamodb/family-limits';
import { RefreshingGlobalPolicy } from '../adapters/dynamodb/global-policy';
import { KafkaSnapshotPublisher } from '../adapters/kafka/snapshot-producer';
import { systemClock } from '../core/ports';
import { cachedFamilyLimits } from '../core/snapshots/limits-cache';
import type { SnapshotPublisher } from '../core/snapshots/ports';
import { type Config, ConfigError } from '../runtime/config';
import { ENV } from '../runtime/env';
import type { UsageSnapshotsDeps } from './usage-snapshots-handler';

/** The longest publishing may take in one invocation; entries not out by then are counted failed. */
const SNAPSHOT_BUDGET_MS = 10_000;

/**
 * The usage snapshots' adapters, once per container. The Kafka brokers are
 * required, unless a publisher is given (a local run's in-process topic).
 */
export function createUsageSnapshotsDeps(
  config: Config,
  region: string | undefined,
  publisher?: SnapshotPublisher,
): UsageSnapshotsDeps {
  const doc = createDocumentClient({ endpoint: config.endpoints.dynamodb });
  return {
    limits: cachedFamilyLimits(new DynamoFamilyLimits(doc, config.tables.ledger), systemClock),
    publisher: publisher ?? kafkaPublisher(config, region),
    globalPolicy: new RefreshingGlobalPolicy(
      new DynamoChangeStore(doc, config.tables),
      config.settlement.globalPolicyRefreshMs,
      systemClock,
    ),
    clock: systemClock,
    settings: {
      retry: {
        maxAttempts: config.processing.retryMaxAttempts,
        baseDelayMs: config.processing.retryBaseDelayMs,
      },
      budgetMs: SNAPSHOT_BUDGET_MS,
    },
  };
}

function kafkaPublisher(config: Config, region: string | undefined): SnapshotPublisher {
  const { usageSnapshots } = config;
  if (usageSnapshots.bootstrapBrokers.length === 0) {
    throw new ConfigError(`${ENV.kafkaBootstrapBrokers} is required to produce the usage snapshots`);
  }
  if (usageSnapshots.kafkaIamAuth && !region) {
    throw new ConfigError(`AWS_REGION is required to sign the MSK IAM authentication (${ENV.kafkaIamAuth})`);
  }
  return new KafkaSnapshotPublisher({
    bootstrapBrokers: usageSnapshots.bootstrapBrokers,
    topic: usageSnapshots.topic,
    iamAuthRegion: usageSnapshots.kafkaIamAuth ? (region ?? null) : null,
    clientId: 'usage-settlement-usage-snapshots',
  });
}
