import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { describeIssues, eventIdSchema, positiveId } from '../event-schema';
import type { KafkaRecord } from '../kafka-record';
import { reject } from '../rejection';
import { timeOf, type Validated, type ValidationContext, windowReference } from '../settlement/usage-event';
import { type Period, periodOf, shiftPeriod } from '../time';

export const USAGE_CORRECTED = 'USAGE_CORRECTED';

/**
 * A correction of usage settled before (docs/behaviour.md, "Corrections"):
 * the counted amount of `correctsEventId` becomes `bytesUsed`, in that
 * event's period. It travels on usage-events, keyed by family, so it is
 * decided in delivery order with the family's usage.
 */
export interface UsageCorrection {
  readonly eventId: string;
  readonly familyId: number;
  readonly customerId: number;
  readonly correctsEventId: string;
  /** The amount the corrected event counts from now on (0 voids it). */
  readonly bytesUsed: number;
  readonly eventTimeMs: number;
  /** yyyyMM of the correction's own time; the period it changes is its original's. */
  readonly period: Period;
  /** The oldest period it may change: the accepted window measured from its record, as for usage. */
  readonly oldestPeriod: Period;
  readonly payloadHash: string;
}

const correctionSchema = z.object({
  eventId: eventIdSchema,
  eventType: z.literal(USAGE_CORRECTED),
  timestamp: z.string(),
  payload: z.object({
    familyId: positiveId,
    customerId: positiveId,
    correctsEventId: eventIdSchema,
    bytesUsed: z.int().check(z.nonnegative(), z.maximum(Number.MAX_SAFE_INTEGER)),
  }),
});

/** Like a usage event's, over the fields that define a correction: a reused eventId with another one conflicts. */
function correctionHash(fields: Omit<UsageCorrection, 'period' | 'oldestPeriod' | 'payloadHash'>): string {
  const canonical = JSON.stringify([
    USAGE_CORRECTED,
    fields.eventId,
    fields.eventTimeMs,
    fields.familyId,
    fields.customerId,
    fields.correctsEventId,
    fields.bytesUsed,
  ]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 32);
}

export function validateCorrection(record: KafkaRecord, json: unknown, ctx: ValidationContext): Validated {
  const parsed = correctionSchema.safeParse(json);
  if (!parsed.success) {
    return { kind: 'reject', rejection: reject('SCHEMA_VIOLATION', describeIssues(parsed.error)) };
  }
  const { eventId, timestamp, payload } = parsed.data;
  if (payload.correctsEventId === eventId) {
    return {
      kind: 'reject',
      rejection: reject('SCHEMA_VIOLATION', 'payload.correctsEventId: a correction cannot correct itself'),
    };
  }
  if (payload.bytesUsed > ctx.maxBytesPerEvent) {
    return {
      kind: 'reject',
      rejection: reject(
        'SCHEMA_VIOLATION',
        `payload.bytesUsed: ${payload.bytesUsed} exceeds ${ctx.maxBytesPerEvent}`,
      ),
    };
  }
  const timed = timeOf(record, timestamp, ctx);
  if (timed.kind === 'reject') return timed;
  const fields = { eventId, eventTimeMs: timed.eventTimeMs, ...payload };
  const event: UsageCorrection = {
    ...fields,
    period: periodOf(timed.eventTimeMs, ctx.timeZone),
    oldestPeriod: shiftPeriod(periodOf(windowReference(record, ctx), ctx.timeZone), -1),
    payloadHash: correctionHash(fields),
  };
  return timed.expired ? { kind: 'expired', event, rejection: timed.expired } : { kind: 'event', event };
}
