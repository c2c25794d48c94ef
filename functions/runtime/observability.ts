import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { type DIMENSION, METRIC_NAMESPACE, type MetricName, SERVICE_NAME } from './metric-names';

export interface Observability {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** For the tracer, which is loaded only when tracing is on (shared/tracing.ts). */
  readonly serviceName: string;
}

/** One logger and metrics per function, created at module scope (once per container). */
export function createObservability(component: string): Observability {
  const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? SERVICE_NAME;
  const logger = new Logger({ serviceName, persistentKeys: { component } });
  const metrics = new Metrics({
    namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRIC_NAMESPACE,
    serviceName,
    // Its own warnings (an invocation with nothing to count) follow the log level.
    logger,
  });
  return { logger, metrics, serviceName };
}

export function count(metrics: Metrics, name: MetricName, value = 1): void {
  if (value > 0) metrics.addMetric(name, MetricUnit.Count, value);
}

/** A count split by one bounded dimension (decision status, rejection reason). */
export function countBy(
  metrics: Metrics,
  name: MetricName,
  dimension: (typeof DIMENSION)[keyof typeof DIMENSION],
  counts: Readonly<Record<string, number>>,
): void {
  for (const [value, n] of Object.entries(counts)) {
    if (n <= 0) continue;
    const single = metrics.singleMetric();
    single.addDimension(dimension, value);
    single.addMetric(name, MetricUnit.Count, n);
  }
}
