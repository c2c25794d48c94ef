import { BatchWriteCommand, type DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { forEachConcurrently } from '../../core/concurrency';
import {
  type Family,
  familySchema,
  type Member,
  type MemberPolicy,
  readStoredPolicy,
} from '../../core/family';
import { acceptedPeriods, periodOf } from '../../core/time';
import { ledgerKeys } from './ledger-keys';
import { queryAll } from './query-all';

const MAX_TRANSACTION_ITEMS = 100;
/** DynamoDB's limit for one BatchWriteItem request. */
const BATCH_WRITE_ITEMS = 25;
const SEED_SLICE_FAMILIES = 5_000;

/** Which periods a change reaches: those whose events are still accepted. */
export interface PeriodClock {
  readonly timeZone: string;
  readonly futureSkewMs: number;
}

/**
 * The updates that move the live period items' versions with a family or
 * policy change, so that decisions Redis made from the state before the change
 * never commit. The quota of a period is fixed when its item is created: a
 * quota change applies from the current period on, and fixes the previous
 * period at the quota it had.
 */
function periodVersionBumps(
  ledgerTable: string,
  familyId: number,
  nowMs: number,
  clock: PeriodClock,
  quota: { readonly before: number; readonly after: number } | null,
) {
  const current = periodOf(nowMs, clock.timeZone);
  return acceptedPeriods(nowMs, clock.timeZone, clock.futureSkewMs).map((period) => {
    const fixed = quota === null ? null : period < current ? quota.before : quota.after;
    const setQuota =
      quota === null ? '' : period < current ? ', quota = if_not_exists(quota, :q)' : ', quota = :q';
    return {
      Update: {
        TableName: ledgerTable,
        Key: ledgerKeys.familyPeriod(familyId, period),
        // The change stamp, as a change event leaves it: the snapshots' kept limits are read again.
        UpdateExpression: `ADD ver :one SET configuredAt = :now${setQuota}`,
        ExpressionAttributeValues: { ':one': 1, ':now': nowMs, ...(fixed === null ? {} : { ':q': fixed }) },
      },
    };
  });
}

/**
 * Seeds families, members and policies for local runs, the benchmark and
 * tests, before their events flow. Input is validated and app ids normalised
 * by the same rules the usage path uses. Changes after that are versioned
 * events and go through the change core (core/changes), as in production.
 */
export class FamilyStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly ledgerTable: string,
    private readonly clock: PeriodClock = { timeZone: 'Asia/Seoul', futureSkewMs: 300_000 },
  ) {}

  async putFamily(input: unknown, nowMs = Date.now()): Promise<Family> {
    const family = familySchema.parse(input);
    const previous = await this.getFamily(family.familyId);
    const quota =
      previous && previous.quotaBytes !== family.quotaBytes
        ? { before: previous.quotaBytes, after: family.quotaBytes }
        : null;
    const bumps = periodVersionBumps(this.ledgerTable, family.familyId, nowMs, this.clock, quota);
    const items = directoryItems(family, nowMs);
    const puts = items.map((Item) => ({ Put: { TableName: this.ledgerTable, Item } }));
    const room = MAX_TRANSACTION_ITEMS - bumps.length;
    for (let i = 0; i < puts.length; i += room) {
      await this.db.send(new TransactWriteCommand({ TransactItems: [...puts.slice(i, i + room), ...bumps] }));
    }
    return family;
  }

  /**
   * Writes families that do not exist yet, with BatchWriteItem (25 items a
   * request, `concurrency` requests in flight): the bulk seed of the
   * benchmark, where one transaction per family would take many minutes.
   * Without the period version bumps of putFamily: a family with no period
   * item has no Redis state to outdate. Returns the requests sent.
   */
  async seedNewFamilies(
    inputs: ReadonlyArray<unknown>,
    concurrency = 16,
    nowMs = Date.now(),
  ): Promise<number> {
    let requests = 0;
    // A slice of families at a time: 1.25M items built at once would hold hundreds of MB.
    for (let from = 0; from < inputs.length; from += SEED_SLICE_FAMILIES) {
      const items = inputs
        .slice(from, from + SEED_SLICE_FAMILIES)
        .flatMap((input) => directoryItems(familySchema.parse(input), nowMs));
      const chunks: Array<typeof items> = [];
      for (let i = 0; i < items.length; i += BATCH_WRITE_ITEMS)
        chunks.push(items.slice(i, i + BATCH_WRITE_ITEMS));
      await forEachConcurrently(chunks, concurrency, async (chunk) => {
        const sent = await this.batchPut(chunk);
        requests += sent;
      });
    }
    return requests;
  }

  /** One BatchWriteItem, and again for what DynamoDB left unprocessed, backing off; returns the requests sent. */
  private async batchPut(items: ReadonlyArray<Record<string, unknown>>): Promise<number> {
    let pending = items.map((Item) => ({ PutRequest: { Item } }));
    let attempt = 0;
    for (; pending.length > 0; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1_000, 25 * 2 ** attempt)));
      const { UnprocessedItems } = await this.db.send(
        new BatchWriteCommand({ RequestItems: { [this.ledgerTable]: pending } }),
      );
      pending = (UnprocessedItems?.[this.ledgerTable] ?? []) as typeof pending;
    }
    return attempt;
  }

  /** The family with its members and policies; null when the family does not exist. */
  async getFamily(familyId: number): Promise<Family | null> {
    const items = await queryAll(this.db, {
      TableName: this.ledgerTable,
      KeyConditionExpression: 'PK = :pk AND SK < :bound',
      ExpressionAttributeValues: {
        ':pk': ledgerKeys.familyPk(familyId),
        ':bound': ledgerKeys.directorySortKeyBound,
      },
      ConsistentRead: true,
    });
    const head = items.find((i) => i.SK === ledgerKeys.family(familyId).SK);
    if (!head) return null;
    const members: Member[] = items
      .filter((i) => i !== head)
      .map((i) => ({
        customerId: Number(i.customerId),
        role: i.role === 'OWNER' ? 'OWNER' : 'MEMBER',
        policy: readStoredPolicy(i.policy).policy,
      }));
    return {
      familyId,
      name: typeof head.name === 'string' ? head.name : null,
      quotaBytes: Number(head.quotaBytes ?? 0),
      members,
    };
  }
}

/** The family's directory items: the family, then each member with its policy. */
function directoryItems(family: Family, nowMs: number): Array<Record<string, unknown>> {
  return [
    {
      ...ledgerKeys.family(family.familyId),
      type: 'FAMILY',
      familyId: family.familyId,
      name: family.name ?? undefined,
      quotaBytes: family.quotaBytes,
      updatedAt: nowMs,
    },
    ...family.members.map((m) => ({
      ...ledgerKeys.member(family.familyId, m.customerId),
      type: 'MEMBER',
      familyId: family.familyId,
      customerId: m.customerId,
      role: m.role,
      policy: storedPolicy(m.policy),
      updatedAt: nowMs,
    })),
  ];
}

export function storedPolicy(policy: MemberPolicy): Record<string, unknown> {
  return {
    monthlyLimitBytes: policy.monthlyLimitBytes,
    manualBlock: policy.manualBlock,
    blockWindow: policy.blockWindow,
    blockedApps: [...policy.blockedApps],
    zeroRatedApps: [...policy.zeroRatedApps],
  };
}
