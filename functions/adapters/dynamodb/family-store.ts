import { type DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { type Family, familySchema, type MemberPolicy } from '../../core/family';
import { ledgerKeys } from './ledger-keys';

const MAX_TRANSACTION_ITEMS = 100;

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
}

export function storedPolicy(policy: MemberPolicy): Record<string, unknown> {
  return {
    monthlyLimitBytes: policy.monthlyLimitBytes,
    manualBlock: policy.manualBlock,
    blockWindow: policy.blockWindow,
    blockedApps: [...policy.blockedApps],
  };
}
