import { type ArchiveLine, familyBucket } from '../functions/core/archive/archive';
import type { Period } from '../functions/core/time';

/** What the listing shows of an archived settlement. */
export interface ArchivedSettlement {
  readonly eventId: string;
  readonly customerId: number;
  readonly eventTime: string;
  readonly bytesUsed: number;
  /** What the event counts after its latest correction; null: never corrected. */
  readonly correctedBytes: number | null;
  readonly appId: string | null;
  readonly decision: string;
  readonly counted: boolean;
  readonly recordedAt: number;
}

export interface SettlementQuery {
  readonly familyId: number;
  readonly period: Period;
  /** One member only; all of the family's when absent. */
  readonly customerId?: number | undefined;
}

/** Where archived settlements are read: Athena on the Glue table, or the archive folder of a local run. */
export interface SettlementArchive {
  /** Every settlement line of the family's bucket and period that matches, duplicates included. */
  settlements(query: SettlementQuery): Promise<ArchivedSettlement[]>;
}

export const bucketOf = (query: SettlementQuery) => familyBucket(query.familyId);

/** An archive line as the listing shows it; null for a rejection. */
export function asArchivedSettlement(line: ArchiveLine): ArchivedSettlement | null {
  if (line.kind !== 'SETTLEMENT' || line.decision === null || line.eventTime === null) return null;
  return {
    eventId: line.eventId,
    customerId: line.customerId,
    eventTime: line.eventTime,
    bytesUsed: line.bytesUsed ?? 0,
    correctedBytes: line.correctedBytes ?? null,
    appId: line.appId,
    decision: line.decision,
    counted: line.counted,
    recordedAt: line.recordedAt,
  };
}

/**
 * The archive is at least once: one settlement per eventId (the last
 * recorded), newest event time first.
 */
export function distinctNewestFirst(rows: ReadonlyArray<ArchivedSettlement>): ArchivedSettlement[] {
  const byEvent = new Map<string, ArchivedSettlement>();
  for (const row of rows) {
    const held = byEvent.get(row.eventId);
    if (!held || row.recordedAt > held.recordedAt) byEvent.set(row.eventId, row);
  }
  return [...byEvent.values()].sort(
    (a, b) => b.eventTime.localeCompare(a.eventTime) || b.eventId.localeCompare(a.eventId),
  );
}
