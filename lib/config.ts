import type { Node } from 'constructs';
import type { LedgerCapacity } from './constructs/ledger-capacity';
import {
  EXAMPLE_MSK_CLUSTER_ARN,
  PARAMETERS,
  type Parameter,
  type ParameterName,
  parameterSchema,
} from './parameters';

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
  /**
   * A shadow run beside the system being replaced: it settles into its own
   * tables and publishes nothing (no outbox relay or sweeper, no usage
   * snapshots). docs/deploy.md, "Cutover".
   */
  readonly shadow: boolean;
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
    readonly changeEventsReservedConcurrency: number;
    readonly relayReservedConcurrency: number;
    readonly sweeperReservedConcurrency: number;
    /** Initialised execution environments of the alias the mappings invoke; 0 = none (cold starts allowed). */
    readonly usageEventsProvisionedConcurrency: number;
    readonly changeEventsProvisionedConcurrency: number;
    readonly usageEventsMemoryMb: number;
    readonly logRetentionDays: number;
    /**
     * "Unreserved account concurrency" of the Lambda console before this stack: the
     * region's quota minus what other functions reserve. The stack's reservations
     * must leave 100 of it unreserved. Required to deploy; an offline synth assumes 1,000.
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
  /**
   * The live usage snapshots: when on, a function on the ledger's stream
   * produces them to a topic of the MSK cluster, keyed by familyId.
   */
  readonly usageSnapshots:
    | { readonly enabled: false }
    | { readonly enabled: true; readonly topic: string; readonly bootstrapBrokers: string };
  /** The usage read API for the apps: an HTTP API on a function that reads the ledger. */
  readonly usageApi: {
    /** Whether the ledger has the member settlements index, and the API its settlements route. */
    readonly memberSettlementsIndex: boolean;
    /** A JWT authoriser instead of IAM (SigV4), when both its issuer and audience are given. */
    readonly jwt: { readonly issuer: string; readonly audience: ReadonlyArray<string> } | undefined;
    readonly throttle: { readonly ratePerSecond: number; readonly burst: number };
    readonly latencyAlarmMs: number;
  };
  readonly alarms: {
    readonly email: string | undefined;
    readonly pendingAgeSeconds: number;
    readonly offsetLag: number;
    /** The same for each change topic: a few changes a minute at most, so far less lag is already news. */
    readonly changeOffsetLag: number;
    /** DatabaseMemoryUsagePercentage of any cache node that alarms. */
    readonly cacheMemoryPercent: number;
    /** EngineCPUUtilization of any cache node that alarms. */
    readonly cacheCpuPercent: number;
    /** CurrConnections of any cache node that alarms. */
    readonly cacheConnections: number;
    /** ReplicationLag (seconds) of any replica that alarms. */
    readonly cacheReplicationLagSeconds: number;
  };
  /** Whether tables and the secret survive `cdk destroy`. */
  readonly retainData: boolean;
  /** Usage events a second the ledger takes from the start (warm throughput); 0 = none. */
  readonly ledgerWarmEventsPerSecond: number;
  /** Days settlement and rejection records stay after the period following their event's, then expire (TTL). */
  readonly settlementRetentionDays: number;
  /** Days archived fates stay in S3 (Glacier Instant Retrieval after 90); 0 = forever. */
  readonly settlementArchiveRetentionDays: number;
  /** The ledger's capacity mode; provisioned carries its auto scaling bounds. */
  readonly ledgerCapacity: LedgerCapacity;
  /** Emulator wiring (LocalStack); both undefined for AWS. */
  readonly emulator: {
    /** One endpoint for DynamoDB, SQS and EventBridge, passed to the functions. */
    readonly serviceEndpoint: string | undefined;
    /** A plain (non-cluster, no AUTH) Redis used instead of the Valkey cluster. */
    readonly redisUrl: string | undefined;
  };
}

/** A topic and the consumer group of the one mapping that reads it. */
export interface KafkaSubscription {
  readonly topic: string;
  readonly consumerGroup: string;
}

export interface MskConfig {
  readonly clusterArn: string;
  /** The usage events, read by usage-events. */
  readonly topic: string;
  readonly consumerGroup: string;
  /**
   * Policy and family events, both read by change-events, each through a mapping
   * and consumer group of its own. The batching, retry and poller settings below
   * apply to every mapping.
   */
  readonly changeTopics: {
    readonly policy: KafkaSubscription;
    readonly family: KafkaSubscription;
  };
  /**
   * Whether the usage mapping exists: false readies a stack for the switch
   * from the replaced system, which then adds it at AT_TIMESTAMP (the instant
   * of the switch, which cannot be in the future when the mapping is created).
   */
  readonly usageMapping: boolean;
  /**
   * Where the usage mapping starts reading when its consumer group has no
   * committed offsets (a group with offsets resumes from them whatever this says).
   */
  readonly startingPosition: StartingPosition;
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
  /** Partitions of the usage topic: one invocation each at a time. */
  readonly partitions: number;
  /**
   * Provisioned pollers of the usage mapping, as its minimum and its maximum:
   * scaling between the two rebalances the consumer group under load, which
   * stops every partition for seconds.
   */
  readonly pollers: number;
  /** The same for each change mapping. */
  readonly changePollers: number;
  /**
   * The poller group the two change mappings share: low-volume topics on
   * the same pollers instead of a dedicated set each.
   */
  readonly changePollerGroup: string;
  /**
   * Where the SQS interface endpoint in the cluster's VPC comes from, which the
   * pollers need to deliver discarded batches to the on-failure queue: `stack`
   * (the cluster is in vpcId and this stack's endpoints serve it) or `existing`
   * (the cluster's VPC has one). Undefined only in an offline synth.
   */
  readonly failureDestinationEndpoint: FailureDestinationEndpoint | undefined;
}

export type FailureDestinationEndpoint = 'stack' | 'existing';

export type StartingPosition =
  | { readonly position: 'LATEST' | 'TRIM_HORIZON' }
  | { readonly position: 'AT_TIMESTAMP'; readonly timestampSeconds: number };

/** Concurrent invocations one provisioned Kafka poller runs at most (Lambda guide, "Kafka event poller scaling modes"). */
export const INVOCATIONS_PER_POLLER = 5;

/** Lambda keeps this much of the account quota unreserved; reservations cannot eat into it. */
const UNRESERVED_CONCURRENCY_MINIMUM = 100;
/** An offline synth with the placeholder cluster checks the reservations against the default regional quota. */
const OFFLINE_UNRESERVED_CONCURRENCY = 1000;

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
  const parsed = parameterSchema.safeParse(raw);
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
  if (v.shadow) refuseProductionNames(v);
  const startingPosition = startingPositionOf(v.mskStartingPosition, v.mskStartingTimestamp);
  const pollers = pollersFor(v.mskPartitions, v.mskPollers);
  if (v.usageEventsReservedConcurrency > 0 && v.usageEventsReservedConcurrency < v.mskPartitions) {
    throw new AppConfigError(
      `usageEventsReservedConcurrency (USAGE_EVENTS_RESERVED_CONCURRENCY) ${v.usageEventsReservedConcurrency} is below ` +
        `mskPartitions (MSK_PARTITIONS) ${v.mskPartitions}: each partition runs an invocation at a time, so the ` +
        'partitions beyond the reservation would be throttled and their records wait. Reserve at least one per partition',
    );
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
  // One topic under two mappings would apply each event twice (or feed one function the other's events);
  // two mappings in one consumer group would take each other's partitions and share one lag metric.
  for (const [what, names] of [
    ['topic', ['mskTopic', 'mskPolicyTopic', 'mskFamilyTopic']],
    ['consumer group', ['mskConsumerGroup', 'mskPolicyConsumerGroup', 'mskFamilyConsumerGroup']],
  ] as const) {
    const clash = sameValue(names, (name) => v[name]);
    if (clash) {
      const [a, b] = clash.map((name) => `${PARAMETERS[name].context} (${PARAMETERS[name].env})`);
      throw new AppConfigError(
        `${a} and ${b} are both "${v[clash[0]]}": each MSK mapping needs a ${what} of its own`,
      );
    }
  }
  const unreserved = v.unreservedAccountConcurrency ?? OFFLINE_UNRESERVED_CONCURRENCY;
  if (v.unreservedAccountConcurrency === undefined && v.mskClusterArn !== EXAMPLE_MSK_CLUSTER_ARN) {
    throw new AppConfigError(
      'unreservedAccountConcurrency (UNRESERVED_ACCOUNT_CONCURRENCY) is required to deploy: the "Unreserved account ' +
        'concurrency" of this account and region before this stack (aws lambda get-account-settings, ' +
        'AccountLimit.UnreservedConcurrentExecutions), so that synthesis can check the reservations fit',
    );
  }
  const reserved =
    v.usageEventsReservedConcurrency +
    v.changeEventsReservedConcurrency +
    v.relayReservedConcurrency +
    v.sweeperReservedConcurrency;
  if (reserved > 0 && reserved > unreserved - UNRESERVED_CONCURRENCY_MINIMUM) {
    throw new AppConfigError(
      `the functions reserve ${reserved} concurrent executions, but an unreserved account concurrency of ${unreserved} ` +
        `(unreservedAccountConcurrency, UNRESERVED_ACCOUNT_CONCURRENCY) leaves only ` +
        `${Math.max(0, unreserved - UNRESERVED_CONCURRENCY_MINIMUM)} to reserve: Lambda keeps ` +
        `${UNRESERVED_CONCURRENCY_MINIMUM} unreserved. Raise the Lambda concurrency quota until at least ${reserved + UNRESERVED_CONCURRENCY_MINIMUM} is unreserved, ` +
        'or lower usageEventsReservedConcurrency, changeEventsReservedConcurrency, relayReservedConcurrency and ' +
        'sweeperReservedConcurrency (0 = no reservation)',
    );
  }
  for (const fn of ['usageEvents', 'changeEvents'] as const) {
    const provisioned = v[`${fn}ProvisionedConcurrency`];
    const reservedConcurrency = v[`${fn}ReservedConcurrency`];
    if (reservedConcurrency > 0 && provisioned > reservedConcurrency) {
      const name = (p: ParameterName) => `${PARAMETERS[p].context} (${PARAMETERS[p].env})`;
      throw new AppConfigError(
        `${name(`${fn}ProvisionedConcurrency`)} ${provisioned} exceeds ${name(`${fn}ReservedConcurrency`)} ` +
          `${reservedConcurrency}: provisioned environments count against the function's reservation`,
      );
    }
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
    shadow: v.shadow,
    msk: Object.freeze({
      clusterArn: v.mskClusterArn,
      topic: v.mskTopic,
      consumerGroup: v.mskConsumerGroup,
      changeTopics: Object.freeze({
        policy: Object.freeze({ topic: v.mskPolicyTopic, consumerGroup: v.mskPolicyConsumerGroup }),
        family: Object.freeze({ topic: v.mskFamilyTopic, consumerGroup: v.mskFamilyConsumerGroup }),
      }),
      usageMapping: v.mskUsageMapping,
      startingPosition,
      batchSize: v.mskBatchSize,
      batchingWindowSeconds: v.mskBatchingWindowSeconds,
      retryAttempts: v.mskRetryAttempts,
      maxRecordAgeSeconds: v.mskMaxRecordAgeSeconds,
      provisionedPollers: v.mskProvisionedPollers,
      partitions: v.mskPartitions,
      pollers,
      changePollers: v.mskChangePollers,
      changePollerGroup: `${v.namePrefix}-change-events`,
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
      changeEventsReservedConcurrency: v.changeEventsReservedConcurrency,
      relayReservedConcurrency: v.relayReservedConcurrency,
      sweeperReservedConcurrency: v.sweeperReservedConcurrency,
      usageEventsProvisionedConcurrency: v.usageEventsProvisionedConcurrency,
      changeEventsProvisionedConcurrency: v.changeEventsProvisionedConcurrency,
      usageEventsMemoryMb: v.usageEventsMemoryMb,
      logRetentionDays: v.logRetentionDays,
      unreservedAccountConcurrency: unreserved,
    }),
    settlement: Object.freeze({
      timeZone: v.settlementTimeZone,
      notificationSource: v.notificationSource,
      notificationLocale: v.notificationLocale,
    }),
    sweeperRateMinutes: v.sweeperRateMinutes,
    archiveRetentionDays: v.archiveRetentionDays,
    usageSnapshots: usageSnapshotsOf(v),
    usageApi: usageApiOf(v),
    alarms: Object.freeze({
      email: v.alarmEmail,
      pendingAgeSeconds: v.pendingAgeAlarmSeconds,
      offsetLag: v.offsetLagAlarmThreshold,
      changeOffsetLag: v.changeOffsetLagAlarmThreshold,
      cacheMemoryPercent: v.cacheMemoryAlarmPercent,
      cacheCpuPercent: v.cacheCpuAlarmPercent,
      cacheConnections: v.cacheConnectionsAlarmThreshold,
      cacheReplicationLagSeconds: v.cacheReplicationLagAlarmSeconds,
    }),
    retainData: v.retainData,
    ledgerWarmEventsPerSecond: v.ledgerWarmEventsPerSecond,
    settlementRetentionDays: v.settlementRetentionDays,
    settlementArchiveRetentionDays: v.settlementArchiveRetentionDays,
    ledgerCapacity: ledgerCapacityOf(v),
    emulator: Object.freeze({ serviceEndpoint: v.serviceEndpoint, redisUrl: v.redisUrl }),
  });
}

function ledgerCapacityOf(v: ReturnType<typeof parameterSchema.parse>): LedgerCapacity {
  if (v.ledgerCapacityMode === 'on-demand') return { mode: 'on-demand' };
  const name = (p: ParameterName) => `${PARAMETERS[p].context} (${PARAMETERS[p].env})`;
  for (const [min, max] of [
    ['ledgerMinWriteUnits', 'ledgerMaxWriteUnits'],
    ['ledgerMinReadUnits', 'ledgerMaxReadUnits'],
  ] as const) {
    if (v[min] > v[max]) {
      throw new AppConfigError(`${name(min)} ${v[min]} exceeds ${name(max)} ${v[max]}`);
    }
  }
  return {
    mode: 'provisioned',
    writeUnits: { min: v.ledgerMinWriteUnits, max: v.ledgerMaxWriteUnits },
    readUnits: { min: v.ledgerMinReadUnits, max: v.ledgerMaxReadUnits },
    timeZone: v.settlementTimeZone,
  };
}

function usageApiOf(v: ReturnType<typeof parameterSchema.parse>): AppConfig['usageApi'] {
  const name = (p: ParameterName) => `${PARAMETERS[p].context} (${PARAMETERS[p].env})`;
  if ((v.apiJwtIssuer === undefined) !== (v.apiJwtAudience === undefined)) {
    throw new AppConfigError(
      `${name('apiJwtIssuer')} and ${name('apiJwtAudience')} go together: give both for a JWT authoriser, or neither for IAM`,
    );
  }
  return Object.freeze({
    memberSettlementsIndex: v.memberSettlementsIndex,
    jwt:
      v.apiJwtIssuer && v.apiJwtAudience
        ? Object.freeze({ issuer: v.apiJwtIssuer, audience: Object.freeze(v.apiJwtAudience.split(',')) })
        : undefined,
    throttle: Object.freeze({ ratePerSecond: v.apiThrottleRate, burst: v.apiThrottleBurst }),
    latencyAlarmMs: v.apiLatencyAlarmMs,
  });
}

function usageSnapshotsOf(v: ReturnType<typeof parameterSchema.parse>): AppConfig['usageSnapshots'] {
  if (!v.usageSnapshots) return { enabled: false };
  const name = (p: ParameterName) => `${PARAMETERS[p].context} (${PARAMETERS[p].env})`;
  if (v.shadow) {
    throw new AppConfigError(`${name('usageSnapshots')} is refused in a shadow stack: it publishes nothing`);
  }
  if (!v.mskBootstrapBrokers) {
    throw new AppConfigError(
      `${name('usageSnapshots')} needs ${name('mskBootstrapBrokers')}: the cluster's IAM bootstrap brokers ` +
        '(aws kafka get-bootstrap-brokers, BootstrapBrokerStringSaslIam), where the snapshots are produced',
    );
  }
  if (v.usageSnapshotTopic === v.mskTopic) {
    throw new AppConfigError(
      `${name('usageSnapshotTopic')} and ${name('mskTopic')} are both "${v.mskTopic}": the snapshots need a topic of their own`,
    );
  }
  return { enabled: true, topic: v.usageSnapshotTopic, bootstrapBrokers: v.mskBootstrapBrokers };
}

/**
 * A shadow stack under a production stack's name would turn that stack into a
 * shadow, and under its consumer groups would take its partitions: every one
 * of these must be a name of the shadow's own, not the default.
 */
function refuseProductionNames(v: ReturnType<typeof parameterSchema.parse>): void {
  const own = [
    'stackName',
    'namePrefix',
    'mskConsumerGroup',
    'mskPolicyConsumerGroup',
    'mskFamilyConsumerGroup',
  ] as const;
  const defaulted = own.filter((name) => v[name] === parameterSchema.shape[name].parse(undefined));
  if (defaulted.length > 0) {
    throw new AppConfigError(
      `shadow=true needs names of its own, apart from the production stack's: set ${defaulted
        .map((name) => `${PARAMETERS[name].context} (${PARAMETERS[name].env})`)
        .join(', ')}`,
    );
  }
}

function startingPositionOf(
  position: StartingPosition['position'],
  timestamp: string | undefined,
): StartingPosition {
  const key = `${PARAMETERS.mskStartingTimestamp.context} (${PARAMETERS.mskStartingTimestamp.env})`;
  if (position !== 'AT_TIMESTAMP') {
    if (timestamp !== undefined) {
      throw new AppConfigError(`${key} is only read with mskStartingPosition=AT_TIMESTAMP, not ${position}`);
    }
    return { position };
  }
  if (timestamp === undefined) {
    throw new AppConfigError(
      `mskStartingPosition=AT_TIMESTAMP needs ${key}: the instant to start reading from`,
    );
  }
  return { position, timestampSeconds: Math.floor(Date.parse(timestamp) / 1000) };
}

/**
 * Enough pollers for every partition to run an invocation at once, and no
 * more than there are partitions (a poller without one idles, billed).
 */
function pollersFor(partitions: number, override: number | undefined): number {
  const needed = Math.ceil(partitions / INVOCATIONS_PER_POLLER);
  if (override === undefined) return needed;
  const key = `${PARAMETERS.mskPollers.context} (${PARAMETERS.mskPollers.env})`;
  if (override < needed) {
    throw new AppConfigError(
      `${key} ${override} cannot run ${partitions} partitions at once: a poller runs at most ${INVOCATIONS_PER_POLLER} ` +
        `invocations, so at least ${needed} are needed (or leave ${PARAMETERS.mskPollers.context} unset)`,
    );
  }
  if (override > partitions) {
    throw new AppConfigError(
      `${key} ${override} exceeds mskPartitions ${partitions}: a poller needs a partition to read`,
    );
  }
  return override;
}

/** The first two names whose values are equal, if any. */
function sameValue<N extends string>(names: readonly N[], value: (name: N) => string): [N, N] | undefined {
  for (const [i, a] of names.entries()) {
    const b = names.slice(i + 1).find((n) => value(n) === value(a));
    if (b) return [a, b];
  }
  return undefined;
}

/** The cluster's name, the "Cluster Name" dimension of MSK's CloudWatch metrics. */
export function mskClusterName(clusterArn: string): string {
  return clusterArn.split(':cluster/')[1]?.split('/')[0] ?? '';
}

/** Topic and consumer-group ARNs for MSK IAM access control, derived from the cluster ARN. */
export function mskResourceArns(msk: { readonly clusterArn: string } & KafkaSubscription): {
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
