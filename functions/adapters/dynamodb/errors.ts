import { InvariantError } from '../../core/errors';

/**
 * DynamoDB 4xx errors other than throttling and conflicts are not going to pass
 * on retry (a bad request, a missing table, a denied permission): they are
 * raised as broken invariants so the partition stops and an alarm fires.
 * Everything else is left to the transient retry.
 */
const RETRYABLE = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'TransactionConflictException',
  'TransactionInProgressException',
  'InternalServerError',
  'ServiceUnavailable',
  'LimitExceededException',
]);

export function classifyDynamoError(error: unknown): unknown {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  const status = e?.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 400 && status < 500 && !RETRYABLE.has(e.name ?? '')) {
    return new InvariantError('LEDGER_INVARIANT', `DynamoDB rejected the request: ${e.name}`, {
      cause: error,
    });
  }
  return error;
}
