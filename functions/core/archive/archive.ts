import type { LedgerFate } from '../settlement/records';

/**
 * The settlement archive: every fate the ledger records, as one JSON line,
 * kept in S3 long after the record itself expires (core/settlement/retention.ts).
 * Partitioned by period, then by family bucket, so that a family's
 * settlements of a month are read from one bucket of that month.
 */
export const ARCHIVE_BUCKETS = 64;

/** One archived fate. Field names are the Glue table's columns (lower-cased there). */
export interface ArchiveLine {
  readonly eventId: string;
  readonly kind: 'SETTLEMENT' | 'REJECTION';
  readonly familyId: number;
  readonly customerId: number;
  readonly period: string;
  /** Null for a rejection, which records no usage. */
  readonly bytesUsed: number | null;
  readonly appId: string | null;
  /** ISO-8601; null for a rejection. */
  readonly eventTime: string | null;
  /** The decision status; null for a rejection. */
  readonly decision: string | null;
  readonly counted: boolean;
  readonly notify: boolean;
  /** The rejection reason; null for a settlement. */
  readonly reason: string | null;
  readonly alertMarkers: ReadonlyArray<string>;
  readonly payloadHash: string;
  readonly decidedAtVersion: number;
  readonly decidedFrom: string | null;
  readonly kafkaTopic: string;
  readonly kafkaPartition: number;
  readonly kafkaOffset: number;
  /** When the ledger recorded the fate (epoch ms): settledAt or rejectedAt. */
  readonly recordedAt: number;
  readonly notificationId: string | null;
}

/** Column types of the Glue table, in line order (Athena's names for the JSON types). */
export const ARCHIVE_COLUMNS: ReadonlyArray<readonly [keyof ArchiveLine, string]> = [
  ['eventId', 'string'],
  ['kind', 'string'],
  ['familyId', 'bigint'],
  ['customerId', 'bigint'],
  ['bytesUsed', 'bigint'],
  ['appId', 'string'],
  ['eventTime', 'string'],
  ['decision', 'string'],
  ['counted', 'boolean'],
  ['notify', 'boolean'],
  ['reason', 'string'],
  ['alertMarkers', 'array<string>'],
  ['payloadHash', 'string'],
  ['decidedAtVersion', 'bigint'],
  ['decidedFrom', 'string'],
  ['kafkaTopic', 'string'],
  ['kafkaPartition', 'int'],
  ['kafkaOffset', 'bigint'],
  ['recordedAt', 'bigint'],
  ['notificationId', 'string'],
];

export function archiveLine(fate: LedgerFate): ArchiveLine {
  const { record } = fate;
  const kafka = {
    kafkaTopic: record.kafka.topic,
    kafkaPartition: record.kafka.partition,
    kafkaOffset: record.kafka.offset,
  };
  if (fate.kind === 'rejected') {
    const r = fate.record;
    return {
      eventId: r.eventId,
      kind: 'REJECTION',
      familyId: r.familyId,
      customerId: r.customerId,
      period: r.period,
      bytesUsed: null,
      appId: null,
      eventTime: null,
      decision: null,
      counted: false,
      notify: false,
      reason: r.reason,
      alertMarkers: [],
      payloadHash: r.payloadHash,
      decidedAtVersion: r.decidedAtVersion,
      decidedFrom: null,
      ...kafka,
      recordedAt: r.rejectedAt,
      notificationId: null,
    };
  }
  const s = fate.record;
  return {
    eventId: s.eventId,
    kind: 'SETTLEMENT',
    familyId: s.familyId,
    customerId: s.customerId,
    period: s.period,
    bytesUsed: s.bytesUsed,
    appId: s.appId,
    eventTime: new Date(s.eventTimeMs).toISOString(),
    decision: s.decision.status,
    counted: s.decision.counted,
    notify: s.decision.notify,
    reason: null,
    alertMarkers: [...s.decision.markers],
    payloadHash: s.decision.payloadHash,
    decidedAtVersion: s.decidedAtVersion,
    decidedFrom: s.decidedFrom,
    ...kafka,
    recordedAt: s.settledAt,
    notificationId: s.notificationId,
  };
}

export interface ArchivePartition {
  readonly period: string;
  readonly bucket: number;
}

export const familyBucket = (familyId: number): number => familyId % ARCHIVE_BUCKETS;

export const archivePartition = (line: Pick<ArchiveLine, 'period' | 'familyId'>): ArchivePartition => ({
  period: line.period,
  bucket: familyBucket(line.familyId),
});

/** The Hive-style path of a partition under the archive's root, as S3 and the local folder hold it. */
export const partitionPath = (p: ArchivePartition): string => `period=${p.period}/bucket=${p.bucket}`;
