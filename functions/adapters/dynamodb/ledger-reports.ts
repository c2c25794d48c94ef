import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Period } from '../../core/time';
import { classifyDynamoError } from './errors';
import { ledgerKeys } from './ledger-keys';
import { readPeriodUsage } from './period-usage';
import { queryAll } from './query-all';
import { LEDGER_TABLE } from './table-layout';

export interface MemberPeriodReport {
  readonly customerId: number;
  readonly usedBytes: number;
  readonly settledEvents: number;
  /** Usage of zero-rated apps: recorded, never charged. */
  readonly zeroRatedBytes: number;
  /** What corrections gave back of the member's usage this period. */
  readonly refundedBytes: number;
  readonly blockedEvents: number;
  readonly blockReasons: ReadonlyArray<string>;
  readonly blockedApps: ReadonlyArray<string>;
  readonly lastBlockReason: string | null;
  readonly lastBlockedAt: number | null;
  readonly alerts: ReadonlyArray<string>;
}

export interface FamilyPeriodReport {
  readonly familyId: number;
  readonly period: Period;
  readonly usedBytes: number;
  readonly settledEvents: number;
  /** The period's top-ups; the pool is the quota plus these. */
  readonly topupBytes: number;
  readonly members: ReadonlyArray<MemberPeriodReport>;
}

/**
 * Read-only views of the ledger for operators: a family's usage and block
 * state in a period, and the families with usage in a period. Every one is a
 * read by key or a Query on an index, never a scan.
 */
export class LedgerReports {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly ledgerTable: string,
  ) {}

  async periodUsage(familyId: number, period: Period): Promise<FamilyPeriodReport> {
    const { Item } = await this.db
      .send(
        new GetCommand({
          TableName: this.ledgerTable,
          Key: ledgerKeys.familyPeriod(familyId, period),
          ConsistentRead: true,
        }),
      )
      .catch((e) => {
        throw classifyDynamoError(e);
      });
    const usage = readPeriodUsage(familyId, period, Item);
    return {
      familyId,
      period,
      usedBytes: usage.usedBytes,
      settledEvents: usage.settledEvents,
      topupBytes: usage.topupBytes,
      members: [...usage.members.values()].map((m) => ({
        customerId: m.customerId,
        usedBytes: m.usedBytes,
        settledEvents: m.settledEvents,
        zeroRatedBytes: m.zeroRatedBytes,
        refundedBytes: m.refundedBytes,
        blockedEvents: m.blockedEvents,
        blockReasons: m.blockReasons,
        blockedApps: m.blockedApps,
        lastBlockReason: m.lastBlock?.reason ?? null,
        lastBlockedAt: m.lastBlock?.at ?? null,
        alerts: m.alerts,
      })),
    };
  }

  /** The families with counted usage in a period, ascending (GSI2, keys only). */
  async familiesWithUsage(period: Period): Promise<number[]> {
    const index = LEDGER_TABLE.periodFamiliesIndex;
    const items = await queryAll(this.db, {
      TableName: this.ledgerTable,
      IndexName: index.name,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': index.partitionKey },
      ExpressionAttributeValues: { ':pk': ledgerKeys.periodFamiliesIndexPk(period) },
    });
    return items.map((i) => Number(i[index.sortKey]));
  }
}
