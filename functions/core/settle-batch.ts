import { randomUUID } from 'node:crypto';
import { forEachConcurrently } from './concurrency';
import type { Decision } from './decision';
import { type DecisionStatus, effectOf } from './decisions';
import { InvariantError, isInvariantError } from './errors';
import type { FamilySnapshot } from './family';
import type { KafkaRecord, PartitionBatch } from './kafka-record';
import type { Clock, DeadLetter, DeadLetterQueue, Ledger, LedgerOutcome, UsageCache } from './ports';
import { type Rejection, type RejectionReason, reject } from './rejection';
import { type RetryPolicy, retryTransient } from './retry';
import { buildSettlement, type SettlementWrite } from './settlement';
import { type UsageEvent, validateRecord } from './usage-event';

export interface SettlementSettings {
  readonly timeZone: string;
  readonly futureSkewMs: number;
  readonly maxBytesPerEvent: number;
  readonly familyConcurrency: number;
  readonly retry: RetryPolicy;
  readonly outboxGraceMs: number;
}

export interface SettlementLog {
  warn(message: string, extra: Record<string, unknown>): void;
  error(message: string, extra: Record<string, unknown>): void;
}

export interface SettlementDeps {
  readonly cache: UsageCache;
  readonly ledger: Ledger;
  readonly deadLetters: DeadLetterQueue;
  readonly clock: Clock;
  readonly settings: SettlementSettings;
  readonly log: SettlementLog;
  readonly newRunId?: () => string;
}

export interface BatchReport {
  received: number;
  settled: Partial<Record<DecisionStatus, number>>;
  duplicates: number;
  rejected: Partial<Record<RejectionReason, number>>;
  skipped: number;
  notificationsStaged: number;
  compensations: number;
  hydrations: number;
  retries: number;
  bugs: number;
  unfinished: number;
}

export interface BatchItemFailure {
  readonly itemIdentifier: { readonly partition: string; readonly offset: number };
}

export interface BatchResult {
  readonly batchItemFailures: BatchItemFailure[];
  readonly report: BatchReport;
}

/** One event of a family's lane, and how far it got. */
interface Item {
  readonly record: KafkaRecord;
  readonly event: UsageEvent;
  decision?: Decision;
  done?: boolean;
  rejected?: boolean;
}

/** A family's events of the batch, in delivery order; it stops at its first failure. */
interface Lane {
  readonly familyId: number;
  readonly items: Item[];
  failed: boolean;
  hydrated: boolean;
}

const increment = <K extends string>(counts: Partial<Record<K, number>>, key: K) => {
  counts[key] = (counts[key] ?? 0) + 1;
};

/**
 * Settles one MSK batch in phases, each a single round trip to Redis for the
 * whole batch where possible: membership, the settlement script for every
 * event (issued in lane order, so each family's events are decided in
 * delivery order), hydration when state is missing, then one coalesced ledger
 * write per family, compensation, and dead letters. Whatever could not be
 * finished (a transient failure that outlived its retries, a broken
 * invariant, a dead letter that could not be sent) is reported as a batch item
 * failure at the first unfinished offset of its partition; every step is
 * idempotent, so the redelivery settles nothing twice.
 */
export async function settleBatch(
  partitions: ReadonlyArray<PartitionBatch>,
  deps: SettlementDeps,
): Promise<BatchResult> {
  const batch = new Batch(deps);
  const lanes = batch.validate(partitions);
  await batch.admitMembers(lanes);
  await batch.decide(lanes);
  await forEachConcurrently(lanes, deps.settings.familyConcurrency, (lane) => batch.record(lane));
  await batch.sendDeadLetters();
  return { batchItemFailures: batch.failures(partitions), report: batch.report };
}

class Batch {
  readonly report: BatchReport = {
    received: 0,
    settled: {},
    duplicates: 0,
    rejected: {},
    skipped: 0,
    notificationsStaged: 0,
    compensations: 0,
    hydrations: 0,
    retries: 0,
    bugs: 0,
    unfinished: 0,
  };
  private readonly finished = new Set<KafkaRecord>();
  private readonly letters = new Map<KafkaRecord, DeadLetter>();
  private readonly newRunId: () => string;

  constructor(private readonly deps: SettlementDeps) {
    this.newRunId = deps.newRunId ?? randomUUID;
  }

  validate(partitions: ReadonlyArray<PartitionBatch>): Lane[] {
    const { settings, clock } = this.deps;
    const context = {
      timeZone: settings.timeZone,
      nowMs: clock.now(),
      futureSkewMs: settings.futureSkewMs,
      maxBytesPerEvent: settings.maxBytesPerEvent,
    };
    const lanes = new Map<number, Lane>();
    for (const partition of partitions) {
      for (const record of partition.records) {
        this.report.received++;
        const validated = validateRecord(record, context);
        if (validated.kind === 'skip') {
          this.report.skipped++;
          this.finished.add(record);
        } else if (validated.kind === 'reject') {
          this.deadLetter(record, validated.rejection, null);
        } else {
          const { familyId } = validated.event;
          const lane = lanes.get(familyId) ?? { familyId, items: [], failed: false, hydrated: false };
          lane.items.push({ record, event: validated.event });
          lanes.set(familyId, lane);
        }
      }
    }
    return [...lanes.values()];
  }

  /**
   * Membership of every (family, customer) of the batch: one Redis round trip
   * for all, the ledger for families with unknown customers, then one round
   * trip that caches what the ledger said.
   */
  async admitMembers(lanes: ReadonlyArray<Lane>): Promise<void> {
    const { cache, ledger, settings } = this.deps;
    const members = new Map<Lane, Set<number>>();
    const unknown = new Map<Lane, number[]>();
    await Promise.all(
      lanes.map((lane) =>
        this.guard(lane, lane.items[0], async () => {
          const customers = [...new Set(lane.items.map((i) => i.event.customerId))];
          const cached = await retryTransient(
            () => Promise.all(customers.map((c) => cache.membership(lane.familyId, c))),
            settings.retry,
          );
          members.set(lane, new Set(customers.filter((_, i) => cached[i] === 'member')));
          const missing = customers.filter((_, i) => cached[i] === 'unknown');
          if (missing.length > 0) unknown.set(lane, missing);
        }),
      ),
    );
    const directories = new Map<Lane, number[]>();
    await forEachConcurrently([...unknown.keys()], settings.familyConcurrency, (lane) =>
      this.guard(lane, lane.items[0], async () => {
        const directory = await retryTransient(() => ledger.loadDirectory(lane.familyId), settings.retry);
        directories.set(
          lane,
          directory.members.map((m) => m.customerId),
        );
      }),
    );
    await Promise.all(
      [...directories].map(([lane, ids]) =>
        this.guard(lane, lane.items[0], async () => {
          const nonMembers = (unknown.get(lane) ?? []).filter((c) => !ids.includes(c));
          await retryTransient(
            () =>
              Promise.all([
                cache.cacheMembers(lane.familyId, ids),
                ...nonMembers.map((c) => cache.cacheNonMember(lane.familyId, c)),
              ]),
            settings.retry,
          );
          for (const c of unknown.get(lane) ?? []) if (ids.includes(c)) members.get(lane)?.add(c);
        }),
      ),
    );
    for (const lane of lanes) {
      if (lane.failed) continue;
      for (const item of lane.items) {
        if (!members.get(lane)?.has(item.event.customerId)) this.rejectItem(item, notAMember(item.event));
      }
    }
  }

  /**
   * Runs the settlement script for every event still open, issuing all calls
   * at once in lane order (ioredis pipelines them, in order, per node). A
   * family whose state is missing is hydrated from the ledger and its
   * remaining events run again; transient failures are retried the same way.
   */
  async decide(lanes: ReadonlyArray<Lane>): Promise<void> {
    const { cache, settings, log } = this.deps;
    for (let attempt = 1; ; ) {
      const open = lanes.filter((l) => !l.failed && l.items.some((i) => this.awaitsDecision(i)));
      if (open.length === 0) return;
      const items = open.flatMap((l) => l.items.filter((i) => this.awaitsDecision(i)));
      const results = await Promise.allSettled(items.map((i) => cache.decide(i.event, this.newRunId())));
      const outcome = new Map(items.map((item, i) => [item, results[i] as PromiseSettledResult<unknown>]));
      const toHydrate: Lane[] = [];
      let transient: unknown = null;
      for (const lane of open) {
        for (const item of lane.items.filter((i) => this.awaitsDecision(i))) {
          const settled = outcome.get(item);
          if (settled?.status === 'rejected') {
            if (isInvariantError(settled.reason)) this.failLane(lane, item, settled.reason);
            else transient = settled.reason;
            break;
          }
          const result = (settled as PromiseFulfilledResult<Awaited<ReturnType<UsageCache['decide']>>>).value;
          if (result.kind === 'hydrate') {
            if (lane.hydrated) {
              this.failLane(
                lane,
                item,
                new InvariantError(
                  'HYDRATION_DID_NOT_CONVERGE',
                  `${result.missing} state still missing after hydration`,
                ),
              );
            } else {
              toHydrate.push(lane);
            }
            break;
          }
          if (result.kind === 'conflict') this.rejectItem(item, conflict(item.event));
          else item.decision = result.decision;
        }
      }
      if (transient !== null) {
        if (attempt >= settings.retry.maxAttempts) {
          for (const lane of open) {
            const first = lane.items.find((i) => this.awaitsDecision(i));
            if (first) this.failLane(lane, first, transient);
          }
          return;
        }
        this.report.retries++;
        log.warn('transient failure in the settlement script, retrying', {
          attempt,
          error: describe(transient),
        });
        await backoff(settings.retry, attempt);
        attempt++;
      }
      await this.hydrate(toHydrate);
    }
  }

  /** Reads the families' snapshots from the ledger, then writes them to Redis in one round trip. */
  private async hydrate(lanes: ReadonlyArray<Lane>): Promise<void> {
    const { cache, ledger, settings } = this.deps;
    const snapshots = new Map<Lane, FamilySnapshot>();
    await forEachConcurrently(lanes, settings.familyConcurrency, (lane) =>
      this.guard(lane, this.firstOpen(lane), async () => {
        const period = this.firstOpen(lane)?.event.period as string;
        snapshots.set(
          lane,
          await retryTransient(() => ledger.loadSnapshot(lane.familyId, period), settings.retry),
        );
      }),
    );
    await Promise.all(
      [...snapshots].map(([lane, snapshot]) =>
        this.guard(lane, this.firstOpen(lane), async () => {
          const known = new Set(snapshot.members.map((m) => m.customerId));
          const stale = lane.items.filter((i) => this.awaitsDecision(i) && !known.has(i.event.customerId));
          await retryTransient(
            () =>
              Promise.all([
                cache.hydrate(snapshot),
                ...stale.map((i) => cache.cacheNonMember(lane.familyId, i.event.customerId)),
              ]),
            settings.retry,
          );
          // The membership cache was stale: the ledger no longer lists these customers.
          for (const item of stale) this.rejectItem(item, notAMember(item.event));
          lane.hydrated = true;
          this.report.hydrations++;
        }),
      ),
    );
  }

  private firstOpen(lane: Lane): Item | undefined {
    return lane.items.find((i) => this.awaitsDecision(i));
  }

  /** Writes a family's decided events to the ledger, compensates Redis where needed, counts the outcomes. */
  async record(lane: Lane): Promise<void> {
    const { ledger, settings, clock } = this.deps;
    const decided = lane.items.filter((i) => i.decision !== undefined && !i.done);
    if (decided.length === 0) return;
    const first = new Map<string, Item>();
    for (const item of decided) if (!first.has(item.event.eventId)) first.set(item.event.eventId, item);
    const writes = new Map<Item, SettlementWrite>();
    for (const item of first.values()) {
      const decision = item.decision as Decision;
      writes.set(
        item,
        buildSettlement(
          item.event,
          item.record,
          decision,
          effectOf(decision.status),
          clock.now(),
          settings.outboxGraceMs,
        ),
      );
    }
    await this.guard(lane, decided[0], async () => {
      const outcomes = await retryTransient(
        () => ledger.settleGroup([...writes.values()]),
        settings.retry,
        (error, attempt) => this.onRetry(lane, error, attempt),
      );
      const byEvent = new Map<string, { item: Item; outcome: LedgerOutcome }>();
      for (const [i, item] of [...writes.keys()].entries()) {
        byEvent.set(item.event.eventId, { item, outcome: outcomes[i] as LedgerOutcome });
      }
      for (const { item, outcome } of byEvent.values()) {
        await this.account(item, outcome, writes.get(item) as SettlementWrite);
      }
      // A later record of the same event (Redis answered it as a duplicate of the first) shares the first's fate.
      for (const item of decided) {
        const owner = byEvent.get(item.event.eventId)?.item;
        if (!owner || owner === item) continue;
        if (owner.rejected) this.rejectItem(item, conflict(item.event));
        else if (owner.done) this.complete(item, 'duplicate');
      }
    });
  }

  private async account(item: Item, outcome: LedgerOutcome, write: SettlementWrite): Promise<void> {
    const decision = item.decision as Decision;
    if (outcome.kind === 'settled') {
      this.complete(item, 'settled', decision.status, write.outbox !== null);
      return;
    }
    const { existing } = outcome;
    if (existing.decision.runId !== decision.runId) {
      // Redis decided this event anew although the ledger already holds it: undo that decision.
      const compensated = await retryTransient(
        () => this.deps.cache.compensate(item.event, decision.runId, existing.decision),
        this.deps.settings.retry,
      );
      if (compensated) this.report.compensations++;
    }
    if (existing.decision.payloadHash !== item.event.payloadHash) {
      this.rejectItem(item, conflict(item.event));
      return;
    }
    const { kafka } = existing;
    const same = kafka.partition === item.record.raw.partition && kafka.offset === item.record.raw.offset;
    if (existing.decision.runId === decision.runId && same) {
      // This very record was settled by an earlier attempt whose answer was lost (an ambiguous commit, or a crash after it).
      this.complete(item, 'settled', existing.decision.status, existing.notificationId !== null);
      return;
    }
    this.complete(item, 'duplicate');
  }

  async sendDeadLetters(): Promise<void> {
    const { deadLetters, log, settings } = this.deps;
    if (this.letters.size === 0) return;
    let pending = [...this.letters.values()];
    try {
      await retryTransient(async () => {
        pending = [...(await deadLetters.send(pending))];
        if (pending.length > 0) throw new Error(`${pending.length} dead letters were not accepted`);
      }, settings.retry);
    } catch (error) {
      log.error('dead letters could not be sent; their partitions are redelivered', {
        unsent: pending.length,
        error: describe(error),
      });
    }
    const unsent = new Set(pending);
    for (const [record, letter] of this.letters) {
      if (unsent.has(letter)) continue;
      this.finished.add(record);
      increment(this.report.rejected, letter.reason);
    }
  }

  failures(partitions: ReadonlyArray<PartitionBatch>): BatchItemFailure[] {
    const failures: BatchItemFailure[] = [];
    for (const partition of partitions) {
      const unfinished = partition.records.filter((r) => !this.finished.has(r));
      this.report.unfinished += unfinished.length;
      const first = unfinished[0];
      if (first)
        failures.push({ itemIdentifier: { partition: partition.partitionKey, offset: first.offset } });
    }
    return failures;
  }

  private awaitsDecision(item: Item): boolean {
    return item.decision === undefined && !item.done;
  }

  private complete(item: Item, kind: 'settled' | 'duplicate', status?: DecisionStatus, staged = false) {
    item.done = true;
    this.finished.add(item.record);
    if (kind === 'duplicate') {
      this.report.duplicates++;
      return;
    }
    increment(this.report.settled, status as DecisionStatus);
    if (staged) this.report.notificationsStaged++;
  }

  private rejectItem(item: Item, rejection: Rejection) {
    item.done = true;
    item.rejected = true;
    this.deadLetter(item.record, rejection, item.event.eventId);
  }

  private deadLetter(record: KafkaRecord, rejection: Rejection, eventId: string | null) {
    this.letters.set(record, {
      ...rejection,
      partitionKey: record.partitionKey,
      record: record.raw,
      eventId,
      rejectedAt: new Date(this.deps.clock.now()).toISOString(),
    });
  }

  /** Runs a step of a lane; a failure stops the lane (its open events stay unfinished). */
  private async guard(lane: Lane, at: Item | undefined, step: () => Promise<void>): Promise<void> {
    if (lane.failed) return;
    try {
      await step();
    } catch (error) {
      this.failLane(lane, at, error);
    }
  }

  private failLane(lane: Lane, at: Item | undefined, error: unknown) {
    lane.failed = true;
    const where = at
      ? { partition: at.record.partitionKey, offset: at.record.offset, eventId: at.event.eventId }
      : {};
    if (isInvariantError(error)) {
      this.report.bugs++;
      this.deps.log.error('settlement invariant broken; the partition stops at this record', {
        ...where,
        familyId: lane.familyId,
        code: error.code,
        error: describe(error),
      });
    } else {
      this.deps.log.error('transient failure outlived its retries; the partition is redelivered from here', {
        ...where,
        familyId: lane.familyId,
        error: describe(error),
      });
    }
  }

  private onRetry(lane: Lane, error: unknown, attempt: number) {
    this.report.retries++;
    this.deps.log.warn('transient failure, retrying', {
      familyId: lane.familyId,
      attempt,
      error: describe(error),
    });
  }
}

function backoff(policy: RetryPolicy, attempt: number) {
  return new Promise((resolve) =>
    setTimeout(resolve, Math.random() * policy.baseDelayMs * 2 ** (attempt - 1)),
  );
}

const notAMember = (event: UsageEvent) =>
  reject('NOT_A_MEMBER', `customer ${event.customerId} is not a member of family ${event.familyId}`);

const conflict = (event: UsageEvent) =>
  reject('EVENT_ID_CONFLICT', `eventId ${event.eventId} was already settled with a different payload`);

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
