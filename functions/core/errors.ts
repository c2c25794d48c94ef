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

/** A one-line description of anything thrown, for logs and operator output. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
