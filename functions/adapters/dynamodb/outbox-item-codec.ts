import * as z from 'zod/mini';
import { POLICY_KEYS } from '../../core/changes/policy-keys';
import { InvariantError } from '../../core/errors';
import { OUTBOX_STATUS, type OutboxItem } from '../../core/outbox/item';
import {
  BLOCK_REASONS,
  type DecisionStatus,
  isDecisionStatus,
  NOTIFICATION_TYPES,
} from '../../core/status-effects';

/**
 * Outbox items are stored exactly as OutboxItem (data as a map). Reading one
 * back, from the table or from a stream image, checks that shape: an item that
 * does not have it was written by a bug and must not be published half-read.
 */
const count = () => z.int().check(z.nonnegative());
const positive = () => z.int().check(z.positive());
const text = () => z.string().check(z.minLength(1));

const usageData = z.object({
  originEventId: text(),
  eventTime: text(),
  period: z.string().check(z.regex(/^\d{6}$/)),
  status: z.custom<DecisionStatus>(
    (v) => typeof v === 'string' && isDecisionStatus(v),
    'unknown decision status',
  ),
  reason: z.optional(z.enum(BLOCK_REASONS)),
  threshold: z.optional(z.union([z.literal(50), z.literal(30), z.literal(10)])),
  appId: z.optional(z.string()),
  bytesUsed: positive(),
});

const policyData = z.object({
  originEventId: text(),
  eventTime: text(),
  period: z.string().check(z.regex(/^\d{6}$/)),
  policyKey: z.enum(POLICY_KEYS),
  level: z.enum(['MEMBER', 'FAMILY', 'GLOBAL']),
  value: z.string(),
  reason: z.optional(z.enum(['MANUAL', 'MONTHLY_LIMIT_EXCEEDED'])),
});

const poolData = z.object({
  originEventId: text(),
  eventTime: text(),
  period: z.string().check(z.regex(/^\d{6}$/)),
  // A top-up names its purchase, a correction the usage event it corrected.
  topupId: z.optional(text()),
  correctsEventId: z.optional(text()),
  bytes: positive(),
  poolBytes: count(),
  remainingBytes: count(),
  reason: z.optional(z.enum(['FAMILY_QUOTA_EXCEEDED', 'MONTHLY_LIMIT_EXCEEDED'])),
});

const itemSchema = z.object({
  notificationId: text(),
  familyId: z.nullable(positive()),
  customerId: z.nullable(positive()),
  type: z.enum(NOTIFICATION_TYPES),
  data: z.union([policyData, poolData, usageData]),
  status: z.enum([OUTBOX_STATUS.pending, OUTBOX_STATUS.sent, OUTBOX_STATUS.failed]),
  attempts: count(),
  nextAttemptAt: count(),
  lastError: z.optional(z.string()),
  createdAt: count(),
  sentAt: z.optional(count()),
  expiresAt: z.optional(count()),
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
