/**
 * Machine-readable reasons a record is sent to the dead-letter queue, with
 * the record and a human message (docs/behaviour.md, "Rejections"). The first
 * five concern usage events; the others policy and family events.
 */
export const USAGE_REJECTION_REASONS = [
  'MALFORMED_JSON',
  'SCHEMA_VIOLATION',
  'NOT_A_MEMBER',
  'OUT_OF_WINDOW',
  'EVENT_ID_CONFLICT',
] as const;

export const REJECTION_REASONS = [
  ...USAGE_REJECTION_REASONS,
  'UNKNOWN_POLICY_KEY',
  'INVALID_POLICY_VALUE',
  'UNKNOWN_FAMILY',
  'CUSTOMER_WITHOUT_FAMILY',
  'TOPUP_CONFLICT',
] as const;

export type RejectionReason = (typeof REJECTION_REASONS)[number];

export interface Rejection {
  readonly reason: RejectionReason;
  readonly message: string;
}

export const reject = (reason: RejectionReason, message: string): Rejection => ({ reason, message });

export const isRejectionReason = (value: string): value is RejectionReason =>
  (REJECTION_REASONS as ReadonlyArray<string>).includes(value);
