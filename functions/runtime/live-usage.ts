import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { describeError } from '../core/errors';
import { publishSnapshots, type SnapshotDeps, type SnapshotReport } from '../core/snapshots/publish';
import type { MemberChange } from '../core/snapshots/usage-snapshot';
import { METRIC } from './metric-names';
import { count, type Observability } from './observability';

/** Time left to Lambda's own timeout that the snapshot path never uses. */
const SNAPSHOT_SAFETY_MARGIN_MS = 2_000;

/**
 * Publishes the live usage snapshots of what a function committed, within
 * its time budget; a problem is counted and logged, never thrown: the commit
 * already stands, and a lost snapshot is superseded by the member's next.
 */
export async function publishLiveUsage(
  changes: ReadonlyArray<MemberChange>,
  snapshots: SnapshotDeps,
  context: Context,
  { logger, metrics }: Observability,
  onReport?: (report: SnapshotReport) => void,
): Promise<void> {
  if (changes.length === 0) return;
  try {
    const remaining =
      typeof context?.getRemainingTimeInMillis === 'function'
        ? context.getRemainingTimeInMillis() - SNAPSHOT_SAFETY_MARGIN_MS
        : snapshots.settings.budgetMs;
    const budgetMs = Math.max(0, Math.min(snapshots.settings.budgetMs, remaining));
    const report = await publishSnapshots(changes, {
      ...snapshots,
      settings: { ...snapshots.settings, budgetMs },
    });
    emitSnapshotMetrics(metrics, report);
    if (report.failed > 0) logger.warn('usage snapshots not published', { failed: report.failed });
    onReport?.(report);
  } catch (error) {
    logger.warn('usage snapshot path failed', { error: describeError(error) });
  }
}

function emitSnapshotMetrics(metrics: Metrics, report: SnapshotReport) {
  count(metrics, METRIC.usageSnapshotsPublished, report.published);
  count(metrics, METRIC.usageSnapshotsFailed, report.failed);
  count(metrics, METRIC.usageSnapshotsSuperseded, report.superseded);
  // One value per batch, its slowest entry: the dashboard's percentiles are over batches.
  if (report.commitToPublishMs.length > 0) {
    metrics.addMetric(
      METRIC.usageSnapshotLatency,
      MetricUnit.Milliseconds,
      Math.max(...report.commitToPublishMs),
    );
  }
}
