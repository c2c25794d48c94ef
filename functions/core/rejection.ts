/** Machine-readable reasons an event is sent to the dead-letter queue (SPEC §2). */
export const REJECTION_REASONS = [
  'MALFORMED_JSON',
  'SCHEMA_VIOLATION',
  'NOT_A_MEMBER',
  'OUT_OF_WINDOW',
  'EVENT_ID_CONFLICT',
] as const;

export type RejectionReason = (typeof REJECTION_REASONS)[number];

export interface Rejection {
  readonly reason: RejectionReason;
  readonly message: string;
}

export const reject = (reason: RejectionReason, message: string): Rejection => ({ reason, message });
