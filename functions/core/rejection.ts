/**
 * Machine-readable reasons a record is sent to the dead-letter queue, with
 * the record and a human message (docs/behaviour.md, "Rejections"). The first
 * five concern every event; then those of usage corrections, then those of
 * policy and family events.
 */
const EVENT_REJECTION_REASONS = [
  'MALFORMED_JSON',
  'SCHEMA_VIOLATION',
  'NOT_A_MEMBER',
  'OUT_OF_WINDOW',
  'EVENT_ID_CONFLICT',
] as const;

export const CORRECTION_REJECTION_REASONS = [
  'CORRECTION_INCREASES',
  'NOT_CORRECTABLE',
  'UNKNOWN_EVENT',
  'CORRECTION_MISMATCH',
] as const;

export const USAGE_REJECTION_REASONS = [...EVENT_REJECTION_REASONS, ...CORRECTION_REJECTION_REASONS] as const;

/** What a policy or family event can be refused for: ten, which one alarm's metric math can read. */
export const CHANGE_REJECTION_REASONS = [
  ...EVENT_REJECTION_REASONS,
  'UNKNOWN_POLICY_KEY',
  'INVALID_POLICY_VALUE',
  'UNKNOWN_FAMILY',
  'CUSTOMER_WITHOUT_FAMILY',
  'TOPUP_CONFLICT',
] as const;

export const REJECTION_REASONS = [...USAGE_REJECTION_REASONS, ...CHANGE_REJECTION_REASONS.slice(5)] as const;

export type RejectionReason = (typeof REJECTION_REASONS)[number];

export interface Rejection {
  readonly reason: RejectionReason;
  readonly message: string;
}

export const reject = (reason: RejectionReason, message: string): Rejection => ({ reason, message });

export const isRejectionReason = (value: string): value is RejectionReason =>
  (REJECTION_REASONS as ReadonlyArray<string>).includes(value);
