import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { type MemberPolicy, NO_POLICY, type PeriodSnapshot, policySchema } from '../../functions/core/family';
import type { EventReply } from '../../functions/core/settlement/decision';
import type { DecideContext, LaneEvent } from '../../functions/core/settlement/ports';
import type { UsageEvent } from '../../functions/core/settlement/usage-event';
import { periodOf, periodStart, shiftPeriod } from '../../functions/core/time';
import { keySlot } from '../helpers/key-slot';
import { testRedis, testUsageCache } from '../helpers/local-redis';
import { asOneLane } from '../helpers/one-lane';
import { usageEvent, ZONE } from '../helpers/usage-event-factory';

const local = testRedis('script');
const cache = asOneLane(testUsageCache(local));

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

type PolicyInput = Parameters<typeof policySchema.parse>[0];

const NEVER_VERIFY: DecideContext = {
  verifyBeforeMs: 0,
  clockMarginMs: 0,
  globalPolicy: NO_POLICY,
  globalRevision: 0,
};

function snapshot(
  id: number,
  quotaBytes: number,
  members: Record<number, PolicyInput>,
  extra: Partial<PeriodSnapshot> = {},
): PeriodSnapshot {
  return {
    familyId: id,
    period: PERIOD,
    quotaBytes,
    topupBytes: 0,
    familyUsedBytes: 0,
    version: 0,
    stampMs: 0,
    globalRevision: null,
    settledHorizonMs: 0,
    familyPolicy: NO_POLICY,
    members: Object.entries(members).map(([customerId, policy]) => ({
      customerId: Number(customerId),
      policy: policySchema.parse(policy),
      usedBytes: 0,
      alerts: [],
    })),
    ...extra,
  };
}

async function family(quotaBytes: number, members: Record<number, PolicyInput> = { 1: {} }) {
  const id = ++familyId;
  await cache.hydrate(snapshot(id, quotaBytes, members));
  return id;
}

const laneEvent = (event: UsageEvent, recordTimestampMs = Date.now(), checked = false): LaneEvent => ({
  event,
  recordTimestampMs,
  checked,
});

async function decide(fields: Parameters<typeof usageEvent>[0], context = NEVER_VERIFY) {
  const event = usageEvent({ eventTimeMs: MID_PERIOD, ...fields });
  const reply = await cache.decideLane(event.familyId, [laneEvent(event)], context);
  const [answer] = reply.replies;
  if (!answer || reply.stop) throw new Error(`unexpected stop: ${JSON.stringify(reply.stop)}`);
  if (answer.kind !== 'new') throw new Error(`expected a new decision, got ${answer.kind}`);
  return { event, decision: answer.decision };
}

const state = (id: number, period = PERIOD) => cache.periodState(id, period);
const incarnation = async (id: number, period = PERIOD) =>
  (await local.redis.hget(cache.keys.period(id, period), 'i')) ?? '';

afterAll(() => local.cleanup());

describe('settle-lane.lua through the production wrapper', () => {
  let id: number;
  beforeEach(async () => {
    id = await family(10_000, { 1: {}, 2: {} });
  });

  it('deducts allowed usage from the family pool and the member, and keeps the decision pending', async () => {
    const { decision, event } = await decide({ familyId: id, customerId: 1, bytesUsed: 1_000 });
    expect(decision).toMatchObject({
      status: 'NORMAL',
      counted: true,
      notify: false,
      bytes: 1_000,
      customerId: 1,
    });
    expect(await state(id)).toMatchObject({
      quota: 10_000,
      remaining: 9_000,
      used: new Map([
        [1, 1_000],
        [2, 0],
      ]),
      pendingDecisions: 1,
    });
    const again = await cache.decideLane(id, [laneEvent(event)], NEVER_VERIFY);
    expect(again.replies).toEqual([{ kind: 'pending', decision }]);
    expect((await state(id))?.remaining).toBe(9_000);
  });

  it('reports a conflict when an eventId comes back with another payload', async () => {
    const first = await decide({ familyId: id, customerId: 1, bytesUsed: 100 });
    const reused = usageEvent({ ...first.event, bytesUsed: 200 });
    const reply = await cache.decideLane(id, [laneEvent(reused)], NEVER_VERIFY);
    expect(reply.replies).toEqual([{ kind: 'conflict' }]);
    expect((await state(id))?.remaining).toBe(9_900);
  });

  it('rejects a customer the state does not list, and goes on with the next event', async () => {
    const stranger = usageEvent({ familyId: id, customerId: 77, eventTimeMs: MID_PERIOD });
    const member = usageEvent({ familyId: id, customerId: 1, bytesUsed: 10, eventTimeMs: MID_PERIOD });
    const reply = await cache.decideLane(id, [laneEvent(stranger), laneEvent(member)], NEVER_VERIFY);
    expect(reply.replies.map((r) => r.kind)).toEqual(['not-member', 'new']);
  });

  it('answers the version, quota and pending decisions of each period state as the call found it', async () => {
    const state = async (pending: number, globalRevision: number | null) =>
      new Map([
        [
          PERIOD,
          {
            version: 0,
            quotaBytes: 10_000,
            incarnation: await incarnation(id),
            pending,
            stampMs: 0,
            globalRevision,
            source: 'redis',
          },
        ],
      ]);
    const first = laneEvent(usageEvent({ familyId: id, customerId: 1, eventTimeMs: MID_PERIOD }));
    expect((await cache.decideLane(id, [first], NEVER_VERIFY)).states).toEqual(await state(0, null));
    // The first call left its decision pending, and the state took the call's global revision; a second call
    // decides another event and reports both.
    const second = laneEvent(usageEvent({ familyId: id, customerId: 1, eventTimeMs: MID_PERIOD + 1 }));
    expect((await cache.decideLane(id, [first, second], NEVER_VERIFY)).states).toEqual(await state(1, 0));
  });
});

describe('a lane stops at its first unknown, and decides nothing after it', () => {
  it('stops for a period state that is not loaded, then goes on once it is', async () => {
    const id = await family(10_000);
    const next = periodStart(NEXT_PERIOD, ZONE) + 3_600_000;
    const events = [
      usageEvent({ familyId: id, customerId: 1, bytesUsed: 10, eventTimeMs: MID_PERIOD }),
      usageEvent({ familyId: id, customerId: 1, bytesUsed: 20, eventTimeMs: next }),
      usageEvent({ familyId: id, customerId: 1, bytesUsed: 30, eventTimeMs: MID_PERIOD }),
    ];
    const first = await cache.decideLane(
      id,
      events.map((e) => laneEvent(e)),
      NEVER_VERIFY,
    );
    expect(first.replies.map((r) => r.kind)).toEqual(['new']);
    expect(first.stop).toEqual({ kind: 'hydrate', period: NEXT_PERIOD });
    expect((await state(id))?.remaining).toBe(9_990);

    await cache.hydrate({ ...snapshot(id, 5_000, { 1: {} }), period: NEXT_PERIOD });
    const rest = await cache.decideLane(
      id,
      events.slice(1).map((e) => laneEvent(e)),
      NEVER_VERIFY,
    );
    expect(rest.replies.map((r) => r.kind)).toEqual(['new', 'new']);
    expect((await state(id))?.remaining).toBe(9_960);
    expect((await state(id, NEXT_PERIOD))?.remaining).toBe(4_980);
  });

  it('stops for a record older than the dedup window unless the ledger was asked', async () => {
    const id = await family(10_000);
    const old = usageEvent({ familyId: id, customerId: 1, eventTimeMs: MID_PERIOD });
    const context = { ...NEVER_VERIFY, verifyBeforeMs: Date.now() - 1_000 };
    const recordAt = Date.now() - 60_000;
    const stopped = await cache.decideLane(id, [laneEvent(old, recordAt)], context);
    expect(stopped).toMatchObject({ replies: [], stop: { kind: 'verify', horizonMs: 0 } });
    const checked = await cache.decideLane(id, [laneEvent(old, recordAt, true)], context);
    expect(checked.replies.map((r) => r.kind)).toEqual(['new']);
  });

  it('stops for a record not newer than the settled horizon the state was loaded with', async () => {
    const id = ++familyId;
    const horizon = Date.now() - 10_000;
    await cache.hydrate(snapshot(id, 10_000, { 1: {} }, { settledHorizonMs: horizon }));
    const event = usageEvent({ familyId: id, customerId: 1, eventTimeMs: MID_PERIOD });
    const context = { ...NEVER_VERIFY, clockMarginMs: 5_000 };
    const before = await cache.decideLane(id, [laneEvent(event, horizon + 5_000)], context);
    expect(before.stop).toEqual({ kind: 'verify', horizonMs: horizon });
    const after = await cache.decideLane(id, [laneEvent(event, horizon + 5_001)], context);
    expect(after.replies.map((r) => r.kind)).toEqual(['new']);
  });
});

describe('confirmation after the ledger committed', () => {
  it('moves the state to the new version, ends pending decisions and marks the events settled', async () => {
    const id = await family(10_000);
    const { event } = await decide({ familyId: id, customerId: 1, bytesUsed: 500 });
    await cache.confirm(id, PERIOD, { before: 0, after: 1, incarnation: await incarnation(id), stampMs: 0 }, [
      { eventId: event.eventId, payloadHash: event.payloadHash },
    ]);
    expect(await state(id)).toMatchObject({ version: 1, remaining: 9_500, pendingDecisions: 0 });
    const again = await cache.decideLane(id, [laneEvent(event)], NEVER_VERIFY);
    expect(again.replies).toEqual([{ kind: 'settled' }]);
    const reused = usageEvent({ ...event, bytesUsed: 1 });
    expect((await cache.decideLane(id, [laneEvent(reused)], NEVER_VERIFY)).replies).toEqual([
      { kind: 'conflict' },
    ]);
    const ttl = await local.redis.ttl(cache.keys.settled(id, event.eventId));
    expect(ttl).toBeGreaterThan(590);
    expect(ttl).toBeLessThanOrEqual(600);
  });

  it('remembers an event rejected from the state with the version it was rejected at, as its fate', async () => {
    const id = await family(10_000);
    const stranger = usageEvent({ familyId: id, customerId: 77, eventTimeMs: MID_PERIOD });
    const member = usageEvent({ familyId: id, customerId: 1, bytesUsed: 10, eventTimeMs: MID_PERIOD });
    await cache.decideLane(id, [laneEvent(stranger), laneEvent(member)], NEVER_VERIFY);
    await cache.confirm(id, PERIOD, { before: 0, after: 1, incarnation: await incarnation(id), stampMs: 0 }, [
      { eventId: stranger.eventId, payloadHash: stranger.payloadHash, rejectedAtVersion: 0 },
      { eventId: member.eventId, payloadHash: member.payloadHash },
    ]);
    expect(await state(id)).toMatchObject({ version: 1, pendingDecisions: 0 });

    const again = await cache.decideLane(
      id,
      [laneEvent(stranger), laneEvent(usageEvent({ ...stranger, bytesUsed: 1 }))],
      NEVER_VERIFY,
    );
    expect(again.replies).toEqual([{ kind: 'rejected', decidedAtVersion: 0 }, { kind: 'conflict' }]);
  });

  it('drops a state that was replaced from an older read while the ledger committed', async () => {
    const id = ++familyId;
    await cache.hydrate(snapshot(id, 10_000, { 1: {} }, { version: 7 }));
    await cache.confirm(
      id,
      PERIOD,
      { before: 3, after: 4, incarnation: await incarnation(id), stampMs: 0 },
      [],
    );
    expect(await state(id)).toBeNull();
  });

  it('drops a state loaded afresh at the same version: it lacks the decisions being confirmed', async () => {
    const id = await family(10_000);
    const decidedIn = await incarnation(id);
    const { event } = await decide({ familyId: id, customerId: 1, bytesUsed: 500 });
    await cache.invalidate(id, [PERIOD]);
    await cache.hydrate(snapshot(id, 10_000, { 1: {} }));
    expect(await incarnation(id)).not.toBe(decidedIn);

    await cache.confirm(id, PERIOD, { before: 0, after: 1, incarnation: decidedIn, stampMs: 0 }, [
      { eventId: event.eventId, payloadHash: event.payloadHash },
    ]);

    expect(await state(id)).toBeNull();
    expect(await local.redis.get(cache.keys.settled(id, event.eventId))).toBe(event.payloadHash);
  });

  it('drops a state put back from a replica that lagged: same version and incarnation, decisions missing', async () => {
    const id = await family(10_000);
    const key = cache.keys.period(id, PERIOD);
    const before = (await local.redis.dumpBuffer(key)) as Buffer;
    const { event } = await decide({ familyId: id, customerId: 1, bytesUsed: 500 });
    await local.redis.restore(key, 0, before, 'REPLACE');

    await cache.confirm(id, PERIOD, { before: 0, after: 1, incarnation: await incarnation(id), stampMs: 0 }, [
      { eventId: event.eventId, payloadHash: event.payloadHash },
    ]);

    expect(await state(id)).toBeNull();
  });

  it('keeps a state loaded after the commit', async () => {
    const id = ++familyId;
    await cache.hydrate(snapshot(id, 10_000, { 1: {} }, { version: 4 }));
    await cache.confirm(id, PERIOD, { before: 3, after: 4, incarnation: 'another', stampMs: 0 }, []);
    expect(await state(id)).toMatchObject({ version: 4 });
  });
});

describe('blocks, in order, deduct nothing', () => {
  it('MANUAL wins over every other block', async () => {
    const id = await family(10_000, {
      1: { manualBlock: true, blockedApps: ['x'], blockWindow: { start: '0000', end: '0000' } },
    });
    const { decision } = await decide({ familyId: id, customerId: 1, appId: 'x' });
    expect(decision).toMatchObject({ status: 'MANUAL', counted: false, notify: true });
    expect((await state(id))?.remaining).toBe(10_000);
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
    const { decision, event } = await decide({
      familyId: id,
      customerId: 1,
      eventTimeMs: localTime(17, hhmm),
    });
    expect(event.localHhmm).toBe(hhmm);
    expect(decision.status).toBe(expected);
  });

  it('allows usage up to exactly the monthly limit, then blocks', async () => {
    const id = await family(10_000, { 1: { monthlyLimitBytes: 3_000 } });
    expect((await decide({ familyId: id, customerId: 1, bytesUsed: 3_000 })).decision.status).toBe('NORMAL');
    const over = await decide({ familyId: id, customerId: 1, bytesUsed: 1 });
    expect(over.decision).toMatchObject({ status: 'MONTHLY_LIMIT_EXCEEDED', counted: false, notify: true });
    expect(await state(id)).toMatchObject({ remaining: 7_000, used: new Map([[1, 3_000]]) });
  });

  it('allows using exactly the remaining amount (WARNING_10, 0 left), then FAMILY_QUOTA_EXCEEDED', async () => {
    const id = await family(10_000);
    const exact = await decide({ familyId: id, customerId: 1, bytesUsed: 10_000 });
    expect(exact.decision).toMatchObject({ status: 'WARNING_10', counted: true, notify: true });
    const next = await decide({ familyId: id, customerId: 1, bytesUsed: 1 });
    expect(next.decision).toMatchObject({ status: 'FAMILY_QUOTA_EXCEEDED', counted: false, notify: true });
    expect((await state(id))?.remaining).toBe(0);
  });
});

describe('policy levels: the member, then the family, then the global default', () => {
  const limitOf = (bytes: number): MemberPolicy => ({ ...NO_POLICY, monthlyLimitBytes: bytes });

  async function levels(member: MemberPolicy, familyWide: MemberPolicy) {
    const id = ++familyId;
    await cache.hydrate({
      ...snapshot(id, 10_000, {}),
      familyPolicy: familyWide,
      members: [{ customerId: 1, policy: member, usedBytes: 0, alerts: [] }],
    });
    return id;
  }

  async function statusWith(
    id: number,
    global: MemberPolicy,
    fields: Partial<Parameters<typeof usageEvent>[0]> = {},
  ) {
    const event = usageEvent({
      familyId: id,
      customerId: 1,
      bytesUsed: 100,
      eventTimeMs: MID_PERIOD,
      ...fields,
    });
    const reply = await cache.decideLane(id, [laneEvent(event)], { ...NEVER_VERIFY, globalPolicy: global });
    const [answer] = reply.replies as EventReply[];
    return answer?.kind === 'new' ? answer.decision.status : answer?.kind;
  }

  it('takes each key from the first level that has it', async () => {
    const memberLimit = await levels(limitOf(1_000), limitOf(50));
    expect(await statusWith(memberLimit, limitOf(10))).toBe('NORMAL');
    const familyLimit = await levels(NO_POLICY, limitOf(50));
    expect(await statusWith(familyLimit, NO_POLICY)).toBe('MONTHLY_LIMIT_EXCEEDED');
    const globalLimit = await levels(NO_POLICY, NO_POLICY);
    expect(await statusWith(globalLimit, limitOf(50))).toBe('MONTHLY_LIMIT_EXCEEDED');
    expect(await statusWith(globalLimit, NO_POLICY)).toBe('NORMAL');
  });

  it('treats a blocked-app set as one value: the member set replaces the family set', async () => {
    const apps = (list: string[]): MemberPolicy => ({ ...NO_POLICY, blockedApps: list });
    const id = await levels(apps(['com.a']), apps(['com.b']));
    expect(await statusWith(id, apps(['com.c']), { appId: 'com.b' })).toBe('NORMAL');
    expect(await statusWith(id, apps(['com.c']), { appId: 'com.a' })).toBe('APP_BLOCK');
    const inherits = await levels(NO_POLICY, apps(['com.b']));
    expect(await statusWith(inherits, apps(['com.c']), { appId: 'com.b' })).toBe('APP_BLOCK');
    const global = await levels(NO_POLICY, NO_POLICY);
    expect(await statusWith(global, apps(['com.c']), { appId: 'com.c' })).toBe('APP_BLOCK');
  });

  it('blocks a member when any level blocks them manually or by time', async () => {
    const manual = await levels(NO_POLICY, { ...NO_POLICY, manualBlock: true });
    expect(await statusWith(manual, NO_POLICY)).toBe('MANUAL');
    const night = await levels(NO_POLICY, NO_POLICY);
    const window = { ...NO_POLICY, blockWindow: { start: '0000', end: '0000' } };
    expect(await statusWith(night, window)).toBe('TIME_BLOCK');
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
    await cache.hydrate({ ...snapshot(id, 10_000, { 1: { manualBlock: true } }), period: NEXT_PERIOD });
    const nextPeriod = periodStart(NEXT_PERIOD, ZONE) + 3_600_000;
    const notify = async (eventTimeMs: number) =>
      (await decide({ familyId: id, customerId: 1, eventTimeMs })).decision.notify;
    expect(await notify(MID_PERIOD)).toBe(true);
    expect(await notify(MID_PERIOD)).toBe(false);
    expect(await notify(nextPeriod)).toBe(true);
  });

  it('expires the period state a day after the following period ends', async () => {
    const id = await family(10_000, { 1: { manualBlock: true } });
    await decide({ familyId: id, customerId: 1 });
    const periodTtl = await local.redis.ttl(cache.keys.period(id, PERIOD));
    const expected = periodStart(shiftPeriod(PERIOD, 2), ZONE) / 1000 + 86_400;
    expect(Math.abs(Date.now() / 1000 + periodTtl - expected)).toBeLessThan(60);
  });

  it('restores alert markers from the ledger so nobody is alerted twice', async () => {
    const id = ++familyId;
    await cache.hydrate({
      ...snapshot(id, 10_000, {}),
      familyUsedBytes: 6_000,
      members: [{ customerId: 1, policy: NO_POLICY, usedBytes: 6_000, alerts: ['1:WARNING_50'] }],
    });
    const { decision } = await decide({ familyId: id, customerId: 1, bytesUsed: 1 });
    expect(decision).toMatchObject({ status: 'WARNING_50', notify: false });
  });
});

describe('loading a period state', () => {
  it('never replaces a state that is there', async () => {
    const id = await family(10_000);
    await decide({ familyId: id, customerId: 1, bytesUsed: 4_000 });
    await cache.hydrate(snapshot(id, 10_000, { 1: { manualBlock: true } }));
    expect(await state(id)).toMatchObject({ remaining: 6_000, used: new Map([[1, 4_000]]) });
    expect((await decide({ familyId: id, customerId: 1 })).decision.status).toBe('NORMAL');
  });
});

describe('cluster safety', () => {
  it('puts every key of a family in one cluster slot', async () => {
    const id = await family(10_000, { 1: {}, 2: {} });
    const { event } = await decide({ familyId: id, customerId: 2, appId: 'weird{app}id' });
    await cache.confirm(id, PERIOD, { before: 0, after: 1, incarnation: await incarnation(id), stampMs: 0 }, [
      { eventId: event.eventId, payloadHash: 'h' },
    ]);
    const keys = [
      cache.keys.settled(id, event.eventId),
      cache.keys.settled(id, '{evil}id'),
      cache.keys.period(id, PERIOD),
    ];
    const written = (await local.keysUnderPrefix()).filter((k) => k.includes(`{f:${id}}`));
    expect(written.length).toBe(2);
    const slots = new Set([...keys, ...written].map(keySlot));
    expect(slots).toEqual(new Set([keySlot(`{f:${id}}`)]));
  });
});
