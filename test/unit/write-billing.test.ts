import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { SETTLEMENTS_BY_FAMILY } from '../../bench/dropped-index';
import { itemSize } from '../../bench/item-size';
import { WriteBilling } from '../../bench/write-billing';
import { tableDefinitions } from '../../functions/adapters/dynamodb/table-definitions';

/** The bench's write model by kind of item: Puts by type, updated items by sort key prefix, the outbox as one kind. */
type Item = Record<string, AttributeValue>;
const tables = { ledger: 'ledger', outbox: 'outbox' };
const s = (value: string) => ({ S: value });

const settlement = (id: string, pad: number): Item => ({
  PK: s(`SETTLEMENT#${id}`),
  SK: s('SETTLEMENT'),
  type: s('SETTLEMENT'),
  familyId: { N: '1' },
  period: s('202507'),
  eventTime: s('2025-07-01T00:00:00.000Z'),
  eventId: s(id),
  note: s('x'.repeat(pad)),
});
const period: Item = {
  PK: s('FAMILY#1'),
  SK: s('PERIOD#202507'),
  GSI2PK: s('PERIOD#202507'),
  GSI2SK: { N: '1' },
  used_7: { N: '1500' },
};

/** A client whose BatchGetItem returns the period item. */
const client = {
  send: async () => ({ Responses: { ledger: [period] } }),
} as unknown as DynamoDBClient;

describe('write billing by kind of item', () => {
  it('sizes Puts by type, with their index entries apart: a settlement record is in no index', async () => {
    const billing = new WriteBilling(tableDefinitions(tables));
    billing.put('ledger', settlement('a', 100), true);
    billing.put('ledger', settlement('b', 1_100), true);
    billing.put('ledger', { PK: s('SETTLEMENT#c'), SK: s('SETTLEMENT'), type: s('REJECTION') }, true);
    billing.put('outbox', { notificationId: s('n'), type: s('THRESHOLD_ALERT'), status: s('PENDING') }, true);
    const { items } = await billing.total(client);
    const [small, large] = [itemSize(settlement('a', 100)), itemSize(settlement('b', 1_100))];
    expect(items.SETTLEMENT).toEqual({
      items: 2,
      writes: 2,
      meanBytes: (small + large) / 2,
      maxBytes: large,
      wcuPerWrite: (2 + 4) / 2,
      indexEntries: 0,
      indexMeanBytes: 0,
    });
    expect(items.REJECTION?.indexEntries).toBe(0);
    // The status index needs nextAttemptAt as well: no entry.
    expect(Object.keys(items).sort()).toEqual(['OUTBOX', 'REJECTION', 'SETTLEMENT']);
  });

  it('counts what the dropped settlements index would have written: one entry per settlement record, by its size', async () => {
    const billing = new WriteBilling(tableDefinitions(tables), [SETTLEMENTS_BY_FAMILY]);
    billing.put('ledger', settlement('a', 100), true);
    billing.put('ledger', settlement('b', 1_100), true);
    billing.put('ledger', { PK: s('SETTLEMENT#c'), SK: s('SETTLEMENT'), type: s('REJECTION') }, true);
    const { droppedIndexWcu, indexWcu } = await billing.total(client);
    // The small record's entry fits in 1 KB with its two index keys, the large one needs 2.
    expect(droppedIndexWcu).toBe(1 + 2);
    expect(indexWcu).toBe(0);
    expect(SETTLEMENTS_BY_FAMILY.entry(settlement('a', 0))).toMatchObject({
      GSI1PK: s('FAMILY#1#PERIOD#202507'),
      GSI1SK: s('2025-07-01T00:00:00.000Z#a'),
    });
  });

  it('sizes an updated item once, at its final size, by the prefix of its sort key', async () => {
    const billing = new WriteBilling(tableDefinitions(tables));
    const key = { PK: s('FAMILY#1'), SK: s('PERIOD#202507') };
    billing.sizedAtEnd('ledger', key, true);
    billing.sizedAtEnd('ledger', key, false);
    const { items, wcu } = await billing.total(client);
    expect(wcu).toBe(3);
    expect(items.PERIOD).toMatchObject({
      items: 1,
      writes: 2,
      meanBytes: itemSize(period),
      wcuPerWrite: 1.5,
    });
    // GSI2 is keys only: the table's keys and the index's.
    const { used_7: _, ...keys } = period;
    expect(items.PERIOD?.indexMeanBytes).toBe(itemSize(keys));
  });
});
