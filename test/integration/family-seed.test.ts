import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FamilyStore } from '../../functions/adapters/dynamodb/family-store';
import { DynamoLedger } from '../../functions/adapters/dynamodb/ledger';
import { periodOf } from '../../functions/core/time';
import { createTestTables, type TestTables } from '../helpers/local-aws';

let tables: TestTables;

beforeAll(async () => {
  tables = await createTestTables('family-seed');
});
afterAll(() => tables.client.destroy());

describe('bulk seeding of new families', () => {
  it('writes every family and member in BatchWriteItem requests of 25 items', async () => {
    const families = Array.from({ length: 12 }, (_, i) => ({
      familyId: 700 + i,
      quotaBytes: 1_000_000 * (i + 1),
      members: [1, 2, 3, 4].map((n) => ({
        customerId: (700 + i) * 10 + n,
        role: n === 1 ? 'OWNER' : 'MEMBER',
        policy: n === 2 ? { blockedApps: ['Com.Example.App'] } : {},
      })),
    }));
    const store = new FamilyStore(tables.doc, tables.names.ledger);
    // 12 families x 5 items = 60 items: 3 requests.
    expect(await store.seedNewFamilies(families, 2)).toBe(3);

    const seeded = await store.getFamily(711);
    expect(seeded?.quotaBytes).toBe(12_000_000);
    expect(seeded?.members.map((m) => m.customerId).sort()).toEqual([7111, 7112, 7113, 7114]);
    expect(seeded?.members.find((m) => m.customerId === 7112)?.policy.blockedApps).toEqual([
      'com.example.app',
    ]);

    // No period item yet: the first load sees version 0 and the members, as after putFamily.
    const period = periodOf(Date.now(), 'Asia/Seoul');
    const [snapshot] = await new DynamoLedger(tables.doc, tables.names).loadSnapshots(700, [period]);
    expect(snapshot?.quotaBytes).toBe(1_000_000);
    expect(snapshot?.members).toHaveLength(4);
    expect(snapshot?.familyUsedBytes).toBe(0);
  });
});
