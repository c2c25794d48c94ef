import { isInvariantError } from './errors';

export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
}

/** Past 2^30 the delay is years anyway; the bound keeps the arithmetic finite. */
const MAX_DOUBLINGS = 30;

/** base * 2^(attempt-1), at most `capMs`: the longest wait before retry number `attempt` (1-based). */
export function exponentialDelayMs(
  baseMs: number,
  attempt: number,
  capMs = Number.POSITIVE_INFINITY,
): number {
  const doublings = Math.min(Math.max(0, attempt - 1), MAX_DOUBLINGS);
  return Math.min(capMs, baseMs * 2 ** doublings);
}

/**
 * The wait after failed attempt number `attempt`: exponential with full
 * jitter (uniform between 0 and the exponential delay), so callers that failed
 * together do not retry together.
 */
export function backoffDelayMs(
  policy: RetryPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  return random() * exponentialDelayMs(policy.baseDelayMs, attempt);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Retries transient failures with backoff. A broken invariant is thrown at
 * once: retrying a bug only hides it.
 */
export async function retryTransient<T>(
  operation: () => Promise<T>,
  policy: RetryPolicy,
  onRetry: (error: unknown, attempt: number) => void = () => {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (isInvariantError(error) || attempt >= policy.maxAttempts) throw error;
      onRetry(error, attempt);
      await sleep(backoffDelayMs(policy, attempt));
    }
  }
}
