import type { UsageCacheSettings } from '../adapters/redis/usage-cache';
import type { Config } from './config';

/** The Redis usage cache's settings, for every function that opens it. */
export function usageCacheSettings(config: Config): UsageCacheSettings {
  return {
    keyPrefix: config.redis.keyPrefix,
    timeZone: config.settlement.timeZone,
    dedupWindowSeconds: config.settlement.dedupWindowSeconds,
  };
}
