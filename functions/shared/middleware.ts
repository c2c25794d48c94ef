import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { Observability } from './observability';

/**
 * The middleware stack every function uses, in one order: tracer, then logger
 * context, then metrics flush (so metrics are flushed even when the handler throws).
 */
export function withObservability<E, R>(
  handler: (event: E, context: Context) => Promise<R>,
  { logger, metrics, tracer }: Observability,
) {
  return middy(handler)
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics, { captureColdStartMetric: true }));
}
