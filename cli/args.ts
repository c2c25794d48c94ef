import type { Period } from '../functions/core/time';
import { UsageError } from './errors';

/** Parsers for option values; each rejects bad input with a one-line usage error naming the option. */

const PERIOD = /^\d{4}(0[1-9]|1[0-2])$/;
const DIGITS = /^\d+$/;

export function positiveId(name: string, value: string | undefined): number {
  if (value === undefined) throw new UsageError(`${name} is required`);
  const n = Number(value);
  if (!DIGITS.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(`${name} must be a positive integer, got "${value}"`);
  }
  return n;
}

export function byteCount(name: string, value: string): number {
  const n = Number(value);
  if (!DIGITS.test(value) || !Number.isSafeInteger(n)) {
    throw new UsageError(`${name} must be a whole number of bytes, got "${value}"`);
  }
  return n;
}

export function limitCount(name: string, value: string | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!DIGITS.test(value) || n < 1 || n > max) {
    throw new UsageError(`${name} must be an integer from 1 to ${max}, got "${value}"`);
  }
  return n;
}

export function period(value: string | undefined, fallback: () => Period): Period {
  if (value === undefined) return fallback();
  if (!PERIOD.test(value)) throw new UsageError(`--period must be yyyyMM (e.g. 202611), got "${value}"`);
  return value;
}

export function booleanValue(name: string, value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new UsageError(`${name} must be true or false, got "${value}"`);
}

export function oneOf<T extends string>(name: string, value: string, allowed: ReadonlyArray<T>): T {
  const found = allowed.find((a) => a === value);
  if (found === undefined)
    throw new UsageError(`${name} must be one of ${allowed.join(', ')}, got "${value}"`);
  return found;
}

/** The topics of policy and family events, as the stack's defaults name them. */
export const DEFAULT_CONFIG_TOPICS = 'policy-updated,family-updated';

export const CONFIG_TOPICS_LINE = `  --change-topics A,B    topics of policy and family events (default ${DEFAULT_CONFIG_TOPICS});
                         records of any other topic are usage events`;

/** --change-topics: comma-separated topic names. */
export function changeTopics(value: string | undefined): string[] {
  return (value ?? DEFAULT_CONFIG_TOPICS)
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
}
