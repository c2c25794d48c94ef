import { InvariantError } from '../../core/errors';
import type { LedgerFate, RejectionRecord, SettlementRecord } from '../../core/settlement/records';
import { isDecisionStatus } from '../../core/status-effects';
import { ledgerKeys } from './ledger-keys';
import { LEDGER_TABLE } from './table-layout';

/**
 * A settlement record as stored in the ledger table, and back. `expiresAt`
 * (epoch seconds, the table's TTL attribute) is when DynamoDB may delete it:
 * core/settlement/retention.ts says why then.
 */
export function settlementItem(record: SettlementRecord, expiresAt: number): Record<string, unknown> {
  const eventTime = new Date(record.eventTimeMs).toISOString();
  const { decision } = record;
  return {
    ...ledgerKeys.settlement(record.eventId),
    type: 'SETTLEMENT',
    eventId: record.eventId,
    familyId: record.familyId,
    customerId: record.customerId,
    period: record.period,
    bytesUsed: record.bytesUsed,
    appId: record.appId ?? undefined,
    eventTime,
    eventTimeMs: record.eventTimeMs,
    decision: decision.status,
    counted: decision.counted,
    notify: decision.notify,
    alertMarkers: [...decision.markers],
    payloadHash: decision.payloadHash,
    decidedAtVersion: record.decidedAtVersion,
    globalRevision: record.globalRevision,
    decidedFrom: record.decidedFrom,
    kafka: record.kafka,
    settledAt: record.settledAt,
    notificationId: record.notificationId ?? undefined,
    [LEDGER_TABLE.ttlAttribute]: expiresAt,
  };
}

export function settlementFromItem(item: Record<string, unknown>): SettlementRecord {
  const status = String(item.decision);
  if (!isDecisionStatus(status)) {
    throw new InvariantError(
      'LEDGER_INVARIANT',
      `settlement ${String(item.eventId)} has unknown decision ${status}`,
    );
  }
  const kafka = (item.kafka ?? {}) as { topic?: string; partition?: number; offset?: number };
  return {
    eventId: String(item.eventId),
    familyId: Number(item.familyId),
    customerId: Number(item.customerId),
    period: String(item.period),
    bytesUsed: Number(item.bytesUsed),
    appId: typeof item.appId === 'string' ? item.appId : null,
    eventTimeMs: Number(item.eventTimeMs),
    decision: {
      status,
      counted: item.counted === true,
      notify: item.notify === true,
      bytes: Number(item.bytesUsed),
      customerId: Number(item.customerId),
      payloadHash: String(item.payloadHash),
      markers: Array.isArray(item.alertMarkers) ? item.alertMarkers.map(String) : [],
    },
    decidedAtVersion: Number(item.decidedAtVersion ?? 0),
    globalRevision: Number(item.globalRevision ?? 0),
    decidedFrom: item.decidedFrom === 'ledger' ? 'ledger' : 'redis',
    kafka: { topic: String(kafka.topic), partition: Number(kafka.partition), offset: Number(kafka.offset) },
    settledAt: Number(item.settledAt),
    notificationId: typeof item.notificationId === 'string' ? item.notificationId : null,
  };
}

/** A rejection record as stored: under the event's settlement key, so an event has one fate. */
export function rejectionItem(record: RejectionRecord, expiresAt: number): Record<string, unknown> {
  return {
    ...ledgerKeys.settlement(record.eventId),
    type: 'REJECTION',
    eventId: record.eventId,
    familyId: record.familyId,
    customerId: record.customerId,
    period: record.period,
    reason: record.reason,
    payloadHash: record.payloadHash,
    decidedAtVersion: record.decidedAtVersion,
    kafka: record.kafka,
    rejectedAt: record.rejectedAt,
    [LEDGER_TABLE.ttlAttribute]: expiresAt,
  };
}

/** The fate an item under a settlement key records. */
export function fateFromItem(item: Record<string, unknown>): LedgerFate {
  if (item.type !== 'REJECTION') return { kind: 'settled', record: settlementFromItem(item) };
  if (item.reason !== 'NOT_A_MEMBER') {
    throw new InvariantError(
      'LEDGER_INVARIANT',
      `rejection ${String(item.eventId)} has unknown reason ${String(item.reason)}`,
    );
  }
  const kafka = (item.kafka ?? {}) as { topic?: string; partition?: number; offset?: number };
  return {
    kind: 'rejected',
    record: {
      eventId: String(item.eventId),
      familyId: Number(item.familyId),
      customerId: Number(item.customerId),
      period: String(item.period),
      reason: item.reason,
      payloadHash: String(item.payloadHash),
      decidedAtVersion: Number(item.decidedAtVersion ?? 0),
      kafka: { topic: String(kafka.topic), partition: Number(kafka.partition), offset: Number(kafka.offset) },
      rejectedAt: Number(item.rejectedAt),
    },
  };
}
