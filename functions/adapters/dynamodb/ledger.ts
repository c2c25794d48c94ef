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
import { type PeriodUsage, periodUsageUpdate, readPeriodUsage } from './period-usage';
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
    const [outcome] = await this.settleGroup([write]);
    return outcome as LedgerOutcome;
  }

  /**
   * Settles a family's events in as few transactions as possible: each holds
   * up to 100 items (settlement records, outbox items and one aggregate update
   * per period). A settlement that already exists cancels its transaction; it
   * is answered as already settled and the rest is written again without it.
   */
  async settleGroup(writes: ReadonlyArray<SettlementWrite>): Promise<LedgerOutcome[]> {
    if (new Set(writes.map((w) => w.record.eventId)).size !== writes.length) {
      throw new InvariantError('LEDGER_INVARIANT', 'an eventId appears twice in one settlement group');
    }
    const outcomes = new Map<SettlementWrite, LedgerOutcome>();
    for (const chunk of chunks(writes)) {
      let pending = chunk;
      while (pending.length > 0) {
        const settledBefore = await this.writeChunk(pending);
        if (settledBefore.size === 0) {
          for (const write of pending) outcomes.set(write, { kind: 'settled' });
          break;
        }
        for (const [write, existing] of settledBefore)
          outcomes.set(write, { kind: 'already-settled', existing });
        pending = pending.filter((w) => !settledBefore.has(w));
      }
    }
    return writes.map((w) => outcomes.get(w) as LedgerOutcome);
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

  async periodUsage(familyId: number, period: string): Promise<PeriodUsage> {
    const { Item } = await this.db
      .send(
        new GetCommand({
          TableName: this.tables.ledger,
          Key: ledgerKeys.familyPeriod(familyId, period),
          ConsistentRead: true,
        }),
      )
      .catch((e) => {
        throw classifyDynamoError(e);
      });
    return readPeriodUsage(familyId, period, Item);
  }

  async loadSnapshot(familyId: number, period: string): Promise<FamilySnapshot> {
    const [directory, usage] = await Promise.all([
      this.loadDirectory(familyId),
      this.periodUsage(familyId, period),
    ]);
    return {
      familyId,
      period,
      quotaBytes: directory.quotaBytes ?? 0,
      familyUsedBytes: usage.usedBytes,
      members: directory.members.map((m) => {
        const u = usage.members.get(m.customerId);
        return {
          customerId: m.customerId,
          policy: m.policy,
          usedBytes: u?.usedBytes ?? 0,
          alerts: u?.alerts ?? [],
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

  /** One transaction; returns the writes whose settlement already existed (then nothing was written). */
  private async writeChunk(
    writes: ReadonlyArray<SettlementWrite>,
  ): Promise<Map<SettlementWrite, SettlementRecord>> {
    const owners: Array<{ write: SettlementWrite; role: 'settlement' | 'outbox' } | null> = [];
    const items: TransactItem[] = [];
    for (const write of writes) {
      owners.push({ write, role: 'settlement' });
      items.push({
        Put: {
          TableName: this.tables.ledger,
          Item: settlementItem(write.record),
          ConditionExpression: 'attribute_not_exists(PK)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      });
      if (write.outbox) {
        owners.push({ write, role: 'outbox' });
        items.push({
          Put: {
            TableName: this.tables.outbox,
            Item: { ...write.outbox },
            ConditionExpression: 'attribute_not_exists(notificationId)',
          },
        });
      }
    }
    for (const [period, group] of groupByPeriod(writes)) {
      const first = group[0] as SettlementWrite;
      owners.push(null);
      items.push({
        Update: periodUsageUpdate(
          this.tables.ledger,
          first.record.familyId,
          period,
          group,
          first.record.settledAt,
        ),
      });
    }
    try {
      await this.db.send(new TransactWriteCommand({ TransactItems: items }));
      return new Map();
    } catch (error) {
      if ((error as { name?: string }).name !== 'TransactionCanceledException')
        throw classifyDynamoError(error);
      return this.onCancelled(owners, error as CancelledError);
    }
  }

  private async onCancelled(
    owners: ReadonlyArray<{ write: SettlementWrite; role: 'settlement' | 'outbox' } | null>,
    error: CancelledError,
  ): Promise<Map<SettlementWrite, SettlementRecord>> {
    const reasons = error.CancellationReasons ?? [];
    const codes = reasons.map((r) => r.Code ?? 'None');
    const existing = new Map<SettlementWrite, SettlementRecord>();
    for (const [i, code] of codes.entries()) {
      const owner = owners[i];
      if (code !== 'ConditionalCheckFailed' || owner?.role !== 'settlement') continue;
      const returned = reasons[i]?.Item;
      const record = returned
        ? settlementFromItem(unmarshall(returned as Parameters<typeof unmarshall>[0]))
        : await this.getSettlement(owner.write.record.eventId);
      if (!record) throw new TransientError('settlement reported as existing but not readable yet');
      existing.set(owner.write, record);
    }
    if (existing.size > 0) return existing;
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

const MAX_TRANSACTION_ITEMS = 100;

/** Consecutive writes packed so each transaction stays within 100 items, aggregates included. */
function chunks(writes: ReadonlyArray<SettlementWrite>): SettlementWrite[][] {
  const result: SettlementWrite[][] = [];
  let current: SettlementWrite[] = [];
  let size = 0;
  const periods = new Set<string>();
  for (const write of writes) {
    const cost = write.outbox ? 2 : 1;
    const newPeriod = periods.has(write.record.period) ? 0 : 1;
    if (current.length > 0 && size + cost + periods.size + newPeriod > MAX_TRANSACTION_ITEMS) {
      result.push(current);
      current = [];
      size = 0;
      periods.clear();
    }
    current.push(write);
    size += cost;
    periods.add(write.record.period);
  }
  if (current.length > 0) result.push(current);
  return result;
}

function groupByPeriod(writes: ReadonlyArray<SettlementWrite>): Map<string, SettlementWrite[]> {
  const groups = new Map<string, SettlementWrite[]>();
  for (const write of writes) {
    const group = groups.get(write.record.period) ?? [];
    group.push(write);
    groups.set(write.record.period, group);
  }
  return groups;
}
