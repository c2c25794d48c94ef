import type { MiddlewareObj } from '@middy/core';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The rule the Powertools tracer applies to itself: off when
 * POWERTOOLS_TRACE_ENABLED is false, outside Lambda and under SAM local.
 * Decided before importing it, because importing the tracer loads the X-Ray
 * SDK, whose async hooks cost CPU on every await even when nothing is recorded.
 */
export function tracingEnabled(env: Env = process.env): boolean {
  const flag = (env.POWERTOOLS_TRACE_ENABLED ?? '').trim().toLowerCase();
  if (flag === 'false' || flag === '0') return false;
  if (env.AWS_SAM_LOCAL !== undefined && env.AWS_SAM_LOCAL !== '') return false;
  return env.AWS_EXECUTION_ENV !== undefined && env.AWS_EXECUTION_ENV !== '';
}

type Request = Parameters<NonNullable<MiddlewareObj['before']>>[0];

/**
 * captureLambdaHandler when tracing is on, loaded by a dynamic import started
 * at once (so it lands in the init phase); nothing at all when it is off (an
 * empty list: middy refuses a middleware object without hooks).
 */
export function lazyTracing(serviceName: string, env: Env = process.env): MiddlewareObj[] {
  if (!tracingEnabled(env)) return [];
  const loaded: Promise<MiddlewareObj> = Promise.all([
    import('@aws-lambda-powertools/tracer'),
    import('@aws-lambda-powertools/tracer/middleware'),
  ]).then(
    ([{ Tracer }, { captureLambdaHandler }]) =>
      captureLambdaHandler(new Tracer({ serviceName })) as unknown as MiddlewareObj,
  );
  // A failed import surfaces on the first invocation, not as an unhandled rejection at init.
  loaded.catch(() => undefined);
  return [
    {
      before: async (request: Request) => (await loaded).before?.(request),
      after: async (request: Request) => (await loaded).after?.(request),
      onError: async (request: Request) => (await loaded).onError?.(request),
    },
  ];
}
