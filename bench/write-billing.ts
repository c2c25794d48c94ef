import {
  type AttributeValue,
  BatchGetItemCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { itemSize, writeUnits } from './item-size';

type Item = Record<string, AttributeValue>;

/** How DynamoDB bills a write: transactional writes cost two units per KB, standard writes one. */
const multiplier = (transactional: boolean) => (transactional ? 2 : 1);

const BATCH_GET_LIMIT = 100;

interface SizedLater {
  readonly table: string;
  readonly key: Item;
  /** Sum of multipliers of the writes to this key (2 per transactional write, 1 per standard). */
  units: number;
}

interface IndexShape {
  readonly keys: ReadonlyArray<string>;
  /** Attributes an index entry holds; null: all of them. */
  readonly projected: ReadonlyArray<string> | null;
}

export interface BilledWrites {
  /** Table writes, billing model. */
  readonly wcu: number;
  /** Estimated index (GSI) writes on top, at 1 unit per KB of index entry. */
  readonly indexWcu: number;
  readonly readBackKeys: number;
}

/**
 * Write capacity as AWS bills it, from what the client committed. A Put is
 * billed by the size of the item written. An Update, a ConditionCheck or a
 * Delete is billed by the size of the item (after the update): those are read
 * back once per distinct key at the end of the run and the final size is used
 * for every write to the key, an upper bound since usage items only grow.
 *
 * Index writes are estimated apart: each Put writes an entry in every index
 * whose keys it holds; an updated item is counted once (its index keys never
 * change after it is created, which is how the ledger writes its index).
 */
export class WriteBilling {
  private putUnits = 0;
  private indexUnits = 0;
  private readonly later = new Map<string, SizedLater>();
  private readonly indexes: ReadonlyMap<string, ReadonlyArray<IndexShape>>;

  constructor(tables: ReadonlyArray<CreateTableCommandInput>) {
    this.indexes = new Map(tables.map((t) => [t.TableName ?? '', indexShapes(t)]));
  }

  put(table: string, item: Item, transactional: boolean): void {
    this.putUnits += multiplier(transactional) * writeUnits(itemSize(item));
    this.indexUnits += this.indexWrites(table, item);
  }

  sizedAtEnd(table: string, key: Item, transactional: boolean): void {
    const id = `${table}\u0000${keyId(key)}`;
    const entry = this.later.get(id) ?? { table, key, units: 0 };
    entry.units += multiplier(transactional);
    this.later.set(id, entry);
  }

  /** Reads the updated items back (BatchGetItem, not metered) and returns the billed write units. */
  async total(client: DynamoDBClient): Promise<BilledWrites> {
    let wcu = this.putUnits;
    let indexWcu = this.indexUnits;
    const entries = [...this.later.values()];
    const items = new Map<string, Item>();
    for (let i = 0; i < entries.length; i += BATCH_GET_LIMIT) {
      const chunk = entries.slice(i, i + BATCH_GET_LIMIT);
      let request: Record<string, { Keys: Item[] }> | undefined = {};
      for (const { table, key } of chunk) {
        const keys = request[table]?.Keys ?? [];
        keys.push(key);
        request[table] = { Keys: keys };
      }
      while (request && Object.keys(request).length > 0) {
        const output = await client.send(new BatchGetItemCommand({ RequestItems: request }));
        for (const [table, returned] of Object.entries(output.Responses ?? {})) {
          const names = Object.keys(chunk.find((r) => r.table === table)?.key ?? {});
          for (const item of returned) items.set(`${table}\u0000${keyId(pick(item, names))}`, item);
        }
        request = output.UnprocessedKeys as Record<string, { Keys: Item[] }> | undefined;
      }
    }
    for (const entry of entries) {
      const item = items.get(`${entry.table}\u0000${keyId(entry.key)}`);
      wcu += entry.units * writeUnits(item ? itemSize(item) : 0);
      if (item) indexWcu += this.indexWrites(entry.table, item);
    }
    return { wcu, indexWcu, readBackKeys: entries.length };
  }

  private indexWrites(table: string, item: Item): number {
    let units = 0;
    for (const index of this.indexes.get(table) ?? []) {
      if (!index.keys.every((k) => item[k] !== undefined)) continue;
      units += writeUnits(itemSize(index.projected === null ? item : pick(item, index.projected)));
    }
    return units;
  }
}

function indexShapes(table: CreateTableCommandInput): IndexShape[] {
  const tableKeys = (table.KeySchema ?? []).map((k) => k.AttributeName ?? '');
  return (table.GlobalSecondaryIndexes ?? []).map((gsi) => {
    const keys = (gsi.KeySchema ?? []).map((k) => k.AttributeName ?? '');
    const projection = gsi.Projection?.ProjectionType;
    const projected =
      projection === 'ALL'
        ? null
        : [
            ...tableKeys,
            ...keys,
            ...(projection === 'INCLUDE' ? (gsi.Projection?.NonKeyAttributes ?? []) : []),
          ];
    return { keys, projected };
  });
}

const pick = (item: Item, names: ReadonlyArray<string>): Item =>
  Object.fromEntries(names.filter((n) => item[n] !== undefined).map((n) => [n, item[n] as AttributeValue]));

/** A stable id of a key: its attributes in name order. */
function keyId(key: Item): string {
  return JSON.stringify(
    Object.keys(key)
      .sort()
      .map((name) => [name, key[name]]),
  );
}
