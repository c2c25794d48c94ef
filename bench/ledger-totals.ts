import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type DynamoDBDocumentClient, ScanCommand, type ScanCommandInput } from '@aws-sdk/lib-dynamodb';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/services/dynamodb-local';

/** What a run left in the ledger: the figures two runs of one workload must agree on. */
export interface LedgerTotals {
  readonly settled: number;
  readonly byDecision: Record<string, number>;
  readonly notificationsStaged: number;
  /** Family and member period usage items: "PK|SK" -> their counters, sets and markers. */
  readonly usage: ReadonlyMap<string, string>;
  /** Families with a threshold or block decision, and those that ran out of quota. */
  readonly familiesCrossing: number;
  readonly familiesRunningOut: number;
}

async function scanAll(doc: DynamoDBDocumentClient, input: ScanCommandInput) {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(new ScanCommand({ ...input, ExclusiveStartKey }));
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

/**
 * Attributes of a period item that record when or by which run it was
 * written, not what: the commit stamp (`ts`) and each member's last screen
 * change (`shown_<id>`) are commit times. `ver` counts commits, which differ
 * by transaction shape.
 */
const VOLATILE = /^(updatedAt|lastSettledAt|lastBlock.*|GSI2.*|ver|ts|shown_\d+)$/;

/** A period item's content as a comparable string: every attribute but the volatile ones, sets sorted. */
function usageOf(item: Record<string, unknown>): string {
  const fields = Object.keys(item)
    .filter((name) => name !== 'PK' && name !== 'SK' && !VOLATILE.test(name))
    .sort()
    .map((name) => {
      const value = item[name];
      return `${name}=${value instanceof Set ? [...value].map(String).sort().join(',') : String(value)}`;
    });
  return fields.join(' ');
}

/** Reads the totals with scans (fine for a bench on its own tables; the product never scans). */
export async function readLedgerTotals(
  doc: DynamoDBDocumentClient,
  tables: { readonly ledger: string; readonly outbox: string },
): Promise<LedgerTotals> {
  const settlements = await scanAll(doc, {
    TableName: tables.ledger,
    // A rejection record (a non-member's remembered fate) shares the key prefix but settles nothing.
    FilterExpression:
      'begins_with(#pk, :settlement) AND (attribute_not_exists(#type) OR #type <> :rejection)',
    ProjectionExpression: '#decision, #family',
    ExpressionAttributeNames: {
      '#pk': 'PK',
      '#decision': 'decision',
      '#family': 'familyId',
      '#type': 'type',
    },
    ExpressionAttributeValues: { ':settlement': 'SETTLEMENT#', ':rejection': 'REJECTION' },
  });
  const byDecision: Record<string, number> = {};
  const crossing = new Set<number>();
  const runningOut = new Set<number>();
  for (const item of settlements) {
    const decision = String(item.decision);
    byDecision[decision] = (byDecision[decision] ?? 0) + 1;
    const familyId = Number(item.familyId);
    if (decision.startsWith('WARNING_') || decision === 'FAMILY_QUOTA_EXCEEDED') crossing.add(familyId);
    if (decision === 'FAMILY_QUOTA_EXCEEDED') runningOut.add(familyId);
  }
  const periods = await scanAll(doc, {
    TableName: tables.ledger,
    FilterExpression: 'begins_with(#sk, :period)',
    ExpressionAttributeNames: { '#sk': 'SK' },
    ExpressionAttributeValues: { ':period': 'PERIOD#' },
  });
  const usage = new Map(periods.map((item) => [`${String(item.PK)}|${String(item.SK)}`, usageOf(item)]));
  const outbox = await scanAll(doc, { TableName: tables.outbox, ProjectionExpression: 'notificationId' });
  return {
    settled: settlements.length,
    byDecision,
    notificationsStaged: outbox.length,
    usage,
    familiesCrossing: crossing.size,
    familiesRunningOut: runningOut.size,
  };
}

/** The differences between two runs' totals (empty: the same). */
export function compareTotals(a: LedgerTotals, b: LedgerTotals): string[] {
  const differences: string[] = [];
  if (a.settled !== b.settled) differences.push(`settled ${a.settled} vs ${b.settled}`);
  if (a.notificationsStaged !== b.notificationsStaged) {
    differences.push(`notifications ${a.notificationsStaged} vs ${b.notificationsStaged}`);
  }
  for (const decision of new Set([...Object.keys(a.byDecision), ...Object.keys(b.byDecision)])) {
    if (a.byDecision[decision] !== b.byDecision[decision]) {
      differences.push(`${decision} ${a.byDecision[decision] ?? 0} vs ${b.byDecision[decision] ?? 0}`);
    }
  }
  for (const key of new Set([...a.usage.keys(), ...b.usage.keys()])) {
    if (a.usage.get(key) !== b.usage.get(key)) {
      differences.push(`${key}: ${a.usage.get(key) ?? 'absent'} vs ${b.usage.get(key) ?? 'absent'}`);
    }
  }
  return differences;
}

/** Messages in the dead-letter queue (rejected events). */
export async function deadLetterCount(endpoint: string, queueUrl: string): Promise<number> {
  const sqs = new SQSClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  try {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    return Number(Attributes?.ApproximateNumberOfMessages ?? Number.NaN);
  } finally {
    sqs.destroy();
  }
}
