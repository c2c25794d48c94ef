import { FirehoseClient } from '@aws-sdk/client-firehose';

/** Few SDK retries: the sink retries the records Firehose refused, and the mapping the batch. */
export function createFirehoseClient(options: { endpoint?: string | undefined; region?: string } = {}) {
  return new FirehoseClient({
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.region ? { region: options.region } : {}),
    maxAttempts: 2,
  });
}
