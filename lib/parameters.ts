import { z } from 'zod';
import { DEFAULT_FATE_RETENTION_DAYS, MIN_FATE_RETENTION_DAYS } from '../functions/core/settlement/retention';

/*
 * What an operator can set: each parameter's context key, environment variable,
 * type, range and default. How they must fit together is checked where they are
 * read, in loadAppConfig (config.ts).
 */

/**
 * A clearly fake cluster, so `npm run synth` and the tests work before anyone
 * has a real one. Synthesis refuses it unless allowPlaceholderCluster is set,
 * so a deploy cannot point the mapping at a cluster that does not exist.
 */
export const EXAMPLE_MSK_CLUSTER_ARN =
  'arn:aws:kafka:ap-northeast-2:123456789012:cluster/example-usage-cluster/00000000-0000-0000-0000-000000000000-1';

/** The retention periods CloudWatch Logs accepts. */
const LOG_RETENTION_DAYS: readonly number[] = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

// Seconds are optional; a zone is not: a zoneless time would be read in the synthesizing machine's zone.
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

const MSK_CLUSTER_ARN = /^arn:aws[a-z-]*:kafka:[a-z0-9-]+:\d{12}:cluster\/[^/]+\/[^/]+$/;

export interface Parameter {
  readonly context: string;
  readonly env: string;
}

/** Every parameter: its context key and environment variable. The defaults live in the schema. */
export const PARAMETERS = {
  account: { context: 'account', env: 'CDK_DEFAULT_ACCOUNT' },
  region: { context: 'region', env: 'CDK_DEFAULT_REGION' },
  stackName: { context: 'stackName', env: 'STACK_NAME' },
  namePrefix: { context: 'namePrefix', env: 'NAME_PREFIX' },
  shadow: { context: 'shadow', env: 'SHADOW' },
  mskClusterArn: { context: 'mskClusterArn', env: 'MSK_CLUSTER_ARN' },
  allowPlaceholderCluster: { context: 'allowPlaceholderCluster', env: 'ALLOW_PLACEHOLDER_CLUSTER' },
  mskTopic: { context: 'mskTopic', env: 'MSK_TOPIC' },
  mskConsumerGroup: { context: 'mskConsumerGroup', env: 'MSK_CONSUMER_GROUP' },
  mskPolicyTopic: { context: 'mskPolicyTopic', env: 'MSK_POLICY_TOPIC' },
  mskPolicyConsumerGroup: { context: 'mskPolicyConsumerGroup', env: 'MSK_POLICY_CONSUMER_GROUP' },
  mskFamilyTopic: { context: 'mskFamilyTopic', env: 'MSK_FAMILY_TOPIC' },
  mskFamilyConsumerGroup: { context: 'mskFamilyConsumerGroup', env: 'MSK_FAMILY_CONSUMER_GROUP' },
  mskBatchSize: { context: 'mskBatchSize', env: 'MSK_BATCH_SIZE' },
  mskBatchingWindowSeconds: { context: 'mskBatchingWindowSeconds', env: 'MSK_BATCHING_WINDOW_SECONDS' },
  mskRetryAttempts: { context: 'mskRetryAttempts', env: 'MSK_RETRY_ATTEMPTS' },
  mskMaxRecordAgeSeconds: { context: 'mskMaxRecordAgeSeconds', env: 'MSK_MAX_RECORD_AGE_SECONDS' },
  mskUsageMapping: { context: 'mskUsageMapping', env: 'MSK_USAGE_MAPPING' },
  mskStartingPosition: { context: 'mskStartingPosition', env: 'MSK_STARTING_POSITION' },
  mskStartingTimestamp: { context: 'mskStartingTimestamp', env: 'MSK_STARTING_TIMESTAMP' },
  mskProvisionedPollers: { context: 'mskProvisionedPollers', env: 'MSK_PROVISIONED_POLLERS' },
  mskPartitions: { context: 'mskPartitions', env: 'MSK_PARTITIONS' },
  mskPollers: { context: 'mskPollers', env: 'MSK_POLLERS' },
  mskChangePollers: { context: 'mskChangePollers', env: 'MSK_CHANGE_POLLERS' },
  mskClusterSqsEndpoint: { context: 'mskClusterSqsEndpoint', env: 'MSK_CLUSTER_SQS_ENDPOINT' },
  vpcId: { context: 'vpcId', env: 'VPC_ID' },
  vpcCidr: { context: 'vpcCidr', env: 'VPC_CIDR' },
  createVpcEndpoints: { context: 'createVpcEndpoints', env: 'CREATE_VPC_ENDPOINTS' },
  cacheNodeType: { context: 'cacheNodeType', env: 'CACHE_NODE_TYPE' },
  cacheEngineVersion: { context: 'cacheEngineVersion', env: 'CACHE_ENGINE_VERSION' },
  cacheShards: { context: 'cacheShards', env: 'CACHE_SHARDS' },
  cacheReplicasPerShard: { context: 'cacheReplicasPerShard', env: 'CACHE_REPLICAS_PER_SHARD' },
  cachePort: { context: 'cachePort', env: 'CACHE_PORT' },
  cacheOperatorSecurityGroupId: {
    context: 'cacheOperatorSecurityGroupId',
    env: 'CACHE_OPERATOR_SECURITY_GROUP_ID',
  },
  usageEventsReservedConcurrency: {
    context: 'usageEventsReservedConcurrency',
    env: 'USAGE_EVENTS_RESERVED_CONCURRENCY',
  },
  changeEventsReservedConcurrency: {
    context: 'changeEventsReservedConcurrency',
    env: 'CHANGE_EVENTS_RESERVED_CONCURRENCY',
  },
  relayReservedConcurrency: { context: 'relayReservedConcurrency', env: 'RELAY_RESERVED_CONCURRENCY' },
  sweeperReservedConcurrency: { context: 'sweeperReservedConcurrency', env: 'SWEEPER_RESERVED_CONCURRENCY' },
  usageEventsProvisionedConcurrency: {
    context: 'usageEventsProvisionedConcurrency',
    env: 'USAGE_EVENTS_PROVISIONED_CONCURRENCY',
  },
  changeEventsProvisionedConcurrency: {
    context: 'changeEventsProvisionedConcurrency',
    env: 'CHANGE_EVENTS_PROVISIONED_CONCURRENCY',
  },
  usageEventsMemoryMb: { context: 'usageEventsMemoryMb', env: 'USAGE_EVENTS_MEMORY_MB' },
  logRetentionDays: { context: 'logRetentionDays', env: 'LOG_RETENTION_DAYS' },
  unreservedAccountConcurrency: {
    context: 'unreservedAccountConcurrency',
    env: 'UNRESERVED_ACCOUNT_CONCURRENCY',
  },
  settlementTimeZone: { context: 'settlementTimeZone', env: 'SETTLEMENT_TIME_ZONE' },
  notificationSource: { context: 'notificationSource', env: 'NOTIFICATION_SOURCE' },
  notificationLocale: { context: 'notificationLocale', env: 'NOTIFICATION_LOCALE' },
  sweeperRateMinutes: { context: 'sweeperRateMinutes', env: 'SWEEPER_RATE_MINUTES' },
  archiveRetentionDays: { context: 'archiveRetentionDays', env: 'ARCHIVE_RETENTION_DAYS' },
  usageSnapshots: { context: 'usageSnapshots', env: 'USAGE_SNAPSHOTS' },
  usageSnapshotTopic: { context: 'usageSnapshotTopic', env: 'USAGE_SNAPSHOT_TOPIC' },
  mskBootstrapBrokers: { context: 'mskBootstrapBrokers', env: 'MSK_BOOTSTRAP_BROKERS' },
  memberSettlementsIndex: { context: 'memberSettlementsIndex', env: 'MEMBER_SETTLEMENTS_INDEX' },
  apiJwtIssuer: { context: 'apiJwtIssuer', env: 'API_JWT_ISSUER' },
  apiJwtAudience: { context: 'apiJwtAudience', env: 'API_JWT_AUDIENCE' },
  apiThrottleRate: { context: 'apiThrottleRate', env: 'API_THROTTLE_RATE' },
  apiThrottleBurst: { context: 'apiThrottleBurst', env: 'API_THROTTLE_BURST' },
  apiLatencyAlarmMs: { context: 'apiLatencyAlarmMs', env: 'API_LATENCY_ALARM_MS' },
  alarmEmail: { context: 'alarmEmail', env: 'ALARM_EMAIL' },
  pendingAgeAlarmSeconds: { context: 'pendingAgeAlarmSeconds', env: 'PENDING_AGE_ALARM_SECONDS' },
  offsetLagAlarmThreshold: { context: 'offsetLagAlarmThreshold', env: 'OFFSET_LAG_ALARM_THRESHOLD' },
  changeOffsetLagAlarmThreshold: {
    context: 'changeOffsetLagAlarmThreshold',
    env: 'CHANGE_OFFSET_LAG_ALARM_THRESHOLD',
  },
  cacheMemoryAlarmPercent: { context: 'cacheMemoryAlarmPercent', env: 'CACHE_MEMORY_ALARM_PERCENT' },
  cacheCpuAlarmPercent: { context: 'cacheCpuAlarmPercent', env: 'CACHE_CPU_ALARM_PERCENT' },
  cacheConnectionsAlarmThreshold: {
    context: 'cacheConnectionsAlarmThreshold',
    env: 'CACHE_CONNECTIONS_ALARM_THRESHOLD',
  },
  cacheReplicationLagAlarmSeconds: {
    context: 'cacheReplicationLagAlarmSeconds',
    env: 'CACHE_REPLICATION_LAG_ALARM_SECONDS',
  },
  retainData: { context: 'retainData', env: 'RETAIN_DATA' },
  ledgerWarmEventsPerSecond: { context: 'ledgerWarmEventsPerSecond', env: 'LEDGER_WARM_EVENTS_PER_SECOND' },
  settlementRetentionDays: { context: 'settlementRetentionDays', env: 'SETTLEMENT_RETENTION_DAYS' },
  ledgerCapacityMode: { context: 'ledgerCapacityMode', env: 'LEDGER_CAPACITY_MODE' },
  ledgerMinWriteUnits: { context: 'ledgerMinWriteUnits', env: 'LEDGER_MIN_WRITE_UNITS' },
  ledgerMaxWriteUnits: { context: 'ledgerMaxWriteUnits', env: 'LEDGER_MAX_WRITE_UNITS' },
  ledgerMinReadUnits: { context: 'ledgerMinReadUnits', env: 'LEDGER_MIN_READ_UNITS' },
  ledgerMaxReadUnits: { context: 'ledgerMaxReadUnits', env: 'LEDGER_MAX_READ_UNITS' },
  settlementArchiveRetentionDays: {
    context: 'settlementArchiveRetentionDays',
    env: 'SETTLEMENT_ARCHIVE_RETENTION_DAYS',
  },
  // Not REDIS_URL: that variable configures local runs, and must never leak into a deployment.
  serviceEndpoint: { context: 'serviceEndpoint', env: 'STACK_SERVICE_ENDPOINT' },
  redisUrl: { context: 'redisUrl', env: 'STACK_REDIS_URL' },
} as const satisfies Record<string, Parameter>;

export type ParameterName = keyof typeof PARAMETERS;

const int = (fallback: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

const bool = (fallback: boolean) =>
  z
    .union([z.boolean(), z.enum(['true', 'false'])])
    .default(fallback)
    .transform((v) => v === true || v === 'true');

// Kafka's own rule for topic names; the name also ends up in an IAM ARN and a CloudWatch dimension.
const topic = (fallback: string) =>
  z
    .string()
    .regex(/^[a-zA-Z0-9._-]{1,249}$/, 'ASCII letters, digits and ._- only, 1-249 chars')
    .default(fallback);

// No colon: MSK publishes no consumer-lag metrics for a group whose name has one.
const consumerGroup = (fallback: string) =>
  z
    .string()
    .regex(/^[a-zA-Z0-9-/*_+=.@]{1,200}$/, 'ASCII letters, digits and -/*_+=.@ (no colon), 1-200 chars')
    .default(fallback);

export const parameterSchema = z.object({
  account: z
    .string()
    .regex(/^\d{12}$/, 'must be a 12-digit account id')
    .optional(),
  region: z.string().min(1).optional(),
  stackName: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/)
    .default('UsageSettlement'),
  namePrefix: z
    .string()
    .regex(
      /^[a-z](?!.*--)[a-z0-9-]{0,30}[a-z0-9]$/,
      'lower-case letters, digits and single hyphens, 2-32 chars',
    )
    .default('usage-settlement'),
  shadow: bool(false),
  mskClusterArn: z
    .string()
    .regex(MSK_CLUSTER_ARN, 'must be an MSK cluster ARN')
    .default(EXAMPLE_MSK_CLUSTER_ARN),
  allowPlaceholderCluster: bool(false),
  mskTopic: topic('usage-events'),
  mskConsumerGroup: consumerGroup('usage-settlement'),
  mskPolicyTopic: topic('policy-updated'),
  mskPolicyConsumerGroup: consumerGroup('usage-settlement-policy-updated'),
  mskFamilyTopic: topic('family-updated'),
  mskFamilyConsumerGroup: consumerGroup('usage-settlement-family-updated'),
  mskBatchSize: int(500, 1, 10_000),
  mskBatchingWindowSeconds: int(0, 0, 300),
  mskRetryAttempts: int(10, 0, 10_000),
  mskMaxRecordAgeSeconds: int(86_400, 60, 604_800),
  mskUsageMapping: bool(true),
  // LATEST, so that a first deploy never settles what the topic still holds from before it (see docs/deploy.md).
  mskStartingPosition: z.enum(['LATEST', 'TRIM_HORIZON', 'AT_TIMESTAMP']).default('LATEST'),
  mskStartingTimestamp: z
    .string()
    .regex(ISO_INSTANT, 'an ISO-8601 instant with Z or an offset, e.g. 2027-03-01T00:00:00+09:00')
    .refine((t) => !Number.isNaN(Date.parse(t)), 'not a valid date and time')
    .optional(),
  mskProvisionedPollers: bool(true),
  // 10,000 events/s at peak over 250 a partition: the latency budget in docs/capacity.md.
  mskPartitions: int(40, 1, 10_000),
  // A poller runs at most INVOCATIONS_PER_POLLER invocations at once; undefined derives the count from mskPartitions.
  mskPollers: z.coerce.number().int().min(1).max(200).optional(),
  mskChangePollers: int(1, 1, 200),
  mskClusterSqsEndpoint: z.enum(['stack', 'existing']).optional(),
  vpcId: z
    .string()
    .regex(/^vpc-[0-9a-f]{8,17}$/)
    .optional(),
  vpcCidr: z
    .string()
    .regex(/^\d{1,3}(\.\d{1,3}){3}\/(1[6-9]|2[0-4])$/, 'an IPv4 CIDR from /16 to /24')
    .default('10.64.0.0/16'),
  createVpcEndpoints: bool(true),
  cacheNodeType: z
    .string()
    .regex(/^cache\.[a-z0-9]+\.[a-z0-9]+$/)
    // Not burstable: a t-class node runs out of CPU credits under the steady load of settlement.
    .default('cache.m7g.large'),
  cacheEngineVersion: z
    .string()
    .regex(/^\d+\.\d+$/)
    .default('8.0'),
  cacheShards: int(2, 1, 500),
  cacheReplicasPerShard: int(1, 1, 5),
  cachePort: int(6379, 1150, 65_535),
  cacheOperatorSecurityGroupId: z
    .string()
    .regex(/^sg-[0-9a-f]{8,17}$/, 'a security group id (sg-...)')
    .optional(),
  usageEventsReservedConcurrency: int(40, 0, 1000),
  changeEventsReservedConcurrency: int(10, 0, 1000),
  relayReservedConcurrency: int(5, 0, 1000),
  sweeperReservedConcurrency: int(1, 0, 1000),
  usageEventsProvisionedConcurrency: int(0, 0, 1000),
  changeEventsProvisionedConcurrency: int(0, 0, 1000),
  usageEventsMemoryMb: int(1024, 128, 10_240),
  // Required to deploy (loadAppConfig): no figure can stand in for an account's real one.
  unreservedAccountConcurrency: z.coerce.number().int().min(10).max(1_000_000).optional(),
  logRetentionDays: z.coerce
    .number()
    .refine((d) => LOG_RETENTION_DAYS.includes(d), `one of ${LOG_RETENTION_DAYS.join(', ')}`)
    .default(30),
  settlementTimeZone: z.string().min(1).default('Asia/Seoul'),
  notificationSource: z.string().min(1).default('usage-settlement'),
  notificationLocale: z.enum(['ko', 'en']).default('ko'),
  sweeperRateMinutes: int(1, 1, 60),
  archiveRetentionDays: int(30, 0, 3650),
  // Off: nobody may consume them, and on they cost a function on the ledger stream (docs/capacity.md).
  usageSnapshots: bool(false),
  usageSnapshotTopic: topic('usage-realtime'),
  mskBootstrapBrokers: z
    .string()
    .regex(/^[^\s,:]+:\d+(,[^\s,:]+:\d+)*$/, "the cluster's IAM bootstrap brokers, host:9098[,host:9098...]")
    .optional(),
  // On: the usage API lists a member's settlements, at a write unit per settled event (docs/capacity.md).
  memberSettlementsIndex: bool(true),
  apiJwtIssuer: z.url({ protocol: /^https$/ }).optional(),
  // Comma-separated: the audiences (client ids) a token may carry.
  apiJwtAudience: z
    .string()
    .regex(/^[^\s,]+(,[^\s,]+)*$/, 'one or more audiences, comma-separated, no spaces')
    .optional(),
  // Requests a second across the API, and the burst above it, before API Gateway answers 429.
  apiThrottleRate: int(500, 1, 10_000),
  apiThrottleBurst: int(1_000, 1, 5_000),
  // p99 of the API's latency (API Gateway to the answer) that alarms.
  apiLatencyAlarmMs: int(1_000, 50, 30_000),
  alarmEmail: z.email().optional(),
  pendingAgeAlarmSeconds: int(900, 60, 86_400),
  offsetLagAlarmThreshold: int(10_000, 1, Number.MAX_SAFE_INTEGER),
  changeOffsetLagAlarmThreshold: int(1000, 1, Number.MAX_SAFE_INTEGER),
  cacheMemoryAlarmPercent: int(80, 1, 100),
  cacheCpuAlarmPercent: int(80, 1, 100),
  // About 50 containers of the two Redis clients hold one connection to each node: 10 times that is a leak.
  cacheConnectionsAlarmThreshold: int(500, 1, 65_000),
  cacheReplicationLagAlarmSeconds: int(1, 1, 3_600),
  retainData: bool(true),
  // The sustained rate of docs/capacity.md; 0 leaves the ledger at what a new on-demand table takes.
  ledgerWarmEventsPerSecond: int(5_000, 0, 100_000),
  // At least the replay bound (31 days) plus a day, and at least the usage topic's retention: core/settlement/retention.ts.
  settlementRetentionDays: int(DEFAULT_FATE_RETENTION_DAYS, MIN_FATE_RETENTION_DAYS, 3650),
  // Five years, a common legal retention of billing records; 0 keeps the archive forever.
  settlementArchiveRetentionDays: int(1827, 0, 36_500),
  ledgerCapacityMode: z.enum(['on-demand', 'provisioned']).default('on-demand'),
  // Provisioned only. 5,000 events/s at 4.2 write units each is 70% of 30,000; the maximum carries the 10,000/s peak.
  ledgerMinWriteUnits: int(30_000, 1, 1_000_000),
  ledgerMaxWriteUnits: int(60_000, 1, 1_000_000),
  // A warm cache reads under 0.01 units an event; the month start is scheduled apart (ledger-capacity.ts).
  ledgerMinReadUnits: int(1_000, 1, 1_000_000),
  ledgerMaxReadUnits: int(20_000, 1, 1_000_000),
  serviceEndpoint: z.url().optional(),
  redisUrl: z
    .string()
    .regex(/^rediss?:\/\/./, 'must start with redis:// or rediss://')
    .optional(),
});
