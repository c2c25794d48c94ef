import type { LedgerFate } from '../settlement/records';
import { type ArchiveLine, archiveLine } from './archive';

/** A change of the ledger's stream: a fate written, or anything else (null), by its sequence number. */
export interface FateChange {
  readonly sequenceNumber: string;
  readonly fate: LedgerFate | null;
}

/** Where archive lines go (Firehose in AWS, a folder in a local run). */
export interface ArchiveSink {
  /** Delivers the lines; answers the indexes of those not accepted after the sink's own retries. */
  put(lines: ReadonlyArray<ArchiveLine>): Promise<ReadonlyArray<number>>;
}

export interface ArchiveReport {
  readonly archived: number;
  readonly failed: number;
  /** Stream records that are not fates (period items, TTL deletions, ...). */
  readonly skipped: number;
}

/**
 * Archives the fates of a stream batch. A line not accepted makes its stream
 * record the batch's first failure: the mapping delivers it again with every
 * record after it, so nothing is skipped and the archive is at least once
 * (readers dedupe by eventId).
 */
export async function archiveFates(
  changes: ReadonlyArray<FateChange>,
  sink: ArchiveSink,
): Promise<{ readonly failedSequenceNumber: string | null; readonly report: ArchiveReport }> {
  const kept = changes.filter((c): c is FateChange & { fate: LedgerFate } => c.fate !== null);
  const skipped = changes.length - kept.length;
  if (kept.length === 0) return { failedSequenceNumber: null, report: { archived: 0, failed: 0, skipped } };
  const failed = await sink.put(kept.map((c) => archiveLine(c.fate)));
  const first = failed.length === 0 ? null : kept[Math.min(...failed)];
  return {
    failedSequenceNumber: first?.sequenceNumber ?? null,
    report: { archived: kept.length - failed.length, failed: failed.length, skipped },
  };
}
