import * as z from 'zod/mini';
import '../schema-messages';
import { decodeBase64Utf8, type KafkaRecord } from '../kafka-record';
import { type Rejection, reject } from '../rejection';
import { type ValidationContext, windowReference } from '../settlement/usage-event';
import { acceptedWindow, parseEventTime, periodOf } from '../time';
import { isPolicyKey, POLICY_KEYS, type PolicyValue, parsePolicyValue } from './policy-keys';
import { type Version, versionOf } from './version';

/**
 * Policy events (topic policy-updated) and family events (topic
 * family-updated), read into one change each. What a change needs from the
 * ledger (does the family exist, is the customer a member) is checked when it
 * is applied.
 */
export const POLICY_UPDATED = 'POLICY_UPDATED';
export const FAMILY_EVENT_TYPES = [
  'FAMILY_UPSERTED',
  'MEMBER_JOINED',
  'MEMBER_LEFT',
  'QUOTA_CHANGED',
  'TOPUP_ADDED',
] as const;

export type PolicyTarget =
  | { readonly level: 'GLOBAL' }
  | { readonly level: 'FAMILY'; readonly familyId: number }
  | { readonly level: 'MEMBER'; readonly familyId: number; readonly customerId: number };

export type Role = 'OWNER' | 'MEMBER';

interface ChangeBase {
  readonly eventId: string;
  readonly eventType: string;
  readonly timestampMs: number;
  readonly version: Version;
}

export type Change =
  | (ChangeBase & { readonly kind: 'policy'; readonly target: PolicyTarget; readonly value: PolicyValue })
  | (ChangeBase & {
      readonly kind: 'family-upserted';
      readonly familyId: number;
      readonly name: string | null;
      readonly quotaBytes: number;
      readonly members: ReadonlyArray<{ readonly customerId: number; readonly role: Role }>;
    })
  | (ChangeBase & {
      readonly kind: 'member-joined';
      readonly familyId: number;
      readonly customerId: number;
      readonly role: Role;
    })
  | (ChangeBase & { readonly kind: 'member-left'; readonly familyId: number; readonly customerId: number })
  | (ChangeBase & { readonly kind: 'quota-changed'; readonly familyId: number; readonly quotaBytes: number })
  | (ChangeBase & {
      readonly kind: 'topup-added';
      readonly familyId: number;
      /** The purchase: a top-up is taken once by it, whatever event carries it. */
      readonly topupId: string;
      readonly bytes: number;
      /** The period of its timestamp in the settlement zone: the only one it adds to. */
      readonly period: string;
    });

/** The family a change concerns; null for a global policy. */
export const familyOf = (change: Change): number | null =>
  change.kind === 'policy'
    ? change.target.level === 'GLOBAL'
      ? null
      : change.target.familyId
    : change.familyId;

export type ValidatedChange =
  | { readonly kind: 'change'; readonly change: Change }
  | { readonly kind: 'skip'; readonly eventType: string }
  /** `eventId` once the envelope could be read. */
  | { readonly kind: 'reject'; readonly rejection: Rejection; readonly eventId: string | null };

const id = () => z.int().check(z.positive(), z.maximum(Number.MAX_SAFE_INTEGER));
const bytes = () => z.int().check(z.nonnegative(), z.maximum(Number.MAX_SAFE_INTEGER));
const role = () => z._default(z.enum(['OWNER', 'MEMBER']), 'MEMBER');
const eventId = () =>
  z.string().check(
    z.minLength(1),
    z.maxLength(128),
    z.refine((v) => v.trim().length > 0, 'must not be blank'),
    z.refine((v) => !/\p{Surrogate}/u.test(v), 'must be well-formed Unicode (no lone surrogates)'),
  );

const envelope = z.object({ eventId: eventId(), eventType: z.string(), timestamp: z.string() });

const policyPayload = z.object({
  familyId: z.nullish(id()),
  targetCustomerId: z.nullish(id()),
  policyKey: z.string(),
  newValue: z.optional(z.unknown()),
  isActive: z._default(z.boolean(), true),
});

const payloads = {
  FAMILY_UPSERTED: z.object({
    familyId: id(),
    name: z.nullish(z.string().check(z.maxLength(200))),
    totalQuotaBytes: bytes(),
    members: z.array(z.object({ customerId: id(), role: role() })),
  }),
  MEMBER_JOINED: z.object({ familyId: id(), customerId: id(), role: role() }),
  MEMBER_LEFT: z.object({ familyId: id(), customerId: id() }),
  QUOTA_CHANGED: z.object({ familyId: id(), totalQuotaBytes: bytes() }),
  TOPUP_ADDED: z.object({
    familyId: id(),
    topupId: eventId(),
    bytes: z.int().check(z.positive(), z.maximum(Number.MAX_SAFE_INTEGER)),
  }),
} as const;

const issues = (error: z.core.$ZodError, prefix = '') =>
  error.issues.map((i) => `${prefix}${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');

function readJson(
  record: KafkaRecord,
): { ok: true; json: Record<string, unknown> } | { ok: false; rejection: Rejection } {
  const { value } = record.raw;
  if (value === null || value === undefined)
    return { ok: false, rejection: reject('MALFORMED_JSON', 'record value is null') };
  const decoded = decodeBase64Utf8(value);
  if (!decoded.ok) return { ok: false, rejection: reject('MALFORMED_JSON', decoded.problem) };
  try {
    const json: unknown = JSON.parse(decoded.text);
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      return { ok: false, rejection: reject('MALFORMED_JSON', 'value is not a JSON object') };
    }
    return { ok: true, json: json as Record<string, unknown> };
  } catch (error) {
    return {
      ok: false,
      rejection: reject('MALFORMED_JSON', `value is not JSON: ${(error as Error).message}`),
    };
  }
}

/**
 * Reads a record of either change topic. Other event types are skipped (and
 * counted), as on the usage topic. A timestamp further ahead than the allowed
 * skew is refused: as the version of a value it would win over every change
 * that follows.
 */
export function validateChangeRecord(record: KafkaRecord, ctx: ValidationContext): ValidatedChange {
  const read = readJson(record);
  if (!read.ok) return { kind: 'reject', rejection: read.rejection, eventId: null };
  const head = envelope.safeParse(read.json);
  if (!head.success)
    return { kind: 'reject', rejection: reject('SCHEMA_VIOLATION', issues(head.error)), eventId: null };
  const fail = (rejection: Rejection): ValidatedChange => ({
    kind: 'reject',
    rejection,
    eventId: head.data.eventId,
  });
  const { eventType, timestamp } = head.data;
  const timestampMs = parseEventTime(timestamp, ctx.timeZone);
  if (timestampMs === null) {
    return fail(
      reject('SCHEMA_VIOLATION', `timestamp: not an ISO-8601 date-time: ${timestamp.slice(0, 64)}`),
    );
  }
  const latest = Math.max(windowReference(record, ctx), ctx.nowMs) + ctx.futureSkewMs;
  if (timestampMs > latest) {
    return fail(reject('OUT_OF_WINDOW', `timestamp ${new Date(timestampMs).toISOString()} is in the future`));
  }
  const base = {
    eventId: head.data.eventId,
    eventType,
    timestampMs,
    version: versionOf(timestampMs, head.data.eventId),
  };
  const payload = read.json.payload;

  if (eventType === POLICY_UPDATED) {
    const parsed = policyPayload.safeParse(payload);
    if (!parsed.success) return fail(reject('SCHEMA_VIOLATION', issues(parsed.error, 'payload.')));
    const p = parsed.data;
    if (!isPolicyKey(p.policyKey)) {
      return fail(
        reject(
          'UNKNOWN_POLICY_KEY',
          `policyKey ${JSON.stringify(p.policyKey).slice(0, 80)} is not one of ${POLICY_KEYS.join(', ')}`,
        ),
      );
    }
    if (p.familyId == null && p.targetCustomerId != null) {
      return fail(
        reject(
          'CUSTOMER_WITHOUT_FAMILY',
          `targetCustomerId ${p.targetCustomerId} is given without a familyId`,
        ),
      );
    }
    const value = parsePolicyValue(p.policyKey, p.newValue, p.isActive);
    if (!value.ok) return fail(reject('INVALID_POLICY_VALUE', value.problem));
    const target: PolicyTarget =
      p.familyId == null
        ? { level: 'GLOBAL' }
        : p.targetCustomerId == null
          ? { level: 'FAMILY', familyId: p.familyId }
          : { level: 'MEMBER', familyId: p.familyId, customerId: p.targetCustomerId };
    return { kind: 'change', change: { ...base, kind: 'policy', target, value: value.value } };
  }

  switch (eventType) {
    case 'FAMILY_UPSERTED': {
      const parsed = payloads.FAMILY_UPSERTED.safeParse(payload);
      if (!parsed.success) return fail(reject('SCHEMA_VIOLATION', issues(parsed.error, 'payload.')));
      const ids = parsed.data.members.map((m) => m.customerId);
      if (new Set(ids).size !== ids.length)
        return fail(reject('SCHEMA_VIOLATION', 'payload.members: a customer is listed twice'));
      return {
        kind: 'change',
        change: {
          ...base,
          kind: 'family-upserted',
          familyId: parsed.data.familyId,
          name: parsed.data.name ?? null,
          quotaBytes: parsed.data.totalQuotaBytes,
          members: parsed.data.members,
        },
      };
    }
    case 'MEMBER_JOINED': {
      const parsed = payloads.MEMBER_JOINED.safeParse(payload);
      if (!parsed.success) return fail(reject('SCHEMA_VIOLATION', issues(parsed.error, 'payload.')));
      return { kind: 'change', change: { ...base, kind: 'member-joined', ...parsed.data } };
    }
    case 'MEMBER_LEFT': {
      const parsed = payloads.MEMBER_LEFT.safeParse(payload);
      if (!parsed.success) return fail(reject('SCHEMA_VIOLATION', issues(parsed.error, 'payload.')));
      return { kind: 'change', change: { ...base, kind: 'member-left', ...parsed.data } };
    }
    case 'QUOTA_CHANGED': {
      const parsed = payloads.QUOTA_CHANGED.safeParse(payload);
      if (!parsed.success) return fail(reject('SCHEMA_VIOLATION', issues(parsed.error, 'payload.')));
      return {
        kind: 'change',
        change: {
          ...base,
          kind: 'quota-changed',
          familyId: parsed.data.familyId,
          quotaBytes: parsed.data.totalQuotaBytes,
        },
      };
    }
    case 'TOPUP_ADDED': {
      const parsed = payloads.TOPUP_ADDED.safeParse(payload);
      if (!parsed.success) return fail(reject('SCHEMA_VIOLATION', issues(parsed.error, 'payload.')));
      // Its period must still take usage: the same window as a usage event of this record.
      const window = acceptedWindow(windowReference(record, ctx), ctx.timeZone, ctx.futureSkewMs);
      if (timestampMs < window.fromMs) {
        return fail(
          reject(
            'OUT_OF_WINDOW',
            `top-up ${parsed.data.topupId} is for period ${periodOf(timestampMs, ctx.timeZone)}, which is closed: periods from ${periodOf(window.fromMs, ctx.timeZone)} take top-ups`,
          ),
        );
      }
      return {
        kind: 'change',
        change: {
          ...base,
          kind: 'topup-added',
          ...parsed.data,
          period: periodOf(timestampMs, ctx.timeZone),
        },
      };
    }
    default:
      return { kind: 'skip', eventType };
  }
}
