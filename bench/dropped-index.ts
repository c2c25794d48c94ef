import type { AttributeValue } from '@aws-sdk/client-dynamodb';

type Item = Record<string, AttributeValue>;

/**
 * An index the ledger no longer has, modelled for the write units it saves:
 * the entry it would hold for an item written, or null.
 */
export interface DroppedIndex {
  readonly name: string;
  entry(item: Item): Item | null;
}

/**
 * GSI1, settlements by family and period (keys FAMILY#<id>#PERIOD#<p> and
 * <eventTime>#<eventId>, ALL projection): every settlement record was
 * copied into it. Only the operator CLI's family view read it; the
 * settlement archive answers that question now.
 */
export const SETTLEMENTS_BY_FAMILY: DroppedIndex = {
  name: 'GSI1 (settlements by family and period)',
  entry(item) {
    if (item.type?.S !== 'SETTLEMENT') return null;
    return {
      ...item,
      GSI1PK: { S: `FAMILY#${item.familyId?.N}#PERIOD#${item.period?.S}` },
      GSI1SK: { S: `${item.eventTime?.S}#${item.eventId?.S}` },
    };
  },
};
