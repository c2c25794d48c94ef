import type { Redis } from 'ioredis';
import type { DynamoLedger } from '../../functions/adapters/dynamodb/ledger';
import type { RedisUsageCache } from '../../functions/adapters/redis/usage-cache';
import type { RedisBreaker } from '../../functions/core/degraded/redis-breaker';
import { TransientError } from '../../functions/core/errors';
import type { RestartableRedis } from '../../local/services/redis-server';
import type { seededRandom } from '../../local/workload/random';
import type { OutagePoint, RedisFault, Scenario } from './scenarios';

async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found;
}

async function copyOfEverything(admin: Redis): Promise<Array<[string, Buffer]>> {
  const keys = await scanKeys(admin, '*');
  const dumps = await Promise.all(keys.map((k) => admin.dumpBuffer(k)));
  return keys.flatMap((k, i) => (dumps[i] ? [[k, dumps[i] as Buffer] as [string, Buffer]] : []));
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * What a scenario does to Redis: kills it and brings it back empty, with an
 * older copy (a lagging replica promoted) or several times in a row; loses
 * keys of one kind; fails over to a replica's copy; kills connections,
 * flushes scripts, fails drops of states. The cache and ledger proxies put
 * outages at the call points the scenario names.
 */
export function redisChaos(input: {
  readonly scenario: Scenario;
  readonly server: RestartableRedis;
  readonly admin: Redis;
  readonly random: ReturnType<typeof seededRandom>;
  /** The usage function's breaker: the first outage lasts until it opened. */
  readonly breaker: () => RedisBreaker | undefined;
  readonly onFault: () => void;
}) {
  const { scenario, server, admin, random } = input;
  const outageTasks: Array<Promise<unknown>> = [];
  let olderCopy: Array<[string, Buffer]> | null = null;
  let replica: Array<[string, Buffer]> | null = null;
  let kills = 0;
  let outagesAt = 0;
  let dropsFail = false;

  const outage = async (kind: RedisFault) => {
    if (!server.running) return;
    input.onFault();
    if (kind === 'outage-stale' && olderCopy === null) {
      olderCopy = await copyOfEverything(admin).catch(() => null);
      return;
    }
    const copy = kind === 'outage-stale' ? olderCopy : null;
    olderCopy = null;
    await server.kill();
    const first = kills++ === 0;
    outageTasks.push(
      (async () => {
        // The first outage lasts until the breaker opened, so even a short run decides from the ledger alone.
        for (let waited = 0; first && !input.breaker()?.open && waited < 5_000; waited += 20) await pause(20);
        for (let flap = kind === 'flap' ? 3 : 0; flap > 0; flap--) {
          await pause(random.int(20, 120));
          await server.restart();
          await pause(random.int(20, 120));
          await server.kill();
        }
        const down = scenario.redis?.downMs ?? { min: 50, max: 400 };
        await pause(random.int(down.min, down.max));
        await server.restart();
        if (copy) for (const [key, dump] of copy) await admin.restore(key, 0, dump, 'REPLACE');
      })().catch(() => undefined),
    );
  };

  // The first eligible call always fails over, so even a short run exercises it.
  const maybeOutageAt = async (point: OutagePoint) => {
    const plan = scenario.redis?.outageAt;
    if (!plan?.points.includes(point) || !server.running) return;
    if (outagesAt > 0 && !random.chance(plan.probability)) return;
    outagesAt++;
    await outage('outage-empty');
  };

  const dropSome = async (pattern: string) => {
    const keys = await scanKeys(admin, pattern);
    const victims = keys.filter(() => random.chance(0.3));
    if (victims.length > 0) await admin.unlink(...victims);
  };

  // A replica's copy of every key, taken at one fault and put back (as a failover to it) at the next.
  const staleReplica = async () => {
    if (replica === null) {
      replica = await copyOfEverything(admin);
      return;
    }
    const copy = replica;
    replica = null;
    await admin.flushall();
    for (const [key, dump] of copy) await admin.restore(key, 0, dump, 'REPLACE');
  };

  return {
    get kills() {
      return kills;
    },

    /** One of the scenario's faults, picked at random. */
    async fault(): Promise<void> {
      const faults = scenario.redis?.faults ?? [];
      if (faults.length === 0) return;
      const kind = random.pick(faults);
      if (kind === 'outage-empty' || kind === 'outage-stale' || kind === 'flap') return outage(kind);
      if (!server.running) return;
      input.onFault();
      if (kind === 'stale-replica') return staleReplica();
      // From now on, every drop of a period state fails.
      if (kind === 'fail-drops') dropsFail = true;
      else if (kind === 'kill-connections')
        await admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
      else if (kind === 'flush-scripts') await admin.script('FLUSH');
      else if (kind === 'drop-period-states') await dropSome('*:period:*');
      else if (kind === 'drop-settled-marks') await dropSome('*:settled:*');
      else await admin.flushall();
    },

    /** The usage function's cache, with outages at loads and decisions, and drops that fail. */
    cache(cache: RedisUsageCache): RedisUsageCache {
      return new Proxy(cache, {
        get(object, property, receiver) {
          const value = Reflect.get(object, property, receiver);
          if (property === 'invalidate')
            return async (...args: unknown[]) => {
              if (dropsFail) throw new TransientError('chaos: the drop did not reach Redis');
              return value.apply(object, args);
            };
          if (property === 'hydrate')
            return async (...args: unknown[]) => {
              await maybeOutageAt('hydrate');
              return value.apply(object, args);
            };
          if (property === 'decideLane')
            return async (...args: unknown[]) => {
              const reply = await value.apply(object, args);
              await maybeOutageAt('decide');
              return reply;
            };
          return typeof value === 'function' ? value.bind(object) : value;
        },
      });
    },

    /** The usage function's ledger, with outages right before commits. */
    ledger(ledger: DynamoLedger): DynamoLedger {
      return new Proxy(ledger, {
        get(object, property, receiver) {
          const value = Reflect.get(object, property, receiver);
          if (property === 'commit')
            return async (...args: unknown[]) => {
              await maybeOutageAt('commit');
              return value.apply(object, args);
            };
          return typeof value === 'function' ? value.bind(object) : value;
        },
      });
    },

    /** Redis is back, whatever the outages left, before the stores are compared. */
    async settle(): Promise<void> {
      await Promise.all(outageTasks);
      await server.restart();
    },
  };
}

export type RedisChaos = ReturnType<typeof redisChaos>;
