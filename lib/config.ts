import type { Node } from 'constructs';
import { z } from 'zod';

/**
 * The deployment parameters of the app. Each one is read from CDK context
 * (`cdk deploy -c key=value` or cdk.json) first, then from an environment
 * variable, then falls back to the default below. The README's deploy section
 * has the same table for operators.
 */
export interface AppConfig {
  /** Concrete account/region when known; undefined synthesizes an environment-agnostic stack. */
  readonly env: { readonly account: string; readonly region: string } | undefined;
  readonly stackName: string;
  /**
   * Prefix of the dashboard and alarm names, which only live as long as the
   * stack. Tables, the bus, the cache and the secret get generated names (stack
   * outputs), so a retained table never blocks a redeploy.
   */
  readonly namePrefix: string;
  readonly msk: MskConfig;
  readonly network: {
    /** An existing VPC (looked up, so an account and region are required); undefined creates one. */
    readonly vpcId: string | undefined;
    /** CIDR of the VPC created when no vpcId is given. */
    readonly vpcCidr: string;
    readonly createVpcEndpoints: boolean;
  };
  readonly cache: {
    readonly nodeType: string;
    readonly engineVersion: string;
    readonly shards: number;
    readonly replicasPerShard: number;
    readonly port: number;
    /** A security group (an operator host, a bastion) that may open the cache port besides usage-events. */
    readonly operatorSecurityGroupId: string | undefined;
  };
  readonly functions: {
    /** 0 leaves the function on the unreserved account pool. */
    readonly usageEventsReservedConcurrency: number;
    readonly relayReservedConcurrency: number;
    readonly sweeperReservedConcurrency: number;
    readonly usageEventsMemoryMb: number;
    readonly logRetentionDays: number;
    /**
     * "Unreserved account concurrency" of the Lambda console before this stack: the
     * region's quota minus what other functions reserve. The stack's reservations
     * must leave 100 of it unreserved.
     */
    readonly unreservedAccountConcurrency: number;
  };
  readonly settlement: {
    readonly timeZone: string;
    readonly notificationSource: string;
    readonly notificationLocale: 'ko' | 'en';
  };
  readonly sweeperRateMinutes: number;
  readonly archiveRetentionDays: number;
  readonly alarms: {
    readonly email: string | undefined;
    readonly pendingAgeSeconds: number;
    readonly offsetLag: number;
    /** DatabaseMemoryUsagePercentage of any cache node that alarms. */
    readonly cacheMemoryPercent: number;
  };
  /** Whether tables and the secret survive `cdk destroy`. */
  readonly retainData: boolean;
  /** Emulator wiring (LocalStack); both undefined for AWS. */
  readonly emulator: {
    /** One endpoint for DynamoDB, SQS and EventBridge, passed to the functions. */
    readonly serviceEndpoint: string | undefined;
    /** A plain (non-cluster, no AUTH) Redis used instead of the Valkey cluster. */
    readonly redisUrl: string | undefined;
  };
}

export interface MskConfig {
  readonly clusterArn: string;
  readonly topic: string;
  readonly consumerGroup: string;
  readonly batchSize: number;
  readonly batchingWindowSeconds: number;
  readonly retryAttempts: number;
  readonly maxRecordAgeSeconds: number;
  /**
   * Provisioned pollers. The Kafka error-handling controls (partial batch
   * responses, bisect, retry and record-age limits) only apply in provisioned
   * mode; see ARCHITECTURE.md.
   */
  readonly provisionedPollers: boolean;
  readonly minPollers: number;
  readonly maxPollers: number;
  /**
   * Where the SQS interface endpoint in the cluster's VPC comes from, which the
   * pollers need to deliver discarded batches to the on-failure queue: `stack`
   * (the cluster is in vpcId and this stack's endpoints serve it) or `existing`
   * (the cluster's VPC has one). Undefined only in an offline synth.
   */
  readonly failureDestinationEndpoint: FailureDestinationEndpoint | undefined;
}

export type FailureDestinationEndpoint = 'stack' | 'existing';

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

const MSK_CLUSTER_ARN = /^arn:aws[a-z-]*:kafka:[a-z0-9-]+:\d{12}:cluster\/[^/]+\/[^/]+$/;

/** Lambda keeps this much of the account quota unreserved; reservations cannot eat into it. */
const UNRESERVED_CONCURRENCY_MINIMUM = 100;

interface Parameter {
  readonly context: string;
  readonly env: string;
}

/** Every parameter: its context key and environment variable. The defaults live in the schema. */
export const PARAMETERS = {
  account: { context: 'account', env: 'CDK_DEFAULT_ACCOUNT' },
  region: { context: 'region', env: 'CDK_DEFAULT_REGION' },
  stackName: { context: 'stackName', env: 'STACK_NAME' },
  namePrefix: { context: 'namePrefix', env: 'NAME_PREFIX' },
  mskClusterArn: { context: 'mskClusterArn', env: 'MSK_CLUSTER_ARN' },
  allowPlaceholderCluster: { context: 'allowPlaceholderCluster', env: 'ALLOW_PLACEHOLDER_CLUSTER' },
  mskTopic: { context: 'mskTopic', env: 'MSK_TOPIC' },
  mskConsumerGroup: { context: 'mskConsumerGroup', env: 'MSK_CONSUMER_GROUP' },
  mskBatchSize: { context: 'mskBatchSize', env: 'MSK_BATCH_SIZE' },
  mskBatchingWindowSeconds: { context: 'mskBatchingWindowSeconds', env: 'MSK_BATCHING_WINDOW_SECONDS' },
  mskRetryAttempts: { context: 'mskRetryAttempts', env: 'MSK_RETRY_ATTEMPTS' },
  mskMaxRecordAgeSeconds: { context: 'mskMaxRecordAgeSeconds', env: 'MSK_MAX_RECORD_AGE_SECONDS' },
  mskProvisionedPollers: { context: 'mskProvisionedPollers', env: 'MSK_PROVISIONED_POLLERS' },
  mskMinPollers: { context: 'mskMinPollers', env: 'MSK_MIN_POLLERS' },
  mskMaxPollers: { context: 'mskMaxPollers', env: 'MSK_MAX_POLLERS' },
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
  relayReservedConcurrency: { context: 'relayReservedConcurrency', env: 'RELAY_RESERVED_CONCURRENCY' },
  sweeperReservedConcurrency: { context: 'sweeperReservedConcurrency', env: 'SWEEPER_RESERVED_CONCURRENCY' },
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
  alarmEmail: { context: 'alarmEmail', env: 'ALARM_EMAIL' },
  pendingAgeAlarmSeconds: { context: 'pendingAgeAlarmSeconds', env: 'PENDING_AGE_ALARM_SECONDS' },
  offsetLagAlarmThreshold: { context: 'offsetLagAlarmThreshold', env: 'OFFSET_LAG_ALARM_THRESHOLD' },
  cacheMemoryAlarmPercent: { context: 'cacheMemoryAlarmPercent', env: 'CACHE_MEMORY_ALARM_PERCENT' },
  retainData: { context: 'retainData', env: 'RETAIN_DATA' },
  // Not REDIS_URL: that variable configures local runs, and must never leak into a deployment.
  serviceEndpoint: { context: 'serviceEndpoint', env: 'STACK_SERVICE_ENDPOINT' },
  redisUrl: { context: 'redisUrl', env: 'STACK_REDIS_URL' },
} as const satisfies Record<string, Parameter>;

type ParameterName = keyof typeof PARAMETERS;

const int = (fallback: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

const bool = (fallback: boolean) =>
  z
    .union([z.boolean(), z.enum(['true', 'false'])])
    .default(fallback)
    .transform((v) => v === true || v === 'true');

const schema = z.object({
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
  mskClusterArn: z
    .string()
    .regex(MSK_CLUSTER_ARN, 'must be an MSK cluster ARN')
    .default(EXAMPLE_MSK_CLUSTER_ARN),
  allowPlaceholderCluster: bool(false),
  mskTopic: z.string().min(1).max(249).default('usage-events'),
  // No colon: MSK publishes no consumer-lag metrics for a group whose name has one.
  mskConsumerGroup: z
    .string()
    .regex(/^[a-zA-Z0-9-/*_+=.@]{1,200}$/, 'ASCII letters, digits and -/*_+=.@ (no colon), 1-200 chars')
    .default('usage-settlement'),
  mskBatchSize: int(500, 1, 10_000),
  mskBatchingWindowSeconds: int(1, 0, 300),
  mskRetryAttempts: int(10, 0, 10_000),
  mskMaxRecordAgeSeconds: int(86_400, 60, 604_800),
  mskProvisionedPollers: bool(true),
  mskMinPollers: int(1, 1, 200),
  mskMaxPollers: int(10, 1, 2000),
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
    .default('cache.t4g.medium'),
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
  usageEventsReservedConcurrency: int(20, 0, 1000),
  relayReservedConcurrency: int(5, 0, 1000),
  sweeperReservedConcurrency: int(1, 0, 1000),
  usageEventsMemoryMb: int(1024, 128, 10_240),
  unreservedAccountConcurrency: int(1000, 10, 1_000_000),
  logRetentionDays: z.coerce
    .number()
    .refine((d) => LOG_RETENTION_DAYS.includes(d), `one of ${LOG_RETENTION_DAYS.join(', ')}`)
    .default(30),
  settlementTimeZone: z.string().min(1).default('Asia/Seoul'),
  notificationSource: z.string().min(1).default('usage-settlement'),
  notificationLocale: z.enum(['ko', 'en']).default('ko'),
  sweeperRateMinutes: int(1, 1, 60),
  archiveRetentionDays: int(30, 0, 3650),
  alarmEmail: z.email().optional(),
  pendingAgeAlarmSeconds: int(900, 60, 86_400),
  offsetLagAlarmThreshold: int(10_000, 1, Number.MAX_SAFE_INTEGER),
  cacheMemoryAlarmPercent: int(80, 1, 100),
  retainData: bool(true),
  serviceEndpoint: z.url().optional(),
  redisUrl: z
    .string()
    .regex(/^rediss?:\/\/./, 'must start with redis:// or rediss://')
    .optional(),
});

export class AppConfigError extends Error {
  readonly code = 'INVALID_APP_CONFIG';
}

/**
 * Reads every parameter once, validates it, and fails synth with a message
 * naming the context key and variable instead of failing later in CloudFormation.
 */
export function loadAppConfig(node: Node, env: Record<string, string | undefined> = process.env): AppConfig {
  const raw: Partial<Record<ParameterName, unknown>> = {};
  for (const [name, p] of Object.entries(PARAMETERS) as [ParameterName, Parameter][]) {
    const fromContext: unknown = node.tryGetContext(p.context);
    const value = fromContext ?? env[p.env];
    if (value !== undefined && value !== '') raw[name] = value;
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const details = parsed.error.issues
      .map((i) => {
        const key = PARAMETERS[i.path[0] as ParameterName];
        return key ? `${key.context} (${key.env}): ${i.message}` : i.message;
      })
      .join('; ');
    throw new AppConfigError(`invalid deployment parameters: ${details}`);
  }
  const v = parsed.data;
  if (v.mskMinPollers > v.mskMaxPollers) {
    throw new AppConfigError('mskMinPollers must not exceed mskMaxPollers');
  }
  if (v.mskClusterArn === EXAMPLE_MSK_CLUSTER_ARN && !v.allowPlaceholderCluster) {
    throw new AppConfigError(
      'mskClusterArn (MSK_CLUSTER_ARN) is still the example placeholder: pass your cluster with ' +
        '-c mskClusterArn=arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid> to deploy, ' +
        'or -c allowPlaceholderCluster=true for an offline synth (npm run synth does)',
    );
  }
  if (v.mskClusterSqsEndpoint === 'stack' && !(v.vpcId && v.createVpcEndpoints)) {
    throw new AppConfigError(
      'mskClusterSqsEndpoint=stack means the MSK cluster is in the VPC this stack deploys to and uses its SQS ' +
        "endpoint: that needs vpcId (the cluster's VPC) and createVpcEndpoints=true",
    );
  }
  if (v.mskClusterArn !== EXAMPLE_MSK_CLUSTER_ARN && v.mskClusterSqsEndpoint === undefined) {
    throw new AppConfigError(
      'mskClusterSqsEndpoint (MSK_CLUSTER_SQS_ENDPOINT) is required to deploy: the MSK pollers deliver discarded ' +
        "batches to SQS only through an SQS interface endpoint in the cluster's VPC. Say where it comes from: " +
        '"stack" (the cluster is in vpcId and this stack creates the endpoints) or "existing" (its VPC has one)',
    );
  }
  const reserved =
    v.usageEventsReservedConcurrency + v.relayReservedConcurrency + v.sweeperReservedConcurrency;
  if (reserved > 0 && reserved > v.unreservedAccountConcurrency - UNRESERVED_CONCURRENCY_MINIMUM) {
    throw new AppConfigError(
      `the functions reserve ${reserved} concurrent executions, but an unreserved account concurrency of ${v.unreservedAccountConcurrency} ` +
        `(unreservedAccountConcurrency, UNRESERVED_ACCOUNT_CONCURRENCY) leaves only ` +
        `${Math.max(0, v.unreservedAccountConcurrency - UNRESERVED_CONCURRENCY_MINIMUM)} to reserve: Lambda keeps ` +
        `${UNRESERVED_CONCURRENCY_MINIMUM} unreserved. Raise the Lambda concurrency quota until at least ${reserved + UNRESERVED_CONCURRENCY_MINIMUM} is unreserved, ` +
        'or lower usageEventsReservedConcurrency, relayReservedConcurrency and sweeperReservedConcurrency (0 = no reservation)',
    );
  }
  const envOf = v.account && v.region ? { account: v.account, region: v.region } : undefined;
  if (v.vpcId && !envOf) {
    throw new AppConfigError(
      `vpcId ${v.vpcId} is looked up, which needs a concrete account and region: set -c account=... -c region=...`,
    );
  }
  return Object.freeze({
    env: envOf,
    stackName: v.stackName,
    namePrefix: v.namePrefix,
    msk: Object.freeze({
      clusterArn: v.mskClusterArn,
      topic: v.mskTopic,
      consumerGroup: v.mskConsumerGroup,
      batchSize: v.mskBatchSize,
      batchingWindowSeconds: v.mskBatchingWindowSeconds,
      retryAttempts: v.mskRetryAttempts,
      maxRecordAgeSeconds: v.mskMaxRecordAgeSeconds,
      provisionedPollers: v.mskProvisionedPollers,
      minPollers: v.mskMinPollers,
      maxPollers: v.mskMaxPollers,
      failureDestinationEndpoint: v.mskClusterSqsEndpoint,
    }),
    network: Object.freeze({ vpcId: v.vpcId, vpcCidr: v.vpcCidr, createVpcEndpoints: v.createVpcEndpoints }),
    cache: Object.freeze({
      nodeType: v.cacheNodeType,
      engineVersion: v.cacheEngineVersion,
      shards: v.cacheShards,
      replicasPerShard: v.cacheReplicasPerShard,
      port: v.cachePort,
      operatorSecurityGroupId: v.cacheOperatorSecurityGroupId,
    }),
    functions: Object.freeze({
      usageEventsReservedConcurrency: v.usageEventsReservedConcurrency,
      relayReservedConcurrency: v.relayReservedConcurrency,
      sweeperReservedConcurrency: v.sweeperReservedConcurrency,
      usageEventsMemoryMb: v.usageEventsMemoryMb,
      logRetentionDays: v.logRetentionDays,
      unreservedAccountConcurrency: v.unreservedAccountConcurrency,
    }),
    settlement: Object.freeze({
      timeZone: v.settlementTimeZone,
      notificationSource: v.notificationSource,
      notificationLocale: v.notificationLocale,
    }),
    sweeperRateMinutes: v.sweeperRateMinutes,
    archiveRetentionDays: v.archiveRetentionDays,
    alarms: Object.freeze({
      email: v.alarmEmail,
      pendingAgeSeconds: v.pendingAgeAlarmSeconds,
      offsetLag: v.offsetLagAlarmThreshold,
      cacheMemoryPercent: v.cacheMemoryAlarmPercent,
    }),
    retainData: v.retainData,
    emulator: Object.freeze({ serviceEndpoint: v.serviceEndpoint, redisUrl: v.redisUrl }),
  });
}

/** The cluster's name, the "Cluster Name" dimension of MSK's CloudWatch metrics. */
export function mskClusterName(clusterArn: string): string {
  return clusterArn.split(':cluster/')[1]?.split('/')[0] ?? '';
}

/** Topic and consumer-group ARNs for MSK IAM access control, derived from the cluster ARN. */
export function mskResourceArns(msk: Pick<MskConfig, 'clusterArn' | 'topic' | 'consumerGroup'>): {
  readonly cluster: string;
  readonly topic: string;
  readonly group: string;
} {
  const [prefix, clusterPath] = msk.clusterArn.split(':cluster/') as [string, string];
  return {
    cluster: msk.clusterArn,
    topic: `${prefix}:topic/${clusterPath}/${msk.topic}`,
    group: `${prefix}:group/${clusterPath}/${msk.consumerGroup}`,
  };
}
