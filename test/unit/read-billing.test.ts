import { describe, expect, it } from 'vitest';
import { billedReadUnits } from '../../bench/read-billing';

/** The bench's read capacity model: what AWS bills per read, found or not, by consistency and size. */
const item = (bytes: number) => ({ PK: { S: 'k' }, blob: { S: 'x'.repeat(bytes) } });

describe('read capacity as billed', () => {
  it('bills a strongly consistent GetItem a unit per 4 KB, at least one even when nothing is found', () => {
    expect(billedReadUnits('GetItem', { ConsistentRead: true }, { Item: item(100) })).toBe(1);
    expect(billedReadUnits('GetItem', { ConsistentRead: true }, { Item: item(5_000) })).toBe(2);
    expect(billedReadUnits('GetItem', { ConsistentRead: true }, {})).toBe(1);
    expect(billedReadUnits('GetItem', {}, { Item: item(100) })).toBe(0.5);
  });

  it('bills BatchGetItem per key asked, found or not, but not the keys left unprocessed', () => {
    const input = { RequestItems: { t: { Keys: [{}, {}, {}, {}], ConsistentRead: true } } };
    const output = {
      Responses: { t: [item(100), item(9_000)] },
      UnprocessedKeys: { t: { Keys: [{}] } },
    };
    expect(billedReadUnits('BatchGetItem', input, output)).toBe(1 + 3 + 1);
  });

  it('bills a Query by the total size it returned, and TransactGetItems double', () => {
    expect(billedReadUnits('Query', { ConsistentRead: true }, { Items: [item(3_000), item(3_000)] })).toBe(2);
    expect(billedReadUnits('Query', {}, { Items: [] })).toBe(0.5);
    expect(billedReadUnits('TransactGetItems', {}, { Responses: [{ Item: item(100) }, {}] })).toBe(4);
  });
});
