import type { RedisClient } from '../../functions/adapters/redis/client';
import type { RedisUsageCache } from '../../functions/adapters/redis/usage-cache';
import type { Decision, ScriptResult } from '../../functions/core/decision';
import { type FamilySnapshot, policySchema } from '../../functions/core/family';
import { periodOf, periodStart } from '../../functions/core/time';
import type { UsageEvent } from '../../functions/core/usage-event';
import { usageEvent, ZONE } from '../helpers/usage-event-factory';

// Redis state of a period expires after the period, so the scenario runs in the current one.
export const PERIOD = periodOf(Date.now(), ZONE);
const EVENT_TIME = periodStart(PERIOD, ZONE) + 16 * 86_400_000 + 3 * 3_600_000;

/** Member 2's policy rotates so that, over many families, every rule of SPEC §3 fires. */
const MEMBER_2_POLICIES = [
  {},
  { manualBlock: true },
  { blockedApps: ['  App.X '] },
  { monthlyLimitBytes: 2_500 },
  { blockWindow: { start: '0000', end: '0000' } },
];

const STEPS: ReadonlyArray<{ customerId: number; bytes: number; appId?: string }> = [
  { customerId: 1, bytes: 1_500 },
  { customerId: 2, bytes: 1_000, appId: 'app.x' },
  { customerId: 1, bytes: 2_500 },
  { customerId: 2, bytes: 2_000, appId: 'app.y' },
  { customerId: 1, bytes: 3_000 },
  { customerId: 2, bytes: 500 },
  { customerId: 1, bytes: 4_000 },
  { customerId: 2, bytes: 1, appId: 'APP.X' },
];

export function snapshotOf(familyId: number, index: number): FamilySnapshot {
  const member = (customerId: number, policy: object) => ({
    customerId,
    policy: policySchema.parse(policy),
    usedBytes: 0,
    alerts: [],
  });
  return {
    familyId,
    period: PERIOD,
    quotaBytes: 10_000 + (index % 7) * 1_000,
    familyUsedBytes: 0,
    members: [member(1, {}), member(2, MEMBER_2_POLICIES[index % MEMBER_2_POLICIES.length] ?? {})],
  };
}

/** Event ids and payloads depend only on the family, so two backends see identical input. */
function event(familyId: number, name: string, customerId: number, bytesUsed: number, appId?: string) {
  return usageEvent({
    eventId: `f${familyId}-${name}`,
    familyId,
    customerId,
    bytesUsed,
    appId: appId ?? null,
    eventTimeMs: EVENT_TIME,
  });
}

/**
 * Every cache operation settlement and the operator tools use, on one family,
 * in a fixed order: hydration, decisions through all rules, a redelivery,
 * membership, compensation, a quota change, policy invalidation and a
 * rebuild (a MULTI over several keys). Returns what each step observed,
 * including the family's final Redis state.
 */
export async function runFamily(cache: RedisUsageCache, redis: RedisClient, familyId: number, index: number) {
  const seen: Array<[string, unknown]> = [];
  const decide = async (label: string, e: UsageEvent, runId: string): Promise<ScriptResult> => {
    const result = await cache.decide(e, runId);
    seen.push([label, result]);
    return result;
  };
  const snapshot = snapshotOf(familyId, index);
  const events = STEPS.map((s, n) => event(familyId, `e${n}`, s.customerId, s.bytes, s.appId));
  const first = events[0] as UsageEvent;

  await decide('before hydration', first, 'run-0');
  await cache.hydrate(snapshot);
  await decide('unknown member', event(familyId, 'stranger', 9, 10), 'run-stranger');
  const decided = [];
  for (const [n, e] of events.entries()) decided.push(await decide(`event ${n}`, e, `run-${n + 1}`));
  await decide('redelivery', first, 'run-again');

  await cache.cacheMembers(familyId, [1, 2]);
  await cache.cacheNonMember(familyId, 9);
  seen.push(['membership', await Promise.all([1, 9, 8].map((c) => cache.membership(familyId, c)))]);
  await cache.invalidateMembership(familyId, [9]);
  seen.push(['membership after invalidation', await cache.membership(familyId, 9)]);

  // Redis lost the first decision, decided the event again, and the ledger's original wins.
  const original = decided[0];
  if (original?.kind !== 'new') throw new Error(`family ${familyId}: first event was ${original?.kind}`);
  await redis.del(cache.keys.decision(familyId, first.eventId));
  await decide('redo', first, 'run-redo');
  seen.push(['compensate', await cache.compensate(first, 'run-redo', original.decision)]);

  seen.push(['set quota', await cache.setQuota(familyId, PERIOD, snapshot.quotaBytes + 5_000)]);
  await decide('after quota change', event(familyId, 'q', 1, 2_000), 'run-q');
  await cache.invalidatePolicies(familyId, [1, 2]);
  await decide('after policy invalidation', event(familyId, 'p', 2, 100), 'run-p');
  await cache.rebuild(snapshot);
  await decide('after rebuild', event(familyId, 'r', 2, 100, 'app.x'), 'run-r');

  seen.push(['period', await redis.hgetall(cache.keys.period(familyId, PERIOD))]);
  seen.push([
    'policies',
    await Promise.all([1, 2].map((c) => redis.hgetall(cache.keys.policy(familyId, c)))),
  ]);
  seen.push(['members', (await redis.smembers(cache.keys.members(familyId))).sort()]);
  return seen;
}

/** Decision statuses a run produced, to show the scenario exercised every rule. */
export function statusesOf(seen: ReadonlyArray<[string, unknown]>): Set<string> {
  const statuses = new Set<string>();
  for (const [, value] of seen) {
    const decision = (value as { decision?: Decision } | null)?.decision;
    if (decision) statuses.add(decision.status);
  }
  return statuses;
}
