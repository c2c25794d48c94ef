import { DynamoLedger } from '../functions/adapters/dynamodb/ledger';
import { MemoryUsageCache } from '../functions/adapters/memory/memory-usage-cache';
import { systemClock } from '../functions/core/ports';
import { RedisBreaker } from '../functions/core/redis-breaker';
import type { SettlementDeps } from '../functions/core/settle-batch';
import { createObservability } from '../functions/shared/observability';
import { createSettlementDeps } from '../functions/usage-events/dependencies';
import { createUsageEventsHandler } from '../functions/usage-events/usage-events-handler';
import type { MskInvoker } from '../local/kafka/esm-simulator';
import { localContext } from '../local/outbox/delivery-loop';
import { createBaselineHandler } from './baseline';
import type { Shape } from './options';
import type { RunStores } from './run-stores';

const silent = { warn: () => {}, error: () => {} };

/**
 * The adapters exactly as the shipped handler builds them
 * (createSettlementDeps), except that the ledger gets the metered document
 * client. Both shapes use these same adapters.
 */
function settlementDeps(stores: RunStores): SettlementDeps {
  return {
    ...createSettlementDeps(stores.config, stores.redis, silent),
    ledger: new DynamoLedger(stores.doc, stores.config.tables),
  };
}

/**
 * The handler's degraded mode for the whole run: its breaker open from the
 * start and for longer than the run, so every batch decides from period
 * states loaded from the ledger, as while Redis is unreachable. Redis is
 * never called, so no time goes to failing calls: the cost of the mode itself.
 */
function degradedDeps(stores: RunStores): SettlementDeps {
  const { failureThreshold } = stores.config.processing.redisBreaker;
  const breaker = new RedisBreaker({ failureThreshold, cooldownMs: 24 * 3_600_000 }, systemClock);
  for (let i = 0; i < failureThreshold; i++) breaker.failure();
  return { ...settlementDeps(stores), degradation: { breaker, inMemory: () => new MemoryUsageCache() } };
}

/** (a) baseline: one event at a time; (b) product: the real usage-events handler; degraded: (b) without Redis. */
export function createInvoker(shape: Shape, stores: RunStores): MskInvoker {
  const deps = shape === 'degraded' ? degradedDeps(stores) : settlementDeps(stores);
  const handler =
    shape !== 'baseline'
      ? createUsageEventsHandler(deps, createObservability('bench-product'), {
          reportBatchItemFailures: stores.config.processing.reportBatchItemFailures,
        })
      : createBaselineHandler(deps, createObservability('bench-baseline'));
  return (event) => handler(event, localContext(`bench-${shape}`, 900_000));
}
