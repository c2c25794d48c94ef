import type { ErrorCode, PublishFailureCode } from '../errors';
import { backoffMs, OUTBOX_STATUS, type OutboxItem } from './item';

/**
 * The pure half of the outbox state machine (docs/behaviour.md, "The outbox"): what an item becomes
 * after a publish succeeds, fails, or an operator requeues it. The store turns
 * each transition into one conditional write on the expected current status.
 */
export interface OutboxPolicy {
  readonly maxAttempts: number;
  readonly backoffBaseMs: number;
  readonly backoffCapMs: number;
  /** How long a claim keeps the sweeper (and other claimants) away from an item being published. */
  readonly leaseMs: number;
  readonly sentRetentionSeconds: number;
}

/**
 * Why one notification was not accepted; `permanent` when retrying the same entry cannot help.
 * The code is ours, an invariant's, or the error code EventBridge or the SDK gave (any string).
 */
export interface PublishFailure {
  readonly code: PublishFailureCode | ErrorCode | (string & {});
  readonly message: string;
  readonly permanent: boolean;
}

export interface SentTransition {
  readonly sentAt: number;
  /** Epoch seconds, for DynamoDB TTL. */
  readonly expiresAt: number;
}

export interface FailureTransition {
  readonly status: typeof OUTBOX_STATUS.pending | typeof OUTBOX_STATUS.failed;
  readonly attempts: number;
  /** Pending: when the sweeper may retry. Failed: when it failed (keeps FAILED items ordered in the status index). */
  readonly nextAttemptAt: number;
  readonly lastError: string;
}

export interface RequeueTransition {
  readonly status: typeof OUTBOX_STATUS.pending;
  readonly attempts: 0;
  readonly nextAttemptAt: number;
}

/** Keeps the item small: an error message from a remote service can be arbitrarily long. */
const MAX_ERROR_LENGTH = 500;

export function leaseUntil(nowMs: number, policy: Pick<OutboxPolicy, 'leaseMs'>): number {
  return nowMs + policy.leaseMs;
}

export function afterPublish(
  nowMs: number,
  policy: Pick<OutboxPolicy, 'sentRetentionSeconds'>,
): SentTransition {
  return { sentAt: nowMs, expiresAt: Math.floor(nowMs / 1000) + policy.sentRetentionSeconds };
}

/**
 * attempts + 1; FAILED when the attempts are exhausted or the error is
 * permanent, otherwise retried after an exponential, capped backoff.
 */
export function afterPublishFailure(
  item: Pick<OutboxItem, 'attempts'>,
  failure: PublishFailure,
  nowMs: number,
  policy: OutboxPolicy,
): FailureTransition {
  const attempts = item.attempts + 1;
  const lastError = `${failure.code}: ${failure.message}`.slice(0, MAX_ERROR_LENGTH);
  if (failure.permanent || attempts >= policy.maxAttempts) {
    return { status: OUTBOX_STATUS.failed, attempts, nextAttemptAt: nowMs, lastError };
  }
  const delay = backoffMs(attempts, { baseMs: policy.backoffBaseMs, capMs: policy.backoffCapMs });
  return { status: OUTBOX_STATUS.pending, attempts, nextAttemptAt: nowMs + delay, lastError };
}

/** FAILED back to pending, due at once, with a fresh attempt budget. */
export function requeued(nowMs: number): RequeueTransition {
  return { status: OUTBOX_STATUS.pending, attempts: 0, nextAttemptAt: nowMs };
}

/** Whether the sweeper may pick the item now (the grace period is already in the first nextAttemptAt). */
export function isDue(item: Pick<OutboxItem, 'status' | 'nextAttemptAt'>, nowMs: number): boolean {
  return item.status === OUTBOX_STATUS.pending && item.nextAttemptAt <= nowMs;
}
