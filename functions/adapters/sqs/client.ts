import { SQSClient } from '@aws-sdk/client-sqs';

export function createSqsClient(options: { endpoint?: string | undefined; region?: string } = {}) {
  return new SQSClient({
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.region ? { region: options.region } : {}),
    maxAttempts: 2,
  });
}
