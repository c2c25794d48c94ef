import type { ColdStartResult, RunResult, TargetCheck } from './results';
import { round } from './stats';

/** The issue's targets on W1. */
export const TARGETS = {
  throughputRatio: 10,
  wcuPerSettled: 3,
  roundTripsPerBatch: 3,
  bundleBytes: 1_000_000,
  initMs: 150,
} as const;

export const findRun = (runs: ReadonlyArray<RunResult>, shape: RunResult['shape'], mode: RunResult['mode']) =>
  runs.find((r) => r.shape === shape && r.mode === mode);

export function checkTargets(
  runs: ReadonlyArray<RunResult>,
  coldStart: ColdStartResult | null,
): TargetCheck[] {
  const baselineAws = findRun(runs, 'baseline', 'aws');
  const productAws = findRun(runs, 'product', 'aws');
  const product = productAws ?? findRun(runs, 'product', 'local');
  const products = runs.filter((r) => r.shape === 'product');
  const checks: TargetCheck[] = [];

  if (baselineAws && productAws) {
    const ratio = productAws.eventsPerSecond / baselineAws.eventsPerSecond;
    checks.push({
      target: `throughput with AWS latency: product >= ${TARGETS.throughputRatio}x baseline`,
      measured: `${round(ratio, 1)}x (${round(productAws.eventsPerSecond, 0)} vs ${round(baselineAws.eventsPerSecond, 0)} events/s)`,
      pass: ratio >= TARGETS.throughputRatio,
    });
  } else {
    checks.push({
      target: 'throughput with AWS latency: product >= 10x baseline',
      measured: 'not run',
      pass: null,
    });
  }
  checks.push(
    product
      ? {
          target: `write capacity per settled event (billing model) <= ${TARGETS.wcuPerSettled} WCU`,
          measured: `${round(product.dynamodb.wcuPerSettledBilling, 2)} WCU (DynamoDB Local reports ${round(product.dynamodb.wcuPerSettledLocal, 2)})`,
          pass: product.dynamodb.wcuPerSettledBilling <= TARGETS.wcuPerSettled,
        }
      : { target: 'write capacity per settled event <= 3 WCU', measured: 'not run', pass: null },
  );
  checks.push(
    products.length > 0
      ? {
          target: `Redis round trips per batch <= ${TARGETS.roundTripsPerBatch} plus hydrations`,
          measured: products.map(roundTripSummary).join('; '),
          pass: products.every((r) => r.redis.batchesOverRoundTripBudget === 0),
        }
      : { target: 'Redis round trips per batch <= 3 plus hydrations', measured: 'not run', pass: null },
  );
  if (coldStart) {
    for (const b of coldStart.bundles) {
      checks.push({
        target: `${b.name} bundle <= ${TARGETS.bundleBytes.toLocaleString('en-US')} bytes`,
        measured: `${b.bundleBytes.toLocaleString('en-US')} bytes`,
        pass: b.bundleBytes <= TARGETS.bundleBytes,
      });
      checks.push({
        target: `${b.name} module init <= ${TARGETS.initMs} ms`,
        measured: `${round(b.initMsMedian, 0)} ms (of which importing @aws-sdk alone: ${round(b.externalImportMsMedian, 0)} ms)`,
        pass: b.initMsMedian <= TARGETS.initMs,
      });
    }
  } else {
    checks.push({ target: 'bundles <= 1 MB, module init <= 150 ms', measured: 'not run', pass: null });
  }
  return checks;
}

/** "aws: 0/50 batches over (3 counting hydrate-period only); mean 14.8 round trips, 40.8 hydrations; tightest 4 with 1". */
function roundTripSummary(r: RunResult): string {
  const worst = [...r.batches].sort(
    (a, b) => b.redisRoundTrips - b.hydrations - (a.redisRoundTrips - a.hydrations),
  )[0];
  return (
    `${r.mode}: ${r.redis.batchesOverRoundTripBudget}/${r.batches.length} batches over ` +
    `(${r.redis.batchesOverCountingFamilyHydrationsOnly} counting hydrate-period only); ` +
    `mean ${round(r.redis.roundTripsPerBatch.mean, 1)} round trips, ${round(r.redis.hydrationsPerBatch, 1)} hydrations` +
    `${worst ? `; tightest ${worst.redisRoundTrips} with ${worst.hydrations}` : ''}`
  );
}
