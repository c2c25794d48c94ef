import { describeError } from '../errors';
import type { Clock, GlobalPolicySource } from '../ports';
import { backoffDelayMs, type RetryPolicy, retryTransient } from '../retry';
import type { CommittedStateReader, SnapshotPublisher } from './ports';
import {
  buildSnapshot,
  type CoalescedChange,
  coalesceChanges,
  type MemberChange,
  type UsageSnapshot,
} from './usage-snapshot';

export interface SnapshotSettings {
  /** Attempts per entry (and for the committed-state read) within the invocation. */
  readonly retry: RetryPolicy;
  /** The whole snapshot path gives up after this long; what is not published by then is counted failed. */
  readonly budgetMs: number;
}

export interface SnapshotDeps {
  readonly reader: CommittedStateReader;
  readonly publisher: SnapshotPublisher;
  readonly globalPolicy: GlobalPolicySource;
  readonly clock: Clock;
  readonly settings: SnapshotSettings;
  readonly log: { warn(message: string, extra: Record<string, unknown>): void };
}

export interface SnapshotReport {
  published: number;
  /** Entries not accepted after their attempts, or whose state could not be read in time. */
  failed: number;
  /** Changes folded into a later entry of the same member in the batch. */
  superseded: number;
  /** Per published entry: from the commit to the topic accepting the entry. */
  readonly commitToPublishMs: number[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Publishes one USAGE_UPDATED entry per member whose screen the batch's
 * commits changed, built from the committed state the reader gives (the
 * ledger stream's images), so no figure of a transaction that did not commit
 * can appear. Best effort: it never throws and never outlives its budget; a
 * lost entry is superseded by the member's next one.
 */
export async function publishSnapshots(
  changes: ReadonlyArray<MemberChange>,
  deps: SnapshotDeps,
): Promise<SnapshotReport> {
  const { entries, superseded } = coalesceChanges(changes);
  const report: SnapshotReport = { published: 0, failed: 0, superseded, commitToPublishMs: [] };
  if (entries.length === 0) return report;
  let open = true;
  const work = run(entries, deps, (change) => {
    if (!open) return;
    report.published++;
    report.commitToPublishMs.push(Math.max(0, deps.clock.now() - change.latest.committedAtMs));
  }).catch((error: unknown) => {
    deps.log.warn('usage snapshots not published', { error: describeError(error) });
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, deps.settings.budgetMs);
  });
  await Promise.race([work, timeout]);
  clearTimeout(timer);
  open = false;
  // Everything not accepted by now failed: refused, out of attempts, unreadable, or out of time.
  report.failed = entries.length - report.published;
  return report;
}

async function run(
  entries: ReadonlyArray<CoalescedChange>,
  deps: SnapshotDeps,
  published: (change: CoalescedChange) => void,
): Promise<void> {
  const { settings, clock } = deps;
  const wanted = new Map<string, { familyId: number; period: string; customerIds: number[] }>();
  for (const { latest } of entries) {
    const key = `${latest.familyId}/${latest.period}`;
    const w = wanted.get(key) ?? { familyId: latest.familyId, period: latest.period, customerIds: [] };
    w.customerIds.push(latest.customerId);
    wanted.set(key, w);
  }
  const { policy: globalPolicy } = await retryTransient(() => deps.globalPolicy.current(), settings.retry);
  const states = await retryTransient(
    () => deps.reader.read([...wanted.values()], globalPolicy),
    settings.retry,
  );
  const asOf = clock.now();
  const byKey = new Map(states.map((s) => [`${s.familyId}/${s.period}`, s]));
  let pending: Array<{ change: CoalescedChange; snapshot: UsageSnapshot }> = [];
  for (const change of entries) {
    const state = byKey.get(`${change.latest.familyId}/${change.latest.period}`);
    // No period item: nothing committed that could be shown (cannot follow a commit; counted failed).
    if (state) pending.push({ change, snapshot: buildSnapshot(state, change, asOf) });
  }
  for (let attempt = 1; pending.length > 0; attempt++) {
    const results = await deps.publisher.publish(pending.map((p) => p.snapshot));
    const retry: typeof pending = [];
    for (const [i, p] of pending.entries()) {
      const result = results[i];
      if (result?.ok) published(p.change);
      else if (result && !result.permanent && attempt < settings.retry.maxAttempts) retry.push(p);
    }
    pending = retry;
    if (pending.length > 0) await sleep(backoffDelayMs(settings.retry, attempt));
  }
}
