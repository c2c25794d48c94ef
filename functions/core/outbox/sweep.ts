import { forEachConcurrently } from '../concurrency';
import { describeError } from '../errors';
import { addCounts, type DeliveryCounts, type DeliveryDeps, deliver, emptyCounts } from './delivery';
import type { OutboxItem } from './item';
import { leaseUntil } from './transitions';

export interface SweepReport extends DeliveryCounts {
  /** Due items read from the status index. */
  due: number;
  claimed: number;
  /** Claims lost to an overlapping run or the relay. */
  skipped: number;
  /** True when the run stopped at its deadline with due items possibly left. */
  outOfTime: boolean;
  /** Pending items after the run, due or not. */
  pending: number;
  /** Age of the oldest pending item after the run; 0 when none. */
  oldestPendingAgeMs: number;
}

export interface SweepOptions {
  /** Epoch ms; no new page is started at or after it. */
  readonly deadline: number;
  /** Due items read, claimed and published per round. */
  readonly pageSize?: number;
}

const DEFAULT_PAGE_SIZE = 50;
const CLAIM_CONCURRENCY = 10;

/**
 * One sweeper run: read due pending items page by page from the status index
 * (never a scan), claim each with a lease, publish the claimed ones and
 * record the results; then measure the pending backlog for the metrics.
 * Pages are small so the run can stop at its deadline between them; what is
 * left is due again for the next run.
 */
export async function sweep(deps: DeliveryDeps, options: SweepOptions): Promise<SweepReport> {
  const { store, clock, log } = deps;
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const report: SweepReport = {
    due: 0,
    claimed: 0,
    skipped: 0,
    outOfTime: false,
    pending: 0,
    oldestPendingAgeMs: 0,
    ...emptyCounts(),
  };
  // One bound for the whole run, so the cursor walks one consistent range.
  const dueBy = clock.now();
  let cursor: string | undefined;
  do {
    if (clock.now() >= options.deadline) {
      report.outOfTime = true;
      break;
    }
    const page = await store.due(dueBy, { limit: pageSize, cursor });
    cursor = page.cursor;
    report.due += page.items.length;
    const claimed: OutboxItem[] = [];
    await forEachConcurrently(page.items, CLAIM_CONCURRENCY, async (item) => {
      try {
        const mine = await store.claim(item, leaseUntil(clock.now(), deps.policy));
        if (mine === null) report.skipped++;
        else claimed.push(mine);
      } catch (error) {
        report.errors++;
        log.error('outbox claim failed; the item is left for the next run', {
          notificationId: item.notificationId,
          error: describeError(error),
        });
      }
    });
    report.claimed += claimed.length;
    addCounts(report, (await deliver(claimed, deps)).counts);
  } while (cursor !== undefined);

  const backlog = await store.pendingBacklog();
  report.pending = backlog.count;
  report.oldestPendingAgeMs =
    backlog.oldestCreatedAt === null ? 0 : Math.max(0, clock.now() - backlog.oldestCreatedAt);
  return report;
}
