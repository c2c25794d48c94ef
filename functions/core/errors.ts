/**
 * The one place that says what kind of failure something is:
 * - retryable: transient infrastructure trouble; retried with backoff, then
 *   reported as a Kafka batch item failure so the partition is redelivered;
 * - bug: a broken invariant; the partition stops at the record and an alarm fires.
 * Rejections of bad input are not errors: they are outcomes (see rejection.ts).
 */
export type ErrorCode =
  | 'UNKNOWN_STATUS'
  | 'MALFORMED_SCRIPT_REPLY'
  | 'HYDRATION_DID_NOT_CONVERGE'
  | 'LEDGER_INVARIANT'
  | 'OUTBOX_INVARIANT'
  | 'TRANSIENT';

export class SettlementError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A programming or data-integrity error: never retried, never guessed around. */
export class InvariantError extends SettlementError {}

/** Infrastructure trouble that may pass: throttling, conflicts, timeouts, lost connections. */
export class TransientError extends SettlementError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TRANSIENT', message, options);
  }
}

export function isInvariantError(error: unknown): error is InvariantError {
  return error instanceof InvariantError;
}

/**
 * Why publishing a notification failed, when the cause is on our side of the
 * call rather than an EventBridge entry error code (those, such as
 * `InternalFailure` or `AccessDeniedException`, and the SDK's error names for
 * a failed call, such as `ThrottlingException`, are recorded as AWS names them):
 * - PUT_EVENTS_FAILED: the PutEvents call failed with an error that has no name;
 * - ENTRY_WITHOUT_ERROR_CODE: EventBridge answered an entry with neither an event id nor an error code;
 * - RESULT_ENTRY_MISSING: PutEvents answered with fewer entries than it was sent;
 * - NO_RESULT: the publisher returned no result for an item;
 * - PUBLISH_ERROR: the publisher threw instead of returning results.
 * Each is retried with backoff until the item's attempts run out.
 */
export type PublishFailureCode =
  | 'PUT_EVENTS_FAILED'
  | 'ENTRY_WITHOUT_ERROR_CODE'
  | 'RESULT_ENTRY_MISSING'
  | 'NO_RESULT'
  | 'PUBLISH_ERROR';

/** How deep a cause chain is followed: enough for wrapper <- SDK error <- socket error. */
const MAX_CAUSES = 4;

/**
 * An error and its causes on one line, for logs, stored errors and operator
 * messages; never a stack trace: `TransientError: write failed <- ThrottlingException: slow down`.
 * The name is left out when it is the uninformative `Error`.
 */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < MAX_CAUSES; depth++) {
    if (!(current instanceof Error)) {
      parts.push(String(current));
      break;
    }
    const name = current.name && current.name !== 'Error' ? `${current.name}: ` : '';
    parts.push(`${name}${current.message}`);
    current = current.cause;
  }
  return parts.length > 0 ? parts.join(' <- ') : String(error);
}
