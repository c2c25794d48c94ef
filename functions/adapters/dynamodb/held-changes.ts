import {
  BatchGetCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import type { HeldChange, HeldChangeStore, HoldOutcome } from '../../core/changes/held-changes';
import type { MskRecord } from '../../core/kafka-record';
import { isRejectionReason } from '../../core/rejection';
import { classifyDynamoError } from './errors';
import { ledgerKeys } from './ledger-keys';
import { LEDGER_TABLE } from './table-layout';

const classified = <T>(request: Promise<T>): Promise<T> =>
  request.catch((error: unknown) => {
    throw classifyDynamoError(error);
  });

const isConditionFailure = (error: unknown) =>
  (error as { name?: string }).name === 'ConditionalCheckFailedException';

/**
 * Held changes as ledger items in their family's partition, also in the
 * periods index (sparse, keys only) under one partition sorted by when their
 * wait runs out, so the sweeper finds the expired ones without a scan.
 */
export class DynamoHeldChanges implements HeldChangeStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async hold(change: HeldChange, maxPerFamily: number): Promise<HoldOutcome> {
    const { Count = 0 } = await classified(
      this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
          ExpressionAttributeValues: {
            ':pk': ledgerKeys.familyPk(change.familyId),
            ':prefix': ledgerKeys.heldPrefix,
          },
          Select: 'COUNT',
          ConsistentRead: true,
        }),
      ),
    );
    if (Count >= maxPerFamily) return 'full';
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            ...ledgerKeys.heldChange(change.familyId, change.version),
            type: 'HELD_CHANGE',
            familyId: change.familyId,
            eventId: change.eventId,
            version: change.version,
            record: change.record,
            reason: change.rejection.reason,
            message: change.rejection.message,
            heldAt: change.heldAtMs,
            expiresAt: change.expiresAtMs,
            [LEDGER_TABLE.periodFamiliesIndex.partitionKey]: ledgerKeys.heldChangesIndexPk,
            [LEDGER_TABLE.periodFamiliesIndex.sortKey]: change.expiresAtMs,
          },
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      );
      return 'held';
    } catch (error) {
      if (isConditionFailure(error)) return 'already-held';
      throw classifyDynamoError(error);
    }
  }

  async heldFor(familyId: number): Promise<HeldChange[]> {
    const { Items = [] } = await classified(
      this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
          ExpressionAttributeValues: {
            ':pk': ledgerKeys.familyPk(familyId),
            ':prefix': ledgerKeys.heldPrefix,
          },
          ConsistentRead: true,
        }),
      ),
    );
    return Items.map(heldFromItem);
  }

  async release(change: Pick<HeldChange, 'familyId' | 'version'>): Promise<boolean> {
    try {
      await this.db.send(
        new DeleteCommand({
          TableName: this.table,
          Key: ledgerKeys.heldChange(change.familyId, change.version),
          ConditionExpression: 'attribute_exists(PK)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw classifyDynamoError(error);
    }
  }

  async expired(nowMs: number, limit: number): Promise<HeldChange[]> {
    const index = LEDGER_TABLE.periodFamiliesIndex;
    const { Items: keys = [] } = await classified(
      this.db.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: index.name,
          KeyConditionExpression: '#pk = :held AND #sk <= :now',
          ExpressionAttributeNames: { '#pk': index.partitionKey, '#sk': index.sortKey },
          ExpressionAttributeValues: { ':held': ledgerKeys.heldChangesIndexPk, ':now': nowMs },
          Limit: limit,
        }),
      ),
    );
    if (keys.length === 0) return [];
    const { Responses } = await classified(
      this.db.send(
        new BatchGetCommand({
          RequestItems: {
            [this.table]: { Keys: keys.map((k) => ({ PK: k.PK, SK: k.SK })), ConsistentRead: true },
          },
        }),
      ),
    );
    return (Responses?.[this.table] ?? []).map(heldFromItem).sort((a, b) => a.expiresAtMs - b.expiresAtMs);
  }
}

function heldFromItem(item: Record<string, unknown>): HeldChange {
  const reason = String(item.reason);
  return {
    familyId: Number(item.familyId),
    eventId: String(item.eventId),
    version: String(item.version),
    record: item.record as MskRecord,
    rejection: {
      reason: isRejectionReason(reason) ? reason : 'NOT_A_MEMBER',
      message: String(item.message ?? ''),
    },
    heldAtMs: Number(item.heldAt),
    expiresAtMs: Number(item.expiresAt),
  };
}
