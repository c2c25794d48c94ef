import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { itemSize } from './item-size';

type Item = Record<string, AttributeValue>;

export const READ_OPERATIONS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems']);

/** 4 KB per read unit, at least one unit a read, even of an item that is not there (as AWS bills it). */
const readUnits = (sizeBytes: number) => Math.max(1, Math.ceil(sizeBytes / 4096));
/** A strongly consistent read costs a whole unit per 4 KB, an eventually consistent one half. */
const consistency = (input: { ConsistentRead?: boolean }) => (input.ConsistentRead ? 1 : 0.5);

/**
 * Read capacity of one answered request as AWS bills it, from the marshalled
 * input and output: per item read for GetItem, BatchGetItem (each key,
 * found or not) and TransactGetItems (two units per 4 KB); per request, from
 * the total size of the items returned, for Query and Scan (items a filter
 * dropped are not seen here: a lower bound for a filtered query).
 */
export function billedReadUnits(operation: string, input: Record<string, unknown>, output: object): number {
  const out = output as {
    Item?: Item;
    Items?: Item[];
    Responses?: Record<string, Item[]> | Array<{ Item?: Item }>;
    UnprocessedKeys?: Record<string, { Keys?: Item[] }>;
  };
  switch (operation) {
    case 'GetItem':
      return consistency(input) * readUnits(out.Item ? itemSize(out.Item) : 0);
    case 'Query':
    case 'Scan':
      return consistency(input) * readUnits((out.Items ?? []).reduce((n, i) => n + itemSize(i), 0));
    case 'BatchGetItem': {
      let units = 0;
      const requests = input.RequestItems as Record<string, { Keys: Item[]; ConsistentRead?: boolean }>;
      const found = (out.Responses ?? {}) as Record<string, Item[]>;
      for (const [table, request] of Object.entries(requests)) {
        const items = found[table] ?? [];
        // Keys DynamoDB left unprocessed are asked again (and billed) in the next request.
        const unprocessed = out.UnprocessedKeys?.[table]?.Keys?.length ?? 0;
        const missing = Math.max(0, request.Keys.length - items.length - unprocessed);
        const sizes = [...items.map(itemSize), ...Array<number>(missing).fill(0)];
        units += consistency(request) * sizes.reduce((n, size) => n + readUnits(size), 0);
      }
      return units;
    }
    case 'TransactGetItems':
      return ((out.Responses ?? []) as Array<{ Item?: Item }>).reduce(
        (n, r) => n + 2 * readUnits(r.Item ? itemSize(r.Item) : 0),
        0,
      );
    default:
      return 0;
  }
}
