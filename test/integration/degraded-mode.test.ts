import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisClient } from '../../functions/adapters/redis/client';
import { RedisUsageCache } from '../../functions/adapters/redis/usage-cache';
import { RedisBreaker } from '../../functions/core/degraded/redis-breaker';
import { SettleLaneTwin } from '../../functions/core/degraded/settle-lane-twin';
import { systemClock } from '../../functions/core/ports';
import type { UsageCache } from '../../functions/core/settlement/ports';
import type { SettlementDeps } from '../../functions/core/settlement/settle-batch';
import { periodOf } from '../../functions/core/time';
import { usageCacheSettings } from '../../functions/runtime/cache-settings';
import { RestartableRedis } from '../../local/services/redis-server';
import { mskEvent, mskRecord, usage } from '../helpers/msk';
import { type SettlementEnv, startSettlementEnv } from '../helpers/settlement-env';

/**
 * Redis goes away and comes back (empty, or with an old copy of its data);
 * the usage function keeps settling from DynamoDB alone in between, in
 * delivery order, and nothing is counted twice or lost across either switch.
 */
const ZONE = 'Asia/Seoul';
const COOLDOWN_MS = 300;
let env: SettlementEnv;
let server: RestartableRedis;
let client: ReturnType<typeof createRedisClient>;
let admin: Redis;
let nextFamily = 64_000;
let offset = 0;

const period = () => periodOf(Date.now(), ZONE);
/** Older than the dedup window: the lane stops at such a record, for the ledger to say whether it was settled. */
const twentyMinutesAgo = () => new Date(Math.floor(Date.now() / 60_000) * 60_000 - 1_200_000).toISOString();

beforeAll(async () => {
  env = await startSettlementEnv('degraded');
  server = await RestartableRedis.start();
  client = createRedisClient({ url: server.endpoint, cluster: false });
  admin = new Redis(server.endpoint, { maxRetriesPerRequest: 1 });
  admin.on('error', () => undefined);
});
afterAll(async () => {
  client.disconnect();
  admin.disconnect();
  await server.stop();
  await env.stop();
});

/** A usage function container: its own breaker, on the restartable Redis (through `wrap`, when given). */
function container(cooldownMs = COOLDOWN_MS, wrap = (redis: UsageCache) => redis) {
  const breaker = new RedisBreaker({ failureThreshold: 2, cooldownMs }, systemClock);
  const cache = new RedisUsageCache(client, usageCacheSettings(env.config));
  const deps: SettlementDeps = {
    ...env.deps,
    cache: wrap(cache),
    degradation: { breaker, inMemory: () => new SettleLaneTwin() },
  };
  return { breaker, cache, invoke: env.handlerWith(deps) };
}

async function family(quotaBytes: number, members = [11, 12]) {
  const familyId = ++nextFamily;
  await env.families.putFamily({
    familyId,
    quotaBytes,
    members: members.map((customerId) => ({ customerId })),
  });
  return familyId;
}

const batch = (...events: ReturnType<typeof usage>[]) =>
  mskEvent(events.map((e) => mskRecord(0, offset++, e)));

async function decisions(familyId: number) {
  const settled = await env.settlements(familyId, period());
  return Object.fromEntries(settled.map((s) => [String(s.eventId), [s.decision, s.decidedFrom]]));
}

describe('degraded mode: deciding from DynamoDB alone while Redis is out', () => {
  it('settles in delivery order without Redis, and Redis takes over again once it is back, empty', async () => {
    const { invoke, breaker, cache } = container();
    const f = await family(1_000);
    expect(await invoke(batch(usage(`${f}-a`, f, 11, 300)))).toEqual({ batchItemFailures: [] });

    await server.kill();
    const during = await invoke(
      batch(usage(`${f}-b`, f, 12, 300), usage(`${f}-c`, f, 11, 350), usage(`${f}-d`, f, 12, 100)),
    );
    expect(during).toEqual({ batchItemFailures: [] });
    expect(breaker.open).toBe(true);
    expect(await decisions(f)).toEqual({
      [`${f}-a`]: ['NORMAL', 'redis'],
      [`${f}-b`]: ['WARNING_50', 'ledger'],
      [`${f}-c`]: ['WARNING_10', 'ledger'],
      [`${f}-d`]: ['FAMILY_QUOTA_EXCEEDED', 'ledger'],
    });

    await server.restart();
    await new Promise((r) => setTimeout(r, COOLDOWN_MS));
    const after = await invoke(batch(usage(`${f}-d`, f, 12, 100), usage(`${f}-e`, f, 11, 50)));

    expect(after).toEqual({ batchItemFailures: [] });
    expect(breaker.open).toBe(false);
    expect((await decisions(f))[`${f}-e`]).toEqual(['WARNING_10', 'redis']);
    expect(await env.usage(f, period())).toBe(1_000);
    expect((await cache.periodState(f, period()))?.remaining).toBe(0);
  });

  it('refuses what a Redis that comes back with an old copy decides, and reloads it from the ledger', async () => {
    const { invoke } = container();
    const f = await family(10_000);
    await invoke(batch(usage(`${f}-a`, f, 11, 1_000)));
    const key = new RedisUsageCache(client, usageCacheSettings(env.config)).keys.period(f, period());
    const old = (await admin.dumpBuffer(key)) as Buffer;

    await server.kill();
    await invoke(batch(usage(`${f}-b`, f, 11, 2_000)));
    await server.restart();
    await admin.restore(key, 0, old, 'REPLACE');
    await new Promise((r) => setTimeout(r, COOLDOWN_MS));
    await invoke(batch(usage(`${f}-c`, f, 12, 3_000)));

    expect(await decisions(f)).toEqual({
      [`${f}-a`]: ['NORMAL', 'redis'],
      [`${f}-b`]: ['NORMAL', 'ledger'],
      [`${f}-c`]: ['WARNING_50', 'redis'],
    });
    expect(await env.usage(f, period())).toBe(6_000);
  });

  it('never counts a family twice when one container decides it from the ledger and another from Redis', async () => {
    const fromLedger = container(60_000);
    const fromRedis = container();
    // One container's breaker is open (it saw Redis fail); the other's is closed.
    fromLedger.breaker.failure();
    fromLedger.breaker.failure();
    const f = await family(20_000);
    const rounds = Array.from({ length: 6 }, (_, i) => i);
    for (const i of rounds) {
      const [a, b] = await Promise.all([
        fromLedger.invoke(batch(usage(`${f}-l${i}`, f, 11, 1_000 + i))),
        fromRedis.invoke(batch(usage(`${f}-r${i}`, f, 12, 2_000 + i))),
      ]);
      // A commit the other container's commit overtook is decided again, or redelivered.
      for (const response of [a, b]) {
        for (const failure of response.batchItemFailures)
          expect(failure.itemIdentifier.partition).toBe('usage-events-0');
      }
    }
    const settled = await env.settlements(f, period());
    const total = settled.reduce((n, s) => n + Number(s.bytesUsed), 0);
    expect(await env.usage(f, period())).toBe(total);
    expect(new Set(settled.map((s) => s.decidedFrom))).toEqual(new Set(['ledger', 'redis']));
    // A member is told of each level once: two deciders never both decided from the pool before the other's event.
    const told = settled.filter((s) => s.notify === true).map((s) => `${s.customerId}:${s.decision}`);
    expect(told.length).toBeGreaterThan(2);
    expect(new Set(told).size).toBe(told.length);
    // And every decision is the one the events make in the order they committed.
    const byCommit = [...settled].sort((x, y) => Number(x.decidedAtVersion) - Number(y.decidedAtVersion));
    let remaining = 20_000;
    for (const s of byCommit) {
      remaining -= Number(s.bytesUsed);
      const level =
        remaining * 10 < 20_000
          ? 'WARNING_10'
          : remaining * 10 < 60_000
            ? 'WARNING_30'
            : remaining * 10 < 100_000
              ? 'WARNING_50'
              : 'NORMAL';
      expect(s.decision, String(s.eventId)).toBe(level);
    }
  });

  it('decides a lane again from its first event when Redis dies between two rounds of it', async () => {
    // Redis, holding the family's state, decides the first event, then stops the lane at an old record (to
    // be looked up in the ledger); it dies before the lane's next round, which the ledger-backed state answers.
    let armed = false;
    const { invoke } = container(COOLDOWN_MS, (redis) => ({
      decideLane: async (...args: Parameters<UsageCache['decideLane']>) => {
        const reply = await redis.decideLane(...args);
        if (armed && server.running) await server.kill();
        return reply;
      },
      hydrate: (snapshot) => redis.hydrate(snapshot),
      confirm: (...args) => redis.confirm(...args),
      invalidate: (...args) => redis.invalidate(...args),
    }));
    const f = await family(1_000);
    await invoke(batch(usage(`${f}-w`, f, 11, 10)));
    armed = true;
    const first = mskRecord(0, offset++, usage(`${f}-a`, f, 11, 600));
    // Older than the dedup window: Redis stops at it, for the ledger to say whether it was settled before.
    const old = {
      ...mskRecord(0, offset++, usage(`${f}-b`, f, 12, 350, { timestamp: twentyMinutesAgo() })),
      timestamp: Date.parse(twentyMinutesAgo()),
    };
    try {
      expect(await invoke(mskEvent([first, old]))).toEqual({ batchItemFailures: [] });
    } finally {
      await server.restart();
    }

    // The second event is decided after the first, from one state: a lane never mixes stores.
    expect(await decisions(f)).toEqual({
      [`${f}-w`]: ['NORMAL', 'redis'],
      [`${f}-a`]: ['WARNING_50', 'ledger'],
      [`${f}-b`]: ['WARNING_10', 'ledger'],
    });
    expect(await env.usage(f, period())).toBe(960);
  });
});

describe('a replica that lagged, promoted between two rounds of one lane', () => {
  /** A family whose period state can be copied now and put back right after the next script call answers. */
  async function promotedReplica() {
    let restore: (() => Promise<void>) | null = null;
    const { invoke, cache } = container(COOLDOWN_MS, (redis) => ({
      decideLane: async (...args: Parameters<UsageCache['decideLane']>) => {
        const reply = await redis.decideLane(...args);
        const putBack = restore;
        restore = null;
        if (putBack) await putBack();
        return reply;
      },
      hydrate: (snapshot) => redis.hydrate(snapshot),
      confirm: (...args) => redis.confirm(...args),
      invalidate: (...args) => redis.invalidate(...args),
    }));
    const f = await family(1_000);
    const key = cache.keys.period(f, period());
    return {
      invoke,
      f,
      copyState: () => admin.dumpBuffer(key),
      promoteAfterNextCall: (copy: Buffer) => {
        restore = async () => {
          await admin.restore(key, 0, copy, 'REPLACE');
        };
      },
    };
  }

  it('drops the state put back at an older version and decides the lane again from the ledger', async () => {
    const { invoke, f, copyState, promoteAfterNextCall } = await promotedReplica();
    await invoke(batch(usage(`${f}-w`, f, 11, 10)));
    // The replica's copy: the same incarnation, one commit behind once the next batch is confirmed.
    const copy = await copyState();
    await invoke(batch(usage(`${f}-x`, f, 11, 400)));
    promoteAfterNextCall(copy);
    const first = mskRecord(0, offset++, usage(`${f}-a`, f, 11, 100));
    // Older than the dedup window: the lane stops at it, so it is decided in a second round.
    const old = {
      ...mskRecord(0, offset++, usage(`${f}-b`, f, 12, 350, { timestamp: twentyMinutesAgo() })),
      timestamp: Date.parse(twentyMinutesAgo()),
    };
    expect(await invoke(mskEvent([first, old]))).toEqual({ batchItemFailures: [] });

    // Decided against the promoted copy, b would be NORMAL (990 - 350 left) and the commit would pass the
    // fence at the version the first round saw; from one state, it is the 30% threshold.
    expect(await decisions(f)).toEqual({
      [`${f}-w`]: ['NORMAL', 'redis'],
      [`${f}-x`]: ['NORMAL', 'redis'],
      [`${f}-a`]: ['WARNING_50', 'redis'],
      [`${f}-b`]: ['WARNING_30', 'redis'],
    });
    expect(await env.usage(f, period())).toBe(860);
  });

  it('drops the state put back at the same version without the decision its first round left pending', async () => {
    const { invoke, f, copyState, promoteAfterNextCall } = await promotedReplica();
    await invoke(batch(usage(`${f}-w`, f, 11, 400)));
    // The replica's copy: the version and incarnation the next batch decides in, but none of its decisions.
    const copy = await copyState();
    promoteAfterNextCall(copy);
    const first = mskRecord(0, offset++, usage(`${f}-a`, f, 11, 150));
    const old = {
      ...mskRecord(0, offset++, usage(`${f}-b`, f, 12, 50, { timestamp: twentyMinutesAgo() })),
      timestamp: Date.parse(twentyMinutesAgo()),
    };
    expect(await invoke(mskEvent([first, old]))).toEqual({ batchItemFailures: [] });

    // Decided against the copy, which lacks a's 150 bytes, b would be NORMAL (550 left) and pass the fence.
    expect(await decisions(f)).toEqual({
      [`${f}-w`]: ['NORMAL', 'redis'],
      [`${f}-a`]: ['WARNING_50', 'redis'],
      [`${f}-b`]: ['WARNING_50', 'redis'],
    });
    expect(await env.usage(f, period())).toBe(600);
  });
});
