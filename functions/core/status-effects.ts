import { InvariantError } from './errors';

/**
 * The central status-to-effect table (docs/behaviour.md, "Status to effect"). Every status the Redis script
 * can return is listed here; anything else is a bug and fails loudly.
 */
export const THRESHOLD_STATUSES = ['WARNING_50', 'WARNING_30', 'WARNING_10'] as const;
export const BLOCK_REASONS = [
  'MANUAL',
  'APP_BLOCK',
  'TIME_BLOCK',
  'MONTHLY_LIMIT_EXCEEDED',
  'FAMILY_QUOTA_EXCEEDED',
] as const;

export type ThresholdStatus = (typeof THRESHOLD_STATUSES)[number];
export type BlockReason = (typeof BLOCK_REASONS)[number];
/** Usage of a zero-rated app: allowed and recorded, never charged to the pool or a limit, never notified. */
export const ZERO_RATED = 'ZERO_RATED';
export type DecisionStatus = 'NORMAL' | ThresholdStatus | BlockReason | typeof ZERO_RATED;
/** What a notification is about: a usage decision's alert or block, a policy change or a top-up and its effect. */
export type NotificationType =
  | 'THRESHOLD_ALERT'
  | 'CUSTOMER_BLOCKED'
  | 'CUSTOMER_UNBLOCKED'
  | 'POLICY_CHANGED'
  | 'TOPUP_APPLIED';
export const NOTIFICATION_TYPES = [
  'THRESHOLD_ALERT',
  'CUSTOMER_BLOCKED',
  'CUSTOMER_UNBLOCKED',
  'POLICY_CHANGED',
  'TOPUP_APPLIED',
] as const satisfies ReadonlyArray<NotificationType>;
export type Threshold = 50 | 30 | 10;

export type NotificationRule =
  | { readonly type: 'THRESHOLD_ALERT'; readonly threshold: Threshold }
  | { readonly type: 'CUSTOMER_BLOCKED'; readonly reason: BlockReason };

export interface DecisionEffect {
  readonly status: DecisionStatus;
  /** Whether the bytes are deducted from the family pool and the member's usage. */
  readonly counted: boolean;
  /** What is sent when the script says a notification is due; null: never. */
  readonly notification: NotificationRule | null;
}

const blocked = (reason: BlockReason): DecisionEffect => ({
  status: reason,
  counted: false,
  notification: { type: 'CUSTOMER_BLOCKED', reason },
});

const warning = (status: ThresholdStatus, threshold: Threshold): DecisionEffect => ({
  status,
  counted: true,
  notification: { type: 'THRESHOLD_ALERT', threshold },
});

const EFFECTS: Readonly<Record<DecisionStatus, DecisionEffect>> = Object.freeze({
  NORMAL: { status: 'NORMAL', counted: true, notification: null },
  WARNING_50: warning('WARNING_50', 50),
  WARNING_30: warning('WARNING_30', 30),
  WARNING_10: warning('WARNING_10', 10),
  MANUAL: blocked('MANUAL'),
  APP_BLOCK: blocked('APP_BLOCK'),
  TIME_BLOCK: blocked('TIME_BLOCK'),
  MONTHLY_LIMIT_EXCEEDED: blocked('MONTHLY_LIMIT_EXCEEDED'),
  FAMILY_QUOTA_EXCEEDED: blocked('FAMILY_QUOTA_EXCEEDED'),
  ZERO_RATED: { status: ZERO_RATED, counted: false, notification: null },
});

export function isDecisionStatus(value: string): value is DecisionStatus {
  return Object.hasOwn(EFFECTS, value);
}

export function effectOf(status: string): DecisionEffect {
  if (!isDecisionStatus(status)) {
    throw new InvariantError(
      'UNKNOWN_STATUS',
      `unknown decision status from the settlement script: ${status}`,
    );
  }
  return EFFECTS[status];
}
