import { createHash } from 'node:crypto';
import type { PolicyKey } from '../changes/policy-keys';
import type { PolicyLevel } from '../precedence';
import { exponentialDelayMs } from '../retry';
import type { BlockReason, DecisionStatus, NotificationType, Threshold } from '../status-effects';

/** Outbox states and transitions (docs/behaviour.md, "The outbox"). Every transition is a conditional write on the current status. */
export const OUTBOX_STATUS = {
  pending: 'PUBLISH_PENDING',
  sent: 'SENT',
  failed: 'FAILED',
} as const;

export type OutboxStatus = (typeof OUTBOX_STATUS)[keyof typeof OUTBOX_STATUS];

/** The `data` of a notification about a settled usage event; small on purpose: the EventBridge payload stays small. */
export interface UsageNotificationData {
  readonly originEventId: string;
  /** ISO-8601 UTC. */
  readonly eventTime: string;
  readonly period: string;
  readonly status: DecisionStatus;
  readonly reason?: BlockReason;
  readonly threshold?: Threshold;
  readonly appId?: string;
  readonly bytesUsed: number;
}

/** The `data` of a notification about an accepted policy change, or the block it starts or lifts. */
export interface PolicyNotificationData {
  /** The policy event's eventId. */
  readonly originEventId: string;
  /** ISO-8601 UTC: the policy event's timestamp. */
  readonly eventTime: string;
  /** The period whose usage the change was judged against. */
  readonly period: string;
  readonly policyKey: PolicyKey;
  readonly level: PolicyLevel;
  /** The new value at that level, in words ("none" when removed). */
  readonly value: string;
  /** For CUSTOMER_BLOCKED and CUSTOMER_UNBLOCKED: the block that started or ended. */
  readonly reason?: RetroactiveBlock;
}

/**
 * The `data` of a notification about the family's data growing: data bought
 * (a top-up) or usage refunded (a correction), or the block that lifted.
 */
export interface PoolNotificationData {
  /** The event that carried the top-up or the correction. */
  readonly originEventId: string;
  /** ISO-8601 UTC: that event's timestamp. */
  readonly eventTime: string;
  /** The period the data grew in. */
  readonly period: string;
  /** For a top-up: the purchase. */
  readonly topupId?: string;
  /** For a correction: the usage event it corrected. */
  readonly correctsEventId?: string;
  /** How much the family's remaining data grew by. */
  readonly bytes: number;
  /** The pool after it: the quota and every top-up of the period. */
  readonly poolBytes: number;
  /** What the family has left after it (never below zero). */
  readonly remainingBytes: number;
  /** For CUSTOMER_UNBLOCKED: the block that ended (a member's limit only through a correction). */
  readonly reason?: Extract<BlockReason, 'FAMILY_QUOTA_EXCEEDED' | 'MONTHLY_LIMIT_EXCEEDED'>;
}

export type NotificationData = UsageNotificationData | PolicyNotificationData | PoolNotificationData;

export const isPolicyNotification = (data: NotificationData): data is PolicyNotificationData =>
  'policyKey' in data;

export const isPoolNotification = (data: NotificationData): data is PoolNotificationData =>
  'poolBytes' in data;

const isUsageNotification = (data: NotificationData): data is UsageNotificationData =>
  !isPolicyNotification(data) && !isPoolNotification(data);

/** The blocks a policy change can start or lift on its own, without a usage event. */
export type RetroactiveBlock = Extract<BlockReason, 'MANUAL' | 'MONTHLY_LIMIT_EXCEEDED'>;

export interface OutboxItem {
  readonly notificationId: string;
  /** Null for a change of the global default. */
  readonly familyId: number | null;
  /** Null for a notification to the whole family (or to everyone, for the global default). */
  readonly customerId: number | null;
  readonly type: NotificationType;
  readonly data: NotificationData;
  readonly status: OutboxStatus;
  readonly attempts: number;
  /** Epoch ms; the sweeper picks the item only after this. */
  readonly nextAttemptAt: number;
  readonly lastError?: string;
  /** Epoch ms. */
  readonly createdAt: number;
  /** Epoch ms. */
  readonly sentAt?: number;
  /** Epoch seconds (DynamoDB TTL), set once SENT. */
  readonly expiresAt?: number;
}

/**
 * Stable and derived from the originating eventId (and, for a policy event,
 * from what the notification is about), so a redelivered or replayed event
 * maps to the same notification and consumers can drop duplicates.
 */
export function notificationIdFor(eventId: string): string {
  const h = createHash('sha256').update(`usage-settlement/notification/${eventId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * A new pending item. Its first nextAttemptAt is createdAt plus the grace
 * period: the relay publishes fresh items and the sweeper only touches items
 * the relay did not manage to publish by then.
 */
export function newOutboxItem(
  fields: Pick<OutboxItem, 'familyId' | 'customerId' | 'type' | 'data'>,
  nowMs: number,
  graceMs: number,
): OutboxItem {
  // One change event can owe several notifications (one per member it reaches); a usage event owes one.
  const id = isUsageNotification(fields.data)
    ? fields.data.originEventId
    : `${fields.data.originEventId}/${fields.type}/${fields.data.reason ?? ''}/${fields.customerId ?? 'family'}`;
  return {
    notificationId: notificationIdFor(id),
    familyId: fields.familyId,
    customerId: fields.customerId,
    type: fields.type,
    data: fields.data,
    status: OUTBOX_STATUS.pending,
    attempts: 0,
    nextAttemptAt: nowMs + graceMs,
    createdAt: nowMs,
  };
}

/** Exponential backoff from a base, capped: base * 2^(attempts-1), without jitter. */
export function backoffMs(attempts: number, policy: { baseMs: number; capMs: number }): number {
  return exponentialDelayMs(policy.baseMs, attempts, policy.capMs);
}
