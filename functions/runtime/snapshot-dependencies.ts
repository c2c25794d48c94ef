import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../adapters/dynamodb/client';
import { DynamoCommittedStateReader } from '../adapters/dynamodb/committed-state-reader';
import { createEventBridgeClient } from '../adapters/eventbridge/client';
import { EventBridgeSnapshotPublisher } from '../adapters/eventbridge/snapshot-publisher';
import type { SettlementDeps, SettlementSettings } from '../core/settlement/settle-batch';
import type { SnapshotDeps } from '../core/snapshots/publish';
import type { Config } from './config';

/** The longest the snapshot path may add to an invocation; a slower bus costs snapshots, never settlement. */
const SNAPSHOT_BUDGET_MS = 5_000;

/**
 * The usage snapshots' adapters, once per container: the committed-state
 * reader on the ledger and a PutEvents publisher whose SDK does not retry
 * (the snapshot path retries failed entries itself, within its budget).
 */
export function createSnapshotDeps(
  config: Config,
  settlement: Pick<SettlementDeps, 'globalPolicy' | 'clock' | 'log'> & {
    readonly settings: Pick<SettlementSettings, 'retry'>;
  },
  clients: { readonly doc?: DynamoDBDocumentClient; readonly eventBridge?: EventBridgeClient } = {},
): SnapshotDeps {
  const doc = clients.doc ?? createDocumentClient({ endpoint: config.endpoints.dynamodb });
  const eventBridge =
    clients.eventBridge ??
    createEventBridgeClient({ endpoint: config.endpoints.eventBridge, maxAttempts: 1 });
  return {
    reader: new DynamoCommittedStateReader(doc, config.tables.ledger),
    publisher: new EventBridgeSnapshotPublisher(eventBridge, {
      source: config.notificationSource,
      eventBusName: config.eventBusName,
    }),
    globalPolicy: settlement.globalPolicy,
    clock: settlement.clock,
    settings: { retry: settlement.settings.retry, budgetMs: SNAPSHOT_BUDGET_MS },
    log: settlement.log,
  };
}
