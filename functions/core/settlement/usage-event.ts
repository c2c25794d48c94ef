import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import '../schema-messages';
import { normalizeAppId } from '../app-id';
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

export type Validated =
  | { readonly kind: 'event'; readonly event: UsageEvent }
  /**
   * A record older than any replay may be: refused (the rejection given),
   * unless the ledger already holds its event's fate from an earlier delivery.
   */
  | { readonly kind: 'expired'; readonly event: UsageEvent; readonly rejection: Rejection }
  | { readonly kind: 'skip'; readonly eventType: string }
  | { readonly kind: 'reject'; readonly rejection: Rejection };

/**
 * Redis and DynamoDB store strings as UTF-8, where a lone surrogate becomes
 * U+FFFD: two different ids would share one key.
 */
function wellFormed(value: string): boolean {
  return !/\p{Surrogate}/u.test(value);
}

const positiveId = z.int().check(z.positive(), z.maximum(Number.MAX_SAFE_INTEGER));
const WELL_FORMED = 'must be well-formed Unicode (no lone surrogates)';

const envelopeSchema = z.object({
  eventId: z.string().check(
    z.minLength(1),
    z.maxLength(128),
    z.refine((id) => id.trim().length > 0, 'must not be blank'),
    z.refine(wellFormed, WELL_FORMED),
  ),
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

function describeIssues(error: z.core.$ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
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
  if (typeof eventType === 'string' && eventType !== DATA_USAGE) return { kind: 'skip', eventType };

  const parsed = envelopeSchema.safeParse(json);
  if (!parsed.success) return fail(reject('SCHEMA_VIOLATION', describeIssues(parsed.error)));
  const { eventId, timestamp, payload } = parsed.data;

  if (payload.bytesUsed > ctx.maxBytesPerEvent) {
    return fail(
      reject('SCHEMA_VIOLATION', `payload.bytesUsed: ${payload.bytesUsed} exceeds ${ctx.maxBytesPerEvent}`),
    );
  }
  const eventTimeMs = parseEventTime(timestamp, ctx.timeZone);
  if (eventTimeMs === null) {
    return fail(
      reject('SCHEMA_VIOLATION', `timestamp: not an ISO-8601 date-time: ${timestamp.slice(0, 64)}`),
    );
  }
  const reference = windowReference(record, ctx);
  const window = acceptedWindow(reference, ctx.timeZone, ctx.futureSkewMs);
  if (eventTimeMs < window.fromMs || eventTimeMs > window.toMs) {
    return fail(
      reject(
        'OUT_OF_WINDOW',
        `event time ${new Date(eventTimeMs).toISOString()} is outside ` +
          `[${new Date(window.fromMs).toISOString()}, ${new Date(window.toMs).toISOString()}]`,
      ),
    );
  }

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
  if (reference < ctx.nowMs - MAX_RECORD_AGE_MS) {
    const written = new Date(reference).toISOString();
    return {
      kind: 'expired',
      event,
      rejection: reject('OUT_OF_WINDOW', `record written at ${written} is older than any replay may be`),
    };
  }
  return { kind: 'event', event };
}
