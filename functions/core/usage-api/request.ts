import { type Period, periodStart, shiftPeriod } from '../time';

/** What a caller may ask the usage API for, every value checked. */
export type UsageRequest =
  | { readonly kind: 'family'; readonly familyId: number; readonly period: Period }
  | {
      readonly kind: 'member';
      readonly familyId: number;
      readonly customerId: number;
      readonly period: Period;
    }
  | {
      readonly kind: 'settlements';
      readonly familyId: number;
      readonly customerId: number;
      readonly period: Period;
      readonly limit: number;
      readonly after: SettlementCursor | null;
    };

/** Where a page of settlements ended: the last entry's event time and eventId. */
export interface SettlementCursor {
  readonly eventTimeMs: number;
  readonly eventId: string;
}

/** A request the API refuses before reading anything, with its one-line reason. */
export interface Refusal {
  readonly status: 400 | 404 | 405;
  readonly message: string;
}

export const SETTLEMENTS_PAGE = { default: 20, max: 100 } as const;

/** The same bounds the events carry (core/settlement/usage-event.ts). */
const EVENT_ID_MAX = 128;
/** Periods the ledger can hold: none before the product, none past any plausible clock. */
const FIRST_YEAR = 2000;
const LAST_YEAR = 2999;
/** Longer than any cursor this API hands out; a bound before decoding it. */
const CURSOR_MAX = 1_024;

const ROUTES: ReadonlyArray<{ readonly pattern: RegExp; readonly kind: UsageRequest['kind'] }> = [
  { pattern: /^\/v1\/families\/([^/]*)\/usage$/, kind: 'family' },
  { pattern: /^\/v1\/families\/([^/]*)\/members\/([^/]*)\/usage$/, kind: 'member' },
  { pattern: /^\/v1\/families\/([^/]*)\/members\/([^/]*)\/settlements$/, kind: 'settlements' },
];

class Refused extends Error {
  constructor(readonly refusal: Refusal) {
    super(refusal.message);
  }
}

const badRequest = (message: string) => new Refused({ status: 400, message });

/**
 * Reads a request line: the path decides the resource, the query its
 * options. Parameters outside the contract are refused, so a misspelt one is
 * never silently ignored.
 */
export function parseUsageRequest(
  input: {
    readonly method: string;
    readonly path: string;
    readonly query: Readonly<Record<string, string | undefined>>;
  },
  currentPeriod: () => Period,
  timeZone: string,
): UsageRequest | Refusal {
  try {
    const route = ROUTES.map((r) => ({ kind: r.kind, match: r.pattern.exec(input.path) })).find(
      (r) => r.match,
    );
    if (!route?.match) return { status: 404, message: `no resource at ${oneLine(input.path)}` };
    if (input.method !== 'GET')
      return { status: 405, message: `only GET is allowed, got ${oneLine(input.method)}` };
    const familyId = positiveId('familyId', route.match[1]);
    const allowed = route.kind === 'settlements' ? ['period', 'limit', 'cursor'] : ['period'];
    const unknown = Object.keys(input.query).find((name) => !allowed.includes(name));
    if (unknown !== undefined) {
      throw badRequest(`unknown query parameter "${oneLine(unknown)}" (allowed: ${allowed.join(', ')})`);
    }
    const period = input.query.period === undefined ? currentPeriod() : periodParam(input.query.period);
    if (route.kind === 'family') return { kind: 'family', familyId, period };
    const customerId = positiveId('customerId', route.match[2]);
    if (route.kind === 'member') return { kind: 'member', familyId, customerId, period };
    return {
      kind: 'settlements',
      familyId,
      customerId,
      period,
      limit: limitParam(input.query.limit),
      after: input.query.cursor === undefined ? null : cursorIn(period, timeZone, input.query.cursor),
    };
  } catch (error) {
    if (error instanceof Refused) return error.refusal;
    throw error;
  }
}

export const isRefusal = (value: UsageRequest | Refusal): value is Refusal => 'status' in value;

/** Control characters and length are cut so a reason stays one short line. */
function oneLine(text: string): string {
  const clean = text.replace(/[\p{Cc}\p{Zl}\p{Zp}]/gu, '?');
  return clean.length > 64 ? `${clean.slice(0, 64)}...` : clean;
}

function positiveId(name: string, raw: string | undefined): number {
  const value = raw ?? '';
  const parsed = Number(value);
  if (!/^[1-9]\d{0,15}$/.test(value) || !Number.isSafeInteger(parsed)) {
    throw badRequest(`${name} must be a positive integer, got "${oneLine(value)}"`);
  }
  return parsed;
}

function periodParam(raw: string): Period {
  const match = /^(\d{4})(\d{2})$/.exec(raw);
  const year = Number(match?.[1]);
  const month = Number(match?.[2]);
  if (!match || year < FIRST_YEAR || year > LAST_YEAR || month < 1 || month > 12) {
    throw badRequest(`period must be yyyyMM (a month of ${FIRST_YEAR}-${LAST_YEAR}), got "${oneLine(raw)}"`);
  }
  return raw;
}

function limitParam(raw: string | undefined): number {
  if (raw === undefined) return SETTLEMENTS_PAGE.default;
  const parsed = Number(raw);
  if (!/^\d{1,4}$/.test(raw) || parsed < 1 || parsed > SETTLEMENTS_PAGE.max) {
    throw badRequest(`limit must be an integer from 1 to ${SETTLEMENTS_PAGE.max}, got "${oneLine(raw)}"`);
  }
  return parsed;
}

/** A cursor is base64url JSON `[eventTimeMs, eventId]`: opaque to callers, checked here. */
export function encodeCursor(cursor: SettlementCursor): string {
  return Buffer.from(JSON.stringify([cursor.eventTimeMs, cursor.eventId]), 'utf8').toString('base64url');
}

/** A cursor of this period: its event time falls in the period, as every entry of its list does. */
function cursorIn(period: Period, timeZone: string, raw: string): SettlementCursor {
  const cursor = decodeCursor(raw);
  const from = periodStart(period, timeZone);
  const until = periodStart(shiftPeriod(period, 1), timeZone);
  if (cursor.eventTimeMs < from || cursor.eventTimeMs >= until) {
    throw badRequest(`cursor is not one this API returned for period ${period}`);
  }
  return cursor;
}

function decodeCursor(raw: string): SettlementCursor {
  const invalid = badRequest('cursor is not one this API returned');
  if (raw.length === 0 || raw.length > CURSOR_MAX || !/^[A-Za-z0-9_-]+$/.test(raw)) throw invalid;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw invalid;
  }
  if (!Array.isArray(value) || value.length !== 2) throw invalid;
  const [eventTimeMs, eventId] = value as [unknown, unknown];
  if (
    typeof eventTimeMs !== 'number' ||
    !Number.isSafeInteger(eventTimeMs) ||
    eventTimeMs < 0 ||
    typeof eventId !== 'string' ||
    eventId.length === 0 ||
    eventId.length > EVENT_ID_MAX ||
    /\p{Surrogate}/u.test(eventId)
  ) {
    throw invalid;
  }
  return { eventTimeMs, eventId };
}
