import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { ConfigBatchReport } from '../core/config/apply-batch';
import { DIMENSION, METRIC } from '../runtime/metric-names';
import { count, countBy } from '../runtime/observability';

export function emitConfigMetrics(metrics: Metrics, report: ConfigBatchReport, failures: number) {
  count(metrics, METRIC.configEventsReceived, report.received);
  countBy(metrics, METRIC.configChangesApplied, DIMENSION.eventType, report.applied);
  count(metrics, METRIC.configChangesStale, report.stale);
  countBy(metrics, METRIC.configEventsRejected, DIMENSION.reason, report.rejected);
  count(metrics, METRIC.configEventsSkipped, report.skipped);
  count(metrics, METRIC.notificationsStaged, report.notificationsStaged);
  count(metrics, METRIC.configRedisNotUpdated, report.redisNotUpdated);
  count(metrics, METRIC.configChangesHeld, report.held);
  count(metrics, METRIC.heldChangesReleased, report.released);
  count(metrics, METRIC.settlementBugs, report.bugs);
  count(metrics, METRIC.batchItemFailures, failures);
}
