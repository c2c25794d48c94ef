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
import { CHANGE_REJECTION_REASONS } from '../../functions/core/rejection';
import { DIMENSION, METRIC } from '../../functions/runtime/metric-names';
import { cacheShardMetrics, FIVE_MINUTES, ONE_MINUTE, productMetric, sumOffsetLag } from './metrics';
import type { ObservabilityProps } from './observability';

/** Functions invoked by an MSK mapping: Lambda does not trace them, so their logs are all there is. */
const UNTRACED = new Set(['usageEvents', 'changeEvents']);

type Above = (
  id: string,
  metric: IMetric,
  threshold: number,
  description: string,
  evaluationPeriods?: number,
) => Alarm;

/** The ledger stream keeps a record 24 hours: an archiver an hour behind has time to catch up, and must. */
export const ARCHIVE_LAG_ALARM_MS = 3_600_000;

/** The product's promise: p99 from a record's Kafka timestamp to its committed decision. */
export const PROMISED_DECISION_P99_MS = 100;
/** Minutes in a row above the promise before the latency alarm fires: one slow minute is a blip, five a trend. */
const DECISION_LATENCY_MINUTES = 5;

/** Minutes in a row above the usage API's latency threshold before it alarms. */
const API_LATENCY_MINUTES = 5;

/**
 * The alarms an operator acts on, all notifying `topic`. Each is created in
 * `scope` under its name, which is also its logical id: renaming one replaces it.
 */
export function createAlarms(
  scope: Construct,
  topic: ITopic,
  props: ObservabilityProps,
): Record<string, Alarm> {
  const above: Above = (id, metric, threshold, description, evaluationPeriods = 1) => {
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
    // The OK notification tells whoever acted on the alarm that it worked, or that it cleared by itself.
    alarm.addAlarmAction(new SnsAction(topic));
    alarm.addOkAction(new SnsAction(topic));
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
    SkippedChangeBatches: above(
      'SkippedChangeBatches',
      queueDepth(props.queues.changeEventsFailures),
      0,
      'A change-events MSK mapping gave up on a batch of policy or family events: those changes are NOT applied, and ' +
        'usage of the families concerned is decided against their old members, quotas or policies. Replay them with ' +
        '`usage-settlement batches replay` (FAILED_BATCHES_QUEUE_URL = FailedChangeBatchesQueueUrl).',
    ),
    ArchiveFailures: above(
      'ArchiveFailures',
      queueDepth(props.queues.archiveFailures),
      0,
      "The settlement archiver's mapping gave up on a ledger stream batch: those fates are NOT in the archive, and the " +
        'stream drops them 24 hours after they were written. Archive the period again from a table export before the ' +
        'records expire (docs/operations.md, "Settlement archive").',
    ),
    ArchiveLag: above(
      'ArchiveLag',
      props.functions.settlementArchiver.metric('IteratorAge', {
        statistic: Stats.MAXIMUM,
        period: FIVE_MINUTES,
      }),
      ARCHIVE_LAG_ALARM_MS,
      'The settlement archiver is more than an hour behind the ledger stream, which keeps records 24 hours: check its ' +
        'errors, Firehose throttling (the delivery stream throughput quota) and the failure queue.',
      3,
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
      'An unknown decision status or a broken invariant stopped a partition of usage-events or change-events. Read their logs; this is a code bug.',
    ),
    ChangeEventsRejected: above(
      'ChangeEventsRejected',
      // Emitted per reason only; an alarm's math reads at most 10 metrics, which the reasons fit in.
      new MathExpression({
        expression: `SUM([${CHANGE_REJECTION_REASONS.map((_, i) => `r${i}`).join(', ')}])`,
        label: 'policy and family events rejected',
        period: FIVE_MINUTES,
        usingMetrics: Object.fromEntries(
          CHANGE_REJECTION_REASONS.map((reason, i) => [
            `r${i}`,
            productMetric(METRIC.changeEventsRejected, {
              period: FIVE_MINUTES,
              dimensions: { [DIMENSION.reason]: reason },
            }),
          ]),
        ),
      }),
      0,
      "A policy or family event was rejected: the ledger no longer follows the producer for that family. Read the letter's " +
        'reason in the dead-letter queue, fix the producer or the family, and replay it ' +
        '(`usage-settlement dlq replay` sends policy and family events through the change path).',
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
      props.changeOffsetLagAlarmThreshold,
      `change-events is falling behind ${subscription.topic} for 15 minutes: family and policy changes wait, and usage ` +
        'is decided against the old ones. Check its errors, throttles, DynamoDB and pollers.',
      3,
    );
  }
  alarms.DecisionLatencyP99 = above(
    'DecisionLatencyP99',
    productMetric(METRIC.decisionLatency, { statistic: Stats.p(99), period: ONE_MINUTE }),
    PROMISED_DECISION_P99_MS,
    `The p99 of decision latency (Kafka record timestamp to committed decision) has been above the promised ` +
      `${PROMISED_DECISION_P99_MS} ms for ${DECISION_LATENCY_MINUTES} minutes. Look at offset lag, throttles, batch duration, ` +
      'Valkey CPU and DynamoDB latency; a partition that holds too many events needs more partitions (docs/capacity.md).',
    DECISION_LATENCY_MINUTES,
  );
  for (const name of ['usageEvents', 'changeEvents'] as const) {
    const id = `${name[0]!.toUpperCase()}${name.slice(1)}Throttles`;
    alarms[id] = above(
      id,
      props.functions[name].metricThrottles({ period: FIVE_MINUTES }),
      0,
      `Lambda throttled ${name}: a partition then waits for a retry, far beyond the latency budget. Its reserved ` +
        'concurrency must be at least its partitions (usageEventsReservedConcurrency, changeEventsReservedConcurrency), ' +
        'and the account must have that much unreserved.',
    );
  }
  for (const name of Object.keys(props.functions) as (keyof ObservabilityProps['functions'])[]) {
    const fn = props.functions[name];
    if (!fn) continue;
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
  const { stage, latencyAlarmMs } = props.usageApi;
  alarms.UsageApi5xx = above(
    'UsageApi5xx',
    stage.metricServerError({ period: FIVE_MINUTES, statistic: Stats.SUM }),
    0,
    'The usage API answered 5xx: the ledger throttled or failed (503, see LedgerTableThrottles), the usage-api ' +
      'function threw or timed out, or its configuration is wrong. Read the usage-api log group and its X-Ray traces. ' +
      'Bad requests are 4xx and never alarm.',
  );
  alarms.UsageApiLatencyP99 = above(
    'UsageApiLatencyP99',
    stage.metricLatency({ period: ONE_MINUTE, statistic: Stats.p(99) }),
    latencyAlarmMs,
    `The usage API's p99 latency has been above ${latencyAlarmMs} ms for ${API_LATENCY_MINUTES} minutes. Compare it with ` +
      "the function's duration and the integration latency: cold starts (a burst of new containers), DynamoDB latency, " +
      'or a member with many settlements per page.',
    API_LATENCY_MINUTES,
  );
  cacheAlarms(props.cache, above, alarms);
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

/**
 * Per shard, the highest of its nodes' values (after a failover the roles of
 * its nodes swap, so every node is read). One alarm per shard and metric: an
 * alarm's math reads at most 10 metrics, and a shard has at most 6 nodes.
 */
function cacheAlarms(cache: ObservabilityProps['cache'], above: Above, alarms: Record<string, Alarm>): void {
  const watched = [
    {
      name: 'Memory',
      metric: 'DatabaseMemoryUsagePercentage',
      what: 'memory used (% of maxmemory, highest node)',
      threshold: cache.memoryAlarmPercent,
      why:
        `is above ${cache.memoryAlarmPercent}% of maxmemory. The cache never evicts (noeviction): when full, writes ` +
        'fail and usage-events batches are redelivered. Scale the node type or add shards.',
    },
    {
      name: 'Cpu',
      metric: 'EngineCPUUtilization',
      what: 'engine CPU (%, highest node)',
      threshold: cache.cpuAlarmPercent,
      why:
        `has used over ${cache.cpuAlarmPercent}% of its engine thread for 10 minutes: the scripts queue, and ` +
        'decisions wait. Add shards or take a larger node type (docs/capacity.md).',
    },
    {
      name: 'Connections',
      metric: 'CurrConnections',
      what: 'client connections (highest node)',
      threshold: cache.connectionsAlarmThreshold,
      why:
        `holds more than ${cache.connectionsAlarmThreshold} client connections: far more than the containers of ` +
        'usage-events and change-events open (one a node each). Look for a connection leak or an unexpected client.',
    },
    {
      name: 'ReplicationLag',
      metric: 'ReplicationLag',
      what: 'replication lag (s, highest replica)',
      threshold: cache.replicationLagSeconds,
      why:
        `has a replica more than ${cache.replicationLagSeconds} s behind its primary. Settlement stays exact (the ledger ` +
        "fences every commit), but a failover now would cost every family it touched a reload. Check the primary's CPU and network.",
    },
  ];
  for (const { name, metric, what, threshold, why } of watched) {
    cacheShardMetrics(cache, metric, FIVE_MINUTES).forEach((nodes, s) => {
      const id = `Cache${name}Shard${String(s + 1).padStart(4, '0')}`;
      alarms[id] = above(
        id,
        new MathExpression({
          expression: `MAX([${nodes.map((_, n) => `n${n}`).join(', ')}])`,
          label: `shard ${s + 1} ${what}`,
          period: FIVE_MINUTES,
          usingMetrics: Object.fromEntries(nodes.map((m, n) => [`n${n}`, m])),
        }),
        threshold,
        `A Valkey node of shard ${s + 1} ${why}`,
        2,
      );
    });
  }
}
