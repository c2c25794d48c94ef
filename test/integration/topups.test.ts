import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoChangeStore } from '../../functions/adapters/dynamodb/change-store';
import { applyChange } from '../../functions/core/changes/apply-change';
import { versionOf } from '../../functions/core/changes/version';
import { RedisBreaker } from '../../functions/core/degraded/redis-breaker';
import { SettleLaneTwin } from '../../functions/core/degraded/settle-lane-twin';
import { TransientError } from '../../functions/core/errors';
import { systemClock } from '../../functions/core/ports';
import type { UsageCache } from '../../functions/core/settlement/ports';
import { periodOf, shiftPeriod } from '../../functions/core/time';
import {
  msAgo as at,
  changeRecord,
  familyEvent,
  uniqueId as id,
  mskEvent,
  mskRecord,
  usage,
} from '../helpers/msk';
import { type SettlementEnv, startSettlementEnv } from '../helpers/settlement-env';

/**
 * Top-ups through the change-events function, against real Redis and DynamoDB
 * Local: taken once by their topupId, added to the pool of their period at
 * once, in any order with each other and with quota changes; an empty pool's
 * blocks are lifted in the same transaction and the next event is allowed,
 * from Redis or, with Redis out, from the ledger.
 */
const ZONE = 'Asia/Seoul';
const MB = 1_000_000;
let env: SettlementEnv;
let nextFamily = 93_000 + Math.floor(Math.random() * 1_000) * 10;
let offset = 0;

beforeAll(async () => {
  env = await startSettlementEnv('topups');
});
afterAll(() => env.stop());

const period = () => periodOf(Date.now(), ZONE);
const changes = (...events: Parameters<SettlementEnv['applyChanges']>) => env.applyChanges(...events);
const topup = (familyId: number, topupId: string, bytes: unknown, timestamp = at(0), eventId = id('top')) =>
  familyEvent(eventId, 'TOPUP_ADDED', { familyId, topupId, bytes }, timestamp);

async function family(quotaBytes = 10 * MB) {
  const familyId = ++nextFamily;
  const members = [
    { customerId: 11, role: 'OWNER' },
    { customerId: 12, role: 'MEMBER' },
  ];
  expect(
    await changes(
      familyEvent(
        id('fam'),
        'FAMILY_UPSERTED',
        { familyId, totalQuotaBytes: quotaBytes, members },
        at(60_000),
      ),
    ),
  ).toEqual({ batchItemFailures: [] });
  return familyId;
}

async function settle(invoke: SettlementEnv['invoke'], ...events: ReturnType<typeof usage>[]) {
  expect(await invoke(mskEvent(events.map((e) => mskRecord(0, ++offset, e))))).toEqual({
    batchItemFailures: [],
  });
  const settled = await env.settlements(familyId(events), period());
  return events.map((e) => settled.find((s) => s.eventId === e.eventId)?.decision);
}
const familyId = (events: ReturnType<typeof usage>[]) => events[0]?.payload.familyId as number;

/** Uses up a family's 10 MB: 12 is warned, then both are blocked for the empty pool. */
async function usedUp(f: number) {
  expect(
    await settle(
      env.invoke,
      usage(id('use'), f, 12, 10 * MB),
      usage(id('use'), f, 11, MB),
      usage(id('use'), f, 12, MB),
    ),
  ).toEqual(['WARNING_10', 'FAMILY_QUOTA_EXCEEDED', 'FAMILY_QUOTA_EXCEEDED']);
}

/** The period's quota, top-ups and usage as the ledger holds them. */
async function pool(f: number) {
  const [current] = (await (env.changeDeps.store as DynamoChangeStore).readFamily(f, [period()])).periods;
  const used = [...(current?.used.values() ?? [])].reduce((a, b) => a + b, 0);
  return { quota: current?.quotaBytes ?? 10 * MB, topups: current?.topupBytes, used };
}

const told = async (f: number) =>
  (await env.pendingNotifications(f)).map(
    (n) => `${n.type}:${n.customerId ?? 'family'}:${n.data.reason ?? ''}`,
  );

describe('a top-up', () => {
  it('grows the pool at once, lifts the empty-pool blocks in the same transaction, and the next event is allowed', async () => {
    const f = await family();
    await usedUp(f);
    const before = await told(f);

    expect(await changes(topup(f, `order-${f}`, 5 * MB))).toEqual({ batchItemFailures: [] });

    expect((await told(f)).filter((n) => !before.includes(n)).sort()).toEqual([
      'CUSTOMER_UNBLOCKED:11:FAMILY_QUOTA_EXCEEDED',
      'CUSTOMER_UNBLOCKED:12:FAMILY_QUOTA_EXCEEDED',
      'TOPUP_APPLIED:family:',
    ]);
    const applied = (await env.pendingNotifications(f)).find((n) => n.type === 'TOPUP_APPLIED');
    expect(applied?.data).toMatchObject({
      topupId: `order-${f}`,
      bytes: 5 * MB,
      poolBytes: 15 * MB,
      remainingBytes: 5 * MB,
    });
    // Redis followed in place: the pool, what is left, and the markers the top-up cleared.
    expect(await env.redisPeriod(f, period())).toMatchObject({
      q: String(10 * MB),
      tu: String(5 * MB),
      r: String(5 * MB),
    });
    expect(await env.redisPeriod(f, period())).not.toHaveProperty('a:11:FAMILY_QUOTA_EXCEEDED');

    // 5 of 15 MB left is still below 50%, no longer below 30% or 10%: 12, who was warned at 10% before,
    // is warned again when each is crossed again.
    expect(await settle(env.invoke, usage(id('use'), f, 12, MB), usage(id('use'), f, 12, 3 * MB))).toEqual([
      'WARNING_30',
      'WARNING_10',
    ]);
    const warnings = (await told(f)).filter((n) => n.startsWith('THRESHOLD_ALERT'));
    expect(warnings).toEqual(['THRESHOLD_ALERT:12:', 'THRESHOLD_ALERT:12:', 'THRESHOLD_ALERT:12:']);
  });

  it('is taken once by its topupId: replays change nothing, other bytes are dead-lettered TOPUP_CONFLICT', async () => {
    const f = await family();
    const first = topup(f, `order-${f}`, 2 * MB);
    expect(
      await changes(first, first, topup(f, `order-${f}`, 2 * MB), topup(f, `order-${f}`, 3 * MB)),
    ).toEqual({
      batchItemFailures: [],
    });
    expect(await pool(f)).toEqual({ quota: 10 * MB, topups: 2 * MB, used: 0 });
    expect((await told(f)).filter((n) => n.startsWith('TOPUP_APPLIED'))).toHaveLength(1);
    const letters = await env.drainDeadLetters();
    expect(letters.map((l) => l.reason)).toEqual(['TOPUP_CONFLICT']);
    expect(letters[0]?.message).toMatch(/taken before as 2000000 bytes/);
  });

  it('is taken once when two families claim one topupId at the same moment: the ledger refuses the second', async () => {
    const [a, b] = [await family(), await family()];
    expect(await changes(topup(a, `order-${a}`, MB))).toEqual({ batchItemFailures: [] });
    // The second read the top-up before the first committed it: only the ledger's condition stands between.
    const store = env.changeDeps.store;
    let raced = false;
    const racing = new Proxy(store, {
      get(target, name) {
        if (name === 'readTopup' && !raced) {
          raced = true;
          return async () => null;
        }
        const value = Reflect.get(target, name);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const timestampMs = Date.now();
    const outcome = await applyChange(
      {
        kind: 'topup-added',
        eventId: id('top'),
        eventType: 'TOPUP_ADDED',
        timestampMs,
        version: versionOf(timestampMs, 'race'),
        familyId: b,
        topupId: `order-${a}`,
        bytes: MB,
        period: period(),
      },
      { ...env.changeDeps, store: racing },
    );

    expect(outcome).toMatchObject({ kind: 'reject', rejection: { reason: 'TOPUP_CONFLICT' } });
    expect(raced).toBe(true);
    expect(await pool(b)).toMatchObject({ topups: 0 });
  });

  it('adds up in any order with other top-ups and with a quota change', async () => {
    const orders = [
      ['quota', 'a', 'b'],
      ['b', 'quota', 'a'],
      ['a', 'b', 'quota'],
    ];
    for (const order of orders) {
      const f = await family();
      const events = {
        quota: familyEvent(
          id('quota'),
          'QUOTA_CHANGED',
          { familyId: f, totalQuotaBytes: 20 * MB },
          at(1_000),
        ),
        a: topup(f, `a-${f}`, MB, at(3_000)),
        b: topup(f, `b-${f}`, 2 * MB, at(2_000)),
      };
      for (const name of order) await changes(events[name as keyof typeof events]);
      expect(await pool(f), order.join(',')).toEqual({ quota: 20 * MB, topups: 3 * MB, used: 0 });
      // Redis loads the same pool: the next event has 23 MB to use.
      expect(await settle(env.invoke, usage(id('use'), f, 11, 12 * MB))).toEqual(['WARNING_50']);
    }
  });

  it('dead-letters bad input with its reason, and a top-up for a period that is not open', async () => {
    const f = await family();
    const { topupId: _, ...noId } = { topupId: 'x', familyId: f, bytes: MB };
    const bad = [
      topup(f, 'neg', -5),
      topup(f, 'zero', 0),
      topup(f, 'text', '5GB'),
      familyEvent(id('top'), 'TOPUP_ADDED', noId),
      topup(f + 500_000, 'nobody', MB),
      topup(
        f,
        'old',
        MB,
        new Date(
          Date.parse(
            `${shiftPeriod(period(), -2).slice(0, 4)}-${shiftPeriod(period(), -2).slice(4)}-10T00:00:00Z`,
          ),
        ).toISOString(),
      ),
    ];
    expect(await changes(...bad)).toEqual({ batchItemFailures: [] });
    const letters = await env.drainDeadLetters();
    const byEvent = new Map(letters.map((l) => [l.eventId, `${l.reason}: ${l.message}`]));
    expect(bad.map((e) => byEvent.get(e.eventId))).toEqual([
      expect.stringMatching(/^SCHEMA_VIOLATION: payload\.bytes/),
      expect.stringMatching(/^SCHEMA_VIOLATION: payload\.bytes/),
      expect.stringMatching(/^SCHEMA_VIOLATION: payload\.bytes/),
      expect.stringMatching(/^SCHEMA_VIOLATION: payload\.topupId/),
      expect.stringMatching(/^UNKNOWN_FAMILY: /),
      expect.stringMatching(/^OUT_OF_WINDOW: top-up old is for period \d{6}, which is closed/),
    ]);
    expect(await pool(f)).toEqual({ quota: 10 * MB, topups: 0, used: 0 });
  });

  it('is taken from the ledger with Redis out: the degraded mode decides the next event with the new pool', async () => {
    const f = await family();
    await usedUp(f);
    const down = { applyChange: () => Promise.reject(new TransientError('redis is unreachable')) };
    const changeOff = env.changeHandlerWith({ ...env.changeDeps, cache: down });
    expect(await changeOff(mskEvent([changeRecord(topup(f, `order-${f}`, 5 * MB))]))).toEqual({
      batchItemFailures: [],
    });
    const unreachable = new Proxy({} as UsageCache, {
      get: () => () => Promise.reject(new TransientError('redis is unreachable')),
    });
    const degraded = env.handlerWith({
      ...env.deps,
      cache: unreachable,
      degradation: {
        breaker: new RedisBreaker({ failureThreshold: 1, cooldownMs: 60_000 }, systemClock),
        inMemory: () => new SettleLaneTwin(),
      },
    });
    // 4 of 15 MB left: allowed, and below 30% again.
    expect(await settle(degraded, usage(id('use'), f, 11, MB))).toEqual(['WARNING_30']);
    // Redis missed the top-up: its state is refused at its next commit and loaded afresh.
    expect(await settle(env.invoke, usage(id('use'), f, 12, 3 * MB))).toEqual(['WARNING_10']);
    expect(await env.usage(f, period())).toBe(14 * MB);
  });
});

describe('the samples of the contract', () => {
  it('take the top-up once, refuse the bad one, and set zero-rated apps at every level', async () => {
    const own = await startSettlementEnv('plan-samples');
    try {
      const lines = readFileSync(new URL('../fixtures/plan-events.sample.jsonl', import.meta.url), 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '' && !l.includes('USAGE_CORRECTED'))
        // The samples' own dates, moved to the last minutes so their period is the open one.
        .map((l, i, all) => JSON.stringify({ ...JSON.parse(l), timestamp: at((all.length - i) * 1_000) }));
      await own.applyChange(
        mskEvent([
          changeRecord(
            familyEvent(
              id('fam'),
              'FAMILY_UPSERTED',
              {
                familyId: 100,
                totalQuotaBytes: 10 * 1024 ** 3,
                members: [{ customerId: 12345, role: 'OWNER' }],
              },
              '2026-12-01T00:00:00+09:00',
            ),
          ),
        ]),
      );
      expect(await own.applyChange(mskEvent(lines.map((l) => changeRecord(l))))).toEqual({
        batchItemFailures: [],
      });
      expect((await own.drainDeadLetters()).map((l) => [l.eventId, l.reason])).toEqual([
        ['fam-topup-bad', 'SCHEMA_VIOLATION'],
      ]);
      const store = own.changeDeps.store as DynamoChangeStore;
      expect(await store.readTopup('order-55121')).toMatchObject({ familyId: 100, bytes: 5_368_709_120 });
      const kim = await store.readFamily(100, [period()]);
      expect(kim.periods[0]?.topupBytes).toBe(5_368_709_120);
      expect(kim.policy.zeroRatedApps).toEqual(['com.kakao.talk', 'com.carrier.app']);
      expect(kim.members.get(12345)?.policy.zeroRatedApps).toEqual(['com.kakao.talk']);
      expect((await store.readGlobal()).policy.zeroRatedApps).toEqual(['com.carrier.app']);
    } finally {
      await own.stop();
    }
  });
});
