import { isInvariantError } from './errors';

export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
}

/** Exponential backoff with full jitter: a random delay up to base * 2^(attempt-1). */
export function backoffDelayMs(policy: RetryPolicy, attempt: number): number {
  return Math.random() * policy.baseDelayMs * 2 ** (attempt - 1);
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
