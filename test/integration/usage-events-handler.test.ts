import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvariantError, TransientError } from '../../functions/core/errors';
import type { Ledger } from '../../functions/core/settlement/ports';
import { periodOf } from '../../functions/core/time';
import { mskEvent, mskRecord, type UsageEnvelope, usage } from '../helpers/msk';
import { type SettlementEnv, startSettlementEnv } from '../helpers/settlement-env';

const ZONE = 'Asia/Seoul';
const MB = 1_000_000;
let env: SettlementEnv;
let nextFamily = 5000;

beforeAll(async () => {
  env = await startSettlementEnv('handler');
});
afterAll(() => env.stop());

const period = () => periodOf(Date.now(), ZONE);
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

/** Two families on two partitions with a mix of allowed usage, a manual block and an app block. */
async function scenario() {
  const f1 = ++nextFamily;
  const f2 = ++nextFamily;
  await env.families.putFamily({
    familyId: f1,
    quotaBytes: 10 * MB,
    members: [
      { customerId: 11, role: 'OWNER' },
      { customerId: 12 },
      { customerId: 13, policy: { manualBlock: true } },
    ],
  });
  await env.families.putFamily({
    familyId: f2,
    quotaBytes: 1 * MB,
    members: [{ customerId: 21 }, { customerId: 22, policy: { blockedApps: ['Com.YouTube.App'] } }],
  });
  const tag = Math.random().toString(36).slice(2, 8);
  const p0: UsageEnvelope[] = [];
  const p1: UsageEnvelope[] = [];
  for (let i = 0; i < 8; i++) {
    p0.push(usage(`${tag}-a${i}`, f1, 11 + (i % 3), 700_000, { timestamp: minutesAgo(30 - i) }));
    p1.push(
      usage(`${tag}-b${i}`, f2, 21 + (i % 2), 150_000, {
        appId: 'com.youtube.APP',
        timestamp: minutesAgo(30 - i),
      }),
    );
  }
  const records = [
    ...p0.map((e, i) => mskRecord(0, 100 + i, e)),
    ...p1.map((e, i) => mskRecord(1, 200 + i, e)),
  ];
  return { f1, f2, p0, p1, records, event: mskEvent(records) };
}

/** Allowed bytes per family as the ledger's own settlement records say. */
async function allowedBytes(familyId: number) {
  const records = await env.settlements(familyId, period());
  return records.filter((r) => r.counted === true).reduce((sum, r) => sum + Number(r.bytesUsed), 0);
}

/** The ledger matches its settlements, and Redis matches the ledger (or holds nothing: the next event loads it). */
async function expectStoresAgree(familyId: number, quota: number) {
  const ledgerUsage = await env.usage(familyId, period());
  expect(ledgerUsage).toBe(await allowedBytes(familyId));
  const redisState = await env.cache.periodState(familyId, period());
  if (redisState !== null) {
    expect(redisState.remaining).toBe(quota - ledgerUsage);
    expect(redisState.pendingDecisions).toBe(0);
  }
  return ledgerUsage;
}

describe('usage-events handler against Redis and DynamoDB Local', () => {
  it('settles a batch and the totals match in both stores', async () => {
    const s = await scenario();
    const response = await env.invoke(s.event);
    expect(response).toEqual({ batchItemFailures: [] });

    expect(await env.settlements(s.f1, period())).toHaveLength(8);
    expect(await env.settlements(s.f2, period())).toHaveLength(8);
    // Family 1: customers 11 and 12 use 6 x 700 KB of the 10 MB pool; 13 is manually blocked twice.
    const f1Usage = await expectStoresAgree(s.f1, 10 * MB);
    expect(f1Usage).toBe(6 * 700_000);
    // Family 2: customer 22 is app-blocked (mixed case on both sides); 21 uses 4 x 150 KB.
    const f2Usage = await expectStoresAgree(s.f2, 1 * MB);
    expect(f2Usage).toBe(4 * 150_000);
    const blocked = await env.memberUsage(s.f2, period(), 22);
    expect(blocked).toMatchObject({
      lastBlock: { reason: 'APP_BLOCK' },
      blockedEvents: 4,
      blockReasons: ['APP_BLOCK'],
      blockedApps: ['com.youtube.app'],
      usedBytes: 0,
    });
  });

  it('changes nothing when the same batch is redelivered', async () => {
    const s = await scenario();
    await env.invoke(s.event);
    const before = [await env.usage(s.f1, period()), await env.usage(s.f2, period())];
    const redisBefore = [await env.redisPeriod(s.f1, period()), await env.redisPeriod(s.f2, period())];

    expect(await env.invoke(s.event)).toEqual({ batchItemFailures: [] });

    expect([await env.usage(s.f1, period()), await env.usage(s.f2, period())]).toEqual(before);
    expect([await env.redisPeriod(s.f1, period()), await env.redisPeriod(s.f2, period())]).toEqual(
      redisBefore,
    );
    expect(await env.settlements(s.f1, period())).toHaveLength(8);
  });

  it('settles exactly once when the run crashed after the script and before the transaction', async () => {
    const s = await scenario();
    const crashOn = s.p0[3]?.eventId;
    const crashing: Ledger = {
      ...delegate(env.deps.ledger),
      commit: async (units) => {
        if (units.some((u) => u.periods.some((p) => p.writes.some((w) => w.record.eventId === crashOn)))) {
          throw new InvariantError('LEDGER_INVARIANT', 'simulated crash');
        }
        return env.deps.ledger.commit(units);
      },
    };
    const first = await env.handlerWith({ ...env.deps, ledger: crashing })(s.event);
    expect(first.batchItemFailures).toContainEqual({
      itemIdentifier: { partition: 'usage-events-0', offset: 100 },
    });
    expect(await env.settlements(s.f1, period())).toHaveLength(0);
    expect(await env.cache.periodState(s.f1, period())).toMatchObject({
      remaining: 10 * MB - 6 * 700_000,
      pendingDecisions: 8,
    });

    expect(await env.invoke(s.event)).toEqual({ batchItemFailures: [] });

    expect(await env.settlements(s.f1, period())).toHaveLength(8);
    expect(await expectStoresAgree(s.f1, 10 * MB)).toBe(6 * 700_000);
  });

  it('counts nothing twice when Redis lost an event it had settled and the batch comes again', async () => {
    const s = await scenario();
    await env.invoke(s.event);
    const lost = s.p0[0];
    await env.redis.redis.del(env.cache.keys.settled(s.f1, lost?.eventId ?? ''));

    expect(await env.invoke(s.event)).toEqual({ batchItemFailures: [] });

    expect(await expectStoresAgree(s.f1, 10 * MB)).toBe(6 * 700_000);
    // The next event loads the family afresh, with what the ledger holds.
    const next = mskRecord(0, 900, usage(`after-${s.f1}`, s.f1, 11, 1));
    expect(await env.invoke(mskEvent([next]))).toEqual({ batchItemFailures: [] });
    const redisState = await env.cache.periodState(s.f1, period());
    const member11 = await env.memberUsage(s.f1, period(), 11);
    expect(redisState?.used.get(11)).toBe(member11?.usedBytes);
    expect(await expectStoresAgree(s.f1, 10 * MB)).toBe(6 * 700_000 + 1);
  });

  it('rejects a reused eventId with another payload even after Redis lost the entry', async () => {
    const s = await scenario();
    await env.invoke(s.event);
    await env.drainDeadLetters();
    const original = s.p0[0] as UsageEnvelope;
    await env.redis.redis.del(env.cache.keys.settled(s.f1, original.eventId));
    const reused = { ...original, payload: { ...original.payload, bytesUsed: 1 } };

    expect(await env.invoke(mskEvent([mskRecord(0, 500, reused)]))).toEqual({ batchItemFailures: [] });

    const letters = await env.drainDeadLetters();
    expect(letters.map((l) => l.reason)).toEqual(['EVENT_ID_CONFLICT']);
    expect(await expectStoresAgree(s.f1, 10 * MB)).toBe(6 * 700_000);
  });

  it('rejects every copy of a reused eventId in a batch, not only the first', async () => {
    const s = await scenario();
    await env.drainDeadLetters();
    const original = usage(`reused-${s.f2}`, s.f2, 21, 10);
    await env.invoke(mskEvent([mskRecord(1, 300, original)]));
    const reuse = usage(original.eventId, s.f1, 11, 99);

    const response = await env.invoke(mskEvent([mskRecord(0, 301, reuse), mskRecord(1, 302, reuse)]));

    expect(response).toEqual({ batchItemFailures: [] });
    const letters = await env.drainDeadLetters();
    expect(letters.map((l) => [l.record.offset, l.reason]).sort()).toEqual([
      [301, 'EVENT_ID_CONFLICT'],
      [302, 'EVENT_ID_CONFLICT'],
    ]);
    expect(await expectStoresAgree(s.f1, 10 * MB)).toBe(0);
  });

  it('sends bad records to the dead-letter queue with their reason while the rest of the partition settles', async () => {
    const s = await scenario();
    await env.drainDeadLetters();
    const good = s.p0.slice(0, 2);
    const settledEarlier = s.p1[0] as UsageEnvelope;
    await env.invoke(mskEvent([mskRecord(1, 200, settledEarlier)]));
    const old = new Date(Date.now() - 70 * 86_400_000).toISOString();
    const records = [
      mskRecord(0, 10, good[0]),
      mskRecord(0, 11, '{"eventId": "x", "eventType": "DATA_USAGE"', { raw: true, key: String(s.f1) }),
      mskRecord(0, 12, {
        ...usage('schema-bad', s.f1, 11, 1),
        payload: { familyId: s.f1, customerId: 11, bytesUsed: '5' },
      }),
      mskRecord(0, 13, usage(`not-member-${s.f1}`, s.f1, 99, 100)),
      mskRecord(0, 14, usage(`too-old-${s.f1}`, s.f1, 11, 100, { timestamp: old })),
      mskRecord(0, 15, { ...settledEarlier, payload: { ...settledEarlier.payload, bytesUsed: 9 } }),
      mskRecord(0, 16, usage(`voice-${s.f1}`, s.f1, 11, 100, { eventType: 'VOICE_USAGE' })),
      mskRecord(0, 17, null, { key: null }),
      mskRecord(0, 18, good[1]),
    ];

    expect(await env.invoke(mskEvent(records))).toEqual({ batchItemFailures: [] });

    const letters = await env.drainDeadLetters();
    const byOffset = Object.fromEntries(letters.map((l) => [l.record.offset, l.reason]));
    expect(byOffset).toEqual({
      11: 'MALFORMED_JSON',
      12: 'SCHEMA_VIOLATION',
      13: 'NOT_A_MEMBER',
      14: 'OUT_OF_WINDOW',
      15: 'EVENT_ID_CONFLICT',
      17: 'MALFORMED_JSON',
    });
    for (const letter of letters) {
      expect(letter.message.length).toBeGreaterThan(0);
      expect(letter.partitionKey).toBe('usage-events-0');
      expect(letter.record.value).toBe(records.find((r) => r.offset === letter.record.offset)?.value);
    }
    expect(await env.settlements(s.f1, period())).toHaveLength(2);
  });

  it('reports the first unfinished offset of a partition after a transient ledger failure, and the rest finishes', async () => {
    const s = await scenario();
    let failures = 0;
    const flaky = failingFor(s.f2, () => failures++);

    const response = await env.handlerWith({ ...env.deps, ledger: flaky })(s.event);

    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: { partition: 'usage-events-1', offset: 200 } },
    ]);
    expect(failures).toBe(1);
    expect(await env.settlements(s.f1, period())).toHaveLength(8);
    expect(await env.settlements(s.f2, period())).toHaveLength(0);

    const redelivery = mskEvent(s.records.filter((r) => r.partition === 1 && r.offset >= 200));
    expect(await env.invoke(redelivery)).toEqual({ batchItemFailures: [] });
    expect(await env.settlements(s.f2, period())).toHaveLength(8);
    expect(await expectStoresAgree(s.f2, 1 * MB)).toBe(4 * 150_000);
  });

  it('fails an unfinished batch whole when partial batch responses are off (MSK without provisioned pollers)', async () => {
    const s = await scenario();
    const flaky = failingFor(s.f2, () => undefined);

    await expect(
      env.handlerWith({ ...env.deps, ledger: flaky }, { reportBatchItemFailures: false })(s.event),
    ).rejects.toThrow(/unfinished/);

    expect(await env.invoke(s.event)).toEqual({ batchItemFailures: [] });
    expect(await expectStoresAgree(s.f1, 10 * MB)).toBe(6 * 700_000);
    expect(await expectStoresAgree(s.f2, 1 * MB)).toBe(4 * 150_000);
  });
});

/** The ledger, except that one family's commits fail as a transient error that outlived its retries does. */
function failingFor(familyId: number, onFailure: () => void): Ledger {
  const ledger = env.deps.ledger;
  return {
    ...delegate(ledger),
    commit: async (units) => {
      const result = await ledger.commit(units.filter((u) => u.familyId !== familyId));
      const outcomes = new Map(result.outcomes);
      for (const unit of units.filter((u) => u.familyId === familyId)) {
        onFailure();
        outcomes.set(unit, { kind: 'failed', error: new TransientError('ThrottlingException (simulated)') });
      }
      return { outcomes, transactions: result.transactions };
    },
  };
}

/** The ledger's methods bound to it, so a test can replace one of them. */
function delegate(ledger: Ledger): Ledger {
  return {
    commit: (units) => ledger.commit(units),
    findFates: (ids) => ledger.findFates(ids),
    loadSnapshots: (id, periods) => ledger.loadSnapshots(id, periods),
  };
}
