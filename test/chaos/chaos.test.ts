import { describe, expect, inject, it } from 'vitest';
import { runScenario } from './run-scenario';
import { hasRedisOutages, SCENARIOS } from './scenarios';

/**
 * The bounded chaos suite: every fault class of `npm run chaos`, on a small
 * workload. `npm run chaos` runs the same scenarios at full size.
 */
describe('chaos (bounded)', () => {
  it.each(SCENARIOS.map((s) => [s.name, s] as const))(
    '%s: no invariant is violated',
    async (_name, scenario) => {
      const result = await runScenario(scenario, {
        dynamodbEndpoint: inject('dynamodbEndpoint'),
        events: 400,
        families: 12,
        partitions: 3,
        batchSize: 100,
        seed: 4242,
        outboxTimeoutMs: 45_000,
      });

      expect(result.examples).toEqual([]);
      expect(Object.values(result.violations).every((n) => n === 0)).toBe(true);
      if (scenario.name !== 'no faults') expect(result.faultsInjected).toBeGreaterThan(0);
      // The first outage lasts until the breaker opened; outages at call points are too brief to be sure
      // of a degraded decision in 400 events (`npm run chaos` requires one of every outage scenario).
      if (hasRedisOutages(scenario) && (scenario.redis?.faults.length ?? 0) > 0) {
        expect(result.degradedDecisions).toBeGreaterThan(0);
      }
      if (scenario.zeroRatedShare) expect(result.zeroRatedDecisions).toBeGreaterThan(0);
      if (scenario.changeEvents?.topupShare && scenario.runOutShare) {
        expect(result.topupUnblocks).toBeGreaterThan(0);
      }
      if (scenario.correctionShare) expect(result.correctionsApplied).toBeGreaterThan(0);
      if (scenario.correctionShare && scenario.runOutShare) {
        expect(result.correctionUnblocks).toBeGreaterThan(0);
      }
    },
    180_000,
  );
});
