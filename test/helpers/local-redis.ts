import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { RedisUsageCache } from '../../functions/adapters/redis/usage-cache';
import { uniqueSuffix } from './local-aws';
import { ZONE } from './usage-event-factory';

/** The Redis of this run: REDIS_URL when given, otherwise the private one the global setup started. */
export const TEST_REDIS_URL = inject('redisUrl');

/**
 * A connection to the test Redis plus a key prefix unique to the caller.
 * Cleanup deletes only keys under that prefix: the server may be shared.
 */
export function testRedis(label: string) {
  const prefix = `test:${label}:${uniqueSuffix()}:`;
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  return {
    redis,
    prefix,
    url: TEST_REDIS_URL,
    async cleanup() {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
        cursor = next;
        if (keys.length > 0) await redis.unlink(...keys);
      } while (cursor !== '0');
      await redis.quit();
    },
    async keysUnderPrefix(): Promise<string[]> {
      const found: string[] = [];
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
        cursor = next;
        found.push(...keys);
      } while (cursor !== '0');
      return found;
    },
  };
}

/** The settlement scripts on a test Redis, under its prefix, in the test events' zone, with a 600 s dedup window. */
export function testUsageCache(local: ReturnType<typeof testRedis>): RedisUsageCache {
  return new RedisUsageCache(local.redis, {
    keyPrefix: local.prefix,
    timeZone: ZONE,
    dedupWindowSeconds: 600,
  });
}
