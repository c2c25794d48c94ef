import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoChangeStore } from '../../functions/adapters/dynamodb/change-store';
import { RefreshingGlobalPolicy } from '../../functions/adapters/dynamodb/global-policy';
import { ledgerKeys } from '../../functions/adapters/dynamodb/ledger-keys';
import { RedisBreaker } from '../../functions/core/degraded/redis-breaker';
import { SettleLaneTwin } from '../../functions/core/degraded/settle-lane-twin';
import { TransientError } from '../../functions/core/errors';
import { systemClock } from '../../functions/core/ports';
import { periodOf } from '../../functions/core/time';
import { changeRecord, mskEvent, mskRecord, policyUpdated, usage } from '../helpers/msk';
import { type SettlementEnv, startSettlementEnv } from '../helpers/settlement-env';

/**
 * A global default change reaches every family without a write per family:
 * each takes it before its next decision, notified as a family-wide change
 * would be, and no family ever decides with an older global value again.
 */
const ZONE = 'Asia/Seoul';
const MB = 1_000_000;
let env: SettlementEnv;
let nextFamily = 86_000;
let seq = 0;
const id = (what: string) => `${what}-${++seq}-${Math.random().toString(36).slice(2, 6)}`;

beforeAll(async () => {
  env = await startSettlementEnv('global-changes');
});
afterAll(() => env.stop());

const period = () => periodOf(Date.now(), ZONE);
const globalBlock = (on: boolean) =>
  env.applyChange(mskEvent([changeRecord(policyUpdated(id('glb'), {}, 'BLOCK:ACCESS', on ? '1' : '0'))]));

async function family() {
  const familyId = ++nextFamily;
  await env.families.putFamily({ familyId, quotaBytes: 100 * MB, members: [{ customerId: 11 }] });
  return familyId;
}

async function decide(invoke: SettlementEnv['invoke'], familyId: number) {
  const envelope = usage(id('use'), familyId, 11, MB);
  expect(await invoke(mskEvent([mskRecord(0, ++seq, envelope)]))).toEqual({ batchItemFailures: [] });
  const settled = await env.settlements(familyId, period());
  return settled.find((s) => s.eventId === envelope.eventId);
}

async function notifications(familyId: number) {
  const { Items = [] } = await env.tables.doc.send(
    new QueryCommand({
      TableName: env.tables.names.outbox,
      IndexName: 'status-nextAttemptAt',
      KeyConditionExpression: '#s = :s',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':s': 'PUBLISH_PENDING' },
    }),
  );
  return Items.filter((i) => i.familyId === familyId && i.type !== 'POLICY_CHANGED')
    .sort((a, b) => Number(a.createdAt) - Number(b.createdAt))
    .map((i) => `${i.type}:${(i.data as { reason?: string }).reason}`);
}

describe('a global default change', () => {
  it('is never decided with an older value by a container that has not read it yet', async () => {
    const f = await family();
    await globalBlock(true);
    // A container that read the global level while it was blocked, and keeps it for a minute.
    const lagging = new RefreshingGlobalPolicy(
      new DynamoChangeStore(env.tables.doc, env.tables.names),
      60_000,
      systemClock,
    );
    expect((await lagging.current()).policy.manualBlock).toBe(true);
    const behind = env.handlerWith({ ...env.deps, globalPolicy: lagging });
    await globalBlock(false);

    expect((await decide(env.invoke, f))?.decision).toBe('NORMAL');
    // The family already decided with the lifted block: the lagging container reads it again.
    expect((await decide(behind, f))?.decision).toBe('NORMAL');
  });

  it('lifted and set again in the same month is notified again, as a family-wide block would be', async () => {
    const f = await family();
    await globalBlock(true);
    expect((await decide(env.invoke, f))?.decision).toBe('MANUAL');
    await globalBlock(false);
    expect((await decide(env.invoke, f))?.decision).toBe('NORMAL');
    await globalBlock(true);
    expect((await decide(env.invoke, f))?.decision).toBe('MANUAL');
    await globalBlock(false);

    expect(await notifications(f)).toEqual([
      'CUSTOMER_BLOCKED:MANUAL',
      'CUSTOMER_UNBLOCKED:MANUAL',
      'CUSTOMER_BLOCKED:MANUAL',
    ]);
  });

  it('reaches a family that had no event in between, one revision at a time', async () => {
    const f = await family();
    await globalBlock(true);
    expect((await decide(env.invoke, f))?.decision).toBe('MANUAL');
    await globalBlock(false);
    await globalBlock(true);

    expect((await decide(env.invoke, f))?.decision).toBe('MANUAL');
    expect(await notifications(f)).toEqual([
      'CUSTOMER_BLOCKED:MANUAL',
      'CUSTOMER_UNBLOCKED:MANUAL',
      'CUSTOMER_BLOCKED:MANUAL',
    ]);
    await globalBlock(false);
  });

  it('leaves each decision the global revision it was made with, whose values the ledger keeps', async () => {
    const f = await family();
    await globalBlock(true);
    const settled = await decide(env.invoke, f);
    await globalBlock(false);

    const revision = Number(settled?.globalRevision);
    expect(revision).toBeGreaterThan(0);
    const { Item } = await env.tables.doc.send(
      new GetCommand({ TableName: env.tables.names.ledger, Key: ledgerKeys.globalRevision(revision) }),
    );
    expect(Item?.after).toMatchObject({ manualBlock: true });
    expect(settled?.decision).toBe('MANUAL');
  });

  it('is taken the same way while Redis is out and the family is decided from the ledger', async () => {
    const f = await family();
    await globalBlock(true);
    expect((await decide(env.invoke, f))?.decision).toBe('MANUAL');
    await globalBlock(false);
    const unreachable = async () => {
      throw new TransientError('simulated: Redis is unreachable');
    };
    const breaker = new RedisBreaker({ failureThreshold: 1, cooldownMs: 60_000 }, systemClock);
    const degraded = env.handlerWith({
      ...env.deps,
      cache: { decideLane: unreachable, hydrate: unreachable, confirm: unreachable, invalidate: unreachable },
      degradation: { breaker, inMemory: () => new SettleLaneTwin() },
    });

    const settled = await decide(degraded, f);

    expect([settled?.decision, settled?.decidedFrom]).toEqual(['NORMAL', 'ledger']);
    expect(await notifications(f)).toEqual(['CUSTOMER_BLOCKED:MANUAL', 'CUSTOMER_UNBLOCKED:MANUAL']);
  });
});
