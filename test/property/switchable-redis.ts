import type { UsageCache } from '../../functions/core/settlement/ports';

/**
 * A usage cache in front of the real Redis one that can stop answering, at
 * once or after a number of calls (so Redis dies in the middle of a batch),
 * the way a client fails while the server is gone: every call rejects with a
 * transient error, and the data stays as it was unless the way back drops it.
 */
export function switchableRedis(redis: UsageCache) {
  let callsLeft: number | null = null;
  const gone = () => callsLeft !== null && callsLeft-- <= 0;
  const guarded =
    <A extends unknown[], R>(operation: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      if (gone()) throw new Error('Connection is closed.');
      return operation(...args);
    };
  const cache: UsageCache = {
    decideLane: guarded((...args: Parameters<UsageCache['decideLane']>) => redis.decideLane(...args)),
    hydrate: guarded((...args: Parameters<UsageCache['hydrate']>) => redis.hydrate(...args)),
    confirm: guarded((...args: Parameters<UsageCache['confirm']>) => redis.confirm(...args)),
    invalidate: guarded((...args: Parameters<UsageCache['invalidate']>) => redis.invalidate(...args)),
  };
  return {
    cache,
    /** Redis stops answering after `afterCalls` more calls (0: now); a server already down stays down. */
    down(afterCalls: number) {
      if (callsLeft === null) callsLeft = afterCalls;
    },
    /** Redis answers again, after `lose` (when given) dropped what it held. */
    async up(lose: (() => Promise<unknown>) | null) {
      if (callsLeft === null) return;
      if (lose) await lose();
      callsLeft = null;
    },
  };
}
