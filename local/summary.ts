import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Redis } from 'ioredis';
import { DynamoLedger } from '../functions/adapters/dynamodb/ledger';
import { ledgerKeys } from '../functions/adapters/dynamodb/ledger-keys';
import { readPeriodUsage } from '../functions/adapters/dynamodb/period-usage';
import type { RedisKeys } from '../functions/adapters/redis/keys';
import { compareFamily } from '../functions/adapters/redis/period-drift';
import { readPeriodState } from '../functions/adapters/redis/period-fields';
import { decodeBase64Utf8, type MskRecord } from '../functions/core/kafka-record';
import { OUTBOX_STATUS, type OutboxStatus } from '../functions/core/outbox/item';
import type { OutboxStore } from '../functions/core/outbox/ports';
import type { DeadLetter } from '../functions/core/ports';
import type { UsageSnapshot } from '../functions/core/snapshots/usage-snapshot';
import type { ChangeSummary } from './change-summary';

export interface FamilyUsage {
  familyId: number;
  period: string;
  quotaBytes: number;
  /** The period's top-ups: the pool is the quota plus these. */
  topupBytes: number;
  usedBytes: number;
  /** Of the pool. */
  remainingBytes: number;
  remainingPercent: number;
}

/** The usage snapshots a family's members received in the run, and the newest of them. */
export interface FamilySnapshotSummary {
  count: number;
  last: UsageSnapshot | null;
}

export interface Summary {
  events: {
    received: number;
    settled: {
      total: number;
      byDecision: Record<string, number>;
      /** Decided with Redis, or from DynamoDB alone while Redis was out (degraded mode). */
      byStore: { redis: number; ledger: number };
    };
    /** Corrections of settled usage the ledger recorded from these records: applied, or made moot by a newer one. */
    corrected: { applied: number; superseded: number };
    duplicates: number;
    rejected: { total: number; byReason: Record<string, number>; file: string };
    skipped: number;
    lost: number;
  };
  /** Policy and family events (their own topics). */
  config: ChangeSummary;
  notifications: {
    /** Owed by settlements, plus those the applied changes staged. */
    due: number;
    staged: number;
    sent: number;
    pending: number;
    failed: number;
    published: number;
    /** Published notifications by detail type. */
    publishedByType: Record<string, number>;
    file: string;
  };
  /** USAGE_UPDATED entries the sink received (apart from the notifications). */
  /** USAGE_UPDATED entries on the usage-realtime topic. */
  usageSnapshots: { published: number; topic: string };
  /** Distinct events whose fate (settlement or rejection record) reached the settlement archive. */
  archive: { fates: number; dir: string };
  throughput: { seconds: number; eventsPerSecond: number; invocations: number; redeliveredRecords: number };
  /** The settlement period the family usage is of: a calendar month in the settlement time zone. */
  period: { id: string; unit: 'month'; timeZone: string };
  families: Array<FamilyUsage & { snapshots: FamilySnapshotSummary }>;
  consistency: {
    status: 'consistent' | 'inconsistent';
    checked: number;
    outdated: number;
    differences: string[];
  };
}

export interface StoreReaders {
  readonly doc: DynamoDBDocumentClient;
  readonly ledgerTable: string;
  readonly outbox: OutboxStore;
  readonly redis: Redis;
  readonly keys: RedisKeys;
}

const add = (counts: Record<string, number>, key: string) => {
  counts[key] = (counts[key] ?? 0) + 1;
};

/** Settlements by "<familyId>/<period>", in event-time order, as one read of the table found them. */
type SettlementsByFamilyPeriod = Map<string, Array<Record<string, unknown>>>;

interface FateScan {
  readonly settlements: SettlementsByFamilyPeriod;
  /** Correction records by the correction's eventId. */
  readonly corrections: Map<string, Record<string, unknown>>;
}

const scans = new WeakMap<object, Promise<FateScan>>();

function scanOf(readers: Pick<StoreReaders, 'doc' | 'ledgerTable'>): Promise<FateScan> {
  let scan = scans.get(readers);
  if (!scan) {
    scan = scanFates(readers);
    scans.set(readers, scan);
  }
  return scan;
}

/** Every correction the ledger recorded, by its eventId (read with the settlements). */
export async function correctionsOf(
  readers: Pick<StoreReaders, 'doc' | 'ledgerTable'>,
): Promise<Map<string, Record<string, unknown>>> {
  return (await scanOf(readers)).corrections;
}

/**
 * A family's settlements of a period, in event-time order, for the local
 * checks (the summary, the chaos invariants, the tests). The ledger has no
 * index by family, so every settlement record is read once per `readers`
 * object, with a scan of the local table, and grouped: a `readers` object
 * sees the ledger as of its first use. The product itself never scans.
 */
export async function settlementsOf(
  readers: Pick<StoreReaders, 'doc' | 'ledgerTable'>,
  familyId: number,
  period: string,
): Promise<Array<Record<string, unknown>>> {
  return (await scanOf(readers)).settlements.get(`${familyId}/${period}`) ?? [];
}

async function scanFates(readers: Pick<StoreReaders, 'doc' | 'ledgerTable'>): Promise<FateScan> {
  const grouped: SettlementsByFamilyPeriod = new Map();
  const corrections = new Map<string, Record<string, unknown>>();
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await readers.doc.send(
      new ScanCommand({
        TableName: readers.ledgerTable,
        FilterExpression: '#type IN (:settlement, :correction)',
        ExpressionAttributeNames: { '#type': 'type' },
        ExpressionAttributeValues: { ':settlement': 'SETTLEMENT', ':correction': 'CORRECTION' },
        ConsistentRead: true,
        ExclusiveStartKey,
      }),
    );
    for (const item of page.Items ?? []) {
      if (item.type === 'CORRECTION') {
        corrections.set(String(item.eventId), item);
        continue;
      }
      const key = `${item.familyId}/${item.period}`;
      const held = grouped.get(key) ?? [];
      held.push(item);
      grouped.set(key, held);
    }
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  for (const items of grouped.values()) {
    items.sort(
      (a, b) =>
        String(a.eventTime).localeCompare(String(b.eventTime)) ||
        String(a.eventId).localeCompare(String(b.eventId)),
    );
  }
  return { settlements: grouped, corrections };
}

export async function countOutbox(store: OutboxStore, status: OutboxStatus): Promise<number> {
  let count = 0;
  let cursor: string | undefined;
  do {
    const page = await store.listByStatus(status, { limit: 500, cursor });
    count += page.items.length;
    cursor = page.cursor;
  } while (cursor);
  return count;
}

/**
 * Classifies every produced record by what the stores hold, independently of
 * what the handler said: in the dead-letter queue (rejected), another event
 * type (skipped), a settlement written from this very offset (settled), a
 * settlement written from another offset (duplicate), or nothing (lost).
 */
export async function classifyRecords(
  readers: StoreReaders,
  records: ReadonlyArray<MskRecord>,
  letters: ReadonlyArray<DeadLetter>,
  families: ReadonlyArray<number>,
  periods: ReadonlyArray<string>,
) {
  const settlements = new Map<string, Record<string, unknown>>();
  for (const familyId of families) {
    for (const period of periods) {
      for (const s of await settlementsOf(readers, familyId, period)) settlements.set(String(s.eventId), s);
    }
  }
  const corrections = await correctionsOf(readers);
  const corrected = { applied: 0, superseded: 0 };
  const rejectedAt = new Map(letters.map((l) => [`${l.record.partition}:${l.record.offset}`, l.reason]));
  const byDecision: Record<string, number> = {};
  const byStore = { redis: 0, ledger: 0 };
  const byReason: Record<string, number> = {};
  let duplicates = 0;
  let skipped = 0;
  let lost = 0;
  for (const record of records) {
    const reason = rejectedAt.get(`${record.partition}:${record.offset}`);
    if (reason) {
      add(byReason, reason);
      continue;
    }
    const decoded = record.value === null ? null : decodeBase64Utf8(record.value);
    let envelope: { eventId?: unknown; eventType?: unknown } = {};
    try {
      envelope = decoded?.ok ? JSON.parse(decoded.text) : {};
    } catch {
      envelope = {};
    }
    if (envelope.eventType === 'USAGE_CORRECTED') {
      const correction = corrections.get(String(envelope.eventId));
      const kafka = correction?.kafka as { partition?: number; offset?: number } | undefined;
      if (!correction) lost++;
      else if (kafka?.partition === record.partition && kafka?.offset === record.offset) {
        corrected[correction.applied === true ? 'applied' : 'superseded']++;
      } else duplicates++;
      continue;
    }
    if (typeof envelope.eventType === 'string' && envelope.eventType !== 'DATA_USAGE') {
      skipped++;
      continue;
    }
    const settlement = settlements.get(String(envelope.eventId));
    const kafka = settlement?.kafka as { partition?: number; offset?: number } | undefined;
    if (!settlement) lost++;
    else if (kafka?.partition === record.partition && kafka?.offset === record.offset) {
      add(byDecision, String(settlement.decision));
      byStore[settlement.decidedFrom === 'ledger' ? 'ledger' : 'redis']++;
    } else duplicates++;
  }
  const notificationsDue =
    [...settlements.values()].filter((s) => typeof s.notificationId === 'string').length +
    [...corrections.values()].reduce((sum, c) => sum + ((c.notificationIds as unknown[]) ?? []).length, 0);
  return { byDecision, byStore, byReason, corrected, duplicates, skipped, lost, notificationsDue };
}

export async function familyUsage(
  readers: StoreReaders,
  familyId: number,
  period: string,
): Promise<FamilyUsage> {
  const [family, usage] = await Promise.all(
    [ledgerKeys.family(familyId), ledgerKeys.familyPeriod(familyId, period)].map((Key) =>
      readers.doc.send(new GetCommand({ TableName: readers.ledgerTable, Key })),
    ),
  );
  const periodUsage = readPeriodUsage(familyId, period, usage?.Item);
  const quotaBytes = periodUsage.quotaBytes ?? Number(family?.Item?.quotaBytes ?? 0);
  const usedBytes = periodUsage.usedBytes;
  const poolBytes = quotaBytes + periodUsage.topupBytes;
  const remainingBytes = Math.max(0, poolBytes - usedBytes);
  return {
    familyId,
    period,
    quotaBytes,
    topupBytes: periodUsage.topupBytes,
    usedBytes,
    remainingBytes,
    remainingPercent: poolBytes === 0 ? 0 : Math.round((remainingBytes / poolBytes) * 1000) / 10,
  };
}

/**
 * Redis against the ledger, for every family and period Redis holds state for:
 * counters, usage and quota must equal what the ledger committed plus the
 * decisions Redis holds pending. A state at another version than the ledger's
 * is outdated, not inconsistent: the ledger refuses the next commit made from
 * it, and the family is loaded afresh.
 */
export async function checkConsistency(
  readers: StoreReaders,
  families: ReadonlyArray<number>,
  periods: ReadonlyArray<string>,
) {
  const ledger = new DynamoLedger(readers.doc, { ledger: readers.ledgerTable, outbox: '' });
  const differences: string[] = [];
  let checked = 0;
  let outdated = 0;
  for (const familyId of families) {
    for (const period of periods) {
      const state = readPeriodState(await readers.redis.hgetall(readers.keys.period(familyId, period)));
      if (state === null) continue;
      checked++;
      const [snapshot] = await ledger.loadSnapshots(familyId, [period]);
      if (!snapshot) continue;
      const drift = compareFamily(snapshot, state);
      if (drift.length === 1 && drift[0]?.field === 'version') {
        outdated++;
        continue;
      }
      for (const d of drift) {
        differences.push(`family ${familyId} ${period}: ${d.field} Redis ${d.redis}, ledger ${d.ledger}`);
      }
    }
  }
  return {
    status: differences.length === 0 ? ('consistent' as const) : ('inconsistent' as const),
    checked,
    outdated,
    differences,
  };
}

export async function outboxCounts(store: OutboxStore) {
  const count = (status: OutboxStatus) => countOutbox(store, status);
  const [pending, sent, failed] = [
    await count(OUTBOX_STATUS.pending),
    await count(OUTBOX_STATUS.sent),
    await count(OUTBOX_STATUS.failed),
  ];
  return { pending, sent, failed, staged: pending + sent + failed };
}
