import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { RedisUsageCache } from '../../functions/adapters/redis/usage-cache';
import type { Decision } from '../../functions/core/decision';
import { type FamilySnapshot, policySchema } from '../../functions/core/family';
import { periodOf, periodStart, shiftPeriod } from '../../functions/core/time';
import { keySlot } from '../helpers/key-slot';
import { testRedis } from '../helpers/local-redis';
import { usageEvent, ZONE } from '../helpers/usage-event-factory';

const local = testRedis('script');
const cache = new RedisUsageCache(local.redis, {
  keyPrefix: local.prefix,
  timeZone: ZONE,
  dedupWindowSeconds: 7 * 86_400,
  membershipSeconds: 600,
  nonMemberSeconds: 60,
  policySeconds: 86_400,
});

// Redis state of a period expires after the period, so tests run in the current one.
const PERIOD = periodOf(Date.now(), ZONE);
const NEXT_PERIOD = shiftPeriod(PERIOD, 1);
const MID_PERIOD = periodStart(PERIOD, ZONE) + 16 * 86_400_000 + 3 * 3_600_000;
const localTime = (day: number, hhmm: string) =>
  periodStart(PERIOD, ZONE) +
  (day - 1) * 86_400_000 +
  Number(hhmm.slice(0, 2)) * 3_600_000 +
  Number(hhmm.slice(2)) * 60_000;
let familyId = 1000;
let runs = 0;
const run = () => `run-${++runs}`;

type PolicyInput = Parameters<typeof policySchema.parse>[0];

async function family(quotaBytes: number, members: Record<number, PolicyInput> = { 1: {} }, usedBytes = 0) {
  const id = ++familyId;
  const snapshot: FamilySnapshot = {
    familyId: id,
    period: PERIOD,
    quotaBytes,
    familyUsedBytes: usedBytes,
    members: Object.entries(members).map(([customerId, policy]) => ({
      customerId: Number(customerId),
      policy: policySchema.parse(policy),
      usedBytes: 0,
      alerts: [],
    })),
  };
  await cache.hydrate(snapshot);
  return id;
}

async function decide(fields: Parameters<typeof usageEvent>[0]) {
  const event = usageEvent({ eventTimeMs: MID_PERIOD, ...fields });
  const result = await cache.decide(event, run());
  if (result.kind === 'hydrate') throw new Error(`unexpected hydrate: ${result.missing}`);
  return { event, kind: result.kind, decision: result.decision };
}

async function periodState(id: number, period = PERIOD) {
  return local.redis.hgetall(cache.keys.period(id, period));
}

afterAll(() => local.cleanup());

describe('settle-usage.lua through the production wrapper', () => {
  let id: number;
  beforeEach(async () => {
    id = await family(10_000, { 1: {}, 2: {} });
  });

  it('asks for hydration without writing anything when state is missing', async () => {
    const missing = usageEvent({ familyId: 999_999, customerId: 1 });
    const result = await cache.decide(missing, run());
    expect(result).toEqual({ kind: 'hydrate', missing: 'family' });
    const other = usageEvent({ familyId: id, customerId: 77 });
    expect(await cache.decide(other, run())).toEqual({ kind: 'hydrate', missing: 'member' });
    expect(await local.redis.exists(cache.keys.decision(999_999, missing.eventId))).toBe(0);
    expect(await local.redis.exists(cache.keys.decision(id, other.eventId))).toBe(0);
  });

  it('deducts allowed usage from the family pool and the member', async () => {
    const { decision, kind } = await decide({ familyId: id, customerId: 1, bytesUsed: 1_000 });
    expect(kind).toBe('new');
    expect(decision).toMatchObject({
      status: 'NORMAL',
      counted: true,
      notify: false,
      bytes: 1_000,
      customerId: 1,
    });
    expect(await periodState(id)).toMatchObject({
      quota: '10000',
      remaining: '9000',
      'used:1': '1000',
      'used:2': '0',
    });
  });

  it('returns the cached decision for a duplicate and deducts nothing again', async () => {
    const first = await decide({ familyId: id, customerId: 1, bytesUsed: 6_000 });
    const again = await cache.decide(first.event, run());
    expect(again).toEqual({ kind: 'duplicate', decision: first.decision });
    expect((await periodState(id)).remaining).toBe('4000');
  });

  it('reports a conflict when an eventId comes back with another payload', async () => {
    const first = await decide({ familyId: id, customerId: 1, bytesUsed: 100 });
    const reused = usageEvent({ ...first.event, bytesUsed: 200 });
    const result = await cache.decide(reused, run());
    expect(result.kind).toBe('conflict');
    expect((await periodState(id)).remaining).toBe('9900');
  });
});

describe('blocks, in order, deduct nothing', () => {
  it('MANUAL wins over every other block', async () => {
    const id = await family(10_000, {
      1: { manualBlock: true, blockedApps: ['x'], blockWindow: { start: '0000', end: '0000' } },
    });
    const { decision } = await decide({ familyId: id, customerId: 1, appId: 'x' });
    expect(decision).toMatchObject({ status: 'MANUAL', counted: false, notify: true });
    expect((await periodState(id)).remaining).toBe('10000');
  });

  it('APP_BLOCK matches a mixed-case app id on both sides', async () => {
    const id = await family(10_000, { 1: { blockedApps: ['  Com.YouTube.App '] } });
    const blocked = await decide({ familyId: id, customerId: 1, appId: 'COM.youtube.app' });
    expect(blocked.decision).toMatchObject({ status: 'APP_BLOCK', counted: false, notify: true });
    expect(blocked.decision.markers).toEqual(['1:APP_BLOCK:com.youtube.app']);
    const other = await decide({ familyId: id, customerId: 1, appId: 'com.other.app' });
    expect(other.decision.status).toBe('NORMAL');
  });

  it.each([
    ['2200', '0600', '2330', 'TIME_BLOCK'],
    ['2200', '0600', '0559', 'TIME_BLOCK'],
    ['2200', '0600', '0600', 'NORMAL'],
    ['2200', '0600', '2159', 'NORMAL'],
    ['0900', '1800', '0900', 'TIME_BLOCK'],
    ['0900', '1800', '1800', 'NORMAL'],
    ['1200', '1200', '0001', 'TIME_BLOCK'],
  ])('window %s-%s at %s is %s', async (start, end, hhmm, expected) => {
    const id = await family(10_000, { 1: { blockWindow: { start, end } } });
    const at = localTime(17, hhmm);
    const { decision, event } = await decide({ familyId: id, customerId: 1, eventTimeMs: at });
    expect(event.localHhmm).toBe(hhmm);
    expect(decision.status).toBe(expected);
  });

  it('allows usage up to exactly the monthly limit, then blocks', async () => {
    const id = await family(10_000, { 1: { monthlyLimitBytes: 3_000 } });
    expect((await decide({ familyId: id, customerId: 1, bytesUsed: 3_000 })).decision.status).toBe('NORMAL');
    const over = await decide({ familyId: id, customerId: 1, bytesUsed: 1 });
    expect(over.decision).toMatchObject({ status: 'MONTHLY_LIMIT_EXCEEDED', counted: false, notify: true });
    expect(await periodState(id)).toMatchObject({ remaining: '7000', 'used:1': '3000' });
  });

  it('allows using exactly the remaining amount (WARNING_10, 0 left), then FAMILY_QUOTA_EXCEEDED', async () => {
    const id = await family(10_000);
    const exact = await decide({ familyId: id, customerId: 1, bytesUsed: 10_000 });
    expect(exact.decision).toMatchObject({ status: 'WARNING_10', counted: true, notify: true });
    expect((await periodState(id)).remaining).toBe('0');
    const next = await decide({ familyId: id, customerId: 1, bytesUsed: 1 });
    expect(next.decision).toMatchObject({ status: 'FAMILY_QUOTA_EXCEEDED', counted: false, notify: true });
    expect((await periodState(id)).remaining).toBe('0');
  });
});

describe('thresholds and alert dedup', () => {
  it('walks 50/30/10 one level at a time, notifying each once', async () => {
    const id = await family(10_000);
    const steps = [
      [5_000, 'NORMAL', false],
      [1, 'WARNING_50', true],
      [100, 'WARNING_50', false],
      [1_900, 'WARNING_30', true],
      [2_000, 'WARNING_10', true],
      [1, 'WARNING_10', false],
    ] as const;
    for (const [bytes, status, notify] of steps) {
      const { decision } = await decide({ familyId: id, customerId: 1, bytesUsed: bytes });
      expect({ status: decision.status, notify: decision.notify }).toEqual({ status, notify });
    }
  });

  it('notifies only the most severe level when one event skips levels, and marks the skipped ones', async () => {
    const id = await family(10_000, { 1: {}, 2: {} });
    const jump = await decide({ familyId: id, customerId: 1, bytesUsed: 9_500 });
    expect(jump.decision).toMatchObject({ status: 'WARNING_10', notify: true });
    expect(jump.decision.markers).toEqual(['1:WARNING_50', '1:WARNING_30', '1:WARNING_10']);
    expect((await decide({ familyId: id, customerId: 1, bytesUsed: 1 })).decision.notify).toBe(false);
    const otherMember = await decide({ familyId: id, customerId: 2, bytesUsed: 1 });
    expect(otherMember.decision).toMatchObject({ status: 'WARNING_10', notify: true });
  });

  it('alerts once per period and re-arms in the next period', async () => {
    const id = await family(10_000, { 1: { manualBlock: true } });
    await cache.hydrate({
      familyId: id,
      period: NEXT_PERIOD,
      quotaBytes: 10_000,
      familyUsedBytes: 0,
      members: [
        { customerId: 1, policy: policySchema.parse({ manualBlock: true }), usedBytes: 0, alerts: [] },
      ],
    });
    const thisPeriod = MID_PERIOD;
    const nextPeriod = periodStart(NEXT_PERIOD, ZONE) + 3_600_000;
    expect((await decide({ familyId: id, customerId: 1, eventTimeMs: thisPeriod })).decision.notify).toBe(
      true,
    );
    expect((await decide({ familyId: id, customerId: 1, eventTimeMs: thisPeriod })).decision.notify).toBe(
      false,
    );
    expect((await decide({ familyId: id, customerId: 1, eventTimeMs: nextPeriod })).decision.notify).toBe(
      true,
    );
  });

  it('expires alert markers after the period and decisions after the dedup window', async () => {
    const id = await family(10_000, { 1: { manualBlock: true } });
    const { event } = await decide({ familyId: id, customerId: 1 });
    const periodTtl = await local.redis.ttl(cache.keys.period(id, PERIOD));
    const decisionTtl = await local.redis.ttl(cache.keys.decision(id, event.eventId));
    expect(periodTtl).toBeGreaterThan(0);
    const expected = periodStart(shiftPeriod(PERIOD, 2), ZONE) / 1000 + 86_400;
    expect(Math.abs(Date.now() / 1000 + periodTtl - expected)).toBeLessThan(60);
    expect(decisionTtl).toBeGreaterThan(7 * 86_400 - 60);
    expect(decisionTtl).toBeLessThanOrEqual(7 * 86_400);
  });
});

describe('hydration never clobbers newer values', () => {
  it('keeps counters Redis already has', async () => {
    const id = await family(10_000);
    await decide({ familyId: id, customerId: 1, bytesUsed: 4_000 });
    await cache.hydrate({
      familyId: id,
      period: PERIOD,
      quotaBytes: 10_000,
      familyUsedBytes: 0,
      members: [
        { customerId: 1, policy: policySchema.parse({ manualBlock: true }), usedBytes: 0, alerts: [] },
      ],
    });
    expect(await periodState(id)).toMatchObject({ remaining: '6000', 'used:1': '4000' });
    expect((await decide({ familyId: id, customerId: 1 })).decision.status).toBe('NORMAL');
  });

  it('restores alert markers from the ledger so nobody is alerted twice', async () => {
    const id = ++familyId;
    await cache.hydrate({
      familyId: id,
      period: PERIOD,
      quotaBytes: 10_000,
      familyUsedBytes: 6_000,
      members: [
        { customerId: 1, policy: policySchema.parse({}), usedBytes: 6_000, alerts: ['1:WARNING_50'] },
      ],
    });
    const { decision } = await decide({ familyId: id, customerId: 1, bytesUsed: 1 });
    expect(decision).toMatchObject({ status: 'WARNING_50', notify: false });
  });
});

describe('compensation', () => {
  it('undoes a decision the ledger already had, once, and caches the ledger decision', async () => {
    const id = await family(10_000, { 1: {} });
    const original = await decide({ familyId: id, customerId: 1, bytesUsed: 3_000 });
    await local.redis.del(cache.keys.decision(id, original.event.eventId));
    const again = await cache.decide(original.event, 'run-redo');
    expect(again).toMatchObject({
      kind: 'new',
      decision: { status: 'WARNING_50', markers: ['1:WARNING_50'] },
    });
    expect(await periodState(id)).toMatchObject({ remaining: '4000', 'used:1': '6000' });
    const ledgerDecision: Decision = original.decision;
    expect(await cache.compensate(original.event, 'run-redo', ledgerDecision)).toBe(true);
    expect(await cache.compensate(original.event, 'run-redo', ledgerDecision)).toBe(false);
    const state = await periodState(id);
    expect(state).toMatchObject({ remaining: '7000', 'used:1': '3000' });
    expect(state['alert:1:WARNING_50']).toBeUndefined();
    expect(await cache.decide(original.event, run())).toEqual({
      kind: 'duplicate',
      decision: ledgerDecision,
    });
  });
});

describe('cluster safety', () => {
  it('puts every key of a family in one cluster slot', async () => {
    const id = await family(10_000, { 1: {}, 2: {} });
    const { event } = await decide({ familyId: id, customerId: 2, appId: 'weird{app}id' });
    await cache.cacheMembers(id, [1, 2]);
    await cache.cacheNonMember(id, 3);
    const keys = [
      cache.keys.decision(id, event.eventId),
      cache.keys.decision(id, '{evil}id'),
      cache.keys.period(id, PERIOD),
      cache.keys.policy(id, 2),
      cache.keys.members(id),
      cache.keys.nonMember(id, 3),
    ];
    const written = (await local.keysUnderPrefix()).filter((k) => k.includes(`{f:${id}}`));
    expect(written.length).toBeGreaterThanOrEqual(5);
    const slots = new Set([...keys, ...written].map(keySlot));
    expect(slots).toEqual(new Set([keySlot(`{f:${id}}`)]));
  });
});
