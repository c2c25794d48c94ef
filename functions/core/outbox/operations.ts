import type { Clock } from '../ports';
import { OUTBOX_STATUS, type OutboxStatus } from './item';
import type { OutboxPage, OutboxStore, PageRequest } from './ports';

/** What an operator can do with the outbox (from the CLI): look, requeue, measure the backlog. */
export interface OperatorDeps {
  readonly store: OutboxStore;
  readonly clock: Clock;
}

export function listByStatus(
  { store }: Pick<OperatorDeps, 'store'>,
  status: OutboxStatus,
  page: PageRequest,
): Promise<OutboxPage> {
  return store.listByStatus(status, page);
}

/**
 * FAILED back to PUBLISH_PENDING with attempts reset, due now. The stream shows
 * the change, so the relay publishes it at once; the sweeper is the fallback.
 */
export async function requeueFailed(
  { store, clock }: OperatorDeps,
  notificationId: string,
): Promise<'requeued' | 'not-failed'> {
  return (await store.requeue(notificationId, clock.now())) ? 'requeued' : 'not-failed';
}

/** Requeues every FAILED item, or at most `limit`, walking the FAILED partition of the status index. */
export async function requeueAllFailed(
  deps: OperatorDeps,
  options: { readonly pageSize?: number; readonly limit?: number } = {},
): Promise<{ requeued: number; skipped: number }> {
  const pageSize = options.pageSize ?? 100;
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  let requeued = 0;
  let skipped = 0;
  let cursor: string | undefined;
  do {
    const page = await deps.store.listByStatus(OUTBOX_STATUS.failed, { limit: pageSize, cursor });
    cursor = page.cursor;
    for (const item of page.items) {
      if (requeued >= limit) return { requeued, skipped };
      if ((await requeueFailed(deps, item.notificationId)) === 'requeued') requeued++;
      else skipped++;
    }
  } while (cursor !== undefined);
  return { requeued, skipped };
}

export interface BacklogReport {
  readonly pending: number;
  readonly oldestCreatedAt: number | null;
  readonly oldestAgeMs: number;
}

export async function pendingBacklog({ store, clock }: OperatorDeps): Promise<BacklogReport> {
  const { count, oldestCreatedAt } = await store.pendingBacklog();
  return {
    pending: count,
    oldestCreatedAt,
    oldestAgeMs: oldestCreatedAt === null ? 0 : Math.max(0, clock.now() - oldestCreatedAt),
  };
}
