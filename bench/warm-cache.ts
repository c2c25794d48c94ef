import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoLedger } from '../functions/adapters/dynamodb/ledger';
import { createRedisClient } from '../functions/adapters/redis/client';
import { RedisUsageCache } from '../functions/adapters/redis/usage-cache';
import { forEachConcurrently } from '../functions/core/concurrency';
import { periodOf } from '../functions/core/time';
import { usageCacheSettings } from '../functions/runtime/cache-settings';
import type { GeneratedEvent } from '../local/workload/generate';
import type { RunStores } from './run-stores';

const WARM_CONCURRENCY = 32;

/** The families a slice of the stream touches, with the periods its usage events fall in. */
export function familyPeriods(
  events: ReadonlyArray<GeneratedEvent>,
  timeZone: string,
): Map<number, string[]> {
  const periods = new Map<number, Set<string>>();
  for (const event of events) {
    if (event.kind !== 'usage' || event.value === null) continue;
    const envelope = JSON.parse(event.value) as { timestamp: string; payload: { familyId: number } };
    const familyId = envelope.payload.familyId;
    const set = periods.get(familyId) ?? new Set<string>();
    set.add(periodOf(Date.parse(envelope.timestamp), timeZone));
    periods.set(familyId, set);
  }
  return new Map([...periods].map(([id, set]) => [id, [...set].sort()]));
}

/**
 * On AWS a family's period states stay in Redis for the month once its first
 * event loaded them, so at 250,000 families a cold cache is the first hour
 * of a month, not the steady state. This puts the states of every family a
 * slice touches into the run's Redis before its clock starts, through the
 * product's own loader and hydration script but around the run's meters and
 * injected latency. Returns the period states written.
 */
export async function warmCache(
  adminDoc: DynamoDBDocumentClient,
  stores: RunStores,
  events: ReadonlyArray<GeneratedEvent>,
): Promise<number> {
  const ledger = new DynamoLedger(adminDoc, stores.config.tables);
  const redis = createRedisClient({ url: stores.redisEndpoint, cluster: false });
  const cache = new RedisUsageCache(redis, usageCacheSettings(stores.config));
  let states = 0;
  try {
    const families = [...familyPeriods(events, stores.config.settlement.timeZone)];
    await forEachConcurrently(families, WARM_CONCURRENCY, async ([familyId, periods]) => {
      for (const snapshot of await ledger.loadSnapshots(familyId, periods)) {
        await cache.hydrate(snapshot);
        states++;
      }
    });
  } finally {
    redis.disconnect();
  }
  return states;
}
