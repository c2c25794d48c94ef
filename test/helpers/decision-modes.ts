import { RedisBreaker } from '../../functions/core/degraded/redis-breaker';
import { SettleLaneTwin } from '../../functions/core/degraded/settle-lane-twin';
import { TransientError } from '../../functions/core/errors';
import { systemClock } from '../../functions/core/ports';
import type { UsageCache } from '../../functions/core/settlement/ports';
import type { SettlementEnv } from './settlement-env';

/** Redis refusing every call: the breaker opens at once and the degraded-mode twin decides from the ledger. */
const unreachable: UsageCache = new Proxy({} as UsageCache, {
  get: () => () => Promise.reject(new TransientError('redis is unreachable')),
});

/**
 * The usage-events function deciding with Redis, and deciding from the
 * ledger alone with Redis out: a test that runs in both shows the two
 * stores decide alike.
 */
export const decisionModes = (env: () => SettlementEnv) =>
  ({
    redis: () => env().invoke,
    ledger: () =>
      env().handlerWith({
        ...env().deps,
        cache: unreachable,
        degradation: {
          breaker: new RedisBreaker({ failureThreshold: 1, cooldownMs: 60_000 }, systemClock),
          inMemory: () => new SettleLaneTwin(),
        },
      }),
  }) as const;
