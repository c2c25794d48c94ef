import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { InvariantError, TransientError } from '../../core/errors';
import type { FamilySnapshot, Member } from '../../core/family';
import { readStoredPolicy } from '../../core/family';
import type { FamilyDirectory, Ledger, LedgerOutcome } from '../../core/ports';
import type { SettlementRecord, SettlementWrite } from '../../core/settlement';
import { classifyDynamoError } from './errors';
import { ledgerKeys } from './ledger-keys';
import { settlementFromItem, settlementItem } from './settlement-item';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

const RETRYABLE_CANCELLATIONS = new Set([
  'TransactionConflict',
  'ThrottlingError',
  'ProvisionedThroughputExceeded',
]);

/** The ledger in DynamoDB: the source of truth for settlements, usage, families and policies. */
export class DynamoLedger implements Ledger {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tables: { readonly ledger: string; readonly outbox: string },
  ) {}

  async settle(write: SettlementWrite): Promise<LedgerOutcome> {
    const items = this.transactItems(write);
    try {
      await this.db.send(new TransactWriteCommand({ TransactItems: items }));
      return { kind: 'settled' };
    } catch (error) {
      if ((error as { name?: string }).name !== 'TransactionCanceledException')
        throw classifyDynamoError(error);
      return this.onCancelled(write, error as CancelledError);
    }
  }

  async loadDirectory(familyId: number): Promise<FamilyDirectory> {
    const items = await this.query({
      KeyConditionExpression: 'PK = :pk AND SK < :bound',
      ExpressionAttributeValues: {
        ':pk': ledgerKeys.familyPk(familyId),
        ':bound': ledgerKeys.directorySortKeyBound,
      },
    });
    let quotaBytes: number | null = null;
    const members: Member[] = [];
    for (const item of items) {
      if (item.SK === 'FAMILY') {
        quotaBytes = Number(item.quotaBytes ?? 0);
      } else {
        members.push({
          customerId: Number(item.customerId),
          role: item.role === 'OWNER' ? 'OWNER' : 'MEMBER',
          policy: readStoredPolicy(item.policy).policy,
        });
      }
    }
    return { familyId, quotaBytes, members };
  }

  async loadSnapshot(familyId: number, period: string): Promise<FamilySnapshot> {
    const [directory, usage] = await Promise.all([
      this.loadDirectory(familyId),
      this.query({
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        ExpressionAttributeValues: {
          ':pk': ledgerKeys.familyPk(familyId),
          ':prefix': ledgerKeys.periodPrefix(period),
        },
      }),
    ]);
    const familyUsage = usage.find((i) => i.SK === ledgerKeys.familyPeriod(familyId, period).SK);
    const memberUsage = new Map(usage.filter((i) => i !== familyUsage).map((i) => [Number(i.customerId), i]));
    return {
      familyId,
      period,
      quotaBytes: directory.quotaBytes ?? 0,
      familyUsedBytes: Number(familyUsage?.usedBytes ?? 0),
      members: directory.members.map((m) => {
        const u = memberUsage.get(m.customerId);
        return {
          customerId: m.customerId,
          policy: m.policy,
          usedBytes: Number(u?.usedBytes ?? 0),
          alerts: u?.alerts instanceof Set ? [...(u.alerts as Set<string>)] : [],
        };
      }),
    };
  }

  async getSettlement(eventId: string): Promise<SettlementRecord | null> {
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.tables.ledger,
        Key: ledgerKeys.settlement(eventId),
        ConsistentRead: true,
      }),
    );
    return Item ? settlementFromItem(Item) : null;
  }

  private transactItems({ record, outbox }: SettlementWrite): TransactItem[] {
    const { familyId, customerId, period, decision } = record;
    const now = record.settledAt;
    const items: TransactItem[] = [
      {
        Put: {
          TableName: this.tables.ledger,
          Item: settlementItem(record),
          ConditionExpression: 'attribute_not_exists(PK)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
    ];
    const alerts = decision.markers.length > 0 ? { ':alerts': new Set(decision.markers) } : {};
    const addAlerts = decision.markers.length > 0 ? ', alerts :alerts' : '';
    const memberKey = ledgerKeys.memberPeriod(familyId, period, customerId);
    if (decision.counted) {
      items.push(
        {
          Update: {
            TableName: this.tables.ledger,
            Key: ledgerKeys.familyPeriod(familyId, period),
            UpdateExpression:
              'ADD usedBytes :b, settledEvents :one ' +
              'SET familyId = :f, period = :p, updatedAt = :now, GSI2PK = :periodKey, GSI2SK = :f',
            ExpressionAttributeValues: {
              ':b': record.bytesUsed,
              ':one': 1,
              ':f': familyId,
              ':p': period,
              ':now': now,
              ':periodKey': ledgerKeys.periodFamiliesIndexPk(period),
            },
          },
        },
        {
          Update: {
            TableName: this.tables.ledger,
            Key: memberKey,
            UpdateExpression: `ADD usedBytes :b, settledEvents :one${addAlerts} SET familyId = :f, customerId = :c, period = :p, updatedAt = :now`,
            ExpressionAttributeValues: {
              ':b': record.bytesUsed,
              ':one': 1,
              ':f': familyId,
              ':c': customerId,
              ':p': period,
              ':now': now,
              ...alerts,
            },
          },
        },
      );
    } else {
      const apps =
        decision.status === 'APP_BLOCK' && record.appId ? { ':apps': new Set([record.appId]) } : {};
      items.push({
        Update: {
          TableName: this.tables.ledger,
          Key: memberKey,
          UpdateExpression:
            `ADD blockedEvents :one, blockReasons :reasons${apps[':apps'] ? ', blockedApps :apps' : ''}${addAlerts} ` +
            'SET familyId = :f, customerId = :c, period = :p, lastBlockReason = :reason, ' +
            'lastBlockedEventId = :e, lastBlockedAt = :now, updatedAt = :now',
          ExpressionAttributeValues: {
            ':one': 1,
            ':reasons': new Set([decision.status]),
            ':reason': decision.status,
            ':e': record.eventId,
            ':f': familyId,
            ':c': customerId,
            ':p': period,
            ':now': now,
            ...apps,
            ...alerts,
          },
        },
      });
    }
    if (outbox) {
      items.push({
        Put: {
          TableName: this.tables.outbox,
          Item: { ...outbox },
          ConditionExpression: 'attribute_not_exists(notificationId)',
        },
      });
    }
    return items;
  }

  private async onCancelled(write: SettlementWrite, error: CancelledError): Promise<LedgerOutcome> {
    const reasons = error.CancellationReasons ?? [];
    const codes = reasons.map((r) => r.Code ?? 'None');
    if (codes[0] === 'ConditionalCheckFailed') {
      const existing = reasons[0]?.Item
        ? settlementFromItem(unmarshallReturned(reasons[0].Item))
        : await this.getSettlement(write.record.eventId);
      if (!existing) throw new TransientError('settlement reported as existing but not readable yet');
      return { kind: 'already-settled', existing };
    }
    if (codes.every((c) => c === 'None' || RETRYABLE_CANCELLATIONS.has(c))) {
      throw new TransientError(`settlement transaction cancelled: ${codes.join(',')}`, { cause: error });
    }
    throw new InvariantError('LEDGER_INVARIANT', `settlement transaction cancelled: ${codes.join(',')}`, {
      cause: error,
    });
  }

  private async query(input: {
    KeyConditionExpression: string;
    ExpressionAttributeValues: Record<string, unknown>;
  }): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db
        .send(
          new QueryCommand({
            TableName: this.tables.ledger,
            ConsistentRead: true,
            ExclusiveStartKey,
            ...input,
          }),
        )
        .catch((e) => {
          throw classifyDynamoError(e);
        });
      items.push(...(page.Items ?? []));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return items;
  }
}

interface CancelledError {
  readonly CancellationReasons?: ReadonlyArray<{ Code?: string; Item?: Record<string, unknown> }>;
}

/**
 * The document client does not unmarshall items inside cancellation reasons:
 * they arrive as raw AttributeValues.
 */
function unmarshallReturned(item: Record<string, unknown>): Record<string, unknown> {
  return unmarshall(item as Parameters<typeof unmarshall>[0]);
}
