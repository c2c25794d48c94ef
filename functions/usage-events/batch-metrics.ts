import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { BatchReport } from '../core/settlement/settle-batch';
import { DIMENSION, METRIC } from '../runtime/metric-names';
import { count, countBy } from '../runtime/observability';

export function emitBatchMetrics(
  metrics: Metrics,
  report: BatchReport,
  durationMs: number,
  failures: number,
) {
  count(metrics, METRIC.eventsReceived, report.received);
  countBy(metrics, METRIC.eventsSettled, DIMENSION.decision, report.settled);
  countBy(metrics, METRIC.eventsRejected, DIMENSION.reason, report.rejected);
  count(metrics, METRIC.eventsDuplicate, report.duplicates);
  count(metrics, METRIC.eventsSkipped, report.skipped);
  count(metrics, METRIC.correctionsApplied, report.correctionsApplied);
  count(metrics, METRIC.correctionsSuperseded, report.correctionsSuperseded);
  count(metrics, METRIC.notificationsStaged, report.notificationsStaged);
  count(metrics, METRIC.hydrations, report.hydrations);
  count(metrics, METRIC.ledgerChecks, report.ledgerChecks);
  count(metrics, METRIC.staleStates, report.staleStates);
  count(metrics, METRIC.globalChangesTaken, report.globalCatchUps);
  count(metrics, METRIC.settlementTransactions, report.transactions);
  count(metrics, METRIC.degradedDecisions, report.degradedDecisions);
  count(metrics, METRIC.degradedBatches, report.degraded ? 1 : 0);
  if (report.degradedForMs > 0) {
    metrics.addMetric(METRIC.degradedModeSeconds, MetricUnit.Seconds, report.degradedForMs / 1000);
  }
  count(metrics, METRIC.transientRetries, report.retries);
  count(metrics, METRIC.settlementBugs, report.bugs);
  count(metrics, METRIC.batchItemFailures, failures);
  metrics.addMetric(METRIC.batchDuration, MetricUnit.Milliseconds, durationMs);
}

/** One value per settled event: CloudWatch computes the percentiles from all of them. */
export function emitDecisionLatencies(metrics: Metrics, latenciesMs: ReadonlyArray<number>) {
  for (const ms of latenciesMs) metrics.addMetric(METRIC.decisionLatency, MetricUnit.Milliseconds, ms);
}
