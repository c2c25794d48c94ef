import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mskEvent, mskRecord, usage } from '../helpers/msk';
import { type SettlementEnv, startSettlementEnv } from '../helpers/settlement-env';

let env: SettlementEnv;

beforeAll(async () => {
  env = await startSettlementEnv('decision-latency');
});
afterAll(() => env.stop());

describe('usage-events handler: decision latency', () => {
  it('reports one value per settled event, from its Kafka timestamp: none for a non-member, none for a redelivery', async () => {
    const familyId = 7_101;
    await env.families.putFamily({ familyId, quotaBytes: 10_000_000, members: [{ customerId: 1 }] });
    const seen: number[][] = [];
    const invoke = env.handlerWith(env.deps, {
      reportBatchItemFailures: true,
      onDecisionLatencies: (ms) => seen.push([...ms]),
    });
    const older = 5_000;
    const records = [
      { ...mskRecord(0, 1, usage('lat-1', familyId, 1, 100)), timestamp: Date.now() - older },
      mskRecord(0, 2, usage('lat-2', familyId, 1, 100)),
      mskRecord(0, 3, usage('lat-3', familyId, 99, 100)),
    ];
    const before = Date.now();
    await invoke(mskEvent(records));
    const elapsed = Date.now() - before;

    expect(seen).toHaveLength(1);
    const [first, second] = [...seen[0]!].sort((a, b) => b - a);
    expect(seen[0]).toHaveLength(2);
    expect(first).toBeGreaterThanOrEqual(older);
    expect(first).toBeLessThanOrEqual(older + elapsed + 1_000);
    expect(second).toBeGreaterThanOrEqual(0);
    expect(second).toBeLessThan(older);

    await invoke(mskEvent(records));
    expect(seen[1]).toEqual([]);
  });
});
