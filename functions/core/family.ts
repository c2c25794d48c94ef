import * as z from 'zod/mini';
import './schema-messages';
import { normalizeAppId } from './app-id';

/**
 * Families, members and policies: the data that hydrates Redis. Policies are
 * validated when written and again when read, so one malformed value can
 * never make the settlement script fail on every event of a member.
 */
export interface BlockWindow {
  /** HHmm, inclusive. */
  readonly start: string;
  /** HHmm, exclusive; start > end is overnight, start == end is all day. */
  readonly end: string;
}

export interface MemberPolicy {
  readonly monthlyLimitBytes: number | null;
  readonly manualBlock: boolean;
  readonly blockWindow: BlockWindow | null;
  /** Normalised (trimmed, lower-case), unique. */
  readonly blockedApps: ReadonlyArray<string>;
  /** Apps whose usage is not charged: normalised, unique. */
  readonly zeroRatedApps: ReadonlyArray<string>;
}

export interface Member {
  readonly customerId: number;
  readonly role: 'OWNER' | 'MEMBER';
  readonly policy: MemberPolicy;
}

export interface Family {
  readonly familyId: number;
  readonly name: string | null;
  readonly quotaBytes: number;
  readonly members: ReadonlyArray<Member>;
}

/**
 * A family's state for one period as the ledger holds it: what Redis loads
 * before it decides the family's events of that period. `version` is the
 * ledger's version of the family's period item; the ledger commits decisions
 * only while it is unchanged, so decisions made from an outdated copy never
 * commit.
 */
export interface PeriodSnapshot {
  readonly familyId: number;
  readonly period: string;
  readonly quotaBytes: number;
  /** The period's top-ups: the pool is quotaBytes + topupBytes. */
  readonly topupBytes: number;
  readonly familyUsedBytes: number;
  readonly version: number;
  /** The period's commit stamp (see commitStamp): rises with every commit and change, like the version. */
  readonly stampMs: number;
  /** The global revision whose changes the family took in this period; null: none yet. */
  readonly globalRevision: number | null;
  /** Epoch ms of the last settlement in the period (0: none): anything settled so far was settled by then. */
  readonly settledHorizonMs: number;
  /** The family-wide policy level; absent values fall through to the global default. */
  readonly familyPolicy: MemberPolicy;
  readonly members: ReadonlyArray<{
    readonly customerId: number;
    /** The member's own policy level; absent values fall through to the family's. */
    readonly policy: MemberPolicy;
    readonly usedBytes: number;
    /** Alert markers already notified this period (see alertMarker). */
    readonly alerts: ReadonlyArray<string>;
  }>;
}

export const NO_POLICY: MemberPolicy = Object.freeze({
  monthlyLimitBytes: null,
  manualBlock: false,
  blockWindow: null,
  blockedApps: Object.freeze([]) as ReadonlyArray<string>,
  zeroRatedApps: Object.freeze([]) as ReadonlyArray<string>,
});

const HHMM = /^([01]\d|2[0-3])[0-5]\d$/;
const byteCount = () => z.int().check(z.minimum(0), z.maximum(Number.MAX_SAFE_INTEGER));
const positiveId = () => z.int().check(z.positive(), z.maximum(Number.MAX_SAFE_INTEGER));

/** A set of app ids as stored: normalised, blanks dropped, each once. */
const appSet = () =>
  z.pipe(
    z._default(z.array(z.string().check(z.maxLength(256))), []),
    z.transform((apps: string[]) => [
      ...new Set(apps.map(normalizeAppId).filter((a): a is string => a !== null)),
    ]),
  );

export const blockWindowSchema = z.object({
  start: z.string().check(z.regex(HHMM, 'HHmm')),
  end: z.string().check(z.regex(HHMM, 'HHmm')),
});

export const policySchema = z.object({
  monthlyLimitBytes: z._default(z.nullable(byteCount()), null),
  manualBlock: z._default(z.boolean(), false),
  blockWindow: z._default(z.nullable(blockWindowSchema), null),
  blockedApps: appSet(),
  zeroRatedApps: appSet(),
});

export const memberSchema = z.object({
  customerId: positiveId(),
  role: z._default(z.enum(['OWNER', 'MEMBER']), 'MEMBER'),
  policy: z.prefault(policySchema, {}),
});

export const familySchema = z.object({
  familyId: positiveId(),
  name: z._default(z.nullable(z.string().check(z.maxLength(200))), null),
  quotaBytes: byteCount(),
  members: z._default(z.array(memberSchema), []),
});

/**
 * Reads a stored policy field by field: a field that fails validation is
 * dropped (and reported) instead of poisoning every decision of the member.
 */
export function readStoredPolicy(raw: unknown): { policy: MemberPolicy; invalidFields: string[] } {
  const source = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const shape = policySchema.shape;
  const invalidFields: string[] = [];
  const field = <K extends keyof typeof shape>(key: K): z.output<(typeof shape)[K]> => {
    const parsed = shape[key].safeParse(source[key]);
    if (parsed.success) return parsed.data as z.output<(typeof shape)[K]>;
    invalidFields.push(key);
    return shape[key].parse(undefined) as z.output<(typeof shape)[K]>;
  };
  return {
    policy: {
      monthlyLimitBytes: field('monthlyLimitBytes'),
      manualBlock: field('manualBlock'),
      blockWindow: field('blockWindow'),
      blockedApps: field('blockedApps'),
      zeroRatedApps: field('zeroRatedApps'),
    },
    invalidFields,
  };
}

/**
 * Alert markers: a notification is due the first time a member gets a status
 * in a period (APP_BLOCK: per app). The same strings are kept in Redis and in
 * the member's period item in DynamoDB, so hydration restores them.
 */
export function alertMarker(customerId: number, status: string, appId: string | null): string {
  return status === 'APP_BLOCK' ? `${customerId}:${status}:${appId ?? ''}` : `${customerId}:${status}`;
}
