import { Duration } from 'aws-cdk-lib';
import { Metric, Stats } from 'aws-cdk-lib/aws-cloudwatch';
import { METRIC_NAMESPACE, type MetricName, SERVICE_NAME } from '../../functions/runtime/metric-names';
import type { KafkaSubscription } from '../config';

export const ONE_MINUTE = Duration.minutes(1);
export const FIVE_MINUTES = Duration.minutes(5);

/** The dimension Powertools Metrics adds to every metric (its default dimension, named by Powertools). */
const POWERTOOLS_SERVICE_DIMENSION = 'service';

/**
 * A product metric as Powertools emits it: our namespace, the service dimension, plus any bounded dimension.
 * Every function emits under the one service name, so a metric two functions emit is charted as one.
 */
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
 * MSK's own view of a mapping's consumer group: the lag summed over the
 * topic's partitions. The broker computes it from the committed offsets, so
 * it needs nothing from the mapping; it is absent while the group rebalances.
 */
export function sumOffsetLag(
  clusterName: string,
  { consumerGroup, topic }: KafkaSubscription,
  period: Duration,
  label?: string,
): Metric {
  return new Metric({
    namespace: 'AWS/Kafka',
    metricName: 'SumOffsetLag',
    dimensionsMap: { 'Cluster Name': clusterName, 'Consumer Group': consumerGroup, Topic: topic },
    statistic: Stats.MAXIMUM,
    period,
    label,
  });
}

/**
 * One metric per node, shard by shard. In cluster mode ElastiCache names nodes
 * <replication group>-<shard 0001..>-<node 001..>, and a Valkey node's CacheNodeId is always 0001.
 */
export function cacheShardMetrics(
  cache: { readonly replicationGroupId: string; readonly shards: number; readonly replicasPerShard: number },
  metricName: string,
  period = ONE_MINUTE,
): Metric[][] {
  const { replicationGroupId, shards, replicasPerShard } = cache;
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
