import type { RedisClient } from '../../functions/adapters/redis/client';
import type { RedisUsageCache } from '../../functions/adapters/redis/usage-cache';
import { NO_POLICY, type PeriodSnapshot, policySchema } from '../../functions/core/family';
import type { Decision, LaneReply } from '../../functions/core/settlement/decision';
import type { DecideContext } from '../../functions/core/settlement/ports';
import type { UsageEvent } from '../../functions/core/settlement/usage-event';
import { periodOf, periodStart } from '../../functions/core/time';
import { usageEvent, ZONE } from '../helpers/usage-event-factory';

// Redis state of a period expires after the period, so the scenario runs in the current one.
export const PERIOD = periodOf(Date.now(), ZONE);
const EVENT_TIME = periodStart(PERIOD, ZONE) + 16 * 86_400_000 + 3 * 3_600_000;

/** Member 2's policy rotates so that, over many families, every decision rule fires. */
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

export function snapshotOf(familyId: number, index: number): PeriodSnapshot {
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
    topupBytes: 0,
    familyUsedBytes: 0,
    version: 0,
    stampMs: 0,
    globalRevision: null,
    settledHorizonMs: 0,
    familyPolicy: NO_POLICY,
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

const CONTEXT: DecideContext = {
  verifyBeforeMs: 0,
  clockMarginMs: 0,
  globalPolicy: NO_POLICY,
  globalRevision: 0,
};
const laneOf = (events: ReadonlyArray<UsageEvent>) =>
  events.map((event) => ({ event, recordTimestampMs: 1, checked: false }));

/**
 * Every cache operation settlement and the operator tools use, on one family,
 * in a fixed order: a stop for a missing state, hydration, a lane through all
 * rules, a redelivery of pending decisions, a confirmation with settled marks,
 * a conflict, dropping the state and loading it again, and a confirmation
 * against a replaced state. Returns what each step observed, including the
 * family's final Redis state.
 */
export async function runFamily(cache: RedisUsageCache, redis: RedisClient, familyId: number, index: number) {
  const seen: Array<[string, unknown]> = [];
  const decide = async (label: string, events: ReadonlyArray<UsageEvent>): Promise<LaneReply> => {
    const reply = await cache.decideLane(familyId, laneOf(events), CONTEXT);
    // Incarnations are random: only their presence is compared.
    const states = [...reply.states].map(([p, s]) => [p, { ...s, incarnation: s.incarnation.length > 0 }]);
    seen.push([label, { replies: reply.replies, stop: reply.stop, states }]);
    return reply;
  };
  const incarnation = async () => (await redis.hget(cache.keys.period(familyId, PERIOD), 'i')) ?? '';
  const snapshot = snapshotOf(familyId, index);
  const events = STEPS.map((s, n) => event(familyId, `e${n}`, s.customerId, s.bytes, s.appId));
  const first = events[0] as UsageEvent;

  await decide('before hydration', [first]);
  await cache.hydrate(snapshot);
  await decide('lane', [event(familyId, 'stranger', 9, 10), ...events.slice(0, 4)]);
  await decide('rest of the lane', events.slice(4));
  await decide('redelivery', events.slice(0, 2));

  await cache.confirm(
    familyId,
    PERIOD,
    { before: 0, after: 1, incarnation: await incarnation(), stampMs: 0 },
    events.map((e) => ({ eventId: e.eventId, payloadHash: e.payloadHash })),
  );
  await decide('after confirmation', [first, usageEvent({ ...first, bytesUsed: first.bytesUsed + 1 })]);

  await cache.invalidate(familyId, [PERIOD]);
  await cache.hydrate({ ...snapshot, version: 1, familyUsedBytes: 4_000 });
  await decide('after reload', [event(familyId, 'r', 2, 100, 'app.x'), event(familyId, 'q', 1, 2_000)]);
  await cache.confirm(familyId, PERIOD, { before: 0, after: 1, incarnation: 'old', stampMs: 0 }, []);
  seen.push(['kept at version 1', await redis.exists(cache.keys.period(familyId, PERIOD))]);
  await cache.confirm(
    familyId,
    PERIOD,
    { before: 5, after: 6, incarnation: await incarnation(), stampMs: 0 },
    [],
  );
  seen.push(['dropped for another version', await redis.exists(cache.keys.period(familyId, PERIOD))]);
  await cache.hydrate(snapshot);
  await decide('after the last load', [event(familyId, 'z', 1, 1)]);

  const { i, ...period } = await redis.hgetall(cache.keys.period(familyId, PERIOD));
  seen.push(['period', { ...period, incarnation: typeof i === 'string' }]);
  return seen;
}

/** Decision statuses a run produced, to show the scenario exercised every rule. */
export function statusesOf(seen: ReadonlyArray<[string, unknown]>): Set<string> {
  const statuses = new Set<string>();
  for (const [, value] of seen) {
    for (const reply of (value as { replies?: Array<{ decision?: Decision }> } | null)?.replies ?? []) {
      if (reply.decision) statuses.add(reply.decision.status);
    }
  }
  return statuses;
}
