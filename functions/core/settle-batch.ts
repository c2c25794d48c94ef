import { randomUUID } from 'node:crypto';
import { forEachConcurrently } from './concurrency';
import { type DecisionStatus, effectOf } from './decisions';
import { InvariantError, isInvariantError } from './errors';
import type { KafkaRecord, PartitionBatch } from './kafka-record';
import type { Clock, DeadLetter, DeadLetterQueue, Ledger, UsageCache } from './ports';
import { type Rejection, type RejectionReason, reject } from './rejection';
import { type RetryPolicy, retryTransient } from './retry';
import { buildSettlement } from './settlement';
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

type EventOutcome =
  | { readonly kind: 'settled'; readonly status: DecisionStatus; readonly staged: boolean }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'rejected'; readonly rejection: Rejection };

interface LaneItem {
  readonly record: KafkaRecord;
  readonly event: UsageEvent;
}

const increment = <K extends string>(counts: Partial<Record<K, number>>, key: K) => {
  counts[key] = (counts[key] ?? 0) + 1;
};

/**
 * Settles one MSK batch. Families are processed concurrently, each family's
 * events strictly in delivery order. Whatever could not be finished (a
 * transient failure that outlived its retries, a broken invariant, a dead
 * letter that could not be sent) is reported as a batch item failure at the
 * first unfinished offset of its partition; every step is idempotent, so the
 * redelivery settles nothing twice.
 */
export async function settleBatch(
  partitions: ReadonlyArray<PartitionBatch>,
  deps: SettlementDeps,
): Promise<BatchResult> {
  const { settings, log } = deps;
  const newRunId = deps.newRunId ?? randomUUID;
  const report: BatchReport = {
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
  const finished = new Set<KafkaRecord>();
  const letters = new Map<KafkaRecord, DeadLetter>();
  const lanes = new Map<number, LaneItem[]>();
  const validation = {
    timeZone: settings.timeZone,
    nowMs: deps.clock.now(),
    futureSkewMs: settings.futureSkewMs,
    maxBytesPerEvent: settings.maxBytesPerEvent,
  };

  const deadLetter = (record: KafkaRecord, rejection: Rejection, eventId: string | null) => {
    letters.set(record, {
      ...rejection,
      partitionKey: record.partitionKey,
      record: record.raw,
      eventId,
      rejectedAt: new Date(deps.clock.now()).toISOString(),
    });
  };

  for (const partition of partitions) {
    for (const record of partition.records) {
      report.received++;
      const validated = validateRecord(record, validation);
      if (validated.kind === 'skip') {
        report.skipped++;
        finished.add(record);
      } else if (validated.kind === 'reject') {
        deadLetter(record, validated.rejection, null);
      } else {
        const lane = lanes.get(validated.event.familyId) ?? [];
        lane.push({ record, event: validated.event });
        lanes.set(validated.event.familyId, lane);
      }
    }
  }

  const settleOne = async ({ record, event }: LaneItem): Promise<EventOutcome> => {
    if (!(await isMember(event, deps))) {
      return { kind: 'rejected', rejection: notAMember(event) };
    }
    let result = await deps.cache.decide(event, newRunId());
    if (result.kind === 'hydrate') {
      const snapshot = await deps.ledger.loadSnapshot(event.familyId, event.period);
      if (!snapshot.members.some((m) => m.customerId === event.customerId)) {
        // The membership cache was stale: the ledger no longer lists this customer.
        await deps.cache.cacheNonMember(event.familyId, event.customerId);
        return { kind: 'rejected', rejection: notAMember(event) };
      }
      await deps.cache.hydrate(snapshot);
      report.hydrations++;
      result = await deps.cache.decide(event, newRunId());
      if (result.kind === 'hydrate') {
        throw new InvariantError(
          'HYDRATION_DID_NOT_CONVERGE',
          `${result.missing} state still missing after hydration`,
        );
      }
    }
    if (result.kind === 'conflict') {
      return { kind: 'rejected', rejection: conflict(event) };
    }
    const { decision } = result;
    const effect = effectOf(decision.status);
    const write = buildSettlement(event, record, decision, effect, deps.clock.now(), settings.outboxGraceMs);
    const outcome = await deps.ledger.settle(write);
    if (outcome.kind === 'settled') {
      return { kind: 'settled', status: effect.status, staged: write.outbox !== null };
    }
    const existing = outcome.existing;
    if (existing.decision.runId !== decision.runId) {
      // Redis decided this event anew although the ledger already holds it: undo that decision.
      if (await deps.cache.compensate(event, decision.runId, existing.decision)) report.compensations++;
    }
    if (existing.decision.payloadHash !== event.payloadHash) {
      return { kind: 'rejected', rejection: conflict(event) };
    }
    const { kafka } = existing;
    if (
      existing.decision.runId === decision.runId &&
      kafka.partition === record.raw.partition &&
      kafka.offset === record.raw.offset
    ) {
      // This very record was settled by an earlier attempt whose answer was lost (an ambiguous commit, or a crash after it).
      return { kind: 'settled', status: effect.status, staged: existing.notificationId !== null };
    }
    return { kind: 'duplicate' };
  };

  await forEachConcurrently([...lanes.values()], settings.familyConcurrency, async (lane) => {
    for (const item of lane) {
      try {
        const outcome = await retryTransient(
          () => settleOne(item),
          settings.retry,
          (error, attempt) => {
            report.retries++;
            log.warn('transient failure, retrying', { ...where(item), attempt, error: describe(error) });
          },
        );
        if (outcome.kind === 'rejected') {
          deadLetter(item.record, outcome.rejection, item.event.eventId);
          continue;
        }
        finished.add(item.record);
        if (outcome.kind === 'duplicate') {
          report.duplicates++;
        } else {
          increment(report.settled, outcome.status);
          if (outcome.staged) report.notificationsStaged++;
        }
      } catch (error) {
        if (isInvariantError(error)) {
          report.bugs++;
          log.error('settlement invariant broken; the partition stops at this record', {
            ...where(item),
            code: error.code,
            error: describe(error),
          });
        } else {
          log.error('transient failure outlived its retries; the partition is redelivered from here', {
            ...where(item),
            error: describe(error),
          });
        }
        return;
      }
    }
  });

  await sendDeadLetters(letters, deps, settings.retry, (record, letter) => {
    finished.add(record);
    increment(report.rejected, letter.reason);
  });

  const batchItemFailures: BatchItemFailure[] = [];
  for (const partition of partitions) {
    const unfinished = partition.records.filter((r) => !finished.has(r));
    report.unfinished += unfinished.length;
    const first = unfinished[0];
    if (first)
      batchItemFailures.push({ itemIdentifier: { partition: partition.partitionKey, offset: first.offset } });
  }
  return { batchItemFailures, report };
}

async function isMember(event: UsageEvent, { cache, ledger }: SettlementDeps): Promise<boolean> {
  const cached = await cache.membership(event.familyId, event.customerId);
  if (cached !== 'unknown') return cached === 'member';
  const directory = await ledger.loadDirectory(event.familyId);
  const ids = directory.members.map((m) => m.customerId);
  await cache.cacheMembers(event.familyId, ids);
  if (ids.includes(event.customerId)) return true;
  await cache.cacheNonMember(event.familyId, event.customerId);
  return false;
}

async function sendDeadLetters(
  letters: ReadonlyMap<KafkaRecord, DeadLetter>,
  { deadLetters, log }: SettlementDeps,
  retry: RetryPolicy,
  onSent: (record: KafkaRecord, letter: DeadLetter) => void,
): Promise<void> {
  if (letters.size === 0) return;
  let pending = [...letters.values()];
  try {
    await retryTransient(async () => {
      const failed = await deadLetters.send(pending);
      pending = [...failed];
      if (pending.length > 0) throw new Error(`${pending.length} dead letters were not accepted`);
    }, retry);
  } catch (error) {
    log.error('dead letters could not be sent; their partitions are redelivered', {
      unsent: pending.length,
      error: describe(error),
    });
  }
  const unsent = new Set(pending);
  for (const [record, letter] of letters) {
    if (!unsent.has(letter)) onSent(record, letter);
  }
}

const notAMember = (event: UsageEvent) =>
  reject('NOT_A_MEMBER', `customer ${event.customerId} is not a member of family ${event.familyId}`);

const conflict = (event: UsageEvent) =>
  reject('EVENT_ID_CONFLICT', `eventId ${event.eventId} was already settled with a different payload`);

const where = ({ record, event }: LaneItem) => ({
  partition: record.partitionKey,
  offset: record.offset,
  eventId: event.eventId,
  familyId: event.familyId,
});

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
