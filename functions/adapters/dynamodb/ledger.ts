import {
  BatchGetCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
} from '@aws-sdk/lib-dynamodb';
import type { MemberPolicy, PeriodSnapshot } from '../../core/family';
import { NO_POLICY, readStoredPolicy } from '../../core/family';
import type { RetryPolicy } from '../../core/retry';
import type { CommitResult, CommitUnit, Ledger } from '../../core/settlement/ports';
import type { LedgerFate, SettlementRecord } from '../../core/settlement/records';
import { DEFAULT_FATE_RETENTION_DAYS } from '../../core/settlement/retention';
import { commitPacked } from './commit-transactions';
import { classifyDynamoError } from './errors';
import { ledgerKeys } from './ledger-keys';
import { type PeriodUsage, readPeriodUsage } from './period-usage';
import { queryAll } from './query-all';
import { fateFromItem } from './settlement-item';

/** A family's directory: the plan quota, the family-wide policy and the members with their own. */
export interface FamilyDirectory {
  readonly familyId: number;
  readonly exists: boolean;
  readonly quotaBytes: number;
  readonly familyPolicy: MemberPolicy;
  readonly members: ReadonlyArray<{ readonly customerId: number; readonly policy: MemberPolicy }>;
}

const BATCH_GET_KEYS = 100;

export interface LedgerOptions {
  readonly retry: RetryPolicy;
  /** Transactions in flight at once. */
  readonly concurrency: number;
  /** Days a fate stays after the period following its event's (core/settlement/retention.ts); the default if absent. */
  readonly fateRetentionDays?: number;
}

/** The ledger in DynamoDB: the source of truth for settlements, usage, families and policies. */
export class DynamoLedger implements Ledger {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tables: { readonly ledger: string; readonly outbox: string },
    private readonly options: LedgerOptions = { retry: { maxAttempts: 3, baseDelayMs: 50 }, concurrency: 8 },
  ) {}

  commit(units: ReadonlyArray<CommitUnit>): Promise<CommitResult> {
    return commitPacked(this.db, this.tables, units, {
      ...this.options,
      fateRetentionDays: this.options.fateRetentionDays ?? DEFAULT_FATE_RETENTION_DAYS,
    });
  }

  /**
   * Period items first, then the family and its members: a family or policy
   * change that lands in between makes the members newer than the period's
   * version, and the version check at commit then sends the family round
   * again; the other order could pair old members with a new version.
   */
  async loadSnapshots(familyId: number, periods: ReadonlyArray<string>): Promise<PeriodSnapshot[]> {
    const usages = await Promise.all(periods.map((p) => this.periodUsage(familyId, p)));
    const directory = await this.loadDirectory(familyId);
    return usages.map((usage) => ({
      familyId,
      period: usage.period,
      quotaBytes: usage.quotaBytes ?? directory.quotaBytes,
      topupBytes: usage.topupBytes,
      familyUsedBytes: usage.usedBytes,
      version: usage.version,
      stampMs: usage.stampMs,
      globalRevision: usage.globalRevision,
      settledHorizonMs: usage.lastSettledAt,
      familyPolicy: directory.familyPolicy,
      members: directory.members.map((m) => {
        const u = usage.members.get(m.customerId);
        return {
          customerId: m.customerId,
          policy: m.policy,
          usedBytes: u?.usedBytes ?? 0,
          alerts: u?.alerts ?? [],
        };
      }),
    }));
  }

  async findFates(eventIds: ReadonlyArray<string>): Promise<Map<string, LedgerFate>> {
    const found = new Map<string, LedgerFate>();
    for (let i = 0; i < eventIds.length; i += BATCH_GET_KEYS) {
      let keys: Array<Record<string, unknown>> = eventIds
        .slice(i, i + BATCH_GET_KEYS)
        .map((id) => ledgerKeys.settlement(id));
      for (let attempt = 0; keys.length > 0; attempt++) {
        if (attempt > 0)
          await new Promise((r) => setTimeout(r, this.options.retry.baseDelayMs * 2 ** attempt));
        const page = await this.db
          .send(
            new BatchGetCommand({
              RequestItems: { [this.tables.ledger]: { Keys: keys, ConsistentRead: true } },
            }),
          )
          .catch((e) => {
            throw classifyDynamoError(e);
          });
        for (const item of page.Responses?.[this.tables.ledger] ?? []) {
          const fate = fateFromItem(item);
          found.set(fate.record.eventId, fate);
        }
        keys = page.UnprocessedKeys?.[this.tables.ledger]?.Keys ?? [];
      }
    }
    return found;
  }

  async loadDirectory(familyId: number): Promise<FamilyDirectory> {
    const items = await queryAll(this.db, {
      TableName: this.tables.ledger,
      ConsistentRead: true,
      KeyConditionExpression: 'PK = :pk AND SK < :bound',
      ExpressionAttributeValues: {
        ':pk': ledgerKeys.familyPk(familyId),
        ':bound': ledgerKeys.directorySortKeyBound,
      },
    });
    const head = items.find((i) => i.SK === ledgerKeys.family(familyId).SK);
    return {
      familyId,
      exists: head !== undefined,
      quotaBytes: Number(head?.quotaBytes ?? 0),
      familyPolicy: head?.policy === undefined ? NO_POLICY : readStoredPolicy(head.policy).policy,
      members: items
        .filter((i) => i !== head && i.active !== false)
        .map((i) => ({ customerId: Number(i.customerId), policy: readStoredPolicy(i.policy).policy })),
    };
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

  /**
   * Removes an event's rejection record, so that the event is decided again
   * (an operator's replay after fixing the membership). A settlement is never
   * removed: the condition holds only for a rejection. False when there was none.
   */
  async forgetRejection(eventId: string): Promise<boolean> {
    try {
      await this.db.send(
        new DeleteCommand({
          TableName: this.tables.ledger,
          Key: ledgerKeys.settlement(eventId),
          ConditionExpression: '#type = :rejection',
          ExpressionAttributeNames: { '#type': 'type' },
          ExpressionAttributeValues: { ':rejection': 'REJECTION' },
        }),
      );
      return true;
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
      throw classifyDynamoError(error);
    }
  }

  async getSettlement(eventId: string): Promise<SettlementRecord | null> {
    const fate = (await this.findFates([eventId])).get(eventId);
    return fate?.kind === 'settled' ? fate.record : null;
  }
}
