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
  readonly kind: 'SETTLEMENT' | 'REJECTION' | 'CORRECTION';
  readonly familyId: number;
  readonly customerId: number;
  readonly period: string;
  /** Null for a rejection, which records no usage; for a correction, what its event counts after it. */
  readonly bytesUsed: number | null;
  /** What a settled event counts after its latest correction; null: never corrected. */
  readonly correctedBytes: number | null;
  /** For a correction, the event it corrects. */
  readonly correctsEventId: string | null;
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
  ['correctedBytes', 'bigint'],
  ['correctsEventId', 'string'],
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
      correctedBytes: null,
      correctsEventId: null,
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
  if (fate.kind === 'corrected') {
    const c = fate.record;
    return {
      eventId: c.eventId,
      kind: 'CORRECTION',
      familyId: c.familyId,
      customerId: c.customerId,
      period: c.period,
      bytesUsed: c.bytesAfter,
      correctedBytes: null,
      correctsEventId: c.correctsEventId,
      appId: null,
      eventTime: new Date(c.eventTimeMs).toISOString(),
      decision: 'CORRECTED',
      counted: c.applied,
      notify: false,
      reason: null,
      alertMarkers: [],
      payloadHash: c.payloadHash,
      decidedAtVersion: 0,
      decidedFrom: null,
      ...kafka,
      recordedAt: c.correctedAt,
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
    correctedBytes: s.correction?.bytes ?? null,
    correctsEventId: null,
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
    // A corrected record is archived again; the later line is the one a reader keeps.
    recordedAt: s.correction?.correctedAt ?? s.settledAt,
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
