import { z } from 'zod';
import { BLOCK_REASONS, type DecisionStatus, isDecisionStatus } from '../../core/decisions';
import { InvariantError } from '../../core/errors';
import { OUTBOX_STATUS, type OutboxItem } from '../../core/outbox';

/**
 * Outbox items are stored exactly as OutboxItem (data as a map). Reading one
 * back, from the table or from a stream image, checks that shape: an item that
 * does not have it was written by a bug and must not be published half-read.
 */
const epochMs = z.number().int().nonnegative();

const dataSchema = z.object({
  originEventId: z.string().min(1),
  eventTime: z.string().min(1),
  period: z.string().regex(/^\d{6}$/),
  status: z.custom<DecisionStatus>(
    (v) => typeof v === 'string' && isDecisionStatus(v),
    'unknown decision status',
  ),
  reason: z.enum(BLOCK_REASONS).optional(),
  threshold: z.union([z.literal(50), z.literal(30), z.literal(10)]).optional(),
  appId: z.string().optional(),
  bytesUsed: z.number().int().positive(),
});

const itemSchema = z.object({
  notificationId: z.string().min(1),
  familyId: z.number().int().positive(),
  customerId: z.number().int().positive(),
  type: z.enum(['THRESHOLD_ALERT', 'CUSTOMER_BLOCKED']),
  data: dataSchema,
  status: z.enum([OUTBOX_STATUS.pending, OUTBOX_STATUS.sent, OUTBOX_STATUS.failed]),
  attempts: z.number().int().nonnegative(),
  nextAttemptAt: epochMs,
  lastError: z.string().optional(),
  createdAt: epochMs,
  sentAt: epochMs.optional(),
  expiresAt: z.number().int().nonnegative().optional(),
});

export function decodeOutboxItem(raw: Record<string, unknown>): OutboxItem {
  const parsed = itemSchema.safeParse(raw);
  if (!parsed.success) {
    const where = typeof raw.notificationId === 'string' ? raw.notificationId : '(no id)';
    const details = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new InvariantError('OUTBOX_INVARIANT', `outbox item ${where} is malformed: ${details}`);
  }
  return parsed.data;
}
