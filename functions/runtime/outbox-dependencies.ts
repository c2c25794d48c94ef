import { createDocumentClient } from '../adapters/dynamodb/client';
import { DynamoOutboxStore } from '../adapters/dynamodb/outbox-store';
import { createEventBridgeClient } from '../adapters/eventbridge/client';
import { EventBridgePublisher } from '../adapters/eventbridge/publisher';
import type { DeliveryDeps } from '../core/outbox/delivery';
import type { OutboxLog } from '../core/outbox/ports';
import type { OutboxPolicy } from '../core/outbox/transitions';
import { type Clock, systemClock } from '../core/ports';
import type { Config } from './config';

export function outboxPolicy(config: Config): OutboxPolicy {
  const { maxAttempts, backoffBaseMs, backoffCapMs, leaseMs, sentRetentionSeconds } = config.outbox;
  return { maxAttempts, backoffBaseMs, backoffCapMs, leaseMs, sentRetentionSeconds };
}

/** The adapters the relay and the sweeper use, built once per container from the validated config. */
export function createOutboxDeps(config: Config, log: OutboxLog, clock: Clock = systemClock): DeliveryDeps {
  return {
    store: new DynamoOutboxStore(
      createDocumentClient({ endpoint: config.endpoints.dynamodb }),
      config.tables.outbox,
    ),
    publisher: new EventBridgePublisher(createEventBridgeClient({ endpoint: config.endpoints.eventBridge }), {
      source: config.notificationSource,
      eventBusName: config.eventBusName,
    }),
    clock,
    policy: outboxPolicy(config),
    locale: config.notificationLocale,
    log,
  };
}
