import { DynamoLedger } from '../functions/adapters/dynamodb/ledger';
import { RedisBreaker } from '../functions/core/degraded/redis-breaker';
import { SettleLaneTwin } from '../functions/core/degraded/settle-lane-twin';
import { systemClock } from '../functions/core/ports';
import type { Ledger } from '../functions/core/settlement/ports';
import type { SettlementDeps } from '../functions/core/settlement/settle-batch';
import { createObservability } from '../functions/runtime/observability';
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
function settlementDeps(stores: RunStores, wrap: (ledger: Ledger) => Ledger): SettlementDeps {
  return {
    ...createSettlementDeps(stores.config, stores.redis, silent),
    ledger: wrap(new DynamoLedger(stores.doc, stores.config.tables)),
  };
}

/**
 * The handler's degraded mode for the whole run: its breaker open from the
 * start and for longer than the run, so every batch decides from period
 * states loaded from the ledger, as while Redis is unreachable. Redis is
 * never called, so no time goes to failing calls: the cost of the mode itself.
 */
function degradedDeps(stores: RunStores, wrap: (ledger: Ledger) => Ledger): SettlementDeps {
  const { failureThreshold } = stores.config.processing.redisBreaker;
  const breaker = new RedisBreaker({ failureThreshold, cooldownMs: 24 * 3_600_000 }, systemClock);
  for (let i = 0; i < failureThreshold; i++) breaker.failure();
  return {
    ...settlementDeps(stores, wrap),
    degradation: { breaker, inMemory: () => new SettleLaneTwin() },
  };
}

/**
 * (a) baseline: one event at a time; (b) product: the real usage-events
 * handler (the usage snapshots are not its business: they come from the
 * ledger stream); degraded: (b) without Redis. `wrap` puts a meter around the
 * ledger (W2 counts its transactions); `onDecisionLatencies` gets the values
 * the handler emits as DecisionLatencyMs.
 */
export function createInvoker(
  shape: Shape,
  stores: RunStores,
  wrap: (ledger: Ledger) => Ledger = (ledger) => ledger,
  onDecisionLatencies?: (latenciesMs: ReadonlyArray<number>) => void,
): MskInvoker {
  const deps = shape === 'degraded' ? degradedDeps(stores, wrap) : settlementDeps(stores, wrap);
  const handler =
    shape !== 'baseline'
      ? createUsageEventsHandler(deps, createObservability('bench-product'), {
          reportBatchItemFailures: stores.config.processing.reportBatchItemFailures,
          ...(onDecisionLatencies ? { onDecisionLatencies } : {}),
        })
      : createBaselineHandler(deps, createObservability('bench-baseline'));
  return (event) => handler(event, localContext(`bench-${shape}`, 900_000));
}
