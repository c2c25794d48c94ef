import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { lazyTracing, tracingEnabled } from '../../functions/runtime/tracing';

const IN_LAMBDA = { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x' };

describe('tracing', () => {
  it('follows the tracer rule: off when disabled, outside Lambda and under SAM local', () => {
    expect(tracingEnabled({ ...IN_LAMBDA })).toBe(true);
    expect(tracingEnabled({ ...IN_LAMBDA, POWERTOOLS_TRACE_ENABLED: 'true' })).toBe(true);
    expect(tracingEnabled({ ...IN_LAMBDA, POWERTOOLS_TRACE_ENABLED: 'false' })).toBe(false);
    expect(tracingEnabled({ ...IN_LAMBDA, POWERTOOLS_TRACE_ENABLED: 'FALSE' })).toBe(false);
    expect(tracingEnabled({ ...IN_LAMBDA, AWS_SAM_LOCAL: 'true' })).toBe(false);
    expect(tracingEnabled({})).toBe(false);
  });

  it('adds no middleware when tracing is off', () => {
    expect(lazyTracing('svc', { ...IN_LAMBDA, POWERTOOLS_TRACE_ENABLED: 'false' })).toEqual([]);
  });

  it('loads the tracer middleware when tracing is on', async () => {
    const [middleware] = lazyTracing('svc', IN_LAMBDA);
    expect(typeof middleware?.before).toBe('function');
    expect(typeof middleware?.after).toBe('function');
  });

  it('a handler with tracing off never loads the X-Ray SDK (its async hooks cost CPU)', () => {
    // A fresh process: vitest itself may have loaded the module already.
    const script = [
      "const { withObservability } = await import('./functions/runtime/middleware.ts');",
      "const { createObservability } = await import('./functions/runtime/observability.ts');",
      "const h = withObservability(async () => 1, createObservability('t'));",
      "await h({}, { functionName: 't', awsRequestId: 'r', getRemainingTimeInMillis: () => 1000 });",
      "const { createRequire } = await import('node:module');",
      'const cache = Object.keys(createRequire(import.meta.url).cache);',
      "console.log(cache.some((k) => k.includes('aws-xray-sdk')) ? 'loaded' : 'not loaded');",
    ].join('\n');
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, ...IN_LAMBDA, POWERTOOLS_TRACE_ENABLED: 'false' },
      encoding: 'utf8',
    });
    expect(out.trim()).toBe('not loaded');
  });
});
