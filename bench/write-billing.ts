import {
  type AttributeValue,
  BatchGetItemCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { LEDGER_TABLE, OUTBOX_TABLE } from '../functions/adapters/dynamodb/table-layout';
import type { DroppedIndex } from './dropped-index';
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
  writes: number;
}

interface IndexShape {
  readonly keys: ReadonlyArray<string>;
  /** Attributes an index entry holds; null: all of them. */
  readonly projected: ReadonlyArray<string> | null;
}

/** Every item of the outbox table is one kind: its `type` is the notification's, not the record's. */
export const OUTBOX_KIND = 'OUTBOX';

/** The items of one kind a run wrote, sized as DynamoDB counts them (bench/item-size.ts). */
export interface ItemKindSizes {
  /** Puts; for items sized at the end, distinct items (each at its final size). */
  readonly items: number;
  readonly writes: number;
  readonly meanBytes: number;
  readonly maxBytes: number;
  /** Billed table write units per write (transactional writes count double). */
  readonly wcuPerWrite: number;
  /** Estimated index (GSI) entries of these items, from the tables' projections; kept apart from the items. */
  readonly indexEntries: number;
  readonly indexMeanBytes: number;
}

export interface BilledWrites {
  /** Table writes, billing model. */
  readonly wcu: number;
  /** Estimated index (GSI) writes on top, at 1 unit per KB of index entry. */
  readonly indexWcu: number;
  /** What the dropped indexes would have added, the same way: the write units dropping them saves. */
  readonly droppedIndexWcu: number;
  readonly readBackKeys: number;
  /**
   * By kind: a Put by its `type` attribute (SETTLEMENT, REJECTION), an item
   * sized at the end by its sort key's prefix (PERIOD), any outbox item as
   * OUTBOX. Keys not found when read back (a condition check on an item never
   * created) have no size and are left out.
   */
  readonly items: Record<string, ItemKindSizes>;
}

class KindTally {
  items = 0;
  writes = 0;
  bytes = 0;
  maxBytes = 0;
  units = 0;
  indexEntries = 0;
  indexBytes = 0;

  add(size: number, writes: number, units: number, indexSizes: ReadonlyArray<number>): void {
    this.items++;
    this.writes += writes;
    this.bytes += size;
    this.maxBytes = Math.max(this.maxBytes, size);
    this.units += units;
    this.indexEntries += indexSizes.length;
    this.indexBytes += indexSizes.reduce((a, b) => a + b, 0);
  }

  copy(): KindTally {
    return Object.assign(new KindTally(), this);
  }

  sizes(): ItemKindSizes {
    return {
      items: this.items,
      writes: this.writes,
      meanBytes: this.bytes / this.items,
      maxBytes: this.maxBytes,
      wcuPerWrite: this.units / this.writes,
      indexEntries: this.indexEntries,
      indexMeanBytes: this.indexEntries === 0 ? 0 : this.indexBytes / this.indexEntries,
    };
  }
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
  private droppedUnits = 0;
  private readonly putKinds = new Map<string, KindTally>();
  private readonly later = new Map<string, SizedLater>();
  private readonly indexes: ReadonlyMap<string, ReadonlyArray<IndexShape>>;
  private readonly outboxTables: ReadonlySet<string>;

  constructor(
    tables: ReadonlyArray<CreateTableCommandInput>,
    private readonly dropped: ReadonlyArray<DroppedIndex> = [],
  ) {
    this.indexes = new Map(tables.map((t) => [t.TableName ?? '', indexShapes(t)]));
    this.outboxTables = new Set(
      tables
        .filter((t) => t.KeySchema?.some((k) => k.AttributeName === OUTBOX_TABLE.partitionKey))
        .map((t) => t.TableName ?? ''),
    );
  }

  put(table: string, item: Item, transactional: boolean): void {
    const size = itemSize(item);
    const units = multiplier(transactional) * writeUnits(size);
    const indexSizes = this.indexEntrySizes(table, item);
    this.putUnits += units;
    this.indexUnits += indexUnits(indexSizes);
    for (const index of this.dropped) {
      const entry = index.entry(item);
      if (entry) this.droppedUnits += writeUnits(itemSize(entry));
    }
    const kind = this.kindOf(table, item.type?.S ?? sortKeyPrefix(item));
    tally(this.putKinds, kind).add(size, 1, units, indexSizes);
  }

  sizedAtEnd(table: string, key: Item, transactional: boolean): void {
    const id = `${table}\u0000${keyId(key)}`;
    const entry = this.later.get(id) ?? { table, key, units: 0, writes: 0 };
    entry.units += multiplier(transactional);
    entry.writes++;
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
    // Copies: a second call must not count the updated items twice.
    const kinds = new Map([...this.putKinds].map(([kind, t]) => [kind, t.copy()]));
    for (const entry of entries) {
      const item = items.get(`${entry.table}\u0000${keyId(entry.key)}`);
      const size = item ? itemSize(item) : 0;
      wcu += entry.units * writeUnits(size);
      if (!item) continue;
      const indexSizes = this.indexEntrySizes(entry.table, item);
      indexWcu += indexUnits(indexSizes);
      const kind = this.kindOf(entry.table, sortKeyPrefix(entry.key));
      tally(kinds, kind).add(size, entry.writes, entry.units * writeUnits(size), indexSizes);
    }
    const sizes = Object.fromEntries([...kinds].map(([kind, t]) => [kind, t.sizes()]));
    return { wcu, indexWcu, droppedIndexWcu: this.droppedUnits, readBackKeys: entries.length, items: sizes };
  }

  private kindOf(table: string, itemKind: string): string {
    return this.outboxTables.has(table) ? OUTBOX_KIND : itemKind;
  }

  /** Sizes of the entries an item has in its table's indexes: one per index whose keys it holds. */
  private indexEntrySizes(table: string, item: Item): number[] {
    return (this.indexes.get(table) ?? [])
      .filter((index) => index.keys.every((k) => item[k] !== undefined))
      .map((index) => itemSize(index.projected === null ? item : pick(item, index.projected)));
  }
}

const indexUnits = (sizes: ReadonlyArray<number>) => sizes.reduce((n, size) => n + writeUnits(size), 0);

function tally(kinds: Map<string, KindTally>, kind: string): KindTally {
  const existing = kinds.get(kind);
  if (existing) return existing;
  const created = new KindTally();
  kinds.set(kind, created);
  return created;
}

/** PERIOD#202507 -> PERIOD, FAMILY -> FAMILY (functions/adapters/dynamodb/ledger-keys.ts). */
const sortKeyPrefix = (item: Item): string => (item[LEDGER_TABLE.sortKey]?.S ?? '').split('#')[0] ?? '';

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
