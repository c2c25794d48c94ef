import type { Context, DynamoDBStreamEvent } from 'aws-lambda';
import { DynamoOutboxStore } from '../../functions/adapters/dynamodb/outbox-store';
import { createEventBridgeClient } from '../../functions/adapters/eventbridge/client';
import { EventBridgePublisher } from '../../functions/adapters/eventbridge/publisher';
import type { DeliveryDeps } from '../../functions/core/outbox/delivery';
import type { NotificationLocale } from '../../functions/core/outbox/notification-text';
import type { OutboxLog } from '../../functions/core/outbox/ports';
import type { SweepReport } from '../../functions/core/outbox/sweep';
import type { Clock } from '../../functions/core/ports';
import { createOutboxRelayHandler } from '../../functions/outbox-relay/outbox-relay-handler';
import { createOutboxSweeperHandler } from '../../functions/outbox-sweeper/outbox-sweeper-handler';
import { createObservability } from '../../functions/runtime/observability';
import { outboxPolicy } from '../../functions/runtime/outbox-dependencies';
import { openTableStream } from '../../local/outbox/stream-reader';
import { mskEvent, mskRecord, type UsageEnvelope, usage } from './msk';
import { type PutEventsFake, startPutEventsFake } from './put-events-fake';
import { lambdaContext, startSettlementEnv } from './settlement-env';

export const GRACE_MS = 120_000;
export const BUS_NAME = 'family-notifications';

export interface ManualClock extends Clock {
  advance(ms: number): void;
}

/** Time the tests drive: backoff, grace and leases are crossed by moving this, never by waiting. */
export function manualClock(start = Date.now()): ManualClock {
  let now = start;
  return {
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
  };
}

export const silentLog: OutboxLog = { warn: () => {}, error: () => {} };

export function contextWithRemaining(remainingMs: number): Context {
  return { ...lambdaContext(), getRemainingTimeInMillis: () => remainingMs };
}

let nextFamilyId = 1000 + Math.floor(Math.random() * 1000) * 1000;

/**
 * The whole notification path on local services: settlement through the real
 * usage-events handler (Redis, DynamoDB Local, outbox item in the same
 * transaction), the outbox table's real stream, the relay and sweeper handlers
 * with the real DynamoDB and EventBridge adapters, and a PutEvents fake.
 */
export async function startOutboxEnv(label: string, options: { locale?: NotificationLocale } = {}) {
  const settlement = await startSettlementEnv(label);
  const fake = await startPutEventsFake();
  const stream = await openTableStream({
    endpoint: settlement.tables.endpoint,
    client: settlement.tables.client,
    tableName: settlement.tables.names.outbox,
  });
  const clock = manualClock();
  const observability = createObservability(label);
  const { config, tables } = settlement;
  const settle = settlement.handlerWith({
    ...settlement.deps,
    clock,
    settings: { ...settlement.deps.settings, outboxGraceMs: GRACE_MS },
  });
  let offset = 0;

  /** Separate adapter instances per call, as two Lambda containers would have. */
  const deliveryDeps = (overrides: Partial<DeliveryDeps> = {}): DeliveryDeps => ({
    store: new DynamoOutboxStore(tables.doc, tables.names.outbox),
    publisher: new EventBridgePublisher(
      createEventBridgeClient({ endpoint: fake.endpoint, maxAttempts: 1 }),
      {
        source: config.notificationSource,
        eventBusName: BUS_NAME,
      },
    ),
    clock,
    policy: outboxPolicy(config),
    locale: options.locale ?? config.notificationLocale,
    log: silentLog,
    ...overrides,
  });
  const store = new DynamoOutboxStore(tables.doc, tables.names.outbox);

  return {
    settlement,
    tables,
    config,
    fake,
    stream,
    clock,
    store,
    deliveryDeps,
    newFamilyId: () => nextFamilyId++,

    /** Seeds a family whose members are all manually blocked: each one's first event stages a CUSTOMER_BLOCKED item. */
    async blockedFamily(memberCount: number): Promise<{ familyId: number; customerIds: number[] }> {
      const familyId = nextFamilyId++;
      const customerIds = Array.from({ length: memberCount }, (_, i) => familyId * 100 + i + 1);
      await settlement.families.putFamily({
        familyId,
        quotaBytes: 10 ** 12,
        members: customerIds.map((customerId) => ({ customerId, policy: { manualBlock: true } })),
      });
      return { familyId, customerIds };
    },

    /** Settles the envelopes in one MSK batch through the usage-events handler. */
    async settle(envelopes: ReadonlyArray<UsageEnvelope>) {
      return settle(mskEvent(envelopes.map((e) => mskRecord(0, offset++, e))));
    },

    /** One blocked event per member; returns the usage eventIds (the origins of the notifications). */
    async settleBlocked(family: { familyId: number; customerIds: number[] }, tag = 'evt'): Promise<string[]> {
      const envelopes = family.customerIds.map((c) =>
        usage(`${tag}-${family.familyId}-${c}`, family.familyId, c, 1000),
      );
      const result = await settle(mskEvent(envelopes.map((e) => mskRecord(0, offset++, e))));
      if (result.batchItemFailures.length > 0)
        throw new Error(`settlement failed: ${JSON.stringify(result)}`);
      return envelopes.map((e) => e.eventId);
    },

    relayHandler(deps: DeliveryDeps = deliveryDeps()) {
      const handler = createOutboxRelayHandler(deps, observability);
      return (event: DynamoDBStreamEvent) => handler(event, lambdaContext());
    },

    sweeperHandler(deps: DeliveryDeps = deliveryDeps(), remainingMs = 60_000) {
      const handler = createOutboxSweeperHandler(deps, observability, {
        safetyMarginMs: config.outbox.sweeperSafetyMarginMs,
      });
      return (): Promise<SweepReport> => handler({}, contextWithRemaining(remainingMs));
    },

    async stop() {
      stream.close();
      await fake.stop();
      await settlement.stop();
    },
  };
}

export type OutboxEnv = Awaited<ReturnType<typeof startOutboxEnv>>;
export type { PutEventsFake };
