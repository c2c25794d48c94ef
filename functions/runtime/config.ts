import * as z from 'zod/mini';
import { DEFAULT_FATE_RETENTION_DAYS, MIN_FATE_RETENTION_DAYS } from '../core/settlement/retention';
import { ENV } from './env';
import { METRIC_NAMESPACE, SERVICE_NAME } from './metric-names';

const DAY_SECONDS = 86_400;

const intVar = (fallback: number, min: number, max = Number.MAX_SAFE_INTEGER) =>
  z._default(z.coerce.number().check(z.int(), z.minimum(min), z.maximum(max)), fallback);

const bool = (fallback: 'true' | 'false') =>
  z.pipe(
    z._default(z.enum(['true', 'false', '1', '0']), fallback),
    z.transform((v: 'true' | 'false' | '1' | '0') => v === 'true' || v === '1'),
  );

const text = (fallback: string) => z._default(z.string().check(z.minLength(1)), fallback);

const timeZone = z.string().check(
  z.refine((tz: string) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, 'not an IANA time zone'),
);

const optionalUrl = z.optional(z.url());

const schema = z.object({
  [ENV.ledgerTable]: text('usage-settlement-ledger'),
  [ENV.outboxTable]: text('usage-settlement-outbox'),
  [ENV.deadLetterQueueUrl]: optionalUrl,
  [ENV.eventBusName]: text('default'),
  [ENV.usageSnapshots]: bool('false'),
  [ENV.usageSnapshotTopic]: z._default(
    z.string().check(z.regex(/^[a-zA-Z0-9._-]{1,249}$/, 'a Kafka topic name: ASCII letters, digits and ._-')),
    'usage-realtime',
  ),
  [ENV.kafkaBootstrapBrokers]: z.optional(
    z.string().check(z.regex(/^[^\s,:]+:\d+(,[^\s,:]+:\d+)*$/, 'host:port[,host:port...]')),
  ),
  [ENV.kafkaIamAuth]: bool('true'),
  [ENV.notificationSource]: text('usage-settlement'),
  [ENV.notificationLocale]: z._default(z.enum(['ko', 'en']), 'ko'),
  [ENV.redisUrl]: z._default(
    z.string().check(z.regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')),
    'redis://127.0.0.1:6379',
  ),
  [ENV.redisCluster]: bool('false'),
  [ENV.redisKeyPrefix]: z._default(z.string(), 'us:'),
  [ENV.redisAuthSecretArn]: z.optional(z.string()),
  [ENV.dynamodbEndpoint]: optionalUrl,
  [ENV.sqsEndpoint]: optionalUrl,
  [ENV.eventBridgeEndpoint]: optionalUrl,
  [ENV.firehoseEndpoint]: optionalUrl,
  [ENV.archiveDeliveryStream]: z.optional(z.string().check(z.minLength(1))),
  [ENV.settlementTimeZone]: z._default(timeZone, 'Asia/Seoul'),
  [ENV.futureSkewSeconds]: intVar(300, 0, 3600),
  [ENV.maxBytesPerEvent]: intVar(10 * 1024 ** 3, 1),
  [ENV.dedupWindowSeconds]: intVar(600, 1, DAY_SECONDS),
  [ENV.settlementRetentionDays]: intVar(DEFAULT_FATE_RETENTION_DAYS, MIN_FATE_RETENTION_DAYS, 3650),
  [ENV.clockMarginSeconds]: intVar(60, 0, 3600),
  [ENV.globalPolicyRefreshSeconds]: intVar(60, 0, 3600),
  [ENV.heldChangeWaitSeconds]: intVar(3_600, 1, 7 * DAY_SECONDS),
  [ENV.heldChangesPerFamily]: intVar(20, 1, 1_000),
  [ENV.familyConcurrency]: intVar(16, 1, 256),
  [ENV.degradedMode]: bool('true'),
  [ENV.redisBreakerFailures]: intVar(3, 1, 100),
  [ENV.redisBreakerCooldownSeconds]: intVar(15, 1, 3600),
  [ENV.reportBatchItemFailures]: bool('true'),
  [ENV.retryMaxAttempts]: intVar(3, 1, 10),
  [ENV.retryBaseDelayMs]: intVar(50, 1, 10_000),
  [ENV.outboxMaxAttempts]: intVar(5, 1, 100),
  [ENV.outboxBackoffBaseSeconds]: intVar(60, 1),
  [ENV.outboxBackoffCapSeconds]: intVar(960, 1),
  [ENV.outboxGraceSeconds]: intVar(120, 0),
  [ENV.outboxLeaseSeconds]: intVar(60, 1),
  [ENV.outboxSentRetentionDays]: intVar(7, 1),
  [ENV.sweeperSafetyMarginMs]: intVar(5_000, 0),
  [ENV.metricsNamespace]: z._default(z.string(), METRIC_NAMESPACE),
  [ENV.serviceName]: z._default(z.string(), SERVICE_NAME),
});

export interface Config {
  readonly tables: { readonly ledger: string; readonly outbox: string };
  readonly deadLetterQueueUrl: string | undefined;
  readonly eventBusName: string;
  /**
   * The live USAGE_UPDATED snapshots (functions/usage-snapshots): off unless
   * turned on, then produced to a Kafka topic keyed by familyId.
   */
  readonly usageSnapshots: {
    readonly enabled: boolean;
    readonly topic: string;
    /** host:port of the brokers (MSK's IAM listener, 9098); empty when not set. */
    readonly bootstrapBrokers: ReadonlyArray<string>;
    /** MSK IAM authentication; false for a plain listener (the local broker). */
    readonly kafkaIamAuth: boolean;
  };
  readonly notificationSource: string;
  readonly notificationLocale: 'ko' | 'en';
  readonly redis: { readonly url: string; readonly cluster: boolean; readonly keyPrefix: string };
  readonly endpoints: {
    readonly dynamodb: string | undefined;
    readonly sqs: string | undefined;
    readonly eventBridge: string | undefined;
    readonly firehose: string | undefined;
  };
  /** The Firehose delivery stream the settlement archiver writes to (the archiver requires it). */
  readonly archiveDeliveryStream: string | undefined;
  readonly settlement: {
    readonly timeZone: string;
    readonly futureSkewMs: number;
    readonly maxBytesPerEvent: number;
    readonly dedupWindowSeconds: number;
    /** Days settlement and rejection records stay after the period following their event's (core/settlement/retention.ts). */
    readonly fateRetentionDays: number;
    readonly clockMarginMs: number;
    /** How long a container keeps the global default policy before reading it again. */
    readonly globalPolicyRefreshMs: number;
  };
  /** A policy change that arrived before its member or family waits this long, at most this many per family. */
  readonly heldChanges: { readonly waitMs: number; readonly maxPerFamily: number };
  readonly processing: {
    readonly familyConcurrency: number;
    /** Partial batch responses; off when the MSK mapping runs without provisioned pollers, which ignores them. */
    readonly reportBatchItemFailures: boolean;
    readonly retryMaxAttempts: number;
    readonly retryBaseDelayMs: number;
    /** Deciding from the ledger alone while Redis fails; off, a Redis outage stops settlement until it is back. */
    readonly degradedMode: boolean;
    readonly redisBreaker: { readonly failureThreshold: number; readonly cooldownMs: number };
  };
  readonly outbox: {
    readonly maxAttempts: number;
    readonly backoffBaseMs: number;
    readonly backoffCapMs: number;
    readonly graceMs: number;
    readonly leaseMs: number;
    readonly sentRetentionSeconds: number;
    readonly sweeperSafetyMarginMs: number;
  };
  readonly metricsNamespace: string;
  readonly serviceName: string;
}

export class ConfigError extends Error {
  readonly code = 'INVALID_CONFIG';
}

/**
 * Reads and validates every variable once (at cold start). A bad value fails
 * with a message that names the variable, instead of surfacing later as an odd
 * runtime error on the first event.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const emptyAsUnset = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''),
  );
  const parsed = schema.safeParse(emptyAsUnset);
  if (!parsed.success) {
    const details = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${details}`);
  }
  const v = parsed.data;
  if (v[ENV.dedupWindowSeconds] <= v[ENV.clockMarginSeconds]) {
    throw new ConfigError(
      `invalid configuration: ${ENV.dedupWindowSeconds} (${v[ENV.dedupWindowSeconds]}) must exceed ${ENV.clockMarginSeconds} (${v[ENV.clockMarginSeconds]})`,
    );
  }
  return Object.freeze({
    tables: Object.freeze({ ledger: v[ENV.ledgerTable], outbox: v[ENV.outboxTable] }),
    deadLetterQueueUrl: v[ENV.deadLetterQueueUrl],
    eventBusName: v[ENV.eventBusName],
    usageSnapshots: Object.freeze({
      enabled: v[ENV.usageSnapshots],
      topic: v[ENV.usageSnapshotTopic],
      bootstrapBrokers: Object.freeze(v[ENV.kafkaBootstrapBrokers]?.split(',') ?? []),
      kafkaIamAuth: v[ENV.kafkaIamAuth],
    }),
    notificationSource: v[ENV.notificationSource],
    notificationLocale: v[ENV.notificationLocale],
    redis: Object.freeze({
      url: v[ENV.redisUrl],
      cluster: v[ENV.redisCluster],
      keyPrefix: v[ENV.redisKeyPrefix],
    }),
    endpoints: Object.freeze({
      dynamodb: v[ENV.dynamodbEndpoint],
      sqs: v[ENV.sqsEndpoint],
      eventBridge: v[ENV.eventBridgeEndpoint],
      firehose: v[ENV.firehoseEndpoint],
    }),
    archiveDeliveryStream: v[ENV.archiveDeliveryStream],
    settlement: Object.freeze({
      timeZone: v[ENV.settlementTimeZone],
      futureSkewMs: v[ENV.futureSkewSeconds] * 1000,
      maxBytesPerEvent: v[ENV.maxBytesPerEvent],
      dedupWindowSeconds: v[ENV.dedupWindowSeconds],
      fateRetentionDays: v[ENV.settlementRetentionDays],
      clockMarginMs: v[ENV.clockMarginSeconds] * 1000,
      globalPolicyRefreshMs: v[ENV.globalPolicyRefreshSeconds] * 1000,
    }),
    heldChanges: Object.freeze({
      waitMs: v[ENV.heldChangeWaitSeconds] * 1000,
      maxPerFamily: v[ENV.heldChangesPerFamily],
    }),
    processing: Object.freeze({
      familyConcurrency: v[ENV.familyConcurrency],
      reportBatchItemFailures: v[ENV.reportBatchItemFailures],
      retryMaxAttempts: v[ENV.retryMaxAttempts],
      retryBaseDelayMs: v[ENV.retryBaseDelayMs],
      degradedMode: v[ENV.degradedMode],
      redisBreaker: Object.freeze({
        failureThreshold: v[ENV.redisBreakerFailures],
        cooldownMs: v[ENV.redisBreakerCooldownSeconds] * 1000,
      }),
    }),
    outbox: Object.freeze({
      maxAttempts: v[ENV.outboxMaxAttempts],
      backoffBaseMs: v[ENV.outboxBackoffBaseSeconds] * 1000,
      backoffCapMs: v[ENV.outboxBackoffCapSeconds] * 1000,
      graceMs: v[ENV.outboxGraceSeconds] * 1000,
      leaseMs: v[ENV.outboxLeaseSeconds] * 1000,
      sentRetentionSeconds: v[ENV.outboxSentRetentionDays] * 86_400,
      sweeperSafetyMarginMs: v[ENV.sweeperSafetyMarginMs],
    }),
    metricsNamespace: v[ENV.metricsNamespace],
    serviceName: v[ENV.serviceName],
  });
}
