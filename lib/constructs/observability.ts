import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  Stats,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { BLOCK_REASONS, THRESHOLD_STATUSES } from '../../functions/core/decisions';
import { REJECTION_REASONS } from '../../functions/core/rejection';
import {
  DIMENSION,
  METRIC,
  METRIC_NAMESPACE,
  type MetricName,
  SERVICE_NAME,
} from '../../functions/shared/metric-names';

/** The dimension Powertools Metrics adds to every metric (its default dimension, named by Powertools). */
const POWERTOOLS_SERVICE_DIMENSION = 'service';
const DECISIONS = ['NORMAL', ...THRESHOLD_STATUSES, ...BLOCK_REASONS] as const;
const ONE_MINUTE = Duration.minutes(1);
const FIVE_MINUTES = Duration.minutes(5);

export interface ObservabilityProps {
  readonly namePrefix: string;
  readonly alarmEmail: string | undefined;
  readonly pendingAgeAlarmSeconds: number;
  readonly offsetLagAlarmThreshold: number;
  /** Where MSK reports the consumer group's lag (AWS/Kafka, dimensions from the cluster ARN and the mapping). */
  readonly consumerLag: {
    readonly clusterName: string;
    readonly consumerGroup: string;
    readonly topic: string;
  };
  readonly functions: {
    readonly usageEvents: IFunction;
    readonly outboxRelay: IFunction;
    readonly outboxSweeper: IFunction;
  };
  readonly tables: { readonly ledger: ITable; readonly outbox: ITable };
  readonly queues: {
    readonly rejectedEvents: IQueue;
    readonly usageEventsFailures: IQueue;
    readonly relayFailures: IQueue;
    readonly sweeperScheduleDlq: IQueue;
    readonly notificationDlq: IQueue;
  };
  readonly cache: {
    readonly replicationGroupId: string;
    readonly shards: number;
    readonly replicasPerShard: number;
    /** DatabaseMemoryUsagePercentage of a node that alarms. */
    readonly memoryAlarmPercent: number;
  };
}

/** A product metric as Powertools emits it: our namespace, the service dimension, plus any bounded dimension. */
export function productMetric(
  name: MetricName,
  options: {
    statistic?: string;
    period?: Duration;
    label?: string;
    dimensions?: Record<string, string>;
  } = {},
): Metric {
  return new Metric({
    namespace: METRIC_NAMESPACE,
    metricName: name,
    dimensionsMap: { [POWERTOOLS_SERVICE_DIMENSION]: SERVICE_NAME, ...options.dimensions },
    statistic: options.statistic ?? Stats.SUM,
    period: options.period ?? ONE_MINUTE,
    label: options.label,
  });
}

/**
 * One dashboard for the whole pipeline and the alarms an operator acts on,
 * all notifying one SNS topic. Product metric names come from METRIC, the
 * same constants the functions emit with.
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
    this.addOutboxWidgets();
    this.addLambdaWidgets();
    this.addStorageWidgets();
    this.alarms = this.createAlarms();
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
        title: 'Events received, duplicate, skipped',
        width: 8,
        left: [
          productMetric(METRIC.eventsReceived, { label: 'received' }),
          productMetric(METRIC.eventsDuplicate, { label: 'duplicate' }),
          productMetric(METRIC.eventsSkipped, { label: 'skipped (other eventType)' }),
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
          productMetric(METRIC.settlementTransactions, { label: 'ledger transactions' }),
          productMetric(METRIC.transientRetries, { label: 'transient retries' }),
          productMetric(METRIC.batchItemFailures, { label: 'batch item failures' }),
        ],
      }),
      new GraphWidget({
        title: 'Settlement bugs (must stay 0)',
        width: 8,
        left: [productMetric(METRIC.settlementBugs, { label: 'bugs' })],
      }),
      new GraphWidget({
        title: 'Batch duration (ms)',
        width: 8,
        left: [Stats.p(50), Stats.p(99), Stats.MAXIMUM].map((statistic) =>
          productMetric(METRIC.batchDuration, { statistic, label: statistic }),
        ),
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

  private addLambdaWidgets(): void {
    const fns = Object.entries(this.props.functions);
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
        width: 24,
        left: [
          this.sumOffsetLag(ONE_MINUTE, 'MSK SumOffsetLag (consumer group)'),
          this.props.functions.usageEvents.metric('OffsetLag', {
            statistic: Stats.MAXIMUM,
            period: ONE_MINUTE,
            label: 'Lambda OffsetLag (function metric)',
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
        left: this.cacheNodeMetrics('EngineCPUUtilization'),
      }),
      new GraphWidget({
        title: 'Cache memory used (% of maxmemory)',
        width: 12,
        left: this.cacheNodeMetrics('DatabaseMemoryUsagePercentage'),
        leftAnnotations: [{ value: this.props.cache.memoryAlarmPercent, label: 'memory alarm' }],
      }),
    );
  }

  /**
   * One metric per node, shard by shard. In cluster mode ElastiCache names nodes
   * <replication group>-<shard 0001..>-<node 001..>, and a Valkey node's CacheNodeId is always 0001.
   */
  private cacheShardMetrics(metricName: string, period = ONE_MINUTE): Metric[][] {
    const { replicationGroupId, shards, replicasPerShard } = this.props.cache;
    return Array.from({ length: shards }, (_, s) =>
      Array.from({ length: replicasPerShard + 1 }, (_, n) => {
        const cacheClusterId = `${replicationGroupId}-${String(s + 1).padStart(4, '0')}-${String(n + 1).padStart(3, '0')}`;
        return new Metric({
          namespace: 'AWS/ElastiCache',
          metricName,
          dimensionsMap: { CacheClusterId: cacheClusterId, CacheNodeId: '0001' },
          statistic: Stats.MAXIMUM,
          period,
          label: cacheClusterId,
        });
      }),
    );
  }

  private cacheNodeMetrics(metricName: string): Metric[] {
    return this.cacheShardMetrics(metricName).flat();
  }

  /**
   * MSK's own view of the mapping's consumer group: the lag summed over the
   * topic's partitions. The broker computes it from the committed offsets, so
   * it needs nothing from the mapping; it is absent while the group rebalances.
   */
  private sumOffsetLag(period: Duration, label?: string): Metric {
    const { clusterName, consumerGroup, topic } = this.props.consumerLag;
    return new Metric({
      namespace: 'AWS/Kafka',
      metricName: 'SumOffsetLag',
      dimensionsMap: { 'Cluster Name': clusterName, 'Consumer Group': consumerGroup, Topic: topic },
      statistic: Stats.MAXIMUM,
      period,
      label,
    });
  }

  private createAlarms(): Record<string, Alarm> {
    const { props } = this;
    const above = (
      id: string,
      metric: IMetric,
      threshold: number,
      description: string,
      evaluationPeriods = 1,
    ): Alarm => {
      const alarm = new Alarm(this, id, {
        alarmName: `${props.namePrefix}-${id}`,
        alarmDescription: description,
        metric,
        threshold,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods,
        datapointsToAlarm: evaluationPeriods,
        // No datapoint means the counter was not emitted, i.e. zero.
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(new SnsAction(this.topic));
      return alarm;
    };
    const queueDepth = (queue: IQueue) =>
      queue.metricApproximateNumberOfMessagesVisible({ statistic: Stats.MAXIMUM, period: FIVE_MINUTES });

    const alarms: Record<string, Alarm> = {
      RejectedEvents: above(
        'RejectedEvents',
        queueDepth(props.queues.rejectedEvents),
        0,
        'A usage event was rejected to the dead-letter queue. Read the message reason; fix the producer or the member data, then replay.',
      ),
      SkippedKafkaBatches: above(
        'SkippedKafkaBatches',
        queueDepth(props.queues.usageEventsFailures),
        0,
        'The MSK mapping gave up on a batch (retry or record-age limit): those offsets are NOT settled. Replay them from Kafka.',
      ),
      SweeperScheduleFailures: above(
        'SweeperScheduleFailures',
        queueDepth(props.queues.sweeperScheduleDlq),
        0,
        'A sweeper run did not happen (Scheduler could not invoke it, or Lambda throttled it past its age or it failed): pending notifications are not being retried.',
      ),
      NotificationsFailed: above(
        'NotificationsFailed',
        productMetric(METRIC.notificationsFailed, { period: FIVE_MINUTES }),
        0,
        'An outbox item reached FAILED after its retries. Find it on the status index, fix the cause, requeue it.',
      ),
      OutboxPendingAge: above(
        'OutboxPendingAge',
        productMetric(METRIC.outboxOldestPendingAge, { statistic: Stats.MAXIMUM, period: FIVE_MINUTES }),
        props.pendingAgeAlarmSeconds,
        'A notification has been pending too long: the relay and the sweeper are not publishing (EventBridge, permissions, errors).',
      ),
      OffsetLag: above(
        'OffsetLag',
        this.sumOffsetLag(FIVE_MINUTES),
        props.offsetLagAlarmThreshold,
        'usage-events is falling behind the topic for 15 minutes: check errors, throttles, Redis and DynamoDB, pollers.',
        3,
      ),
      SettlementBugs: above(
        'SettlementBugs',
        productMetric(METRIC.settlementBugs),
        0,
        'An unknown decision status or a broken invariant stopped a partition. Read the logs; this is a code bug.',
      ),
    };
    for (const [name, fn] of Object.entries(props.functions)) {
      const id = `${name[0]!.toUpperCase()}${name.slice(1)}Errors`;
      alarms[id] = above(
        id,
        fn.metricErrors({ period: FIVE_MINUTES }),
        0,
        name === 'usageEvents'
          ? 'The usageEvents function threw (not a reported batch item failure): read its log group (it is not traced: Lambda does not trace MSK-invoked functions).'
          : `The ${name} function threw: read its log group and its X-Ray traces.`,
      );
    }
    // One alarm per shard: an alarm's math can read at most 10 metrics, a shard has at most 6 nodes.
    this.cacheShardMetrics('DatabaseMemoryUsagePercentage', FIVE_MINUTES).forEach((nodes, s) => {
      const id = `CacheMemoryShard${String(s + 1).padStart(4, '0')}`;
      alarms[id] = above(
        id,
        new MathExpression({
          expression: `MAX([${nodes.map((_, n) => `n${n}`).join(', ')}])`,
          label: `shard ${s + 1} memory used (% of maxmemory, highest node)`,
          period: FIVE_MINUTES,
          usingMetrics: Object.fromEntries(nodes.map((metric, n) => [`n${n}`, metric])),
        }),
        props.cache.memoryAlarmPercent,
        `A Valkey node of shard ${s + 1} is above ${props.cache.memoryAlarmPercent}% of maxmemory. The cache never evicts ` +
          '(noeviction): when full, writes fail and usage-events batches are redelivered. Scale the node type or add shards.',
        2,
      );
    });
    for (const [name, table] of Object.entries(props.tables)) {
      const id = `${name[0]!.toUpperCase()}${name.slice(1)}TableThrottles`;
      alarms[id] = above(
        id,
        new MathExpression({
          expression: 'reads + writes',
          label: `${name} throttled events`,
          period: FIVE_MINUTES,
          usingMetrics: {
            reads: table.metric('ReadThrottleEvents', { statistic: Stats.SUM, period: FIVE_MINUTES }),
            writes: table.metric('WriteThrottleEvents', { statistic: Stats.SUM, period: FIVE_MINUTES }),
          },
        }),
        0,
        `DynamoDB throttled the ${name} table: look for a hot partition key or a traffic spike beyond on-demand headroom.`,
      );
    }
    return alarms;
  }
}
