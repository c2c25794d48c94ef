import { type DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Period } from '../../core/time';
import type { FamilyPeriodFigures, SettlementsPage, UsageReader } from '../../core/usage-api/ports';
import type { SettlementCursor } from '../../core/usage-api/request';
import type { DynamoChangeStore } from './change-store';
import { classifyDynamoError } from './errors';
import { ledgerKeys } from './ledger-keys';
import { readPeriodUsage } from './period-usage';
import { LEDGER_TABLE } from './table-layout';

/**
 * The usage API's reads. A family's figures are three strongly consistent
 * requests in parallel (the directory Query, the period item, the global
 * level): the same answer the ledger would give a commit. A member's
 * settlements are one Query of the member settlements index, which is
 * eventually consistent like every global secondary index.
 */
export class DynamoUsageReads implements UsageReader {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly ledgerTable: string,
    private readonly changes: DynamoChangeStore,
  ) {}

  async familyPeriod(familyId: number, period: Period): Promise<FamilyPeriodFigures> {
    const [family, item, global] = await Promise.all([
      this.changes.readFamily(familyId, []),
      this.db
        .send(
          new GetCommand({
            TableName: this.ledgerTable,
            Key: ledgerKeys.familyPeriod(familyId, period),
            ConsistentRead: true,
          }),
        )
        .then(
          (r) => r.Item,
          (e) => Promise.reject(classifyDynamoError(e)),
        ),
      this.changes.readGlobal(),
    ]);
    const usage = readPeriodUsage(familyId, period, item);
    return {
      family,
      quotaBytes: usage.quotaBytes,
      topupBytes: usage.topupBytes,
      usedBytes: usage.usedBytes,
      version: usage.version,
      members: new Map(
        [...usage.members].map(([id, m]) => [
          id,
          { usedBytes: m.usedBytes, zeroRatedBytes: m.zeroRatedBytes, latestDecision: m.latestDecision },
        ]),
      ),
      globalPolicy: global.policy,
    };
  }

  async memberSettlements(
    familyId: number,
    customerId: number,
    period: Period,
    limit: number,
    after: SettlementCursor | null,
  ): Promise<SettlementsPage> {
    const index = LEDGER_TABLE.memberSettlementsIndex;
    const pk = ledgerKeys.memberSettlementsPk(familyId, customerId, period);
    // The cursor carries only the sort key's parts; the partition is the request's, so a cursor
    // never reads another member's settlements.
    const start = after && {
      ...ledgerKeys.settlement(after.eventId),
      [index.partitionKey]: pk,
      [index.sortKey]: ledgerKeys.memberSettlementsSk(after.eventTimeMs, after.eventId),
    };
    const page = await this.db
      .send(
        new QueryCommand({
          TableName: this.ledgerTable,
          IndexName: index.name,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': index.partitionKey },
          ExpressionAttributeValues: { ':pk': pk },
          ScanIndexForward: false,
          // One more than the page: whether another page follows is then known, never an empty last page.
          Limit: limit + 1,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      )
      .catch((e) => {
        throw classifyDynamoError(e);
      });
    const items = page.Items ?? [];
    const events = items.slice(0, limit).map((i) => ({
      eventId: String(i.eventId),
      eventTimeMs: Number(i.eventTimeMs),
      appId: typeof i.appId === 'string' ? i.appId : null,
      bytesUsed: Number(i.bytesUsed),
      decision: String(i.decision),
      correctedBytes: typeof i.correctedBytes === 'number' ? i.correctedBytes : null,
    }));
    const last = events.at(-1);
    return {
      events,
      next: items.length > limit && last ? { eventTimeMs: last.eventTimeMs, eventId: last.eventId } : null,
    };
  }
}
