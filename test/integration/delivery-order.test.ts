import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UsageCache } from '../../functions/core/settlement/ports';
import { periodOf, periodStart } from '../../functions/core/time';
import { changeRecord, familyEvent, mskEvent, mskRecord, usage } from '../helpers/msk';
import { type SettlementEnv, startSettlementEnv } from '../helpers/settlement-env';

/**
 * Each family's events are decided as if applied one at a time in delivery
 * order, settled once, whatever Redis lost in between. Each case below is a
 * way that promise used to break.
 */
const ZONE = 'Asia/Seoul';
let env: SettlementEnv;
let nextFamily = 70_000;

beforeAll(async () => {
  env = await startSettlementEnv('order');
});
afterAll(() => env.stop());

const period = () => periodOf(Date.now(), ZONE);
const tag = () => Math.random().toString(36).slice(2, 8);

async function decisionsOf(familyId: number, p = period()) {
  const records = await env.settlements(familyId, p);
  return Object.fromEntries(records.map((r) => [String(r.eventId), String(r.decision)]));
}

async function redisRemaining(familyId: number, p = period()) {
  return (await env.cache.periodState(familyId, p))?.remaining;
}

describe('decisions in delivery order', () => {
  it('decides an event after a replayed one against the pool the replay did not touch again', async () => {
    const f = ++nextFamily;
    await env.families.putFamily({ familyId: f, quotaBytes: 1000, members: [{ customerId: 11 }] });
    const t = tag();
    const e1 = mskRecord(0, 10, usage(`${t}-e1`, f, 11, 400));
    expect(await env.invoke(mskEvent([e1]))).toEqual({ batchItemFailures: [] });
    await env.redis.redis.del(env.cache.keys.settled(f, `${t}-e1`));

    const e2 = mskRecord(0, 11, usage(`${t}-e2`, f, 11, 500));
    expect(await env.invoke(mskEvent([e1, e2]))).toEqual({ batchItemFailures: [] });

    expect(await decisionsOf(f)).toEqual({ [`${t}-e1`]: 'NORMAL', [`${t}-e2`]: 'WARNING_30' });
    expect(await env.usage(f, period())).toBe(900);
    expect(await redisRemaining(f)).toBe(100);
  });

  it('keeps delivery order when one member needs hydration and the next does not', async () => {
    const f = ++nextFamily;
    await env.families.putFamily({
      familyId: f,
      quotaBytes: 1202,
      members: [{ customerId: 11 }, { customerId: 12 }],
    });
    const t = tag();
    await env.invoke(
      mskEvent([mskRecord(0, 20, usage(`${t}-w1`, f, 11, 1)), mskRecord(0, 21, usage(`${t}-w2`, f, 12, 1))]),
    );
    // Everything Redis knew about the family, member 11's policy included.
    await env.redis.redis.del(env.cache.keys.period(f, period()));

    const response = await env.invoke(
      mskEvent([
        mskRecord(0, 22, usage(`${t}-a`, f, 11, 700)),
        mskRecord(0, 23, usage(`${t}-b`, f, 12, 700)),
      ]),
    );

    expect(response).toEqual({ batchItemFailures: [] });
    const decisions = await decisionsOf(f);
    expect(decisions[`${t}-a`]).toBe('WARNING_50');
    expect(decisions[`${t}-b`]).toBe('FAMILY_QUOTA_EXCEEDED');
    expect(await redisRemaining(f)).toBe(1202 - 702);
  });

  it('leaves nothing counted in Redis for an event rejected because its customer left the family', async () => {
    const f = ++nextFamily;
    await env.families.putFamily({
      familyId: f,
      quotaBytes: 10_000,
      members: [{ customerId: 11 }, { customerId: 12 }, { customerId: 13 }],
    });
    const t = tag();
    await env.invoke(
      mskEvent([mskRecord(0, 30, usage(`${t}-w1`, f, 12, 1)), mskRecord(0, 31, usage(`${t}-w2`, f, 13, 1))]),
    );
    await env.drainDeadLetters();
    // The member leaves in the ledger; Redis does not follow and still lists it.
    const ledgerOnly = env.changeHandlerWith({
      ...env.changeDeps,
      cache: {
        applyChange: async () => {
          throw new Error('Redis unreachable');
        },
      },
    });
    expect(
      await ledgerOnly(
        mskEvent([changeRecord(familyEvent(`${t}-leave`, 'MEMBER_LEFT', { familyId: f, customerId: 13 }))]),
      ),
    ).toEqual({ batchItemFailures: [] });

    const response = await env.invoke(
      mskEvent([
        mskRecord(0, 32, usage(`${t}-a`, f, 12, 100)),
        mskRecord(0, 33, usage(`${t}-b`, f, 13, 500)),
      ]),
    );

    expect(response).toEqual({ batchItemFailures: [] });
    expect((await env.drainDeadLetters()).map((l) => [l.eventId, l.reason])).toEqual([
      [`${t}-b`, 'NOT_A_MEMBER'],
    ]);
    expect(await env.usage(f, period())).toBe(102);
    expect(await redisRemaining(f)).toBe(10_000 - 102);
  });

  it("keeps a non-member's event rejected when its letter was lost and the customer joined before the redelivery", async () => {
    const f = ++nextFamily;
    await env.families.putFamily({ familyId: f, quotaBytes: 10_000, members: [{ customerId: 11 }] });
    const t = tag();
    const batch = mskEvent([
      mskRecord(0, 40, usage(`${t}-r`, f, 12, 100)),
      mskRecord(0, 41, usage(`${t}-s`, f, 11, 500)),
    ]);
    // The ledger commits both fates; then the dead-letter queue is unreachable, so the batch comes back.
    const unsent = await env.handlerWith({ ...env.deps, deadLetters: { send: async (letters) => letters } })(
      batch,
    );
    expect(unsent.batchItemFailures).toHaveLength(1);
    expect(
      await env.applyChange(
        mskEvent([changeRecord(familyEvent(`${t}-join`, 'MEMBER_JOINED', { familyId: f, customerId: 12 }))]),
      ),
    ).toEqual({ batchItemFailures: [] });

    expect(await env.invoke(batch)).toEqual({ batchItemFailures: [] });

    expect((await env.drainDeadLetters()).map((l) => [l.eventId, l.reason])).toEqual([
      [`${t}-r`, 'NOT_A_MEMBER'],
    ]);
    expect(await decisionsOf(f)).toEqual({ [`${t}-s`]: 'NORMAL' });
    expect(await env.usage(f, period())).toBe(500);
  });

  it('decides nothing after an event whose period state is missing until that state is loaded', async () => {
    const f = ++nextFamily;
    await env.families.putFamily({
      familyId: f,
      quotaBytes: 1202,
      members: [{ customerId: 11 }, { customerId: 12 }],
    });
    const t = tag();
    const previousMinute = new Date(periodStart(period(), ZONE) - 30_000).toISOString();
    const previous = periodOf(periodStart(period(), ZONE) - 30_000, ZONE);
    await env.invoke(
      mskEvent([
        mskRecord(0, 60, usage(`${t}-w1`, f, 11, 1, { timestamp: previousMinute })),
        mskRecord(0, 61, usage(`${t}-w2`, f, 12, 1)),
      ]),
    );
    await env.redis.redis.del(env.cache.keys.period(f, previous));

    const response = await env.invoke(
      mskEvent([
        mskRecord(0, 62, usage(`${t}-a`, f, 11, 1200, { timestamp: previousMinute })),
        mskRecord(0, 63, usage(`${t}-b`, f, 12, 700)),
        mskRecord(0, 64, usage(`${t}-c`, f, 11, 1)),
      ]),
    );

    expect(response).toEqual({ batchItemFailures: [] });
    expect((await decisionsOf(f, previous))[`${t}-a`]).toBe('WARNING_10');
    const decisions = await decisionsOf(f);
    expect(decisions[`${t}-b`]).toBe('WARNING_50');
    expect(decisions[`${t}-c`]).toBe('WARNING_50');
    expect(await redisRemaining(f, previous)).toBe(1);
    expect(await redisRemaining(f)).toBe(1202 - 702);
  });

  it('never mixes answers from a period state with answers from the one that replaced it', async () => {
    const f = ++nextFamily;
    await env.families.putFamily({ familyId: f, quotaBytes: 1000, members: [{ customerId: 11 }] });
    const t = tag();
    const previousMinute = new Date(periodStart(period(), ZONE) - 30_000).toISOString();
    await env.invoke(mskEvent([mskRecord(0, 70, usage(`${t}-w`, f, 11, 1))]));
    // Between the rounds of the next batch, the current period's state is lost and loaded afresh.
    let replaced = false;
    const cache: UsageCache = {
      ...env.deps.cache,
      decideLane: (...args) => env.deps.cache.decideLane(...args),
      confirm: (...args) => env.deps.cache.confirm(...args),
      invalidate: (...args) => env.deps.cache.invalidate(...args),
      hydrate: async (snapshot) => {
        if (!replaced) {
          replaced = true;
          await env.deps.cache.invalidate(f, [period()]);
        }
        return env.deps.cache.hydrate(snapshot);
      },
    };

    const response = await env.handlerWith({ ...env.deps, cache })(
      mskEvent([
        mskRecord(0, 71, usage(`${t}-a`, f, 11, 600)),
        mskRecord(0, 72, usage(`${t}-b`, f, 11, 10, { timestamp: previousMinute })),
        mskRecord(0, 73, usage(`${t}-c`, f, 11, 600)),
      ]),
    );

    expect(replaced).toBe(true);
    expect(response).toEqual({ batchItemFailures: [] });
    const decisions = await decisionsOf(f);
    expect([decisions[`${t}-a`], decisions[`${t}-c`]]).toEqual(['WARNING_50', 'FAMILY_QUOTA_EXCEEDED']);
    expect(await env.usage(f, period())).toBe(601);
    const state = await env.cache.periodState(f, period());
    if (state) expect(state.remaining).toBe(399);
  });

  it('hydrates each period of a lane that spans a month boundary', async () => {
    const f = ++nextFamily;
    await env.families.putFamily({ familyId: f, quotaBytes: 10_000, members: [{ customerId: 11 }] });
    const t = tag();
    const lastMinuteOfPrevious = new Date(periodStart(period(), ZONE) - 30_000).toISOString();
    const previous = periodOf(periodStart(period(), ZONE) - 30_000, ZONE);

    const response = await env.invoke(
      mskEvent([
        mskRecord(0, 40, usage(`${t}-old`, f, 11, 300, { timestamp: lastMinuteOfPrevious })),
        mskRecord(0, 41, usage(`${t}-new`, f, 11, 200)),
      ]),
    );

    expect(response).toEqual({ batchItemFailures: [] });
    expect(await decisionsOf(f, previous)).toEqual({ [`${t}-old`]: 'NORMAL' });
    expect(await decisionsOf(f)).toEqual({ [`${t}-new`]: 'NORMAL' });
    expect(await redisRemaining(f, previous)).toBe(9_700);
    expect(await redisRemaining(f)).toBe(9_800);
  });

  it('dead-letters a record whose key and headers alone exceed what SQS accepts', async () => {
    const record = {
      ...mskRecord(0, 50, '{"eventId": broken', { raw: true, key: 'k'.repeat(40_000) }),
      headers: [{ trace: Array.from({ length: 80_000 }, (_, i) => (i % 256) - 128) }],
    };

    expect(await env.invoke(mskEvent([record]))).toEqual({ batchItemFailures: [] });

    const [letter] = await env.drainDeadLetters();
    expect(letter?.reason).toBe('MALFORMED_JSON');
    expect(letter?.record.offset).toBe(50);
    if (!letter) throw new Error('no dead letter');
    const { truncated } = letter.record as unknown as { truncated: Record<string, { length: number }> };
    expect(truncated.key?.length).toBe(record.key?.length);
    expect(truncated.headers?.length).toBeGreaterThan(80_000);
  });
});
