import type { PublishFailureCode } from '../../core/errors';
import type { PublishFailure } from '../../core/outbox/transitions';

/**
 * The entry error codes EventBridge documents as non-retryable: the same entry
 * on the same bus with the same permissions fails again. Everything else
 * (InternalFailure, ThrottlingException, codes added later) is retried with
 * backoff until the item's attempts run out.
 */
const PERMANENT_ENTRY_ERRORS = new Set([
  'AccessDeniedException',
  'InvalidAccountIdException',
  'InvalidArgument',
  'MalformedDetail',
  'RedactionFailure',
  'NotAuthorizedForSourceException',
  'NotAuthorizedForDetailTypeException',
]);

export function entryFailure(
  code: string | undefined,
  message: string | undefined,
  missing: PublishFailureCode = 'ENTRY_WITHOUT_ERROR_CODE',
): PublishFailure {
  const errorCode = code ?? missing;
  return {
    code: errorCode,
    message: message ?? 'entry rejected without a message',
    permanent: PERMANENT_ENTRY_ERRORS.has(errorCode),
  };
}

/**
 * A failed PutEvents call (throttled, service down, network) fails every entry
 * of the chunk, always as retryable: nothing is known about the entries
 * themselves, and the attempt budget bounds a failure that does not pass.
 */
export function callFailure(error: unknown): PublishFailure {
  const e = error as { name?: string; code?: string; message?: string };
  return {
    code:
      e?.name && e.name !== 'Error'
        ? e.name
        : (e?.code ?? ('PUT_EVENTS_FAILED' satisfies PublishFailureCode)),
    message: e?.message ?? String(error),
    permanent: false,
  };
}
