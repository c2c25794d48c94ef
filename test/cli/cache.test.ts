import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RebuildResult } from '../../cli/rebuild';
import { NO_POLICY } from '../../functions/core/family';
import { shiftPeriod } from '../../functions/core/time';
import { usage } from '../helpers/msk';
import { type CliEnv, currentPeriod, MB, nextFamilyId, startCliEnv } from './support/cli-env';

let env: CliEnv;

beforeAll(async () => {
  env = await startCliEnv('cli-cache');
});
afterAll(() => env?.stopAll());

async function settledFamily() {
  const familyId = nextFamilyId();
  await env.cliJson([
    'family',
    'put',
    '--file',
    await env.file({
      familyId,
      quotaBytes: 10 * MB,
      members: [{ customerId: 61 }, { customerId: 62, policy: { blockedApps: ['game'] } }],
    }),
  ]);
  await env.settle(
    usage(`cache-${familyId}-1`, familyId, 61, 4 * MB),
    usage(`cache-${familyId}-2`, familyId, 62, MB, { appId: 'game' }),
  );
  return familyId;
}

describe('cache rebuild', () => {
  it("replaces a family's Redis state with DynamoDB's", async () => {
    const familyId = await settledFamily();
    const { redis } = env.redis;
    const keys = env.cache.keys;
    const periodKey = keys.period(familyId, currentPeriod());
    const healthy = await redis.hgetall(periodKey);
    await redis.hset(periodKey, 'remaining', '1', 'used:61', '999');
    await redis.hdel(periodKey, 'alert:62:APP_BLOCK:game');
    await redis.hset(keys.policy(familyId, 62), 'manual', '1');
    await redis.del(keys.policy(familyId, 61));

    const result = await env.cli(['cache', 'rebuild', '--family', String(familyId)]);

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe(
      `rebuilt family ${familyId} for ${currentPeriod()}: quota 10.0 MB, remaining 6.00 MB, 2 members\n`,
    );
    expect(await redis.hgetall(periodKey)).toEqual(healthy);
    expect(healthy).toMatchObject({ remaining: String(6 * MB), 'used:61': String(4 * MB), 'used:62': '0' });
    expect(await redis.hgetall(keys.policy(familyId, 62))).toEqual({ v: '1', manual: '0', 'app:game': '1' });
    expect(await redis.hgetall(keys.policy(familyId, 61))).toEqual({ v: '1', manual: '0' });
    expect(await redis.ttl(periodKey)).toBeGreaterThan(0);
  });

  it('rebuilds another period and prints JSON', async () => {
    const familyId = await settledFamily();
    const previous = shiftPeriod(currentPeriod(), -1);
    const result = await env.cliJson<RebuildResult>([
      'cache',
      'rebuild',
      '--family',
      String(familyId),
      '--period',
      previous,
    ]);
    expect(result).toEqual({
      familyId,
      period: previous,
      quotaBytes: 10 * MB,
      remainingBytes: 10 * MB,
      members: 2,
    });
    expect(await env.redisPeriod(familyId, previous)).toMatchObject({
      quota: String(10 * MB),
      'used:61': '0',
    });
  });

  it('rejects bad input with exit 2 and an unknown family with exit 1', async () => {
    expect(await env.cli(['cache', 'rebuild'])).toMatchObject({ code: 2 });
    expect((await env.cli(['cache', 'rebuild', '--family', '0'])).stderr).toContain(
      '--family must be a positive integer',
    );
    expect((await env.cli(['cache', 'rebuild', '--family', '1', '--period', '202600'])).code).toBe(2);
    expect(await env.cli(['cache', 'rebuild', '--family', '987654321'])).toMatchObject({
      code: 1,
      stderr: 'usage-settlement: family 987654321 does not exist\n',
    });
  });
});

describe('RedisUsageCache operator methods', () => {
  it('setQuota moves remaining by the change and leaves absent state absent', async () => {
    const familyId = nextFamilyId();
    const period = currentPeriod();
    const cache = env.cache;
    expect(await cache.setQuota(familyId, period, 5 * MB)).toBe(false);
    expect(await env.redis.redis.exists(cache.keys.period(familyId, period))).toBe(0);

    await cache.hydrate({
      familyId,
      period,
      quotaBytes: 10 * MB,
      familyUsedBytes: 4 * MB,
      members: [{ customerId: 1, policy: NO_POLICY, usedBytes: 4 * MB, alerts: [] }],
    });
    expect(await cache.setQuota(familyId, period, 12 * MB)).toBe(true);
    expect(await cache.periodState(familyId, period)).toMatchObject({ quota: 12 * MB, remaining: 8 * MB });
    expect(await cache.setQuota(familyId, period, 0)).toBe(true);
    expect(await cache.periodState(familyId, period)).toMatchObject({ quota: 0, remaining: -4 * MB });
    expect(await cache.setQuota(familyId, period, 2 ** 53 - 1)).toBe(true);
    expect(await env.redisPeriod(familyId, period)).toMatchObject({
      quota: String(2 ** 53 - 1),
      remaining: String(2 ** 53 - 1 - 4 * MB),
    });
  });

  it('rebuild replaces what hydrate alone keeps (hydrate only fills in what is absent)', async () => {
    const familyId = nextFamilyId();
    const period = currentPeriod();
    const cache = env.cache;
    const snapshot = {
      familyId,
      period,
      quotaBytes: 10 * MB,
      familyUsedBytes: 0,
      members: [{ customerId: 1, policy: NO_POLICY, usedBytes: 0, alerts: [] }],
    };
    await cache.hydrate(snapshot);
    await cache.cacheMembers(familyId, [1]);
    await cache.hydrate({ ...snapshot, familyUsedBytes: MB });
    expect(await cache.periodState(familyId, period)).toMatchObject({ remaining: 10 * MB });
    await cache.rebuild({ ...snapshot, familyUsedBytes: MB });
    expect(await cache.periodState(familyId, period)).toMatchObject({ quota: 10 * MB, remaining: 9 * MB });
    expect(await env.redis.redis.exists(cache.keys.members(familyId))).toBe(0);
  });
});
