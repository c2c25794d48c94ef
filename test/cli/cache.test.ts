import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RebuildResult } from '../../cli/rebuild';
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
    const periodKey = env.cache.keys.period(familyId, currentPeriod());
    const healthy = await redis.hgetall(periodKey);
    await redis.hset(periodKey, 'r', '1', 'u:61', '999', 'P:62:man', '1');
    await redis.hdel(periodKey, 'a:62:APP_BLOCK:game', 'P:62:app');

    const result = await env.cli(['cache', 'rebuild', '--family', String(familyId)]);

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe(
      `rebuilt family ${familyId} for ${currentPeriod()}: quota 9.54 MiB, remaining 5.72 MiB, 2 members\n`,
    );
    const rebuilt = await redis.hgetall(periodKey);
    const { pn: _pending, ...committed } = healthy;
    expect(rebuilt).toEqual({ ...committed, sd: rebuilt.sd, i: rebuilt.i });
    expect(rebuilt.i).not.toBe(healthy.i);
    expect(rebuilt).toMatchObject({
      r: String(6 * MB),
      'u:61': String(4 * MB),
      'u:62': '0',
      'a:62:APP_BLOCK:game': '1',
      'P:62:app': '1',
      'P:62:a:game': '1',
    });
    expect(rebuilt['P:62:man']).toBeUndefined();
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
    expect(await env.cache.periodState(familyId, previous)).toMatchObject({
      quota: 10 * MB,
      used: new Map([
        [61, 0],
        [62, 0],
      ]),
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
