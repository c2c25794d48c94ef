import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { FAMILY_EVENT_TYPES, POLICY_UPDATED } from '../../functions/core/changes/change-event';
import { CHANGE_REJECTION_REASONS, REJECTION_REASONS } from '../../functions/core/rejection';
import { BLOCK_REASONS, THRESHOLD_STATUSES, ZERO_RATED } from '../../functions/core/status-effects';
import { DIMENSION, METRIC, METRIC_NAMESPACE, SERVICE_NAME } from '../../functions/runtime/metric-names';
import { logicalId, SYNTH_TIMEOUT_MS, synthesize } from './support/synthesize';

let template: Template;

beforeAll(() => {
  template = synthesize().template;
}, SYNTH_TIMEOUT_MS);

/** A dashboard metric row: [namespace, name, dim1, value1, ..., { options }]. */
type MetricRow = unknown[];

/**
 * The dashboard body is a Fn::Join of JSON text and CloudFormation tokens
 * (function and table names). Replacing each token with a placeholder gives
 * parseable JSON with every metric the dashboard charts.
 */
function dashboardMetrics(t: Template): MetricRow[] {
  const dashboards = Object.values(t.findResources('AWS::CloudWatch::Dashboard'));
  expect(dashboards).toHaveLength(1);
  const body = dashboards[0]!.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] } | string;
  const text =
    typeof body === 'string'
      ? body
      : body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'TOKEN')).join('');
  const parsed = JSON.parse(text) as { widgets: { properties: { metrics?: MetricRow[] } }[] };
  return parsed.widgets.flatMap((w) => w.properties.metrics ?? []);
}

interface Widget {
  properties: { title?: string; annotations?: { horizontal?: unknown[] } };
}

function dashboardWidgets(t: Template): Widget[] {
  const body = Object.values(t.findResources('AWS::CloudWatch::Dashboard'))[0]!.Properties.DashboardBody as {
    'Fn::Join': [string, unknown[]];
  };
  const text = body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'TOKEN')).join('');
  return (JSON.parse(text) as { widgets: Widget[] }).widgets;
}

const dimensionsOf = (row: MetricRow): Record<string, unknown> => {
  const dims: Record<string, unknown> = {};
  for (let i = 2; i + 1 < row.length && typeof row[i] === 'string'; i += 2)
    dims[row[i] as string] = row[i + 1];
  return dims;
};

describe('dashboard', () => {
  it('charts exactly the product metrics the functions emit (METRIC), no more, no fewer', () => {
    const product = dashboardMetrics(template).filter((row) => row[0] === METRIC_NAMESPACE);
    const charted = new Set(product.map((row) => row[1]));
    expect([...charted].sort()).toEqual(Object.values(METRIC).sort());
    for (const row of product) expect(dimensionsOf(row).service).toBe(SERVICE_NAME);
  });

  it('splits settled events by every decision and rejected events by every reason', () => {
    const rows = dashboardMetrics(template);
    const values = (metric: string, dimension: string) =>
      rows
        .filter((r) => r[0] === METRIC_NAMESPACE && r[1] === metric)
        .map((r) => dimensionsOf(r)[dimension])
        .sort();
    expect(values(METRIC.eventsSettled, DIMENSION.decision)).toEqual(
      ['NORMAL', ZERO_RATED, ...THRESHOLD_STATUSES, ...BLOCK_REASONS].sort(),
    );
    expect(values(METRIC.eventsRejected, DIMENSION.reason)).toEqual([...REJECTION_REASONS].sort());
  });

  it('splits applied changes by every event type and rejected change events by every reason', () => {
    const rows = dashboardMetrics(template);
    const values = (metric: string, dimension: string) =>
      rows
        .filter((r) => r[0] === METRIC_NAMESPACE && r[1] === metric)
        .map((r) => dimensionsOf(r)[dimension])
        .sort();
    expect(values(METRIC.changesApplied, DIMENSION.eventType)).toEqual(
      [POLICY_UPDATED, ...FAMILY_EVENT_TYPES].sort(),
    );
    expect(values(METRIC.changeEventsRejected, DIMENSION.reason)).toEqual([...REJECTION_REASONS].sort());
  });

  it('charts Lambda health of all six functions, and the MSK lag of each of the three consumer groups', () => {
    const rows = dashboardMetrics(template);
    const errors = rows.filter((r) => r[0] === 'AWS/Lambda' && r[1] === 'Errors');
    expect(errors).toHaveLength(6);
    const groups = rows
      .filter((r) => r[0] === 'AWS/Kafka' && r[1] === 'SumOffsetLag')
      .map((r) => [dimensionsOf(r)['Consumer Group'], dimensionsOf(r).Topic]);
    expect(groups).toEqual([
      ['usage-settlement', 'usage-events'],
      ['usage-settlement-policy-updated', 'policy-updated'],
      ['usage-settlement-family-updated', 'family-updated'],
    ]);
  });

  it('also charts Lambda health, Kafka offset lag, DynamoDB throttles and conflicts, DLQ depth, cache CPU and memory', () => {
    const names = new Set(dashboardMetrics(template).map((r) => `${r[0]}/${r[1]}`));
    for (const expected of [
      'AWS/Lambda/Errors',
      'AWS/Lambda/Throttles',
      'AWS/Lambda/Duration',
      'AWS/Lambda/ConcurrentExecutions',
      'AWS/Lambda/OffsetLag',
      'AWS/Kafka/SumOffsetLag',
      'AWS/DynamoDB/ReadThrottleEvents',
      'AWS/DynamoDB/WriteThrottleEvents',
      'AWS/DynamoDB/TransactionConflict',
      'AWS/SQS/ApproximateNumberOfMessagesVisible',
      'AWS/ElastiCache/EngineCPUUtilization',
      'AWS/ElastiCache/DatabaseMemoryUsagePercentage',
    ]) {
      expect(names, expected).toContain(expected);
    }
  });

  it('charts the decision latency at p50 and p99 against the promised 100 ms', () => {
    const rows = dashboardMetrics(template).filter(
      (r) => r[0] === METRIC_NAMESPACE && r[1] === METRIC.decisionLatency,
    );
    expect(rows.map((r) => (r.at(-1) as { stat?: string }).stat)).toEqual(['p50', 'p99']);
    const widget = dashboardWidgets(template).find((w) => w.properties.title?.startsWith('Decision latency'));
    expect(widget?.properties.annotations?.horizontal).toEqual([
      expect.objectContaining({ value: 100, label: 'promised p99' }),
    ]);
  });

  it('charts the cache connections and replication lag of every node', () => {
    const names = new Set(dashboardMetrics(template).map((r) => `${r[0]}/${r[1]}`));
    expect(names).toContain('AWS/ElastiCache/CurrConnections');
    expect(names).toContain('AWS/ElastiCache/ReplicationLag');
  });

  it('charts every cache node: 2 shards x (primary + 1 replica)', () => {
    const nodes = dashboardMetrics(template)
      .filter((r) => r[0] === 'AWS/ElastiCache' && r[1] === 'EngineCPUUtilization')
      .map((r) => dimensionsOf(r).CacheClusterId);
    // The replication group id is generated: the dashboard refers to it (TOKEN) and appends shard and node.
    expect(nodes).toEqual(['TOKEN-0001-001', 'TOKEN-0001-002', 'TOKEN-0002-001', 'TOKEN-0002-002']);
  });
});

describe('alarms', () => {
  const alarm = (name: string) => {
    const found = Object.values(template.findResources('AWS::CloudWatch::Alarm')).find(
      (a) => a.Properties.AlarmName === `usage-settlement-${name}`,
    );
    expect(found, name).toBeDefined();
    return found!.Properties as Record<string, unknown>;
  };

  it('every alarm notifies the alarm topic when it fires and when it clears, and explains the action to take', () => {
    const topic = logicalId(template, 'AWS::SNS::Topic', 'ObservabilityAlarmTopic');
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.length).toBe(35);
    for (const a of alarms) {
      expect(a.Properties.AlarmActions).toEqual([{ Ref: topic }]);
      expect(a.Properties.OKActions).toEqual([{ Ref: topic }]);
      expect(String(a.Properties.AlarmDescription).length).toBeGreaterThan(40);
    }
  });

  it.each([
    ['NotificationsFailed', METRIC.notificationsFailed, 'Sum', 0],
    ['SettlementBugs', METRIC.settlementBugs, 'Sum', 0],
    ['DegradedMode', METRIC.degradedBatches, 'Sum', 0],
    ['OutboxPendingAge', METRIC.outboxOldestPendingAge, 'Maximum', 900],
  ])('%s fires on %s (%s) > %d, named as the functions emit it', (name, metric, statistic, threshold) => {
    expect(alarm(name)).toMatchObject({
      Namespace: METRIC_NAMESPACE,
      MetricName: metric,
      Dimensions: [{ Name: 'service', Value: SERVICE_NAME }],
      Statistic: statistic,
      Threshold: threshold,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('ArchiveLag fires when the archiver stays an hour behind the ledger stream, which keeps records a day', () => {
    const archiver = logicalId(template, 'AWS::Lambda::Function', 'FunctionsSettlementArchiver');
    expect(alarm('ArchiveLag')).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'IteratorAge',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: archiver } }],
      Statistic: 'Maximum',
      Threshold: 3_600_000,
      EvaluationPeriods: 3,
    });
  });

  it('keeps the logical ids of the alarms it had before change-events: a new id would replace the alarm', () => {
    const ids = Object.keys(template.findResources('AWS::CloudWatch::Alarm'));
    expect(ids).toEqual(
      expect.arrayContaining([
        'ObservabilityRejectedEvents525E2C35',
        'ObservabilitySkippedKafkaBatches086454A0',
        'ObservabilitySweeperScheduleFailures6A518257',
        'ObservabilityNotificationsFailed078892D6',
        'ObservabilityOutboxPendingAge53F2C825',
        'ObservabilityOffsetLag194633EA',
        'ObservabilitySettlementBugs7F9F80C5',
        'ObservabilityUsageEventsErrors16D627C3',
        'ObservabilityOutboxRelayErrors35BCC93F',
        'ObservabilityOutboxSweeperErrors323CBF7F',
        'ObservabilityCacheMemoryShard000176B16E77',
        'ObservabilityCacheMemoryShard0002DCF584CE',
        'ObservabilityLedgerTableThrottlesF11DA295',
        'ObservabilityOutboxTableThrottlesDCA5FFEB',
      ]),
    );
  });

  it.each([
    ['RejectedEvents', 'MessagingRejectedEvents'],
    ['SkippedKafkaBatches', 'MessagingUsageEventsFailures'],
    ['SkippedChangeBatches', 'MessagingChangeEventsFailures'],
    ['SweeperScheduleFailures', 'MessagingSweeperScheduleDlq'],
    ['ArchiveFailures', 'MessagingArchiveFailures'],
  ])('%s fires on any message in its dead-letter queue', (name, queuePrefix) => {
    const queue = logicalId(template, 'AWS::SQS::Queue', queuePrefix);
    expect(alarm(name)).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it("OffsetLag fires on sustained lag of the mapping's consumer group as MSK reports it (AWS/Kafka SumOffsetLag)", () => {
    const props = alarm('OffsetLag');
    expect(props).toMatchObject({
      Namespace: 'AWS/Kafka',
      MetricName: 'SumOffsetLag',
      Statistic: 'Maximum',
      Threshold: 10_000,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
    });
    // Exactly the dimensions MSK publishes consumer lag under, named after the mapping's cluster, group and topic.
    expect(props.Dimensions).toEqual(
      expect.arrayContaining([
        { Name: 'Cluster Name', Value: 'example-usage-cluster' },
        { Name: 'Consumer Group', Value: 'usage-settlement' },
        { Name: 'Topic', Value: 'usage-events' },
      ]),
    );
    expect(props.Dimensions).toHaveLength(3);
  });

  it.each([
    ['PolicyUpdatedOffsetLag', 'usage-settlement-policy-updated', 'policy-updated'],
    ['FamilyUpdatedOffsetLag', 'usage-settlement-family-updated', 'family-updated'],
  ])('%s fires on sustained lag of consumer group %s, at the change lag threshold', (name, group, topic) => {
    const props = alarm(name);
    expect(props).toMatchObject({
      Namespace: 'AWS/Kafka',
      MetricName: 'SumOffsetLag',
      Statistic: 'Maximum',
      Threshold: 1000,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(props.Dimensions).toEqual([
      { Name: 'Cluster Name', Value: 'example-usage-cluster' },
      { Name: 'Consumer Group', Value: group },
      { Name: 'Topic', Value: topic },
    ]);
  });

  it(
    'follows the change topics, their consumer groups and the change lag threshold',
    () => {
      const custom = synthesize({
        context: {
          mskPolicyTopic: 'policies',
          mskPolicyConsumerGroup: 'policies-v2',
          changeOffsetLagAlarmThreshold: '50',
        },
      }).template;
      const found = Object.values(custom.findResources('AWS::CloudWatch::Alarm')).find(
        (a) => a.Properties.AlarmName === 'usage-settlement-PolicyUpdatedOffsetLag',
      );
      expect(found?.Properties.Threshold).toBe(50);
      expect(found?.Properties.Dimensions).toEqual(
        expect.arrayContaining([
          { Name: 'Consumer Group', Value: 'policies-v2' },
          { Name: 'Topic', Value: 'policies' },
        ]),
      );
    },
    SYNTH_TIMEOUT_MS,
  );

  it('ChangeEventsRejected fires on any rejected policy or family event, whatever its reason', () => {
    const props = alarm('ChangeEventsRejected');
    expect(props).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
    const metrics = props.Metrics as {
      Id: string;
      Expression?: string;
      MetricStat?: {
        Metric: { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: string }[] };
        Stat: string;
      };
    }[];
    // The metric only exists per reason (service + Reason), so the alarm sums every reason.
    const stats = metrics.flatMap((m) => (m.MetricStat ? [{ id: m.Id, ...m.MetricStat }] : []));
    expect(metrics.find((m) => m.Expression)?.Expression).toBe(`SUM([${stats.map((s) => s.id).join(', ')}])`);
    for (const s of stats) {
      expect(s.Metric).toMatchObject({
        Namespace: METRIC_NAMESPACE,
        MetricName: METRIC.changeEventsRejected,
      });
      expect(s.Stat).toBe('Sum');
    }
    expect(
      stats.map((s) => {
        const dims = Object.fromEntries(s.Metric.Dimensions.map((d) => [d.Name, d.Value]));
        expect(dims.service).toBe(SERVICE_NAME);
        return dims[DIMENSION.reason];
      }),
    ).toEqual([...CHANGE_REJECTION_REASONS]);
  });

  it(
    "follows the mapping's consumer group and topic",
    () => {
      const custom = synthesize({ context: { mskConsumerGroup: 'settle-v2', mskTopic: 'usage' } }).template;
      const found = Object.values(custom.findResources('AWS::CloudWatch::Alarm')).find(
        (a) => a.Properties.AlarmName === 'usage-settlement-OffsetLag',
      );
      expect(found?.Properties.Dimensions).toEqual(
        expect.arrayContaining([
          { Name: 'Consumer Group', Value: 'settle-v2' },
          { Name: 'Topic', Value: 'usage' },
        ]),
      );
    },
    SYNTH_TIMEOUT_MS,
  );

  it.each([
    ['CacheMemoryShard0001', '0001'],
    ['CacheMemoryShard0002', '0002'],
  ])('%s fires when any node of its shard stays above the memory threshold', (name, shard) => {
    const rg = logicalId(template, 'AWS::ElastiCache::ReplicationGroup', 'CacheValkey');
    const props = alarm(name);
    expect(props).toMatchObject({
      Threshold: 80,
      EvaluationPeriods: 2,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    const metrics = props.Metrics as {
      Expression?: string;
      MetricStat?: { Metric: { MetricName: string; Dimensions: { Name: string; Value: unknown }[] } };
    }[];
    expect(metrics.find((m) => m.Expression)?.Expression).toBe('MAX([n0, n1])');
    const nodes = metrics.flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric] : []));
    expect(nodes.map((n) => n.MetricName)).toEqual([
      'DatabaseMemoryUsagePercentage',
      'DatabaseMemoryUsagePercentage',
    ]);
    expect(nodes.map((n) => n.Dimensions.find((d) => d.Name === 'CacheClusterId')?.Value)).toEqual(
      ['001', '002'].map((node) => ({ 'Fn::Join': ['', [{ Ref: rg }, `-${shard}-${node}`]] })),
    );
  });

  it(
    'takes the cache memory threshold from its parameter',
    () => {
      const custom = synthesize({ context: { cacheMemoryAlarmPercent: '65' } }).template;
      const found = Object.values(custom.findResources('AWS::CloudWatch::Alarm')).find(
        (a) => a.Properties.AlarmName === 'usage-settlement-CacheMemoryShard0001',
      );
      expect(found?.Properties.Threshold).toBe(65);
    },
    SYNTH_TIMEOUT_MS,
  );

  it('DecisionLatencyP99 fires when the p99 of DecisionLatencyMs stays above 100 ms for 5 one-minute periods', () => {
    expect(alarm('DecisionLatencyP99')).toMatchObject({
      Namespace: METRIC_NAMESPACE,
      MetricName: METRIC.decisionLatency,
      Dimensions: [{ Name: 'service', Value: SERVICE_NAME }],
      ExtendedStatistic: 'p99',
      Period: 60,
      Threshold: 100,
      EvaluationPeriods: 5,
      DatapointsToAlarm: 5,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it.each([
    ['UsageEventsThrottles', 'FunctionsUsageEvents'],
    ['ChangeEventsThrottles', 'FunctionsChangeEvents'],
  ])('%s fires on any throttle of the Kafka consumer', (name, fnPrefix) => {
    expect(alarm(name)).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Throttles',
      Dimensions: [
        { Name: 'FunctionName', Value: { Ref: logicalId(template, 'AWS::Lambda::Function', fnPrefix) } },
      ],
      Statistic: 'Sum',
      Threshold: 0,
    });
  });

  it.each([
    ['CacheCpuShard0001', 'EngineCPUUtilization', 80],
    ['CacheCpuShard0002', 'EngineCPUUtilization', 80],
    ['CacheConnectionsShard0001', 'CurrConnections', 500],
    ['CacheReplicationLagShard0002', 'ReplicationLag', 1],
  ])('%s fires when the highest node of its shard stays above %s %d', (name, metricName, threshold) => {
    const props = alarm(name);
    expect(props).toMatchObject({ Threshold: threshold, EvaluationPeriods: 2, DatapointsToAlarm: 2 });
    const metrics = props.Metrics as {
      Expression?: string;
      MetricStat?: { Metric: { MetricName: string } };
    }[];
    expect(metrics.find((m) => m.Expression)?.Expression).toBe('MAX([n0, n1])');
    expect(metrics.flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric.MetricName] : []))).toEqual([
      metricName,
      metricName,
    ]);
  });

  it(
    'takes the cache CPU, connections and replication lag thresholds from their parameters',
    () => {
      const custom = synthesize({
        context: {
          cacheCpuAlarmPercent: '60',
          cacheConnectionsAlarmThreshold: '900',
          cacheReplicationLagAlarmSeconds: '5',
        },
      }).template;
      const threshold = (name: string) =>
        Object.values(custom.findResources('AWS::CloudWatch::Alarm')).find(
          (a) => a.Properties.AlarmName === `usage-settlement-${name}`,
        )?.Properties.Threshold;
      expect([
        threshold('CacheCpuShard0001'),
        threshold('CacheConnectionsShard0002'),
        threshold('CacheReplicationLagShard0001'),
      ]).toEqual([60, 900, 5]);
    },
    SYNTH_TIMEOUT_MS,
  );

  it.each([
    'UsageEventsErrors',
    'ChangeEventsErrors',
    'OutboxRelayErrors',
    'OutboxSweeperErrors',
    'UsageApiErrors',
  ])('%s fires on any function error', (name) => {
    expect(alarm(name)).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Errors', Threshold: 0 });
  });

  it.each(['LedgerTableThrottles', 'OutboxTableThrottles'])(
    '%s fires on any read or write throttle',
    (name) => {
      const metrics = alarm(name).Metrics as {
        Expression?: string;
        MetricStat?: { Metric: { MetricName: string } };
      }[];
      expect(metrics.find((m) => m.Expression)?.Expression).toBe('reads + writes');
      expect(metrics.flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric.MetricName] : [])).sort()).toEqual([
        'ReadThrottleEvents',
        'WriteThrottleEvents',
      ]);
    },
  );

  it(
    'subscribes an e-mail address to the topic only when one is given',
    () => {
      expect(template.findResources('AWS::SNS::Subscription')).toEqual({});
      const withEmail = synthesize({ context: { alarmEmail: 'oncall@example.com' } }).template;
      withEmail.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: 'oncall@example.com',
      });
    },
    SYNTH_TIMEOUT_MS,
  );
});
