import { Duration } from 'aws-cdk-lib';
import type { IHttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  type Alarm,
  Dashboard,
  GraphWidget,
  type IMetric,
  Stats,
  TextWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FAMILY_EVENT_TYPES, POLICY_UPDATED } from '../../functions/core/changes/change-event';
import { REJECTION_REASONS } from '../../functions/core/rejection';
import { BLOCK_REASONS, THRESHOLD_STATUSES, ZERO_RATED } from '../../functions/core/status-effects';
import { DIMENSION, METRIC } from '../../functions/runtime/metric-names';
import type { KafkaSubscription } from '../config';
import { ARCHIVE_LAG_ALARM_MS, createAlarms, PROMISED_DECISION_P99_MS } from './alarms';
import { cacheShardMetrics, ONE_MINUTE, productMetric, sumOffsetLag } from './metrics';

const DECISIONS = ['NORMAL', ZERO_RATED, ...THRESHOLD_STATUSES, ...BLOCK_REASONS] as const;
const CONFIG_EVENT_TYPES = [POLICY_UPDATED, ...FAMILY_EVENT_TYPES] as const;

export interface ObservabilityProps {
  readonly namePrefix: string;
  readonly alarmEmail: string | undefined;
  readonly pendingAgeAlarmSeconds: number;
  readonly offsetLagAlarmThreshold: number;
  readonly changeOffsetLagAlarmThreshold: number;
  /** Where MSK reports each mapping's consumer lag (AWS/Kafka, dimensions from the cluster ARN and the mapping). */
  readonly consumerLag: {
    readonly clusterName: string;
    readonly usageEvents: KafkaSubscription;
    readonly policyUpdated: KafkaSubscription;
    readonly familyUpdated: KafkaSubscription;
  };
  /** The outbox functions are absent in a shadow stack. */
  readonly functions: {
    readonly usageEvents: IFunction;
    readonly changeEvents: IFunction;
    readonly outboxRelay: IFunction | undefined;
    readonly outboxSweeper: IFunction | undefined;
    readonly settlementArchiver: IFunction;
    /** Only when the live usage snapshots are on. */
    readonly usageSnapshots: IFunction | undefined;
    readonly usageApi: IFunction;
  };
  /** The usage read API: its 5xx answers and latency, next to its function's. */
  readonly usageApi: { readonly stage: IHttpStage; readonly latencyAlarmMs: number };
  readonly tables: { readonly ledger: ITable; readonly outbox: ITable };
  readonly queues: {
    readonly rejectedEvents: IQueue;
    readonly usageEventsFailures: IQueue;
    readonly changeEventsFailures: IQueue;
    readonly relayFailures: IQueue;
    readonly archiveFailures: IQueue;
    readonly sweeperScheduleDlq: IQueue;
    readonly notificationDlq: IQueue;
  };
  readonly cache: {
    readonly replicationGroupId: string;
    readonly shards: number;
    readonly replicasPerShard: number;
    /** DatabaseMemoryUsagePercentage of a node that alarms. */
    readonly memoryAlarmPercent: number;
    readonly cpuAlarmPercent: number;
    readonly connectionsAlarmThreshold: number;
    readonly replicationLagSeconds: number;
  };
}

/**
 * One dashboard for the whole pipeline and the alarms an operator acts on
 * (alarms.ts), all notifying one SNS topic. Product metric names come from
 * METRIC, the same constants the functions emit with.
 */
export class Observability extends Construct {
  readonly topic: Topic;
  readonly dashboard: Dashboard;
  readonly alarms: Readonly<Record<string, Alarm>>;

  constructor(
    scope: Construct,
    id: string,
    private readonly props: ObservabilityProps,
  ) {
    super(scope, id);
    this.topic = new Topic(this, 'AlarmTopic', {
      displayName: `${props.namePrefix} alarms`,
      enforceSSL: true,
    });
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: props.namePrefix,
      defaultInterval: Duration.hours(3),
    });
    this.addSettlementWidgets();
    this.addChangeWidgets();
    this.addOutboxWidgets();
    this.addArchiveWidgets();
    this.addUsageApiWidgets();
    this.addLambdaWidgets();
    this.addStorageWidgets();
    this.alarms = createAlarms(this, this.topic, props);
  }

  private addSettlementWidgets(): void {
    this.dashboard.addWidgets(
      new TextWidget({ markdown: '## Settlement (usage-events)', width: 24, height: 1 }),
      new GraphWidget({
        title: 'Events settled by decision',
        width: 8,
        stacked: true,
        left: DECISIONS.map((decision) =>
          productMetric(METRIC.eventsSettled, {
            label: decision,
            dimensions: { [DIMENSION.decision]: decision },
          }),
        ),
      }),
      new GraphWidget({
        title: 'Events received, duplicate, skipped, corrections',
        width: 8,
        left: [
          productMetric(METRIC.eventsReceived, { label: 'received' }),
          productMetric(METRIC.eventsDuplicate, { label: 'duplicate' }),
          productMetric(METRIC.eventsSkipped, { label: 'skipped (other eventType)' }),
          productMetric(METRIC.correctionsApplied, { label: 'corrections applied' }),
          productMetric(METRIC.correctionsSuperseded, { label: 'corrections superseded' }),
        ],
      }),
      new GraphWidget({
        title: 'Events rejected by reason (to the DLQ)',
        width: 8,
        stacked: true,
        left: REJECTION_REASONS.map((reason) =>
          productMetric(METRIC.eventsRejected, { label: reason, dimensions: { [DIMENSION.reason]: reason } }),
        ),
      }),
      new GraphWidget({
        title: 'Redis consistency and retries',
        width: 8,
        left: [
          productMetric(METRIC.hydrations, { label: 'period states loaded' }),
          productMetric(METRIC.ledgerChecks, { label: 'events checked in the ledger' }),
          productMetric(METRIC.staleStates, { label: 'stale states (decided again)' }),
          productMetric(METRIC.globalChangesTaken, { label: 'global changes taken by a family' }),
          productMetric(METRIC.settlementTransactions, { label: 'ledger transactions' }),
          productMetric(METRIC.transientRetries, { label: 'transient retries' }),
          productMetric(METRIC.batchItemFailures, { label: 'batch item failures (usage and config)' }),
        ],
      }),
      new GraphWidget({
        title: 'Degraded mode: decided from DynamoDB alone while Redis is out',
        width: 8,
        left: [
          productMetric(METRIC.degradedBatches, { label: 'batches decided without Redis' }),
          productMetric(METRIC.degradedDecisions, { label: 'events decided without Redis' }),
        ],
        right: [
          productMetric(METRIC.degradedModeSeconds, {
            statistic: Stats.MAXIMUM,
            label: 'seconds Redis has been out',
          }),
        ],
      }),
      new GraphWidget({
        title: 'Settlement bugs, usage and config (must stay 0)',
        width: 8,
        left: [productMetric(METRIC.settlementBugs, { label: 'bugs' })],
      }),
      new GraphWidget({
        title: 'Decision latency: Kafka timestamp to committed decision (ms)',
        width: 8,
        left: [Stats.p(50), Stats.p(99)].map((statistic) =>
          productMetric(METRIC.decisionLatency, { statistic, label: statistic }),
        ),
        leftAnnotations: [{ value: PROMISED_DECISION_P99_MS, label: 'promised p99' }],
      }),
      new GraphWidget({
        title: 'Batch duration (ms)',
        width: 8,
        left: [Stats.p(50), Stats.p(99), Stats.MAXIMUM].map((statistic) =>
          productMetric(METRIC.batchDuration, { statistic, label: statistic }),
        ),
      }),
      new GraphWidget({
        title: 'Live usage snapshots (USAGE_UPDATED, best effort)',
        width: 8,
        left: [
          productMetric(METRIC.usageSnapshotsPublished, { label: 'published' }),
          productMetric(METRIC.usageSnapshotsFailed, { label: 'failed after retries' }),
          productMetric(METRIC.usageSnapshotsSuperseded, { label: 'dropped as superseded (coalesced)' }),
        ],
        right: [Stats.p(50), Stats.p(99)].map((statistic) =>
          productMetric(METRIC.usageSnapshotLatency, {
            statistic,
            label: `commit to publish ms, slowest per batch, ${statistic}`,
          }),
        ),
      }),
    );
  }

  private addChangeWidgets(): void {
    this.dashboard.addWidgets(
      new TextWidget({ markdown: '## Family and policy changes (change-events)', width: 24, height: 1 }),
      new GraphWidget({
        title: 'Change events received, stale, skipped',
        width: 6,
        left: [
          productMetric(METRIC.changeEventsReceived, { label: 'received' }),
          productMetric(METRIC.changesStale, { label: 'stale (not newer than the ledger)' }),
          productMetric(METRIC.changeEventsSkipped, { label: 'skipped (other eventType)' }),
        ],
      }),
      new GraphWidget({
        title: 'Changes applied by event type',
        width: 6,
        stacked: true,
        left: CONFIG_EVENT_TYPES.map((eventType) =>
          productMetric(METRIC.changesApplied, {
            label: eventType,
            dimensions: { [DIMENSION.eventType]: eventType },
          }),
        ),
      }),
      new GraphWidget({
        title: 'Change events rejected by reason (to the DLQ)',
        width: 6,
        stacked: true,
        left: REJECTION_REASONS.map((reason) =>
          productMetric(METRIC.changeEventsRejected, {
            label: reason,
            dimensions: { [DIMENSION.reason]: reason },
          }),
        ),
      }),
      new GraphWidget({
        // Redis catches up on the family's next settlement (its period state is reloaded), so this is not an alarm.
        title: 'Changes committed while Redis could not follow',
        width: 6,
        left: [productMetric(METRIC.changesRedisNotUpdated, { label: 'Redis not updated' })],
      }),
      new GraphWidget({
        // A policy change can arrive before its member or family (two topics, no order between them): held,
        // then applied when the member appears, or dead-lettered when its wait runs out.
        title: 'Policy changes held for their member or family',
        width: 6,
        left: [
          productMetric(METRIC.changesHeld, { label: 'held' }),
          productMetric(METRIC.heldChangesReleased, { label: 'applied once the member appeared' }),
          productMetric(METRIC.heldChangesExpired, { label: 'expired (dead-lettered)' }),
        ],
      }),
    );
  }

  private addOutboxWidgets(): void {
    this.dashboard.addWidgets(
      new TextWidget({ markdown: '## Outbox and notifications', width: 24, height: 1 }),
      new GraphWidget({
        title: 'Notifications staged, published, publish failed, FAILED',
        width: 12,
        left: [
          productMetric(METRIC.notificationsStaged, { label: 'staged' }),
          productMetric(METRIC.notificationsPublished, { label: 'published' }),
          productMetric(METRIC.notificationsPublishFailed, { label: 'publish attempt failed' }),
          productMetric(METRIC.notificationsFailed, { label: 'FAILED (gave up)' }),
        ],
      }),
      new GraphWidget({
        title: 'Outbox pending items and oldest pending age (s)',
        width: 12,
        left: [productMetric(METRIC.outboxPending, { statistic: Stats.MAXIMUM, label: 'pending items' })],
        right: [
          productMetric(METRIC.outboxOldestPendingAge, { statistic: Stats.MAXIMUM, label: 'oldest age (s)' }),
        ],
      }),
    );
  }

  private addArchiveWidgets(): void {
    this.dashboard.addWidgets(
      new TextWidget({ markdown: '## Settlement archive (ledger stream to S3)', width: 24, height: 1 }),
      new GraphWidget({
        title: 'Fates archived, and not archived (delivered again)',
        width: 12,
        left: [
          productMetric(METRIC.fatesArchived, { label: 'archived' }),
          productMetric(METRIC.fatesArchiveFailed, { label: 'refused by Firehose after retries' }),
        ],
      }),
      new GraphWidget({
        title: 'Archiver behind the ledger stream (ms; the stream keeps 24 h)',
        width: 12,
        left: [
          this.props.functions.settlementArchiver.metric('IteratorAge', {
            statistic: Stats.MAXIMUM,
            period: ONE_MINUTE,
            label: 'iterator age, max',
          }),
        ],
        leftAnnotations: [{ value: ARCHIVE_LAG_ALARM_MS, label: 'alarm' }],
      }),
    );
  }

  private addUsageApiWidgets(): void {
    const { stage, latencyAlarmMs } = this.props.usageApi;
    this.dashboard.addWidgets(
      new TextWidget({ markdown: '## Usage read API (HTTP API, usage-api)', width: 24, height: 1 }),
      new GraphWidget({
        title: 'Requests, 4xx and 5xx answers',
        width: 12,
        left: [
          stage.metricCount({ period: ONE_MINUTE, statistic: Stats.SUM, label: 'requests' }),
          stage.metricClientError({ period: ONE_MINUTE, statistic: Stats.SUM, label: '4xx' }),
          stage.metricServerError({ period: ONE_MINUTE, statistic: Stats.SUM, label: '5xx' }),
        ],
      }),
      new GraphWidget({
        title: 'Latency (ms): API Gateway to the answer, and the function',
        width: 12,
        left: [
          stage.metricLatency({ period: ONE_MINUTE, statistic: Stats.p(50), label: 'p50' }),
          stage.metricLatency({ period: ONE_MINUTE, statistic: Stats.p(99), label: 'p99' }),
          stage.metricIntegrationLatency({
            period: ONE_MINUTE,
            statistic: Stats.p(99),
            label: 'integration p99',
          }),
        ],
        leftAnnotations: [{ value: latencyAlarmMs, label: 'p99 alarm' }],
      }),
    );
  }

  private addLambdaWidgets(): void {
    const fns = Object.entries(this.props.functions).filter(
      (entry): entry is [string, IFunction] => entry[1] !== undefined,
    );
    const { clusterName, usageEvents, policyUpdated, familyUpdated } = this.props.consumerLag;
    const perFunction = (title: string, metric: (fn: IFunction) => IMetric) =>
      new GraphWidget({
        title,
        width: 6,
        left: fns.map(([, fn]) => metric(fn)),
      });
    this.dashboard.addWidgets(
      new TextWidget({ markdown: '## Lambda', width: 24, height: 1 }),
      perFunction('Errors', (fn) => fn.metricErrors({ period: ONE_MINUTE })),
      perFunction('Throttles', (fn) => fn.metricThrottles({ period: ONE_MINUTE })),
      perFunction('Duration p99 (ms)', (fn) =>
        fn.metricDuration({ period: ONE_MINUTE, statistic: Stats.p(99) }),
      ),
      perFunction('Concurrent executions', (fn) =>
        fn.metric('ConcurrentExecutions', { period: ONE_MINUTE, statistic: Stats.MAXIMUM }),
      ),
      new GraphWidget({
        title: 'Offset lag of usage-events (records behind)',
        width: 12,
        left: [
          sumOffsetLag(clusterName, usageEvents, ONE_MINUTE, 'MSK SumOffsetLag (consumer group)'),
          this.props.functions.usageEvents.metric('OffsetLag', {
            statistic: Stats.MAXIMUM,
            period: ONE_MINUTE,
            label: 'Lambda OffsetLag (function metric)',
          }),
        ],
      }),
      new GraphWidget({
        title: 'Offset lag of change-events (records behind)',
        width: 12,
        left: [
          sumOffsetLag(clusterName, policyUpdated, ONE_MINUTE, `MSK SumOffsetLag (${policyUpdated.topic})`),
          sumOffsetLag(clusterName, familyUpdated, ONE_MINUTE, `MSK SumOffsetLag (${familyUpdated.topic})`),
          this.props.functions.changeEvents.metric('OffsetLag', {
            statistic: Stats.MAXIMUM,
            period: ONE_MINUTE,
            label: 'Lambda OffsetLag (function metric, both topics)',
          }),
        ],
      }),
    );
  }

  private addStorageWidgets(): void {
    const { tables, queues } = this.props;
    const tableEntries = Object.entries(tables);
    this.dashboard.addWidgets(
      new TextWidget({ markdown: '## DynamoDB, queues, cache', width: 24, height: 1 }),
      new GraphWidget({
        title: 'DynamoDB throttled events',
        width: 8,
        left: tableEntries.flatMap(([name, table]) => [
          table.metric('ReadThrottleEvents', {
            statistic: Stats.SUM,
            period: ONE_MINUTE,
            label: `${name} read`,
          }),
          table.metric('WriteThrottleEvents', {
            statistic: Stats.SUM,
            period: ONE_MINUTE,
            label: `${name} write`,
          }),
        ]),
      }),
      new GraphWidget({
        title: 'DynamoDB transaction conflicts',
        width: 8,
        left: tableEntries.map(([name, table]) =>
          table.metric('TransactionConflict', { statistic: Stats.SUM, period: ONE_MINUTE, label: name }),
        ),
      }),
      new GraphWidget({
        title: 'Dead-letter queue depth',
        width: 8,
        left: Object.entries(queues).map(([name, queue]) =>
          queue.metricApproximateNumberOfMessagesVisible({ statistic: Stats.MAXIMUM, label: name }),
        ),
      }),
      new GraphWidget({
        title: 'Cache engine CPU (%)',
        width: 12,
        left: cacheShardMetrics(this.props.cache, 'EngineCPUUtilization').flat(),
        leftAnnotations: [{ value: this.props.cache.cpuAlarmPercent, label: 'CPU alarm' }],
      }),
      new GraphWidget({
        title: 'Cache connections',
        width: 12,
        left: cacheShardMetrics(this.props.cache, 'CurrConnections').flat(),
        leftAnnotations: [{ value: this.props.cache.connectionsAlarmThreshold, label: 'connections alarm' }],
      }),
      new GraphWidget({
        title: 'Cache replication lag (s)',
        width: 12,
        left: cacheShardMetrics(this.props.cache, 'ReplicationLag').flat(),
      }),
      new GraphWidget({
        title: 'Cache memory used (% of maxmemory)',
        width: 12,
        left: cacheShardMetrics(this.props.cache, 'DatabaseMemoryUsagePercentage').flat(),
        leftAnnotations: [{ value: this.props.cache.memoryAlarmPercent, label: 'memory alarm' }],
      }),
    );
  }
}
