import type { Decision, ScriptResult } from '../../core/decision';
import { isDecisionStatus } from '../../core/decisions';
import { InvariantError } from '../../core/errors';
import type { RedisClient } from './client';
import { luaSource } from './lua-source';

/**
 * The settlement scripts, registered with ioredis defineCommand (EVALSHA with
 * automatic fallback to EVAL after a script-cache flush), and the one place
 * that maps their replies to typed results.
 */
export const SCRIPT_FILES = {
  settle: 'settle-usage',
  hydrate: 'hydrate-family',
  compensate: 'compensate-settlement',
  setQuota: 'set-family-quota',
} as const;

type Arg = string | number;

export interface ScriptCommands {
  usSettle(...args: Arg[]): Promise<unknown>;
  usHydrate(numKeys: number, ...args: Arg[]): Promise<unknown>;
  usCompensate(...args: Arg[]): Promise<unknown>;
  usSetQuota(...args: Arg[]): Promise<unknown>;
}

export function registerScripts(client: RedisClient): RedisClient & ScriptCommands {
  client.defineCommand('usSettle', { numberOfKeys: 3, lua: luaSource(SCRIPT_FILES.settle) });
  client.defineCommand('usHydrate', { lua: luaSource(SCRIPT_FILES.hydrate) });
  client.defineCommand('usCompensate', { numberOfKeys: 2, lua: luaSource(SCRIPT_FILES.compensate) });
  client.defineCommand('usSetQuota', { numberOfKeys: 1, lua: luaSource(SCRIPT_FILES.setQuota) });
  return client as RedisClient & ScriptCommands;
}

const malformed = (what: string, reply: unknown) =>
  new InvariantError('MALFORMED_SCRIPT_REPLY', `${what}: ${JSON.stringify(reply)?.slice(0, 300)}`);

const isCount = (value: unknown): value is string =>
  typeof value === 'string' && /^\d{1,16}$/.test(value) && Number.isSafeInteger(Number(value));

/** Parses the decision JSON the script caches (and the ledger echoes); see lua/settle-usage.lua. */
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
  const raw = parsed as Record<string, unknown>;
  const { s, c, n, b, u, h, m, r } = raw;
  if (typeof s !== 'string' || !isDecisionStatus(s)) throw malformed('unknown decision status', json);
  if (!isCount(b) || !isCount(u)) {
    throw malformed('decision amounts', json);
  }
  if (typeof h !== 'string' || typeof r !== 'string' || (c !== 0 && c !== 1) || (n !== 0 && n !== 1)) {
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
    runId: r,
  };
}

/** The cached form of a decision, exactly as settle-usage.lua writes it. */
export function encodeDecision(d: Decision): string {
  return JSON.stringify({
    s: d.status,
    c: d.counted ? 1 : 0,
    n: d.notify ? 1 : 0,
    b: String(d.bytes),
    u: String(d.customerId),
    h: d.payloadHash,
    m: d.markers,
    r: d.runId,
  });
}

export function parseSettleReply(reply: unknown): ScriptResult {
  if (!Array.isArray(reply) || reply.length !== 2) throw malformed('settle reply shape', reply);
  const [kind, body] = reply.map((x) => (Buffer.isBuffer(x) ? x.toString('utf8') : x));
  if (typeof body !== 'string') throw malformed('settle reply body', reply);
  switch (kind) {
    case 'NEW':
      return { kind: 'new', decision: parseDecision(body) };
    case 'DUP':
      return { kind: 'duplicate', decision: parseDecision(body) };
    case 'CONFLICT':
      return { kind: 'conflict', decision: parseDecision(body) };
    case 'HYDRATE':
      if (body === 'family' || body === 'member' || body === 'policy')
        return { kind: 'hydrate', missing: body };
      throw malformed('hydrate reply', reply);
    default:
      throw malformed('settle reply kind', reply);
  }
}
