import type { OutboxItem, OutboxStatus } from './item';
import type { Notification } from './notification';
import type { FailureTransition, PublishFailure, SentTransition } from './transitions';

/** The collaborators of the relay, the sweeper and the operator actions; adapters implement them. */

export type PublishResult =
  | { readonly ok: true; readonly eventId: string }
  | { readonly ok: false; readonly failure: PublishFailure };

export interface NotificationPublisher {
  /**
   * One result per notification, in the same order. A rejected entry, a
   * throttled or failed call are results, not exceptions: the caller decides
   * what each failure means for its item.
   */
  publish(notifications: ReadonlyArray<Notification>): Promise<ReadonlyArray<PublishResult>>;
}

export interface OutboxPage {
  readonly items: ReadonlyArray<OutboxItem>;
  /** Opaque; pass it back to read the next page. Absent on the last page. */
  readonly cursor: string | undefined;
}

export interface PageRequest {
  readonly limit: number;
  readonly cursor?: string | undefined;
}

export interface PendingBacklog {
  readonly count: number;
  /** createdAt of the oldest pending item; null when nothing is pending. */
  readonly oldestCreatedAt: number | null;
}

/**
 * The outbox table. Every write is conditional on the status the caller expects,
 * and answers false (or null) when the item is no longer in that state: someone
 * else moved it, which is not an error.
 */
export interface OutboxStore {
  get(notificationId: string): Promise<OutboxItem | null>;
  /** Pending items with nextAttemptAt <= nowMs, soonest due first, read from the status index. */
  due(nowMs: number, page: PageRequest): Promise<OutboxPage>;
  listByStatus(status: OutboxStatus, page: PageRequest): Promise<OutboxPage>;
  /**
   * Takes a lease: only if the item is still pending with the nextAttemptAt the
   * caller read (nobody claimed or retried it since). Returns the item as
   * stored after the claim (nextAttemptAt = leaseUntil, the lease token).
   */
  claim(item: OutboxItem, leaseUntil: number): Promise<OutboxItem | null>;
  /** PUBLISH_PENDING to SENT. */
  markSent(notificationId: string, sent: SentTransition): Promise<boolean>;
  /** Records a failed publish, only while the caller still holds its lease. */
  recordFailure(notificationId: string, leaseToken: number, failure: FailureTransition): Promise<boolean>;
  /** FAILED to PUBLISH_PENDING, attempts reset, due at nowMs. */
  requeue(notificationId: string, nowMs: number): Promise<boolean>;
  pendingBacklog(): Promise<PendingBacklog>;
}

export interface OutboxLog {
  warn(message: string, extra: Record<string, unknown>): void;
  error(message: string, extra: Record<string, unknown>): void;
}
