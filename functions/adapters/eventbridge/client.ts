import { EventBridgeClient } from '@aws-sdk/client-eventbridge';

/**
 * SDK retries are kept few: a notification that is not accepted stays pending
 * and the sweeper retries it with backoff, so waiting inside the invocation
 * only burns the relay's and the sweeper's time budget.
 */
export function createEventBridgeClient(
  options: { endpoint?: string | undefined; region?: string; maxAttempts?: number } = {},
) {
  return new EventBridgeClient({
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.region ? { region: options.region } : {}),
    maxAttempts: options.maxAttempts ?? 2,
  });
}
