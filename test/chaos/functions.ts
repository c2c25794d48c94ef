import type { Context } from 'aws-lambda';
import { DynamoChangeStore } from '../../functions/adapters/dynamodb/change-store';
import type { DynamoLedger } from '../../functions/adapters/dynamodb/ledger';
import type { RedisUsageCache } from '../../functions/adapters/redis/usage-cache';
import { createChangeEventsHandler } from '../../functions/change-events/change-events-handler';
import { createChangeDeps } from '../../functions/change-events/dependencies';
import type { ChangeBatchDeps } from '../../functions/core/changes/apply-batch';
import type { ChangeCache } from '../../functions/core/changes/ports';
import type { SettlementDeps } from '../../functions/core/settlement/settle-batch';
import { createOutboxRelayHandler } from '../../functions/outbox-relay/outbox-relay-handler';
import { createOutboxSweeperHandler } from '../../functions/outbox-sweeper/outbox-sweeper-handler';
import { createObservability } from '../../functions/runtime/observability';
import { createOutboxDeps } from '../../functions/runtime/outbox-dependencies';
import { createSettlementDeps } from '../../functions/usage-events/dependencies';
import { createUsageEventsHandler } from '../../functions/usage-events/usage-events-handler';
import { recordingChangeStore } from '../helpers/recording-change-store';
import { behindSwitch, CrashSwitch } from './crash-switch';
import { type AppliedChange, appliedChangeOf } from './decision-oracle';
import type { RedisChaos } from './redis-chaos';
import type { ChaosServices } from './services';

const silent = { warn: () => {}, error: () => {} };

/**
 * The functions of a chaos run, wired exactly as they ship (the same
 * dependency builders their handlers use), with the scenario's faults in
 * front of the adapters they watch: crash switches at the step boundaries,
 * Redis outages in the usage function's cache and ledger, and a change store
 * that records every change the ledger commits for the reference model.
 */
export function chaosFunctions(services: ChaosServices, chaos: () => RedisChaos) {
  const { config, redis, doc } = services;
  const appliedChanges: AppliedChange[] = [];
  const changeStore = recordingChangeStore(new DynamoChangeStore(doc, config.tables), (c) =>
    appliedChanges.push(appliedChangeOf(c)),
  );

  const usageSwitch = new CrashSwitch();
  const shipped = createSettlementDeps(config, redis, silent, { doc });
  const settlement: SettlementDeps = {
    ...shipped,
    cache: behindSwitch(chaos().cache(shipped.cache as RedisUsageCache), usageSwitch, {
      decideLane: { before: 'after-validation', after: 'after-script' },
      hydrate: { before: 'before-hydration' },
      confirm: { before: 'before-confirm' },
    }),
    ledger: behindSwitch(chaos().ledger(shipped.ledger as DynamoLedger), usageSwitch, {
      findFates: { before: 'before-ledger-check' },
      commit: { before: 'before-transaction', after: 'after-transaction' },
    }),
    deadLetters: behindSwitch(shipped.deadLetters, usageSwitch),
    globalChanges: { ...shipped.globalChanges, store: changeStore },
  };
  const usageEvents = createUsageEventsHandler(settlement, createObservability('chaos-usage-events'));

  // Family and policy changes, through the change-events function; it can die after the ledger committed.
  const changeSwitch = new CrashSwitch();
  const shippedChanges = createChangeDeps(config, redis, silent, { doc });
  const changes: ChangeBatchDeps = {
    ...shippedChanges,
    store: changeStore,
    cache: behindSwitch(shippedChanges.cache as ChangeCache, changeSwitch, {
      applyChange: { before: 'before-change-redis' },
    }),
  };
  const changeEvents = createChangeEventsHandler(changes, createObservability('chaos-change-events'));

  const outboxSwitch = new CrashSwitch();
  const outbox = createOutboxDeps(config, silent);
  const guardedOutbox = {
    ...outbox,
    store: behindSwitch(outbox.store, outboxSwitch, { markSent: { before: 'after-publish' } }),
    publisher: behindSwitch(outbox.publisher, outboxSwitch),
  };
  const relay = createOutboxRelayHandler(guardedOutbox, createObservability('chaos-relay'));
  const sweeper = createOutboxSweeperHandler(guardedOutbox, createObservability('chaos-sweeper'), {
    safetyMarginMs: 500,
  }) as (event: Record<string, unknown>, context: Context) => Promise<unknown>;

  return {
    settlement,
    /** The Redis cache as it ships (the checks read its keys). */
    cache: shipped.cache as RedisUsageCache,
    ledger: shipped.ledger as DynamoLedger,
    breaker: shipped.degradation?.breaker,
    usageEvents,
    usageSwitch,
    changes,
    changeEvents,
    changeSwitch,
    appliedChanges,
    outboxStore: outbox.store,
    outboxSwitch,
    relay,
    sweeper,
  };
}

export type ChaosFunctions = ReturnType<typeof chaosFunctions>;
