import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SnapshotReport } from '../core/snapshots/publish';
import { METRIC } from '../runtime/metric-names';
import { count } from '../runtime/observability';

export function emitSnapshotMetrics(metrics: Metrics, report: SnapshotReport) {
  count(metrics, METRIC.usageSnapshotsPublished, report.published);
  count(metrics, METRIC.usageSnapshotsFailed, report.failed);
  count(metrics, METRIC.usageSnapshotsSuperseded, report.superseded);
  // One value per stream batch, its slowest entry: the dashboard's percentiles are over batches.
  if (report.commitToPublishMs.length > 0) {
    metrics.addMetric(
      METRIC.usageSnapshotLatency,
      MetricUnit.Milliseconds,
      Math.max(...report.commitToPublishMs),
    );
  }
}
