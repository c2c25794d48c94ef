import { forEachConcurrently } from '../concurrency';
import { describeError } from '../errors';
import { addCounts, type DeliveryCounts, type DeliveryDeps, deliver, emptyCounts } from './delivery';
import { OUTBOX_STATUS, type OutboxItem } from './item';
import { leaseUntil } from './transitions';

/** One outbox stream record, as much of it as the relay needs to decide whether to look closer. */
export interface OutboxChange {
  readonly sequenceNumber: string;
  readonly eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  readonly newStatus: string | undefined;
  readonly oldStatus: string | undefined;
  /** Decodes the new image; only called for the changes the relay acts on. */
  readonly item: () => OutboxItem;
}

export interface RelayReport extends DeliveryCounts {
  received: number;
  ignored: number;
  /** Claims lost to a sweeper run or an earlier delivery of the same record. */
  skipped: number;
}

export interface RelayResult {
  /** Records whose outbox writes failed; reported as stream batch item failures. */
  readonly failedSequenceNumbers: ReadonlyArray<string>;
  readonly report: RelayReport;
}

const CLAIM_CONCURRENCY = 10;

/**
 * New items, and items requeued from FAILED, are what the relay publishes.
 * PENDING to PENDING (claims, attempt bumps), SENT, FAILED and TTL deletes are
 * not; the stack's event-source filter says the same, this keeps the relay
 * correct without it.
 */
export function becamePending(change: OutboxChange): boolean {
  if (change.newStatus !== OUTBOX_STATUS.pending) return false;
  if (change.eventName === 'INSERT') return true;
  return change.eventName === 'MODIFY' && change.oldStatus !== OUTBOX_STATUS.pending;
}

/**
 * The relay: claims each new pending item (a lease conditional on the version
 * the stream showed, so a sweeper that got there first, or a redelivered record
 * of an item already sent, is skipped), publishes the claimed ones and records
 * the results. A failed publish stays with the item (backoff, then the
 * sweeper); only outbox write failures fail stream records.
 */
export async function relay(changes: ReadonlyArray<OutboxChange>, deps: DeliveryDeps): Promise<RelayResult> {
  const report: RelayReport = { received: changes.length, ignored: 0, skipped: 0, ...emptyCounts() };
  const failed = new Set<string>();
  const latest = new Map<string, { item: OutboxItem; sequenceNumber: string }>();

  for (const change of changes) {
    if (!becamePending(change)) {
      report.ignored++;
      continue;
    }
    try {
      const item = change.item();
      // A later record of the same item in this batch supersedes an earlier one.
      if (latest.has(item.notificationId)) report.ignored++;
      latest.set(item.notificationId, { item, sequenceNumber: change.sequenceNumber });
    } catch (error) {
      failed.add(change.sequenceNumber);
      deps.log.error('outbox stream record cannot be decoded', {
        sequenceNumber: change.sequenceNumber,
        error: describeError(error),
      });
    }
  }

  const claimed: OutboxItem[] = [];
  const sequenceOf = new Map<string, string>();
  await forEachConcurrently([...latest.values()], CLAIM_CONCURRENCY, async ({ item, sequenceNumber }) => {
    try {
      const mine = await deps.store.claim(item, leaseUntil(deps.clock.now(), deps.policy));
      if (mine === null) {
        report.skipped++;
        return;
      }
      claimed.push(mine);
      sequenceOf.set(mine.notificationId, sequenceNumber);
    } catch (error) {
      failed.add(sequenceNumber);
      deps.log.error('outbox claim failed; the stream record is retried', {
        notificationId: item.notificationId,
        error: describeError(error),
      });
    }
  });

  const { outcomes, counts } = await deliver(claimed, deps);
  addCounts(report, counts);
  for (const [notificationId, outcome] of outcomes) {
    const sequenceNumber = sequenceOf.get(notificationId);
    if (outcome.kind === 'error' && sequenceNumber !== undefined) failed.add(sequenceNumber);
  }
  return { failedSequenceNumbers: [...failed], report };
}
