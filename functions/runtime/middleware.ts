import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { Observability } from './observability';
import { lazyTracing } from './tracing';

/**
 * The middleware stack every function uses, in one order: tracer (only when
 * tracing is on), then logger context, then metrics flush (so metrics are
 * flushed even when the handler throws).
 */
export function withObservability<E, R>(
  handler: (event: E, context: Context) => Promise<R>,
  { logger, metrics, serviceName }: Observability,
) {
  return middy(handler)
    .use(lazyTracing(serviceName))
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics, { captureColdStartMetric: true }));
}
