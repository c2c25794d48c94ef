import { describe, expect, it } from 'vitest';
import { backoffMs } from '../../functions/core/outbox/item';
import { backoffDelayMs, exponentialDelayMs } from '../../functions/core/retry';

describe('backoff', () => {
  it('doubles from the base with every attempt, up to the cap', () => {
    expect([1, 2, 3, 4].map((attempt) => exponentialDelayMs(50, attempt))).toEqual([50, 100, 200, 400]);
    expect(exponentialDelayMs(60_000, 6, 960_000)).toBe(960_000);
    expect(exponentialDelayMs(50, 0)).toBe(50);
    expect(Number.isFinite(exponentialDelayMs(1, 10_000))).toBe(true);
  });

  it('jitters the whole delay for transient retries: anywhere from 0 up to the exponential delay', () => {
    const policy = { maxAttempts: 3, baseDelayMs: 50 };
    expect(backoffDelayMs(policy, 3, () => 0)).toBe(0);
    expect(backoffDelayMs(policy, 3, () => 0.5)).toBe(100);
    expect(backoffDelayMs(policy, 3, () => 0.999)).toBeLessThan(200);
  });

  it('gives outbox retries the plain capped delay, the same formula', () => {
    const policy = { baseMs: 60_000, capMs: 960_000 };
    expect([1, 2, 5, 6, 9].map((attempts) => backoffMs(attempts, policy))).toEqual([
      60_000, 120_000, 960_000, 960_000, 960_000,
    ]);
  });
});
