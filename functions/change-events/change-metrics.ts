import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { ChangeBatchReport } from '../core/changes/apply-batch';
import { DIMENSION, METRIC } from '../runtime/metric-names';
import { count, countBy } from '../runtime/observability';

export function emitChangeMetrics(metrics: Metrics, report: ChangeBatchReport, failures: number) {
  count(metrics, METRIC.changeEventsReceived, report.received);
  countBy(metrics, METRIC.changesApplied, DIMENSION.eventType, report.applied);
  count(metrics, METRIC.changesStale, report.stale);
  countBy(metrics, METRIC.changeEventsRejected, DIMENSION.reason, report.rejected);
  count(metrics, METRIC.changeEventsSkipped, report.skipped);
  count(metrics, METRIC.notificationsStaged, report.notificationsStaged);
  count(metrics, METRIC.changesRedisNotUpdated, report.redisNotUpdated);
  count(metrics, METRIC.changesHeld, report.held);
  count(metrics, METRIC.heldChangesReleased, report.released);
  count(metrics, METRIC.settlementBugs, report.bugs);
  count(metrics, METRIC.batchItemFailures, failures);
}
