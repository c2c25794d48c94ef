import { type DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type Period, periodStart, shiftPeriod } from '../../core/time';
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
    /** The settlement zone: where a period's event times begin and end. */
    private readonly timeZone: string,
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
    // A period is the event times from its first instant to the next period's, in the settlement zone.
    const from = periodStart(period, this.timeZone);
    const until = periodStart(shiftPeriod(period, 1), this.timeZone) - 1;
    // The cursor carries only where the last page ended; the member and the period are the request's,
    // so a cursor never reads another member's settlements.
    let start: Record<string, unknown> | undefined = after
      ? {
          ...ledgerKeys.settlement(after.eventId),
          [index.partitionKey]: customerId,
          [index.sortKey]: after.eventTimeMs,
        }
      : undefined;
    const found: Record<string, unknown>[] = [];
    // One more than the page, so whether another follows is known; the filter may need more than a request.
    do {
      const page = await this.db
        .send(
          new QueryCommand({
            TableName: this.ledgerTable,
            IndexName: index.name,
            KeyConditionExpression: '#customer = :customer AND #time BETWEEN :from AND :until',
            // A customer who moved families in the period has the other family's settlements here too,
            // and a correction record carries a member and an event time like a settlement.
            FilterExpression: 'familyId = :family AND #type = :settlement',
            ExpressionAttributeNames: {
              '#customer': index.partitionKey,
              '#time': index.sortKey,
              '#type': 'type',
            },
            ExpressionAttributeValues: {
              ':settlement': 'SETTLEMENT',
              ':customer': customerId,
              ':from': from,
              ':until': until,
              ':family': familyId,
            },
            ScanIndexForward: false,
            Limit: limit + 1 - found.length,
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        )
        .catch((e) => {
          throw classifyDynamoError(e);
        });
      found.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start && found.length <= limit);
    const events = found.slice(0, limit).map((i) => ({
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
      next: found.length > limit && last ? { eventTimeMs: last.eventTimeMs, eventId: last.eventId } : null,
    };
  }
}
