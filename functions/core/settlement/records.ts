import type { KafkaRecord } from '../kafka-record';
import { type NotificationData, newOutboxItem, type OutboxItem } from '../outbox/item';
import { type DecisionEffect, effectOf } from '../status-effects';
import type { Decision, DecisionSource } from './decision';
import type { UsageEvent } from './usage-event';

/** The ledger's record of one settled event (docs/behaviour.md, "The ledger"). */
export interface SettlementRecord {
  readonly eventId: string;
  readonly familyId: number;
  readonly customerId: number;
  readonly period: string;
  readonly bytesUsed: number;
  readonly appId: string | null;
  readonly eventTimeMs: number;
  readonly decision: Decision;
  /** The version of the family's period state the decision was made from: where it falls among family and policy changes. */
  readonly decidedAtVersion: number;
  /** The revision of the global default level it was made with (the global change log holds each one's values). */
  readonly globalRevision: number;
  /** Which store the decision was made in: Redis, or the ledger alone while Redis was out. */
  readonly decidedFrom: DecisionSource;
  readonly kafka: { readonly topic: string; readonly partition: number; readonly offset: number };
  readonly settledAt: number;
  readonly notificationId: string | null;
  /** The latest correction applied to it (docs/behaviour.md, "Corrections"); null: none. */
  readonly correction: AppliedCorrection | null;
}

/** What a settled event counts after its latest correction, and which correction that was. */
export interface AppliedCorrection {
  /** The amount the event counts now. */
  readonly bytes: number;
  /** The correction's version (its time, then its eventId): only a newer one changes the amount. */
  readonly version: string;
  readonly eventId: string;
  /** When the ledger applied it (epoch ms). */
  readonly correctedAt: number;
}

/**
 * The ledger's record of a correction, under its own eventId: what it
 * changed, so a redelivery finds it and changes nothing.
 */
export interface CorrectionRecord {
  readonly eventId: string;
  readonly familyId: number;
  readonly customerId: number;
  readonly correctsEventId: string;
  /** The corrected event's period: the one whose usage it changed. */
  readonly period: string;
  readonly eventTimeMs: number;
  /** What the corrected event counted before and counts after (equal when superseded). */
  readonly bytesBefore: number;
  readonly bytesAfter: number;
  /** False when a newer correction of the event had been applied already: nothing changed. */
  readonly applied: boolean;
  /** The blocks it lifted, as `<customerId>:<reason>`. */
  readonly unblocked: ReadonlyArray<string>;
  /** The period version it was planned against (null: it changed no period). */
  readonly decidedAtVersion: number | null;
  /** The notifications it staged (one per block lifted). */
  readonly notificationIds: ReadonlyArray<string>;
  readonly payloadHash: string;
  readonly kafka: { readonly topic: string; readonly partition: number; readonly offset: number };
  readonly correctedAt: number;
}

/** Everything one ledger transaction writes for an event. */
export interface SettlementWrite {
  readonly record: SettlementRecord;
  readonly outbox: OutboxItem | null;
}

export function notificationData(event: UsageEvent, effect: DecisionEffect): NotificationData {
  const rule = effect.notification;
  return {
    originEventId: event.eventId,
    eventTime: new Date(event.eventTimeMs).toISOString(),
    period: event.period,
    status: effect.status,
    bytesUsed: event.bytesUsed,
    ...(rule?.type === 'CUSTOMER_BLOCKED' ? { reason: rule.reason } : {}),
    ...(rule?.type === 'THRESHOLD_ALERT' ? { threshold: rule.threshold } : {}),
    ...(event.appId !== null ? { appId: event.appId } : {}),
  };
}

/** Everything one settled event writes: its record and, when a notification is due, the outbox item. */
export function buildSettlement(input: {
  readonly event: UsageEvent;
  readonly record: KafkaRecord;
  readonly decision: Decision;
  /** The version of the period state the decision was made from. */
  readonly decidedAtVersion: number;
  readonly globalRevision: number;
  readonly decidedFrom: DecisionSource;
  readonly nowMs: number;
  readonly outboxGraceMs: number;
}): SettlementWrite {
  const { event, record, decision, nowMs } = input;
  const effect = effectOf(decision.status);
  const rule = effect.notification;
  const outbox =
    rule !== null && decision.notify
      ? newOutboxItem(
          {
            familyId: event.familyId,
            customerId: event.customerId,
            type: rule.type,
            data: notificationData(event, effect),
          },
          nowMs,
          input.outboxGraceMs,
        )
      : null;
  return {
    record: {
      eventId: event.eventId,
      familyId: event.familyId,
      customerId: event.customerId,
      period: event.period,
      bytesUsed: event.bytesUsed,
      appId: event.appId,
      eventTimeMs: event.eventTimeMs,
      decision,
      decidedAtVersion: input.decidedAtVersion,
      globalRevision: input.globalRevision,
      decidedFrom: input.decidedFrom,
      kafka: { topic: record.raw.topic, partition: record.raw.partition, offset: record.raw.offset },
      settledAt: nowMs,
      notificationId: outbox?.notificationId ?? null,
      correction: null,
    },
    outbox,
  };
}

/**
 * The ledger's record of an event rejected from its family's state: the
 * customer was not a member at the version the lane was decided at. It is
 * the event's fate as much as a settlement is, committed with the decisions
 * after it, so a redelivery rejects the event again (the letter may not have
 * gone out) instead of deciding it afresh against a later membership.
 */
export interface RejectionRecord {
  readonly eventId: string;
  readonly familyId: number;
  readonly customerId: number;
  readonly period: string;
  readonly reason: 'NOT_A_MEMBER';
  readonly payloadHash: string;
  readonly decidedAtVersion: number;
  readonly kafka: { readonly topic: string; readonly partition: number; readonly offset: number };
  readonly rejectedAt: number;
}

/** What the ledger holds about an event: a settlement, or a rejection from its family's state. */
export type LedgerFate =
  | { readonly kind: 'settled'; readonly record: SettlementRecord }
  | { readonly kind: 'rejected'; readonly record: RejectionRecord }
  | { readonly kind: 'corrected'; readonly record: CorrectionRecord };

export function buildRejection(input: {
  readonly event: UsageEvent;
  readonly record: KafkaRecord;
  readonly decidedAtVersion: number;
  readonly nowMs: number;
}): RejectionRecord {
  const { event, record } = input;
  return {
    eventId: event.eventId,
    familyId: event.familyId,
    customerId: event.customerId,
    period: event.period,
    reason: 'NOT_A_MEMBER',
    payloadHash: event.payloadHash,
    decidedAtVersion: input.decidedAtVersion,
    kafka: { topic: record.raw.topic, partition: record.raw.partition, offset: record.raw.offset },
    rejectedAt: input.nowMs,
  };
}
