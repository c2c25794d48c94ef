import { InvariantError } from '../../core/errors';
import type {
  Decision,
  EventReply,
  LaneReply,
  LaneStop,
  PeriodStateSeen,
} from '../../core/settlement/decision';
import { isDecisionStatus } from '../../core/status-effects';
import type { RedisClient } from './client';
import { luaSource } from './lua-source';

/**
 * The settlement scripts, registered with ioredis defineCommand (EVALSHA with
 * automatic fallback to EVAL after a script-cache flush), and the one place
 * that maps their replies to typed results.
 */
export const SCRIPT_FILES = {
  settleLane: 'settle-lane',
  hydratePeriod: 'hydrate-period',
  confirmLane: 'confirm-lane',
  applyChange: 'apply-change',
} as const;

/** A script call as ioredis takes it: the number of keys, the keys, then the arguments. */
export type ScriptCall = readonly [numKeys: number, ...keysThenArgs: string[]];

export interface ScriptCommands {
  usSettleLane(...call: ScriptCall): Promise<unknown>;
  usHydratePeriod(...call: ScriptCall): Promise<unknown>;
  usConfirmLane(...call: ScriptCall): Promise<unknown>;
  usApplyChange(...call: ScriptCall): Promise<unknown>;
}

export function registerScripts(client: RedisClient): RedisClient & ScriptCommands {
  client.defineCommand('usSettleLane', { lua: luaSource(SCRIPT_FILES.settleLane) });
  client.defineCommand('usHydratePeriod', { lua: luaSource(SCRIPT_FILES.hydratePeriod) });
  client.defineCommand('usConfirmLane', { lua: luaSource(SCRIPT_FILES.confirmLane) });
  client.defineCommand('usApplyChange', { lua: luaSource(SCRIPT_FILES.applyChange) });
  return client as RedisClient & ScriptCommands;
}

const malformed = (what: string, reply: unknown) =>
  new InvariantError('MALFORMED_SCRIPT_REPLY', `${what}: ${JSON.stringify(reply)?.slice(0, 300)}`);

const isCount = (value: unknown): value is string =>
  typeof value === 'string' && /^\d{1,16}$/.test(value) && Number.isSafeInteger(Number(value));

const text = (value: unknown): unknown => (Buffer.isBuffer(value) ? value.toString('utf8') : value);

/** Parses the decision JSON the script writes (and the ledger echoes); see lua/settle-lane.lua. */
export function parseDecision(json: string): Decision {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw malformed('decision is not JSON', json);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw malformed('decision is not an object', json);
  }
  const { s, c, n, b, u, h, m } = parsed as Record<string, unknown>;
  if (typeof s !== 'string' || !isDecisionStatus(s)) throw malformed('unknown decision status', json);
  if (!isCount(b) || !isCount(u)) throw malformed('decision amounts', json);
  if (typeof h !== 'string' || (c !== 0 && c !== 1) || (n !== 0 && n !== 1)) {
    throw malformed('decision fields', json);
  }
  // cjson encodes an empty Lua table as an object.
  const markers = Array.isArray(m) ? m : [];
  if (!markers.every((x) => typeof x === 'string')) throw malformed('decision markers', json);
  return {
    status: s,
    counted: c === 1,
    notify: n === 1,
    bytes: Number(b),
    customerId: Number(u),
    payloadHash: h,
    markers: markers as string[],
  };
}

function parseEventReply(entry: unknown, whole: unknown): EventReply {
  if (!Array.isArray(entry) || entry.length === 0) throw malformed('lane reply entry', whole);
  const [kind, body] = entry.map(text);
  switch (kind) {
    case 'NEW':
    case 'PENDING':
      if (typeof body !== 'string') throw malformed('decision body', whole);
      return { kind: kind === 'NEW' ? 'new' : 'pending', decision: parseDecision(body) };
    case 'SETTLED':
      return { kind: 'settled' };
    case 'REJECTED':
      if (!isCount(body)) throw malformed('rejected version', whole);
      return { kind: 'rejected', decidedAtVersion: Number(body) };
    case 'CONFLICT':
      return { kind: 'conflict' };
    case 'NOT_MEMBER':
      return { kind: 'not-member' };
    default:
      throw malformed('lane reply kind', whole);
  }
}

/** The reply of settle-lane: the period states' versions, then one entry per event up to a stop. */
export function parseLaneReply(reply: unknown, periods: ReadonlyArray<string>): LaneReply {
  if (!Array.isArray(reply) || reply.length === 0) throw malformed('lane reply shape', reply);
  const [states, ...entries] = reply;
  if (!Array.isArray(states) || states.length !== periods.length) throw malformed('lane states', reply);
  const seen = new Map<string, PeriodStateSeen>();
  for (const [i, state] of states.entries()) {
    if (!Array.isArray(state)) throw malformed('lane state', reply);
    if (state.length === 0) continue;
    const [version, quota, incarnation, pending, stamp, global] = state.map(text);
    if (
      !isCount(version) ||
      !isCount(quota) ||
      typeof incarnation !== 'string' ||
      !isCount(pending) ||
      !isCount(stamp) ||
      (global !== '' && !isCount(global))
    ) {
      throw malformed('lane state values', reply);
    }
    seen.set(periods[i] as string, {
      version: Number(version),
      quotaBytes: Number(quota),
      incarnation,
      pending: Number(pending),
      stampMs: Number(stamp),
      globalRevision: global === '' ? null : Number(global),
      source: 'redis',
    });
  }
  const replies: EventReply[] = [];
  let stop: LaneStop | null = null;
  for (const [i, entry] of entries.entries()) {
    const kind = Array.isArray(entry) ? text(entry[0]) : undefined;
    if (kind === 'HYDRATE' || kind === 'RELOAD' || kind === 'VERIFY' || kind === 'GLOBAL') {
      if (i !== entries.length - 1) throw malformed('a stop before the end', reply);
      const value = text((entry as unknown[])[1]);
      if (kind === 'HYDRATE' || kind === 'RELOAD') {
        const period = periods[Number(value) - 1];
        if (period === undefined) throw malformed(`${kind.toLowerCase()} period`, reply);
        if (kind === 'RELOAD' && replies.length > 0) throw malformed('a reload after answers', reply);
        stop = { kind: kind === 'HYDRATE' ? 'hydrate' : 'reload', period };
      } else if (kind === 'GLOBAL') {
        const period = periods[Number(value) - 1];
        const revision = text((entry as unknown[])[2]);
        if (period === undefined || !isCount(revision)) throw malformed('global stop', reply);
        stop = { kind: 'global', period, revision: Number(revision) };
      } else {
        if (!isCount(value)) throw malformed('verify horizon', reply);
        stop = { kind: 'verify', horizonMs: Number(value) };
      }
    } else {
      replies.push(parseEventReply(entry, reply));
    }
  }
  return { replies, stop, states: seen };
}
