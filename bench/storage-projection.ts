import { type ItemKindSizes, OUTBOX_KIND } from './write-billing';

/**
 * DynamoDB Standard table class, us-east-1 list price of storage:
 * https://aws.amazon.com/dynamodb/pricing/on-demand/
 */
export const USD_PER_GB_MONTH = 0.25;
/**
 * Storage bills every item, and every index entry, 100 bytes above its size:
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
 */
export const STORED_ITEM_OVERHEAD_BYTES = 100;
/** AWS prices a month as 730 hours. */
export const SECONDS_PER_MONTH = 730 * 3600;
/** DynamoDB's units are binary: 1 GB = 1024^3 bytes. */
const GB = 1024 ** 3;
const DAY_SECONDS = 86_400;
const MONTH_DAYS = SECONDS_PER_MONTH / DAY_SECONDS;

/**
 * How long a fate stays in the ledger on average (functions/core/settlement/retention.ts):
 * from its event, half a month on average before its period ends, then the
 * following period, the day of zone slack and the retention days.
 */
export const fateLifetimeDays = (retentionDays: number): number => 1.5 * MONTH_DAYS + 1 + retentionDays;

/** An event's fate: one record under its eventId (functions/adapters/dynamodb/settlement-item.ts). */
const RECORD_KINDS = ['SETTLEMENT', 'REJECTION'];
/** A family's usage in a month: one item, SK PERIOD#<yyyymm> (functions/adapters/dynamodb/ledger-keys.ts). */
const PERIOD_KIND = 'PERIOD';

/** Item sizes of several runs taken together, per kind. */
export interface PooledItemSizes {
  readonly events: number;
  readonly kinds: Record<string, ItemKindSizes>;
}

export function poolItemSizes(
  runs: ReadonlyArray<{ readonly events: number; readonly items: Record<string, ItemKindSizes> }>,
): PooledItemSizes {
  const kinds: Record<string, ItemKindSizes> = {};
  for (const run of runs) {
    for (const [kind, k] of Object.entries(run.items)) {
      const p = kinds[kind];
      if (!p) {
        kinds[kind] = k;
        continue;
      }
      const items = p.items + k.items;
      const writes = p.writes + k.writes;
      const indexEntries = p.indexEntries + k.indexEntries;
      kinds[kind] = {
        items,
        writes,
        meanBytes: (p.meanBytes * p.items + k.meanBytes * k.items) / items,
        maxBytes: Math.max(p.maxBytes, k.maxBytes),
        wcuPerWrite: (p.wcuPerWrite * p.writes + k.wcuPerWrite * k.writes) / writes,
        indexEntries,
        indexMeanBytes:
          indexEntries === 0
            ? 0
            : (p.indexMeanBytes * p.indexEntries + k.indexMeanBytes * k.indexEntries) / indexEntries,
      };
    }
  }
  return { events: runs.reduce((n, r) => n + r.events, 0), kinds };
}

/** Bytes a kind's items hold in storage, their index entries included. */
const storedBytes = (k: ItemKindSizes) =>
  k.items * (k.meanBytes + STORED_ITEM_OVERHEAD_BYTES) +
  k.indexEntries * (k.indexMeanBytes + STORED_ITEM_OVERHEAD_BYTES);

export interface StorageAtRate {
  /** Settlement and rejection records held at once: a steady state, each expires by TTL. */
  readonly recordsGb: number;
  /** Outbox items held at once: those sent within the retention window, then deleted by TTL. */
  readonly outboxGb: number;
  /** Period items a month adds, one per family; kept (no TTL), whatever the rate. */
  readonly periodsGb: number;
  readonly recordsUsdPerMonth: number;
  /** What one month of period items adds to every later monthly bill. */
  readonly periodsAddUsdPerMonth: number;
  readonly outboxUsdPerMonth: number;
}

export interface StorageProjection {
  readonly usdPerGbMonth: number;
  /** Stored bytes of an event's record, with its index copies, over every event (duplicates and malformed ones store none). */
  readonly recordBytesPerEvent: number;
  /** Mean days a record is held before its TTL falls due. */
  readonly recordLifetimeDays: number;
  /** Storage of the records of a million events over their lifetime, USD: the storage share of the cost per million. */
  readonly recordUsdPerMillionEvents: number;
  readonly outboxItemsPerEvent: number;
  readonly outboxItemBytes: number;
  /** Seconds a sent outbox item is kept before its TTL (expiresAt) falls due. */
  readonly outboxRetentionSeconds: number;
  /** A period item at the end of the runs, with its index entry: a month's item, every member counted, is larger. */
  readonly periodItemBytes: number;
  readonly families: number;
  readonly at: Record<string, StorageAtRate>;
}

/**
 * Storage at 5,000 and 10,000 events/s from the item sizes measured: per
 * event its record (a settlement or a rejection, in no index) and its share
 * of outbox items (and their status-index copies); per family one period item
 * a month (and its GSI2 entry). Records expire by TTL, so they reach a steady
 * state of their mean lifetime's worth; period items have none and pile up
 * month after month; an outbox item gets expiresAt when it is sent and is held
 * for the retention window only (one that ends FAILED has none and stays).
 */
export function projectStorage(
  pooled: PooledItemSizes,
  families: number,
  outboxRetentionSeconds: number,
  fateRetentionDays: number,
): StorageProjection | null {
  if (pooled.events === 0) return null;
  const sum = (kinds: ReadonlyArray<string>) =>
    kinds.reduce((n, kind) => n + (pooled.kinds[kind] ? storedBytes(pooled.kinds[kind]) : 0), 0);
  const outbox = pooled.kinds[OUTBOX_KIND];
  const period = pooled.kinds[PERIOD_KIND];
  const recordBytesPerEvent = sum(RECORD_KINDS) / pooled.events;
  const outboxItemsPerEvent = (outbox?.items ?? 0) / pooled.events;
  const outboxItemBytes = outbox ? storedBytes(outbox) / outbox.items : 0;
  const periodItemBytes = period ? storedBytes(period) / period.items : 0;
  const recordLifetimeDays = fateLifetimeDays(fateRetentionDays);
  const at: Record<string, StorageAtRate> = {};
  for (const rate of [5_000, 10_000]) {
    const recordsGb = (rate * recordLifetimeDays * DAY_SECONDS * recordBytesPerEvent) / GB;
    const outboxGb = (rate * outboxRetentionSeconds * outboxItemsPerEvent * outboxItemBytes) / GB;
    const periodsGb = (families * periodItemBytes) / GB;
    at[`${rate}/s`] = {
      recordsGb,
      outboxGb,
      periodsGb,
      recordsUsdPerMonth: recordsGb * USD_PER_GB_MONTH,
      periodsAddUsdPerMonth: periodsGb * USD_PER_GB_MONTH,
      outboxUsdPerMonth: outboxGb * USD_PER_GB_MONTH,
    };
  }
  return {
    usdPerGbMonth: USD_PER_GB_MONTH,
    recordBytesPerEvent,
    recordLifetimeDays,
    recordUsdPerMillionEvents:
      ((1_000_000 * recordBytesPerEvent) / GB) * (recordLifetimeDays / MONTH_DAYS) * USD_PER_GB_MONTH,
    outboxItemsPerEvent,
    outboxItemBytes,
    outboxRetentionSeconds,
    periodItemBytes,
    families,
    at,
  };
}
