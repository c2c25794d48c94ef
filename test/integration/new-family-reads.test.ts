import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../functions/adapters/dynamodb/client';
import { DynamoLedger } from '../../functions/adapters/dynamodb/ledger';
import { LOCAL_REGION } from '../../local/services/dynamodb-local';
import { mskEvent, mskRecord, usage } from '../helpers/msk';
import { type SettlementEnv, startSettlementEnv } from '../helpers/settlement-env';

let env: SettlementEnv;
let nextFamily = 91_000;

beforeAll(async () => {
  env = await startSettlementEnv('new-family-reads');
});
afterAll(() => env.stop());

/** The ledger's client with every request it sends recorded: operation and table. */
function countingLedger() {
  const doc = createDocumentClient({ endpoint: env.tables.endpoint, region: LOCAL_REGION });
  const sent: string[] = [];
  doc.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push(String(context.commandName).replace(/Command$/, ''));
      return next(args);
    },
    { step: 'initialize', name: 'countRequests' },
  );
  const count = () => {
    const byOperation: Record<string, number> = {};
    for (const op of sent.splice(0)) byOperation[op] = (byOperation[op] ?? 0) + 1;
    return byOperation;
  };
  return { ledger: new DynamoLedger(doc, env.tables.names), count };
}

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

describe('a new family costs one read of its member list', () => {
  it('reads the directory once and the period item once, then commits in one transaction', async () => {
    const familyId = ++nextFamily;
    await env.families.putFamily({
      familyId,
      quotaBytes: 50_000_000,
      members: [{ customerId: 1, role: 'OWNER' }, { customerId: 2 }, { customerId: 3 }, { customerId: 4 }],
    });
    const { ledger, count } = countingLedger();
    const invoke = env.handlerWith({ ...env.deps, ledger });
    const tag = Math.random().toString(36).slice(2, 8);
    // Members, and one customer who is not a member: membership comes from the same read.
    const customers = [1, 2, 3, 4, 2, 9, 1, 3];
    const records = customers.map((c, i) =>
      mskRecord(0, i, usage(`${tag}-${i}`, familyId, c, 100_000, { timestamp: minutesAgo(10 - i) })),
    );

    expect(await invoke(mskEvent(records))).toEqual({ batchItemFailures: [] });
    // Query: the family and its members; GetItem: the period's usage item.
    expect(count()).toEqual({ Query: 1, GetItem: 1, TransactWriteItems: 1 });
    expect(await env.drainDeadLetters()).toHaveLength(1);

    const more = [1, 4].map((c, i) =>
      mskRecord(0, 100 + i, usage(`${tag}-m${i}`, familyId, c, 100_000, { timestamp: minutesAgo(2 - i) })),
    );
    expect(await invoke(mskEvent(more))).toEqual({ batchItemFailures: [] });
    // Redis holds the state now: nothing is read again.
    expect(count()).toEqual({ TransactWriteItems: 1 });
  });
});
