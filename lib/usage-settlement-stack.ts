import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { type AppConfig, mskClusterName } from './config';
import { Archive } from './constructs/archive';
import { Cache } from './constructs/cache';
import { Data } from './constructs/data';
import { Functions } from './constructs/functions';
import { Messaging } from './constructs/messaging';
import { Network } from './constructs/network';
import { Observability } from './constructs/observability';
import { Triggers } from './constructs/triggers';
import { UsageApi } from './constructs/usage-api';

export interface UsageSettlementStackProps extends StackProps {
  readonly config: AppConfig;
}

/**
 * The whole product in one stack: network, data, cache, messaging, functions,
 * triggers and observability, wired in that order.
 */
export class UsageSettlementStack extends Stack {
  readonly network: Network;
  readonly data: Data;
  readonly archive: Archive;
  readonly cache: Cache;
  readonly messaging: Messaging;
  readonly functions: Functions;
  readonly triggers: Triggers;
  readonly usageApi: UsageApi;
  readonly observability: Observability;

  constructor(scope: Construct, id: string, props: UsageSettlementStackProps) {
    super(scope, id, props);
    const { config } = props;
    const removalPolicy = config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    // Validated against the values CloudWatch Logs accepts in loadAppConfig.
    const logRetention = config.functions.logRetentionDays as RetentionDays;

    this.network = new Network(this, 'Network', { network: config.network, logRetention, removalPolicy });
    this.data = new Data(this, 'Data', {
      removalPolicy,
      deletionProtection: config.retainData,
      warmEventsPerSecond: config.ledgerWarmEventsPerSecond,
      ledgerCapacity: config.ledgerCapacity,
      memberSettlementsIndex: config.usageApi.memberSettlementsIndex,
    });
    this.archive = new Archive(this, 'Archive', {
      retentionDays: config.settlementArchiveRetentionDays,
      logRetention,
      removalPolicy,
    });
    this.cache = new Cache(this, 'Cache', {
      vpc: this.network.vpc,
      subnets: this.network.privateSubnets,
      cache: config.cache,
      namePrefix: config.namePrefix,
      clients: [
        { name: 'usage-events', peer: this.network.usageEventsSecurityGroup },
        { name: 'change-events', peer: this.network.changeEventsSecurityGroup },
      ],
      removalPolicy,
    });
    this.messaging = new Messaging(this, 'Messaging', {
      notificationSource: config.settlement.notificationSource,
      archiveRetentionDays: config.archiveRetentionDays,
    });
    this.functions = new Functions(this, 'Functions', {
      config,
      vpc: this.network.vpc,
      subnets: this.network.privateSubnets,
      usageEventsSecurityGroup: this.network.usageEventsSecurityGroup,
      changeEventsSecurityGroup: this.network.changeEventsSecurityGroup,
      outboxSecurityGroup: this.network.outboxSecurityGroup,
      archiverSecurityGroup: this.network.archiverSecurityGroup,
      usageSnapshotsSecurityGroup: this.network.usageSnapshotsSecurityGroup,
      usageApiSecurityGroup: this.network.usageApiSecurityGroup,
      data: this.data,
      archive: this.archive,
      cache: this.cache,
      messaging: this.messaging,
      logRetention,
      removalPolicy,
    });
    this.triggers = new Triggers(this, 'Triggers', {
      msk: config.msk,
      usageEvents: this.functions.usageEventsLive,
      usageEventsFailureQueue: this.messaging.usageEventsFailureQueue,
      changeEvents: this.functions.changeEventsLive,
      changeEventsFailureQueue: this.messaging.changeEventsFailureQueue,
      outboxRelay: this.functions.outboxRelay,
      outbox: this.data.outbox,
      relayFailureQueue: this.messaging.relayFailureQueue,
      outboxSweeper: this.functions.outboxSweeper,
      sweeperRate: Duration.minutes(config.sweeperRateMinutes),
      sweeperScheduleDeadLetterQueue: this.messaging.sweeperScheduleDeadLetterQueue,
      settlementArchiver: this.functions.settlementArchiver,
      usageSnapshots: this.functions.usageSnapshots,
      ledger: this.data.ledger,
      archiveFailureQueue: this.messaging.archiveFailureQueue,
    });
    this.usageApi = new UsageApi(this, 'UsageApi', {
      handler: this.functions.usageApi,
      usageApi: config.usageApi,
      namePrefix: config.namePrefix,
      logRetention,
      removalPolicy,
    });
    this.observability = new Observability(this, 'Observability', {
      namePrefix: config.namePrefix,
      alarmEmail: config.alarms.email,
      pendingAgeAlarmSeconds: config.alarms.pendingAgeSeconds,
      offsetLagAlarmThreshold: config.alarms.offsetLag,
      changeOffsetLagAlarmThreshold: config.alarms.changeOffsetLag,
      consumerLag: {
        clusterName: mskClusterName(config.msk.clusterArn),
        usageEvents: { topic: config.msk.topic, consumerGroup: config.msk.consumerGroup },
        policyUpdated: config.msk.changeTopics.policy,
        familyUpdated: config.msk.changeTopics.family,
      },
      functions: {
        usageEvents: this.functions.usageEvents,
        changeEvents: this.functions.changeEvents,
        outboxRelay: this.functions.outboxRelay,
        outboxSweeper: this.functions.outboxSweeper,
        settlementArchiver: this.functions.settlementArchiver,
        usageSnapshots: this.functions.usageSnapshots,
        usageApi: this.functions.usageApi,
      },
      usageApi: { stage: this.usageApi.stage, latencyAlarmMs: config.usageApi.latencyAlarmMs },
      tables: { ledger: this.data.ledger, outbox: this.data.outbox },
      queues: {
        rejectedEvents: this.messaging.rejectedEventsQueue,
        usageEventsFailures: this.messaging.usageEventsFailureQueue,
        changeEventsFailures: this.messaging.changeEventsFailureQueue,
        relayFailures: this.messaging.relayFailureQueue,
        archiveFailures: this.messaging.archiveFailureQueue,
        sweeperScheduleDlq: this.messaging.sweeperScheduleDeadLetterQueue,
        notificationDlq: this.messaging.notificationDeadLetterQueue,
      },
      cache: {
        replicationGroupId: this.cache.replicationGroupId,
        shards: config.cache.shards,
        replicasPerShard: config.cache.replicasPerShard,
        memoryAlarmPercent: config.alarms.cacheMemoryPercent,
        cpuAlarmPercent: config.alarms.cacheCpuPercent,
        connectionsAlarmThreshold: config.alarms.cacheConnections,
        replicationLagSeconds: config.alarms.cacheReplicationLagSeconds,
      },
    });

    new CfnOutput(this, 'DashboardName', { value: config.namePrefix });
    // The physical names are generated: operators and the CLI read them from here.
    new CfnOutput(this, 'LedgerTableName', { value: this.data.ledger.tableName });
    new CfnOutput(this, 'OutboxTableName', { value: this.data.outbox.tableName });
    new CfnOutput(this, 'CacheUrl', { value: this.cache.url });
    new CfnOutput(this, 'EventBusName', { value: this.messaging.bus.eventBusName });
    new CfnOutput(this, 'RejectedEventsQueueUrl', { value: this.messaging.rejectedEventsQueue.queueUrl });
    // What `usage-settlement batches replay` reads (FAILED_BATCHES_QUEUE_URL), one queue per function.
    new CfnOutput(this, 'FailedBatchesQueueUrl', { value: this.messaging.usageEventsFailureQueue.queueUrl });
    new CfnOutput(this, 'FailedChangeBatchesQueueUrl', {
      value: this.messaging.changeEventsFailureQueue.queueUrl,
    });
    new CfnOutput(this, 'NotificationQueueUrl', { value: this.messaging.notificationQueue.queueUrl });
    // What `usage-settlement usage settlements` queries in AWS, and where operators point Athena.
    new CfnOutput(this, 'ArchiveBucketName', { value: this.archive.bucket.bucketName });
    new CfnOutput(this, 'ArchiveDatabase', { value: this.archive.database.ref });
    new CfnOutput(this, 'ArchiveTable', { value: this.archive.table.ref });
    new CfnOutput(this, 'ArchiveWorkGroup', { value: this.archive.workGroup.ref });
    new CfnOutput(this, 'UsageApiUrl', { value: this.usageApi.url });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.observability.topic.topicArn });
    new CfnOutput(this, 'CacheAuthSecretArn', { value: this.cache.authSecret.secretArn });
  }
}
