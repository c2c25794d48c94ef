import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisUsageCache, type UsageCacheSettings } from '../../functions/adapters/redis/usage-cache';
import { BLOCK_REASONS, THRESHOLD_STATUSES } from '../../functions/core/status-effects';
import { keySlot } from '../helpers/key-slot';
import { testRedis } from '../helpers/local-redis';
import { asOneLane } from '../helpers/one-lane';
import { ZONE } from '../helpers/usage-event-factory';
import { PERIOD, runFamily, statusesOf } from './cache-scenario';
import { type ClusterEnv, startClusterEnv } from './cluster-env';

const ALL_STATUSES = ['NORMAL', ...THRESHOLD_STATUSES, ...BLOCK_REASONS];
const FAMILIES = Array.from({ length: 240 }, (_, i) => 710_000 + i);
const settings = (keyPrefix: string): UsageCacheSettings => ({
  keyPrefix,
  timeZone: ZONE,
  dedupWindowSeconds: 600,
});

let env: ClusterEnv;
const single = testRedis('cluster-ref');

beforeAll(async () => {
  env = await startClusterEnv('script');
});
afterAll(async () => {
  await single.cleanup();
  await env?.cleanup();
});

describe('the settlement scripts on a 3-master Redis Cluster', () => {
  it('spreads the families over every master and agrees with the server on key slots', async () => {
    expect(env.masters()).toHaveLength(3);
    const owner = await env.slotOwners();
    const owners = new Set(FAMILIES.map((id) => owner(keySlot(`{f:${id}}`))));
    expect(owners.size).toBe(3);
    const cache = asOneLane(new RedisUsageCache(env.client, settings(env.prefix)));
    for (const id of FAMILIES.slice(0, 12)) {
      for (const key of [cache.keys.period(id, PERIOD), cache.keys.settled(id, '{odd}id')]) {
        expect(await env.client.cluster('KEYSLOT', key)).toBe(keySlot(`{f:${id}}`));
      }
    }
  });

  it('rejects a script over keys of two families (the check the hash tags exist for)', async () => {
    const [a, b] = [`${env.prefix}{f:1}:x`, `${env.prefix}{f:2}:x`];
    expect(keySlot(a)).not.toBe(keySlot(b));
    await expect(env.client.eval('return 1', 2, a, b)).rejects.toThrow(/CROSSSLOT/);
  });

  it('decides every family exactly as single-node Redis does, without a single error', async () => {
    const onCluster = asOneLane(new RedisUsageCache(env.client, settings(env.prefix)));
    const onSingle = asOneLane(new RedisUsageCache(single.redis, settings(single.prefix)));

    // Families run concurrently, as the handler's lanes do; each family's steps run in order.
    const clusterRuns = await Promise.all(FAMILIES.map((id, i) => runFamily(onCluster, env.client, id, i)));
    const singleRuns = await Promise.all(FAMILIES.map((id, i) => runFamily(onSingle, single.redis, id, i)));

    FAMILIES.forEach((id, i) => {
      expect({ family: id, steps: clusterRuns[i] }).toEqual({ family: id, steps: singleRuns[i] });
    });
    const statuses = new Set(clusterRuns.flatMap((run) => [...statusesOf(run)]));
    expect([...statuses].sort()).toEqual([...ALL_STATUSES].sort());
    expect(env.connectionErrors).toEqual([]);
  });

  it('stores every family key on the master that owns its slot, and every master holds some', async () => {
    const owner = await env.slotOwners();
    const byMaster = await env.keysByMaster();
    expect(byMaster.size).toBe(3);
    for (const [master, keys] of byMaster) {
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.filter((key) => owner(keySlot(key)) !== master)).toEqual([]);
    }
  });
});
