import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { FIELD } from '../../functions/adapters/redis/period-fields';
import { SettleLaneTwin } from '../../functions/core/degraded/settle-lane-twin';
import { type MemberPolicy, NO_POLICY, type PeriodSnapshot, policySchema } from '../../functions/core/family';
import type { LaneReply } from '../../functions/core/settlement/decision';
import type { ConfirmedEvent, DecideContext, LaneEvent } from '../../functions/core/settlement/ports';
import type { UsageEvent } from '../../functions/core/settlement/usage-event';
import { periodOf, periodStart, shiftPeriod } from '../../functions/core/time';
import { testRedis, testUsageCache } from '../helpers/local-redis';
import { asOneLane } from '../helpers/one-lane';
import { usageEvent, ZONE } from '../helpers/usage-event-factory';

/**
 * The in-memory twin of the Redis period state (what the usage function
 * decides from when Redis is unreachable) and the settlement scripts against
 * the real Redis get the same random families, policies at every level,
 * lanes with duplicates, conflicts, strangers, old records, confirmations and
 * lost states; every reply and every state after each step must be the same.
 *
 * Reproduce a failure: fast-check prints the seed and the path; put them in
 * `{ seed, path }` of the fc.assert call.
 */
const local = testRedis('prop-twin');
const redis = asOneLane(testUsageCache(local));
afterAll(() => local.cleanup());

const NOW = Date.now();
const CURRENT = periodOf(NOW, ZONE);
const PREVIOUS = shiftPeriod(CURRENT, -1);
const PERIODS = [PREVIOUS, CURRENT] as const;
const MEMBERS = [1, 2, 3];
const START_VERSION = 3;
let nextFamily = 880_000 + Math.floor(Math.random() * 10_000) * 10;

const policyArb: fc.Arbitrary<MemberPolicy> = fc
  .record({
    monthlyLimitBytes: fc.option(fc.integer({ min: 0, max: 5_000 }), { nil: null }),
    manualBlock: fc.oneof(
      { weight: 5, arbitrary: fc.constant(false) },
      { weight: 1, arbitrary: fc.constant(true) },
    ),
    blockWindow: fc.option(
      fc.constantFrom(
        { start: '2200', end: '0600' },
        { start: '0900', end: '1800' },
        { start: '1200', end: '1200' },
      ),
      { nil: null },
    ),
    blockedApps: fc.subarray(['video', 'game', 'chat'], { maxLength: 2 }),
    zeroRatedApps: fc.subarray(['chat', 'video', 'mail'], { maxLength: 2 }),
  })
  .map((p) => policySchema.parse(p));
const levelArb = (noneWeight: number) =>
  fc.oneof({ weight: noneWeight, arbitrary: fc.constant(NO_POLICY) }, { weight: 1, arbitrary: policyArb });

const familyArb = fc.record({
  quota: fc.integer({ min: 10, max: 20_000 }),
  familyPolicy: levelArb(2),
  global: levelArb(3),
  members: fc.array(
    fc.record({
      policy: levelArb(1),
      used: fc.integer({ min: 0, max: 3_000 }),
      alerts: fc.subarray(['WARNING_50', 'WARNING_30', 'MANUAL', 'TIME_BLOCK'], { maxLength: 2 }),
    }),
    { minLength: 1, maxLength: 3 },
  ),
  horizonAgoMs: fc.constantFrom(0, 60_000, 3_600_000),
  topups: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 8_000 })),
});

const laneEventArb = fc.record({
  reuse: fc.option(fc.record({ pick: fc.nat(), changed: fc.boolean() }), { nil: null }),
  customer: fc.constantFrom(1, 2, 3, 9),
  app: fc.constantFrom(null, 'video', 'GAME', 'mail'),
  bytes: fc.oneof(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 10_000 })),
  minute: fc.integer({ min: 0, max: 24 * 60 - 1 }),
  previous: fc.boolean(),
  /** When the record was produced: now, older than the dedup window, or right at the settled horizon. */
  recordAt: fc.constantFrom('now' as const, 'old' as const, 'horizon' as const, 'after-horizon' as const),
  /** Use exactly what the family has left (the boundary of FAMILY_QUOTA_EXCEEDED). */
  exact: fc.boolean(),
  checked: fc.boolean(),
});
type LaneEventSpec = typeof laneEventArb extends fc.Arbitrary<infer T> ? T : never;
type Step =
  | { kind: 'lane'; events: Array<LaneEventSpec> }
  | { kind: 'confirm' }
  | { kind: 'lose'; period: 0 | 1 };
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('lane' as const),
      events: fc.array(laneEventArb, { minLength: 1, maxLength: 8 }),
    }),
  },
  { weight: 2, arbitrary: fc.constant({ kind: 'confirm' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('lose' as const),
      period: fc.constantFrom(0 as const, 1 as const),
    }),
  },
);

/** A Redis period state in the twin's terms. */
async function redisView(familyId: number, period: string) {
  const hash = await local.redis.hgetall(redis.keys.period(familyId, period));
  if (hash[FIELD.quota] === undefined) return null;
  const used = new Map<number, number>();
  const alerts = new Set<string>();
  const pending = new Set<string>();
  for (const [field, value] of Object.entries(hash)) {
    if (field.startsWith(FIELD.used)) used.set(Number(field.slice(FIELD.used.length)), Number(value));
    else if (field.startsWith(FIELD.alert)) alerts.add(field.slice(FIELD.alert.length));
    else if (field.startsWith(FIELD.pending)) pending.add(field.slice(FIELD.pending.length));
  }
  const { version, quota, topups, remaining } = {
    version: Number(hash[FIELD.version]),
    quota: Number(hash[FIELD.quota]),
    topups: Number(hash[FIELD.topups]),
    remaining: Number(hash[FIELD.remaining]),
  };
  return { version, quota, topups, remaining, used, alerts, pending };
}

function memoryView(memory: SettleLaneTwin, familyId: number, period: string) {
  const view = memory.view(familyId, period);
  if (!view) return null;
  const { version, quota, topups, remaining, used, alerts, pending } = view;
  return { version, quota, topups, remaining, used, alerts, pending: new Set(pending.keys()) };
}

/** A reply without the incarnations, which each store draws at random. */
const comparable = (reply: LaneReply) => ({
  replies: reply.replies.map((r) =>
    r.kind === 'new' || r.kind === 'pending'
      ? { kind: r.kind, decision: { ...r.decision, markers: [...r.decision.markers].sort() } }
      : r,
  ),
  stop: reply.stop,
  states: [...reply.states].map(([period, s]) => [period, s.version, s.quotaBytes]),
});

describe('the in-memory twin decides as the Redis scripts do', () => {
  it('gives the same replies and leaves the same states, step after step', async () => {
    await fc.assert(
      fc.asyncProperty(
        familyArb,
        fc.array(stepArb, { minLength: 1, maxLength: 12 }),
        async (family, steps) => {
          const familyId = ++nextFamily;
          const memory = asOneLane(new SettleLaneTwin());
          const versions = new Map<string, number>(PERIODS.map((p) => [p, START_VERSION]));
          const snapshot = (period: string): PeriodSnapshot => ({
            familyId,
            period,
            quotaBytes: family.quota,
            topupBytes: family.topups,
            familyUsedBytes: family.members.reduce((n, m) => n + m.used, 0),
            version: versions.get(period) ?? START_VERSION,
            stampMs: 0,
            globalRevision: null,
            settledHorizonMs: family.horizonAgoMs === 0 ? 0 : NOW - family.horizonAgoMs,
            familyPolicy: family.familyPolicy,
            members: family.members.map((m, i) => ({
              customerId: MEMBERS[i] as number,
              policy: m.policy,
              usedBytes: m.used,
              alerts: m.alerts.map((a) => `${MEMBERS[i]}:${a}`),
            })),
          });
          const context: DecideContext = {
            verifyBeforeMs: NOW - 300_000,
            clockMarginMs: 1_000,
            globalPolicy: family.global,
            globalRevision: 0,
          };
          const sent: UsageEvent[] = [];
          // What each period decided since its last confirmation: settled, or rejected (not a member).
          const decided = new Map<string, ConfirmedEvent[]>(PERIODS.map((p) => [p, []]));
          for (const period of PERIODS) {
            await redis.hydrate(snapshot(period));
            await memory.hydrate(snapshot(period));
          }

          for (const step of steps) {
            if (step.kind === 'lose') {
              // Both lose the state and load it again from the ledger, which has not moved.
              const period = PERIODS[step.period];
              for (const cache of [redis, memory]) {
                await cache.invalidate(familyId, [period]);
                await cache.hydrate(snapshot(period));
              }
              decided.set(period, []);
            } else if (step.kind === 'confirm') {
              for (const period of PERIODS) {
                const before = versions.get(period) ?? START_VERSION;
                const events = decided.get(period) ?? [];
                const versionsOf = (incarnation: string) => ({
                  before,
                  after: before + 1,
                  incarnation,
                  stampMs: 0,
                });
                const redisIncarnation = await local.redis.hget(
                  redis.keys.period(familyId, period),
                  FIELD.incarnation,
                );
                await redis.confirm(familyId, period, versionsOf(redisIncarnation ?? ''), events);
                await memory.confirm(
                  familyId,
                  period,
                  versionsOf(memory.view(familyId, period)?.incarnation ?? ''),
                  events,
                );
                versions.set(period, before + 1);
                decided.set(period, []);
              }
            } else {
              const horizon = family.horizonAgoMs === 0 ? 0 : NOW - family.horizonAgoMs;
              const recordTimes = {
                now: NOW,
                old: NOW - 400_000,
                horizon: horizon + 1_000,
                'after-horizon': horizon + 1_001,
              };
              const lane: LaneEvent[] = step.events.map((e) => {
                const original = e.reuse && sent.length > 0 ? sent[e.reuse.pick % sent.length] : undefined;
                const period = e.previous ? PREVIOUS : CURRENT;
                const eventTimeMs = Math.min(periodStart(period, ZONE) + e.minute * 60_000, NOW);
                const event =
                  original && !e.reuse?.changed
                    ? original
                    : usageEvent({
                        eventId: original?.eventId,
                        familyId,
                        customerId: e.customer,
                        appId: e.app,
                        bytesUsed: e.exact
                          ? Math.max(1, memory.view(familyId, period)?.remaining ?? e.bytes)
                          : e.bytes,
                        eventTimeMs,
                      });
                if (!original) sent.push(event);
                return { event, recordTimestampMs: recordTimes[e.recordAt], checked: e.checked };
              });
              const redisReply = await redis.decideLane(familyId, lane, context);
              const memoryReply = await memory.decideLane(familyId, lane, context);
              expect(comparable(memoryReply)).toEqual(comparable(redisReply));
              for (const [i, reply] of redisReply.replies.entries()) {
                const event = lane[i]?.event as UsageEvent;
                const list = decided.get(event.period) ?? [];
                if (list.some((d) => d.eventId === event.eventId)) continue;
                if (reply.kind === 'new') list.push(event);
                else if (reply.kind === 'not-member') {
                  list.push({ ...event, rejectedAtVersion: versions.get(event.period) ?? START_VERSION });
                }
              }
            }
            for (const period of PERIODS) {
              expect(memoryView(memory, familyId, period)).toEqual(await redisView(familyId, period));
            }
          }
        },
      ),
      { seed: 0x7a1, numRuns: 300 },
    );
  }, 300_000);
});
