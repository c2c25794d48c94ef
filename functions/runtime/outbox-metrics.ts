import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DeliveryCounts } from '../core/outbox/delivery';
import type { SweepReport } from '../core/outbox/sweep';
import { METRIC } from './metric-names';
import { count } from './observability';

export function emitDeliveryMetrics(metrics: Metrics, counts: DeliveryCounts): void {
  count(metrics, METRIC.notificationsPublished, counts.published);
  count(metrics, METRIC.notificationsPublishFailed, counts.publishFailed);
  count(metrics, METRIC.notificationsFailed, counts.failed);
}

/**
 * The backlog is a gauge: it is emitted on every run, zero included, so an
 * alarm on it sees "nothing pending" rather than missing data.
 */
export function emitSweepMetrics(metrics: Metrics, report: SweepReport): void {
  emitDeliveryMetrics(metrics, report);
  metrics.addMetric(METRIC.outboxPending, MetricUnit.Count, report.pending);
  metrics.addMetric(
    METRIC.outboxOldestPendingAge,
    MetricUnit.Seconds,
    Math.floor(report.oldestPendingAgeMs / 1000),
  );
}
