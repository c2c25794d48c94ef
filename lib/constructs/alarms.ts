import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  MathExpression,
  Stats,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { REJECTION_REASONS } from '../../functions/core/rejection';
import { DIMENSION, METRIC } from '../../functions/runtime/metric-names';
import { cacheShardMetrics, FIVE_MINUTES, productMetric, sumOffsetLag } from './metrics';
import type { ObservabilityProps } from './observability';

/** Functions invoked by an MSK mapping: Lambda does not trace them, so their logs are all there is. */
const UNTRACED = new Set(['usageEvents', 'configEvents']);

/**
 * The alarms an operator acts on, all notifying `topic`. Each is created in
 * `scope` under its name, which is also its logical id: renaming one replaces it.
 */
export function createAlarms(
  scope: Construct,
  topic: ITopic,
  props: ObservabilityProps,
): Record<string, Alarm> {
  const above = (
    id: string,
    metric: IMetric,
    threshold: number,
    description: string,
    evaluationPeriods = 1,
  ): Alarm => {
    const alarm = new Alarm(scope, id, {
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
    alarm.addAlarmAction(new SnsAction(topic));
    return alarm;
  };
  const queueDepth = (queue: IQueue) =>
    queue.metricApproximateNumberOfMessagesVisible({ statistic: Stats.MAXIMUM, period: FIVE_MINUTES });
  const { clusterName } = props.consumerLag;

  const alarms: Record<string, Alarm> = {
    RejectedEvents: above(
      'RejectedEvents',
      queueDepth(props.queues.rejectedEvents),
      0,
      'An event was rejected to the dead-letter queue. Read the message reason; fix the producer or the member data, ' +
        'then replay the letters (`usage-settlement dlq replay`: usage events settle, policy and family events apply).',
    ),
    DegradedMode: above(
      'DegradedMode',
      productMetric(METRIC.degradedBatches, { statistic: Stats.SUM, period: FIVE_MINUTES }),
      0,
      'usage-events decided batches from DynamoDB alone because Redis kept failing (degraded mode): settlement goes on, ' +
        'at a higher DynamoDB cost. Check the cache (failover, memory, connections); the functions return to Redis ' +
        'on their own once it answers.',
    ),
    SkippedKafkaBatches: above(
      'SkippedKafkaBatches',
      queueDepth(props.queues.usageEventsFailures),
      0,
      'The MSK mapping gave up on a batch (retry or record-age limit): those offsets are NOT settled. ' +
        'Replay exactly them with `usage-settlement batches replay` (FAILED_BATCHES_QUEUE_URL = FailedBatchesQueueUrl).',
    ),
    SkippedConfigBatches: above(
      'SkippedConfigBatches',
      queueDepth(props.queues.configEventsFailures),
      0,
      'A config-events MSK mapping gave up on a batch of policy or family events: those changes are NOT applied, and ' +
        'usage of the families concerned is decided against their old members, quotas or policies. Replay them with ' +
        '`usage-settlement batches replay` (FAILED_BATCHES_QUEUE_URL = FailedConfigBatchesQueueUrl).',
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
      sumOffsetLag(clusterName, props.consumerLag.usageEvents, FIVE_MINUTES),
      props.offsetLagAlarmThreshold,
      'usage-events is falling behind the topic for 15 minutes: check errors, throttles, Redis and DynamoDB, pollers.',
      3,
    ),
    // Both Kafka consumers count their bugs under this one metric.
    SettlementBugs: above(
      'SettlementBugs',
      productMetric(METRIC.settlementBugs),
      0,
      'An unknown decision status or a broken invariant stopped a partition of usage-events or config-events. Read their logs; this is a code bug.',
    ),
    ConfigEventsRejected: above(
      'ConfigEventsRejected',
      // Emitted per reason only; an alarm's math reads at most 10 metrics, which the reasons fit in.
      new MathExpression({
        expression: `SUM([${REJECTION_REASONS.map((_, i) => `r${i}`).join(', ')}])`,
        label: 'policy and family events rejected',
        period: FIVE_MINUTES,
        usingMetrics: Object.fromEntries(
          REJECTION_REASONS.map((reason, i) => [
            `r${i}`,
            productMetric(METRIC.configEventsRejected, {
              period: FIVE_MINUTES,
              dimensions: { [DIMENSION.reason]: reason },
            }),
          ]),
        ),
      }),
      0,
      "A policy or family event was rejected: the ledger no longer follows the producer for that family. Read the letter's " +
        'reason in the dead-letter queue, fix the producer or the family, and replay it ' +
        '(`usage-settlement dlq replay` sends policy and family events through the config path).',
    ),
  };
  for (const [name, subscription] of [
    ['PolicyUpdated', props.consumerLag.policyUpdated],
    ['FamilyUpdated', props.consumerLag.familyUpdated],
  ] as const) {
    const id = `${name}OffsetLag`;
    alarms[id] = above(
      id,
      sumOffsetLag(clusterName, subscription, FIVE_MINUTES),
      props.configOffsetLagAlarmThreshold,
      `config-events is falling behind ${subscription.topic} for 15 minutes: family and policy changes wait, and usage ` +
        'is decided against the old ones. Check its errors, throttles, DynamoDB and pollers.',
      3,
    );
  }
  for (const [name, fn] of Object.entries(props.functions)) {
    const id = `${name[0]!.toUpperCase()}${name.slice(1)}Errors`;
    alarms[id] = above(
      id,
      fn.metricErrors({ period: FIVE_MINUTES }),
      0,
      UNTRACED.has(name)
        ? `The ${name} function threw (not a reported batch item failure): read its log group (it is not traced: Lambda does not trace MSK-invoked functions).`
        : `The ${name} function threw: read its log group and its X-Ray traces.`,
    );
  }
  // One alarm per shard: an alarm's math can read at most 10 metrics, a shard has at most 6 nodes.
  cacheShardMetrics(props.cache, 'DatabaseMemoryUsagePercentage', FIVE_MINUTES).forEach((nodes, s) => {
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
