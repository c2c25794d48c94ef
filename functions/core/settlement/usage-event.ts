import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { normalizeAppId } from '../app-id';
import { USAGE_CORRECTED, type UsageCorrection, validateCorrection } from '../corrections/usage-correction';
import { describeIssues, eventIdSchema, positiveId, WELL_FORMED, wellFormed } from '../event-schema';
import { decodeBase64Utf8, type KafkaRecord } from '../kafka-record';
import { type Rejection, reject } from '../rejection';
import {
  acceptedWindow,
  localHhmm,
  MAX_RECORD_AGE_MS,
  MAX_RECORD_AHEAD_MS,
  type Period,
  parseEventTime,
  periodOf,
} from '../time';

export const DATA_USAGE = 'DATA_USAGE';

/** A validated usage event, with everything derived that both stores need. */
export interface UsageEvent {
  readonly eventId: string;
  readonly familyId: number;
  readonly customerId: number;
  /** Trimmed and lower-cased; null when absent or blank. */
  readonly appId: string | null;
  readonly bytesUsed: number;
  readonly eventTimeMs: number;
  /** yyyyMM of the event time in the settlement zone. */
  readonly period: Period;
  /** HHmm of the event time in the settlement zone. */
  readonly localHhmm: string;
  /** Hash of the fields that define the event; a reused eventId with another hash is a conflict. */
  readonly payloadHash: string;
}

export interface ValidationContext {
  readonly timeZone: string;
  readonly nowMs: number;
  readonly futureSkewMs: number;
  readonly maxBytesPerEvent: number;
}

/** What a lane carries: usage, or a correction of usage settled before. */
export type LaneEvent = UsageEvent | UsageCorrection;

export const isCorrection = (event: LaneEvent): event is UsageCorrection => 'correctsEventId' in event;

export type Validated =
  | { readonly kind: 'event'; readonly event: LaneEvent }
  /**
   * A record older than any replay may be: refused (the rejection given),
   * unless the ledger already holds its event's fate from an earlier delivery.
   */
  | { readonly kind: 'expired'; readonly event: LaneEvent; readonly rejection: Rejection }
  | { readonly kind: 'skip'; readonly eventType: string }
  | { readonly kind: 'reject'; readonly rejection: Rejection };

const envelopeSchema = z.object({
  eventId: eventIdSchema,
  eventType: z.literal(DATA_USAGE),
  timestamp: z.string(),
  payload: z.object({
    familyId: positiveId,
    customerId: positiveId,
    appId: z.nullish(z.string().check(z.maxLength(256), z.refine(wellFormed, WELL_FORMED))),
    bytesUsed: z.int().check(z.positive(), z.maximum(Number.MAX_SAFE_INTEGER)),
  }),
});

export function payloadHash(fields: {
  eventId: string;
  eventTimeMs: number;
  familyId: number;
  customerId: number;
  appId: string | null;
  bytesUsed: number;
}): string {
  const canonical = JSON.stringify([
    fields.eventId,
    fields.eventTimeMs,
    fields.familyId,
    fields.customerId,
    fields.appId,
    fields.bytesUsed,
  ]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 32);
}

/**
 * The instant the accepted window is measured from: the record's Kafka
 * timestamp, which every redelivery carries unchanged, so a record's fate
 * does not change between deliveries (a redelivery after a month boundary,
 * or after the clock moved past the skew, is judged as the first delivery
 * was). A record without a timestamp, or stamped further ahead than a broker
 * allows, is measured from now: the one case where a verdict can change,
 * which a broker that bounds timestamps rules out (docs/deploy.md).
 */
export function windowReference(record: KafkaRecord, ctx: Pick<ValidationContext, 'nowMs'>): number {
  const ts = record.raw.timestamp;
  return Number.isSafeInteger(ts) && ts > 0 && ts <= ctx.nowMs + MAX_RECORD_AHEAD_MS ? ts : ctx.nowMs;
}

export function validateRecord(record: KafkaRecord, ctx: ValidationContext): Validated {
  const fail = (rejection: Rejection): Validated => ({ kind: 'reject', rejection });
  const { value } = record.raw;
  if (value === null || value === undefined) return fail(reject('MALFORMED_JSON', 'record value is null'));
  const decoded = decodeBase64Utf8(value);
  if (!decoded.ok) return fail(reject('MALFORMED_JSON', decoded.problem));

  let json: unknown;
  try {
    json = JSON.parse(decoded.text);
  } catch (error) {
    return fail(reject('MALFORMED_JSON', `value is not JSON: ${(error as Error).message}`));
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return fail(reject('MALFORMED_JSON', 'value is not a JSON object'));
  }

  const eventType = (json as { eventType?: unknown }).eventType;
  if (eventType === USAGE_CORRECTED) return validateCorrection(record, json, ctx);
  if (typeof eventType === 'string' && eventType !== DATA_USAGE) return { kind: 'skip', eventType };

  const parsed = envelopeSchema.safeParse(json);
  if (!parsed.success) return fail(reject('SCHEMA_VIOLATION', describeIssues(parsed.error)));
  const { eventId, timestamp, payload } = parsed.data;

  if (payload.bytesUsed > ctx.maxBytesPerEvent) {
    return fail(
      reject('SCHEMA_VIOLATION', `payload.bytesUsed: ${payload.bytesUsed} exceeds ${ctx.maxBytesPerEvent}`),
    );
  }
  const timed = timeOf(record, timestamp, ctx);
  if (timed.kind === 'reject') return timed;
  const { eventTimeMs } = timed;

  const appId = normalizeAppId(payload.appId);
  const event: UsageEvent = {
    eventId,
    familyId: payload.familyId,
    customerId: payload.customerId,
    appId,
    bytesUsed: payload.bytesUsed,
    eventTimeMs,
    period: periodOf(eventTimeMs, ctx.timeZone),
    localHhmm: localHhmm(eventTimeMs, ctx.timeZone),
    payloadHash: payloadHash({ eventId, eventTimeMs, ...payload, appId }),
  };
  return timed.expired ? { kind: 'expired', event, rejection: timed.expired } : { kind: 'event', event };
}

/**
 * The event time of a record and whether it is accepted: inside the window
 * measured from the record (see windowReference), and the record young
 * enough to be decided now (`expired` says why not).
 */
export function timeOf(
  record: KafkaRecord,
  timestamp: string,
  ctx: ValidationContext,
):
  | { readonly kind: 'reject'; readonly rejection: Rejection }
  | { readonly kind: 'timed'; readonly eventTimeMs: number; readonly expired: Rejection | null } {
  const eventTimeMs = parseEventTime(timestamp, ctx.timeZone);
  if (eventTimeMs === null) {
    return {
      kind: 'reject',
      rejection: reject(
        'SCHEMA_VIOLATION',
        `timestamp: not an ISO-8601 date-time: ${timestamp.slice(0, 64)}`,
      ),
    };
  }
  const reference = windowReference(record, ctx);
  const window = acceptedWindow(reference, ctx.timeZone, ctx.futureSkewMs);
  if (eventTimeMs < window.fromMs || eventTimeMs > window.toMs) {
    return {
      kind: 'reject',
      rejection: reject(
        'OUT_OF_WINDOW',
        `event time ${new Date(eventTimeMs).toISOString()} is outside ` +
          `[${new Date(window.fromMs).toISOString()}, ${new Date(window.toMs).toISOString()}]`,
      ),
    };
  }
  const expired =
    reference < ctx.nowMs - MAX_RECORD_AGE_MS
      ? reject(
          'OUT_OF_WINDOW',
          `record written at ${new Date(reference).toISOString()} is older than any replay may be`,
        )
      : null;
  return { kind: 'timed', eventTimeMs, expired };
}
