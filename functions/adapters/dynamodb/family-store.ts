import { type DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { TransientError } from '../../core/errors';
import {
  type Family,
  familySchema,
  type Member,
  type MemberPolicy,
  policySchema,
  readStoredPolicy,
} from '../../core/family';
import { type Period, periodOf, shiftPeriod } from '../../core/time';
import { classifyDynamoError } from './errors';
import { ledgerKeys } from './ledger-keys';
import { queryAll } from './query-all';

const MAX_TRANSACTION_ITEMS = 100;
const POLICY_WRITE_ATTEMPTS = 3;

/** The policy fields an operator changes; absent fields keep their stored value. */
export type PolicyPatch = Partial<MemberPolicy>;

/** Which periods a change reaches: those whose events are still accepted. */
export interface PeriodClock {
  readonly timeZone: string;
  readonly futureSkewMs: number;
}

/**
 * The periods whose events may still arrive: the previous one, the current
 * one and, right before a month ends, the next one.
 */
export function livePeriods(nowMs: number, clock: PeriodClock): Period[] {
  const current = periodOf(nowMs, clock.timeZone);
  return [
    ...new Set([shiftPeriod(current, -1), current, periodOf(nowMs + clock.futureSkewMs, clock.timeZone)]),
  ];
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
  return livePeriods(nowMs, clock).map((period) => {
    const fixed = quota === null ? null : period < current ? quota.before : quota.after;
    const setQuota =
      quota === null ? '' : period < current ? ' SET quota = if_not_exists(quota, :q)' : ' SET quota = :q';
    return {
      Update: {
        TableName: ledgerTable,
        Key: ledgerKeys.familyPeriod(familyId, period),
        UpdateExpression: `ADD ver :one${setQuota}`,
        ExpressionAttributeValues: { ':one': 1, ...(fixed === null ? {} : { ':q': fixed }) },
      },
    };
  });
}

/**
 * Writes families, members and policies (the operator's side of the ledger).
 * Input is validated and app ids normalised here, by the same rules the
 * usage path uses. Every change also moves the versions of the family's live
 * periods (see periodVersionBumps); the caller then drops those period states
 * from Redis.
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
    const items = [
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
    const puts = items.map((Item) => ({ Put: { TableName: this.ledgerTable, Item } }));
    const room = MAX_TRANSACTION_ITEMS - bumps.length;
    for (let i = 0; i < puts.length; i += room) {
      await this.db.send(new TransactWriteCommand({ TransactItems: [...puts.slice(i, i + room), ...bumps] }));
    }
    return family;
  }

  /** Removes a member; its later events are rejected. False when it was not a member. */
  async removeMember(familyId: number, customerId: number, nowMs = Date.now()): Promise<boolean> {
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Delete: {
                TableName: this.ledgerTable,
                Key: ledgerKeys.member(familyId, customerId),
                ConditionExpression: 'attribute_exists(PK)',
              },
            },
            ...periodVersionBumps(this.ledgerTable, familyId, nowMs, this.clock, null),
          ],
        }),
      );
      return true;
    } catch (error) {
      if ((error as { name?: string }).name === 'TransactionCanceledException') return false;
      throw classifyDynamoError(error);
    }
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

  /**
   * Changes only the given policy fields of a member, validated by the same
   * schema as putFamily. A read-modify-write guarded by the member's updatedAt,
   * so two operators editing different fields at once both keep their change.
   * Returns null when the customer is not a member of the family.
   */
  async setPolicy(
    familyId: number,
    customerId: number,
    patch: PolicyPatch,
    nowMs = Date.now(),
  ): Promise<{ before: MemberPolicy; after: MemberPolicy } | null> {
    const key = ledgerKeys.member(familyId, customerId);
    for (let attempt = 1; ; attempt++) {
      const { Item } = await this.db
        .send(new GetCommand({ TableName: this.ledgerTable, Key: key, ConsistentRead: true }))
        .catch((e) => {
          throw classifyDynamoError(e);
        });
      if (!Item) return null;
      const before = readStoredPolicy(Item.policy).policy;
      const after = policySchema.parse({ ...before, ...patch });
      const seen = typeof Item.updatedAt === 'number' ? Item.updatedAt : null;
      try {
        await this.db.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: this.ledgerTable,
                  Key: key,
                  UpdateExpression: 'SET policy = :policy, updatedAt = :now',
                  ConditionExpression:
                    seen === null
                      ? 'attribute_exists(PK) AND attribute_not_exists(updatedAt)'
                      : 'attribute_exists(PK) AND updatedAt = :seen',
                  ExpressionAttributeValues: {
                    ':policy': storedPolicy(after),
                    ':now': Math.max(nowMs, (seen ?? 0) + 1),
                    ...(seen === null ? {} : { ':seen': seen }),
                  },
                },
              },
              ...periodVersionBumps(this.ledgerTable, familyId, nowMs, this.clock, null),
            ],
          }),
        );
        return { before, after };
      } catch (error) {
        if ((error as { name?: string }).name !== 'TransactionCanceledException') {
          throw classifyDynamoError(error);
        }
        if (attempt >= POLICY_WRITE_ATTEMPTS) {
          throw new TransientError(`member ${customerId} of family ${familyId} kept changing; try again`);
        }
      }
    }
  }
}

export function storedPolicy(policy: MemberPolicy): Record<string, unknown> {
  return {
    monthlyLimitBytes: policy.monthlyLimitBytes,
    manualBlock: policy.manualBlock,
    blockWindow: policy.blockWindow,
    blockedApps: [...policy.blockedApps],
  };
}
