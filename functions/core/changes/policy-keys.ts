import { normalizeAppId } from '../app-id';
import type { BlockWindow, MemberPolicy } from '../family';
import { type PolicyLevel, winningLevel } from '../precedence';

/**
 * The policy keys a policy event can change, each one field of a policy
 * level, and how their values read: a plain string, or the same value as a
 * JSON object. A blank value, or an event that says it is not active, removes
 * the value at that level; what the level below says shows through.
 */
export const POLICY_KEYS = [
  'LIMIT:DATA:MONTHLY',
  'BLOCK:ACCESS',
  'BLOCK:TIME',
  'BLOCK:APP',
  'ZERO_RATE:APP',
] as const;
export type PolicyKey = (typeof POLICY_KEYS)[number];

export const isPolicyKey = (value: unknown): value is PolicyKey =>
  typeof value === 'string' && (POLICY_KEYS as ReadonlyArray<string>).includes(value);

/** The value a key sets at a level; null removes it. */
export type PolicyValue =
  | { readonly key: 'LIMIT:DATA:MONTHLY'; readonly limitBytes: number | null }
  | { readonly key: 'BLOCK:ACCESS'; readonly blocked: boolean }
  | { readonly key: 'BLOCK:TIME'; readonly window: BlockWindow | null }
  | { readonly key: 'BLOCK:APP' | 'ZERO_RATE:APP'; readonly apps: ReadonlyArray<string> };

export type ParsedValue =
  | { readonly ok: true; readonly value: PolicyValue }
  | { readonly ok: false; readonly problem: string };

const HHMM = /^([01]\d|2[0-3])[0-5]\d$/;
const bad = (problem: string): ParsedValue => ({ ok: false, problem });
const good = (value: PolicyValue): ParsedValue => ({ ok: true, value });

/** A JSON-object form arrives as an object, or as a string holding one. */
function objectForm(raw: unknown): Record<string, unknown> | null {
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) return raw as Record<string, unknown>;
  if (typeof raw !== 'string' || !raw.trim().startsWith('{')) return null;
  try {
    const parsed: unknown = JSON.parse(raw);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/** "22:00" or "2200" as HHmm. */
function hhmm(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  const text = raw.trim().replace(':', '');
  return HHMM.test(text) ? text : null;
}

function apps(key: 'BLOCK:APP' | 'ZERO_RATE:APP', list: ReadonlyArray<unknown>): ParsedValue {
  const normalised: string[] = [];
  for (const entry of list) {
    if (typeof entry !== 'string') return bad(`${key}: app ids must be strings`);
    if (entry.length > 256) return bad(`${key}: an app id is longer than 256 characters`);
    const app = normalizeAppId(entry);
    if (app !== null && !normalised.includes(app)) normalised.push(app);
  }
  return good({ key, apps: normalised });
}

/** The JSON-object form's field that holds each app key's list. */
const APP_LIST_FIELD = { 'BLOCK:APP': 'blockedApps', 'ZERO_RATE:APP': 'apps' } as const;

const removal = (key: PolicyKey): PolicyValue => {
  switch (key) {
    case 'LIMIT:DATA:MONTHLY':
      return { key, limitBytes: null };
    case 'BLOCK:ACCESS':
      return { key, blocked: false };
    case 'BLOCK:TIME':
      return { key, window: null };
    case 'BLOCK:APP':
    case 'ZERO_RATE:APP':
      return { key, apps: [] };
  }
};

/**
 * Reads a policy event's value for its key. `active: false`, null, or a blank
 * string removes the value; anything that is neither a valid plain nor a
 * valid JSON-object form is a bad value.
 */
export function parsePolicyValue(key: PolicyKey, raw: unknown, active: boolean): ParsedValue {
  if (!active || raw === null || raw === undefined || (typeof raw === 'string' && raw.trim() === '')) {
    return good(removal(key));
  }
  const object = objectForm(raw);
  if (typeof raw !== 'string' && object === null) return bad(`${key} takes a string or a JSON object`);
  switch (key) {
    case 'LIMIT:DATA:MONTHLY': {
      const value = object ? object.limitBytes : (raw as string).trim();
      const bytes =
        typeof value === 'number'
          ? value
          : typeof value === 'string' && /^\d{1,16}$/.test(value)
            ? Number(value)
            : Number.NaN;
      if (!Number.isSafeInteger(bytes) || bytes <= 0)
        return bad(`${key} needs a positive whole number of bytes`);
      return good({ key, limitBytes: bytes });
    }
    case 'BLOCK:ACCESS': {
      if (object) {
        const reason = object.reason;
        if (reason !== undefined && reason !== null && typeof reason !== 'string')
          return bad(`${key} reason must be text`);
        return good({ key, blocked: typeof reason === 'string' && reason.trim() !== '' });
      }
      const text = (raw as string).trim();
      if (text !== '1' && text !== '0') return bad(`${key} is "1" (blocked) or "0" (not blocked)`);
      return good({ key, blocked: text === '1' });
    }
    case 'BLOCK:TIME': {
      const [start, end] = object
        ? [hhmm(object.start), hhmm(object.end)]
        : (raw as string).trim().split('-').length === 2
          ? (raw as string).trim().split('-').map(hhmm)
          : [null, null];
      if (!start || !end) return bad(`${key} is HHmm-HHmm, or {"start": "HH:mm", "end": "HH:mm"}`);
      return good({ key, window: { start, end } });
    }
    case 'BLOCK:APP':
    case 'ZERO_RATE:APP': {
      if (object) {
        const list = object[APP_LIST_FIELD[key]];
        if (!Array.isArray(list)) return bad(`${key} JSON form needs "${APP_LIST_FIELD[key]}": [...]`);
        return apps(key, list);
      }
      return apps(key, (raw as string).split(','));
    }
  }
}

/** A policy level with one key's value replaced (a removal writes the "absent" value of the field). */
export function withValue(level: MemberPolicy, value: PolicyValue): MemberPolicy {
  switch (value.key) {
    case 'LIMIT:DATA:MONTHLY':
      return { ...level, monthlyLimitBytes: value.limitBytes };
    case 'BLOCK:ACCESS':
      return { ...level, manualBlock: value.blocked };
    case 'BLOCK:TIME':
      return { ...level, blockWindow: value.window };
    case 'BLOCK:APP':
      return { ...level, blockedApps: [...value.apps] };
    case 'ZERO_RATE:APP':
      return { ...level, zeroRatedApps: [...value.apps] };
  }
}

/** Whether the value removes the key at its level. */
export function isRemoval(value: PolicyValue): boolean {
  switch (value.key) {
    case 'LIMIT:DATA:MONTHLY':
      return value.limitBytes === null;
    case 'BLOCK:ACCESS':
      return !value.blocked;
    case 'BLOCK:TIME':
      return value.window === null;
    case 'BLOCK:APP':
    case 'ZERO_RATE:APP':
      return value.apps.length === 0;
  }
}

/** A value in words, for notifications and operators. */
export function describeValue(value: PolicyValue): string {
  switch (value.key) {
    case 'LIMIT:DATA:MONTHLY':
      return value.limitBytes === null ? 'none' : String(value.limitBytes);
    case 'BLOCK:ACCESS':
      return value.blocked ? 'blocked' : 'none';
    case 'BLOCK:TIME':
      return value.window ? `${value.window.start}-${value.window.end}` : 'none';
    case 'BLOCK:APP':
    case 'ZERO_RATE:APP':
      return value.apps.length > 0 ? value.apps.join(',') : 'none';
  }
}

/** Which level each key's effective value comes from (null: no level has one). */
export function levelsOf(
  member: MemberPolicy,
  family: MemberPolicy,
  global: MemberPolicy,
): Record<PolicyKey, PolicyLevel | null> {
  return {
    'LIMIT:DATA:MONTHLY': winningLevel('limit', member, family, global),
    'BLOCK:ACCESS': winningLevel('manual', member, family, global),
    'BLOCK:TIME': winningLevel('window', member, family, global),
    'BLOCK:APP': winningLevel('apps', member, family, global),
    'ZERO_RATE:APP': winningLevel('zeroRated', member, family, global),
  };
}
