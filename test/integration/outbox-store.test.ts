import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoOutboxStore } from '../../functions/adapters/dynamodb/outbox-store';
import { newOutboxItem, OUTBOX_STATUS, type OutboxItem } from '../../functions/core/outbox/item';
import {
  afterPublish,
  afterPublishFailure,
  type OutboxPolicy,
} from '../../functions/core/outbox/transitions';
import { createTestTables, type TestTables } from '../helpers/local-aws';

const policy: OutboxPolicy = {
  maxAttempts: 5,
  backoffBaseMs: 60_000,
  backoffCapMs: 960_000,
  leaseMs: 60_000,
  sentRetentionSeconds: 86_400,
};
const T0 = 1_750_000_000_000;
const GRACE = 120_000;
let sequence = 0;

describe('DynamoOutboxStore: every transition is conditional', () => {
  let tables: TestTables;
  let store: DynamoOutboxStore;

  beforeAll(async () => {
    tables = await createTestTables('outbox-store');
    store = new DynamoOutboxStore(tables.doc, tables.names.outbox);
  });

  async function stage(createdAt = T0): Promise<OutboxItem> {
    const item = newOutboxItem(
      {
        familyId: 1,
        customerId: 2,
        type: 'CUSTOMER_BLOCKED',
        data: {
          originEventId: `store-${++sequence}`,
          eventTime: new Date(createdAt).toISOString(),
          period: '202506',
          status: 'MANUAL',
          reason: 'MANUAL',
          bytesUsed: 10,
        },
      },
      createdAt,
      GRACE,
    );
    await tables.doc.send(new PutCommand({ TableName: tables.names.outbox, Item: { ...item } }));
    return item;
  }

  it('finds due items through the status index only once nextAttemptAt has passed, page by page', async () => {
    // Earlier than every other item in this table, so the index returns these first.
    const base = T0 - 10 * 86_400_000;
    const items = [await stage(base), await stage(base), await stage(base + 1_000)];

    expect((await store.due(base + GRACE - 1, { limit: 10 })).items).toEqual([]);
    const first = await store.due(base + GRACE, { limit: 1 });
    const second = await store.due(base + GRACE, { limit: 1, cursor: first.cursor });
    const all = await store.due(base + GRACE + 1_000, { limit: 10 });

    expect([...first.items, ...second.items].map((i) => i.notificationId).sort()).toEqual(
      items
        .slice(0, 2)
        .map((i) => i.notificationId)
        .sort(),
    );
    expect(all.items.map((i) => i.notificationId)).toEqual(
      expect.arrayContaining(items.map((i) => i.notificationId)),
    );
  });

  it('grants a claim once, to the version that was read', async () => {
    const item = await stage();

    const mine = await store.claim(item, T0 + 500_000);
    const theirs = await store.claim(item, T0 + 600_000);

    expect(mine).toMatchObject({ notificationId: item.notificationId, nextAttemptAt: T0 + 500_000 });
    expect(theirs).toBeNull();
  });

  it('records a failure only while the lease is held, and marks SENT only from PUBLISH_PENDING', async () => {
    const item = await stage();
    const claimed = (await store.claim(item, T0 + 500_000)) as OutboxItem;
    const failure = afterPublishFailure(
      claimed,
      { code: 'InternalFailure', message: 'x', permanent: true },
      T0,
      policy,
    );

    expect(await store.recordFailure(item.notificationId, T0 + 1, failure)).toBe(false);
    expect(await store.recordFailure(item.notificationId, claimed.nextAttemptAt, failure)).toBe(true);
    expect(await store.markSent(item.notificationId, afterPublish(T0, policy))).toBe(false);
    expect(await store.get(item.notificationId)).toMatchObject({ status: OUTBOX_STATUS.failed, attempts: 1 });
  });

  it('requeues only FAILED items and never moves a SENT one', async () => {
    const item = await stage();
    const claimed = (await store.claim(item, T0 + 500_000)) as OutboxItem;

    expect(await store.requeue(item.notificationId, T0)).toBe(false);
    expect(await store.markSent(item.notificationId, afterPublish(T0 + 1, policy))).toBe(true);
    expect(await store.markSent(item.notificationId, afterPublish(T0 + 2, policy))).toBe(false);
    expect(await store.requeue(item.notificationId, T0)).toBe(false);
    expect(await store.claim(claimed, T0 + 700_000)).toBeNull();
    expect(await store.get(item.notificationId)).toMatchObject({
      status: OUTBOX_STATUS.sent,
      sentAt: T0 + 1,
    });
  });
});
