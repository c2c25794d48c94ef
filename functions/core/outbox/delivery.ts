import { forEachConcurrently } from '../concurrency';
import { describeError, isInvariantError, type PublishFailureCode } from '../errors';
import type { Clock } from '../ports';
import { OUTBOX_STATUS, type OutboxItem } from './item';
import { buildNotification, type Notification } from './notification';
import type { NotificationLocale } from './notification-text';
import type { NotificationPublisher, OutboxLog, OutboxStore, PublishResult } from './ports';
import { afterPublish, afterPublishFailure, type OutboxPolicy } from './transitions';

/** Everything publishing needs; shared by the relay and the sweeper so both follow the same transitions. */
export interface DeliveryDeps {
  readonly store: OutboxStore;
  readonly publisher: NotificationPublisher;
  readonly clock: Clock;
  readonly policy: OutboxPolicy;
  readonly locale: NotificationLocale;
  readonly log: OutboxLog;
}

export type DeliveryOutcome =
  | { readonly kind: 'sent' }
  | { readonly kind: 'retry-scheduled' }
  | { readonly kind: 'failed' }
  /** Another relay or sweeper run moved the item first; nothing for us to do. */
  | { readonly kind: 'moved' }
  /** The outbox write failed; the lease expires and the sweeper retries the item. */
  | { readonly kind: 'error'; readonly error: unknown };

export interface DeliveryCounts {
  /** Entries EventBridge accepted. */
  published: number;
  /** Entries EventBridge rejected (each attempt). */
  publishFailed: number;
  /** Items moved to FAILED. */
  failed: number;
  moved: number;
  errors: number;
}

export interface DeliveryResult {
  readonly outcomes: ReadonlyMap<string, DeliveryOutcome>;
  readonly counts: DeliveryCounts;
}

export const emptyCounts = (): DeliveryCounts => ({
  published: 0,
  publishFailed: 0,
  failed: 0,
  moved: 0,
  errors: 0,
});

export function addCounts(into: DeliveryCounts, more: DeliveryCounts): void {
  into.published += more.published;
  into.publishFailed += more.publishFailed;
  into.failed += more.failed;
  into.moved += more.moved;
  into.errors += more.errors;
}

/** Outbox writes in flight at once; small, so a burst does not throttle the table. */
const WRITE_CONCURRENCY = 10;

interface Attempt {
  readonly item: OutboxItem;
  readonly result: PublishResult;
}

/**
 * Publishes items the caller has claimed and records each result with a
 * conditional write: SENT when EventBridge accepted the entry, otherwise
 * attempts + 1 with backoff, or FAILED when exhausted or permanent. A write
 * that finds the item already moved is not an error.
 */
export async function deliver(
  claimed: ReadonlyArray<OutboxItem>,
  deps: DeliveryDeps,
): Promise<DeliveryResult> {
  const { store, clock, policy, log } = deps;
  const counts = emptyCounts();
  const outcomes = new Map<string, DeliveryOutcome>();
  const attempts: Attempt[] = [];
  const publishable: { item: OutboxItem; notification: Notification }[] = [];

  for (const item of claimed) {
    try {
      publishable.push({ item, notification: buildNotification(item, deps.locale) });
    } catch (error) {
      if (!isInvariantError(error)) throw error;
      log.error('outbox item cannot become a notification; it is failed', {
        notificationId: item.notificationId,
        error: error.message,
      });
      attempts.push({
        item,
        result: { ok: false, failure: { code: error.code, message: error.message, permanent: true } },
      });
    }
  }

  const results = await publishAll(
    publishable.map((p) => p.notification),
    deps.publisher,
  );
  publishable.forEach(({ item }, i) => {
    attempts.push({ item, result: results[i] ?? missingResult });
  });

  await forEachConcurrently(attempts, WRITE_CONCURRENCY, async ({ item, result }) => {
    const id = item.notificationId;
    try {
      const now = clock.now();
      if (result.ok) {
        counts.published++;
        const marked = await store.markSent(id, afterPublish(now, policy));
        outcomes.set(id, { kind: marked ? 'sent' : 'moved' });
        if (!marked) counts.moved++;
        return;
      }
      counts.publishFailed++;
      const next = afterPublishFailure(item, result.failure, now, policy);
      log.warn('notification not published', {
        notificationId: id,
        attempts: next.attempts,
        status: next.status,
        error: next.lastError,
      });
      const recorded = await store.recordFailure(id, item.nextAttemptAt, next);
      if (!recorded) {
        counts.moved++;
        outcomes.set(id, { kind: 'moved' });
      } else if (next.status === OUTBOX_STATUS.failed) {
        counts.failed++;
        outcomes.set(id, { kind: 'failed' });
      } else {
        outcomes.set(id, { kind: 'retry-scheduled' });
      }
    } catch (error) {
      counts.errors++;
      outcomes.set(id, { kind: 'error', error });
      log.error('outbox write failed; the item is retried after its lease', {
        notificationId: id,
        error: describeError(error),
      });
    }
  });

  return { outcomes, counts };
}

const missingResult: PublishResult = {
  ok: false,
  failure: {
    code: 'NO_RESULT' satisfies PublishFailureCode,
    message: 'the publisher returned no result for this entry',
    permanent: false,
  },
};

/** The publisher reports failures as results; should it throw anyway, every entry counts as one failed attempt. */
async function publishAll(
  notifications: ReadonlyArray<Notification>,
  publisher: NotificationPublisher,
): Promise<ReadonlyArray<PublishResult>> {
  if (notifications.length === 0) return [];
  try {
    return await publisher.publish(notifications);
  } catch (error) {
    const failure = {
      code: 'PUBLISH_ERROR' satisfies PublishFailureCode,
      message: describeError(error),
      permanent: false,
    };
    return notifications.map(() => ({ ok: false, failure }) as const);
  }
}
