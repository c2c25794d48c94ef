import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { TransientError } from '../../core/errors';
import {
  type Family,
  familySchema,
  type Member,
  type MemberPolicy,
  policySchema,
  readStoredPolicy,
} from '../../core/family';
import { classifyDynamoError } from './errors';
import { ledgerKeys } from './ledger-keys';

const MAX_TRANSACTION_ITEMS = 100;
const POLICY_WRITE_ATTEMPTS = 3;

/** The policy fields an operator changes; absent fields keep their stored value. */
export type PolicyPatch = Partial<MemberPolicy>;

/**
 * Writes families, members and policies (the operator's side of the ledger).
 * Input is validated and app ids normalised here, by the same rules the
 * usage path uses.
 */
export class FamilyStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly ledgerTable: string,
  ) {}

  async putFamily(input: unknown, nowMs = Date.now()): Promise<Family> {
    const family = familySchema.parse(input);
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
    for (let i = 0; i < items.length; i += MAX_TRANSACTION_ITEMS) {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: items
            .slice(i, i + MAX_TRANSACTION_ITEMS)
            .map((Item) => ({ Put: { TableName: this.ledgerTable, Item } })),
        }),
      );
    }
    return family;
  }

  /** The family with its members and policies; null when the family does not exist. */
  async getFamily(familyId: number): Promise<Family | null> {
    const items: Record<string, unknown>[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db
        .send(
          new QueryCommand({
            TableName: this.ledgerTable,
            KeyConditionExpression: 'PK = :pk AND SK < :bound',
            ExpressionAttributeValues: {
              ':pk': ledgerKeys.familyPk(familyId),
              ':bound': ledgerKeys.directorySortKeyBound,
            },
            ConsistentRead: true,
            ExclusiveStartKey,
          }),
        )
        .catch((e) => {
          throw classifyDynamoError(e);
        });
      items.push(...(page.Items ?? []));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
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
          new UpdateCommand({
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
          }),
        );
        return { before, after };
      } catch (error) {
        if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') {
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
