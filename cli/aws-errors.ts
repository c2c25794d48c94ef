import { ENV } from '../functions/runtime/env';

type Env = Readonly<Record<string, string | undefined>>;

/** The error and its causes: the adapters wrap SDK errors (an invariant error around a 4xx, for one). */
function* chain(error: unknown): Generator<{ name?: string; message?: string }> {
  let current = error as { name?: string; message?: string; cause?: unknown } | undefined;
  for (let depth = 0; current && depth < 4; depth++) {
    yield current;
    current = current.cause as typeof current;
  }
}

const value = (env: Env, name: string) => `${name}=${env[name] ?? '(unset)'}`;

/**
 * AWS failures that come from the operator's configuration, explained with
 * the variable to fix instead of the SDK's words; null for anything else.
 */
export function explainAwsError(error: unknown, env: Env): string | null {
  for (const e of chain(error)) {
    switch (e.name) {
      case 'CredentialsProviderError':
        return 'no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (any values for DynamoDB Local)';
      case 'UnrecognizedClientException':
      case 'InvalidClientTokenId':
      case 'InvalidSignatureException':
      case 'ExpiredTokenException':
        return `AWS rejected the credentials (${e.name}): check AWS_PROFILE or AWS_ACCESS_KEY_ID, and ${value(env, 'AWS_REGION')}`;
      case 'ResourceNotFoundException':
        return (
          `a DynamoDB table was not found in ${env.AWS_REGION ?? 'the region'}: ` +
          `check ${value(env, ENV.ledgerTable)}, ${value(env, ENV.outboxTable)}` +
          (env[ENV.dynamodbEndpoint] ? ` and ${value(env, ENV.dynamodbEndpoint)}` : '')
        );
      case 'QueueDoesNotExist':
      case 'AWS.SimpleQueueService.NonExistentQueue':
        return `the dead-letter queue does not exist: check ${value(env, ENV.deadLetterQueueUrl)}`;
    }
  }
  return null;
}
