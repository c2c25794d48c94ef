import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisUsageCache } from '../../functions/adapters/redis/usage-cache';
import { RedisBreaker } from '../../functions/core/degraded/redis-breaker';
import { SettleLaneTwin } from '../../functions/core/degraded/settle-lane-twin';
import { TransientError } from '../../functions/core/errors';
import type { UsageCache } from '../../functions/core/settlement/ports';
import type { SettlementDeps } from '../../functions/core/settlement/settle-batch';
import { periodOf } from '../../functions/core/time';
import { mskEvent, mskRecord, usage } from '../helpers/msk';
import { type SettlementEnv, startSettlementEnv } from '../helpers/settlement-env';
import { usageEvent } from '../helpers/usage-event-factory';

/**
 * A period state that turned out to be off the ledger is never decided from
 * again: not when dropping it fails, not when the breaker keeps Redis out at
 * that moment, not when it still holds decisions of a batch the mapping gave
 * up on, and not when it was replaced between two rounds of a lane.
 */
const ZONE = 'Asia/Seoul';
let env: SettlementEnv;
let nextFamily = 71_000;
let offset = 0;

const period = () => periodOf(Date.now(), ZONE);
/** Older than the dedup window: the lane stops at such a record, for the ledger to say whether it was settled. */
const twentyMinutesAgo = () => new Date(Math.floor(Date.now() / 60_000) * 60_000 - 1_200_000).toISOString();

beforeAll(async () => {
  env = await startSettlementEnv('stale-state');
});
afterAll(() => env.stop());

type Wrap = (cache: UsageCache) => Partial<UsageCache>;

/** A usage function container whose Redis adapter has a fault in front of it (through `wrap`). */
function container(wrap: Wrap = () => ({}), breaker?: RedisBreaker) {
  const redis = env.cache;
  const faulty: UsageCache = {
    decideLane: (...a) => redis.decideLane(...a),
    hydrate: (...a) => redis.hydrate(...a),
    confirm: (...a) => redis.confirm(...a),
    invalidate: (...a) => redis.invalidate(...a),
    ...wrap(redis),
  };
  const { degradation: _shared, ...base } = env.deps;
  const deps: SettlementDeps = {
    ...base,
    cache: faulty,
    ...(breaker ? { degradation: { breaker, inMemory: () => new SettleLaneTwin() } } : {}),
  };
  return env.handlerWith(deps);
}

/** Drops that fail `times` times, then reach Redis. */
const failingDrops =
  (times: number): Wrap =>
  (redis) => {
    let left = times;
    return {
      invalidate: async (...a) => {
        if (left-- > 0) throw new TransientError('simulated: the drop did not reach Redis');
        return redis.invalidate(...a);
      },
    };
  };

async function family(quotaBytes: number, members = [11, 12]) {
  const familyId = ++nextFamily;
  await env.families.putFamily({
    familyId,
    quotaBytes,
    members: members.map((customerId) => ({ customerId })),
  });
  return familyId;
}

const batch = (...records: ReturnType<typeof mskRecord>[]) => mskEvent(records);
const record = (event: ReturnType<typeof usage>) => mskRecord(0, offset++, event);

async function decisions(familyId: number) {
  const settled = await env.settlements(familyId, period());
  return Object.fromEntries(settled.map((s) => [String(s.eventId), s.decision]));
}

async function notificationsOf(familyId: number) {
  const { Items = [] } = await env.tables.doc.send(
    new QueryCommand({
      TableName: env.tables.names.outbox,
      IndexName: 'status-nextAttemptAt',
      KeyConditionExpression: '#s = :s',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':s': 'PUBLISH_PENDING' },
    }),
  );
  return Items.filter((i) => i.familyId === familyId).map((i) => String(i.type));
}

/** Redis agrees with the ledger (or holds nothing: the next event loads it). */
async function expectRedisOnLedger(familyId: number, quota: number) {
  const used = await env.usage(familyId, period());
  const state = await (env.cache as RedisUsageCache).periodState(familyId, period());
  if (state !== null) {
    expect({ remaining: state.remaining, pending: state.pendingDecisions }).toEqual({
      remaining: quota - used,
      pending: 0,
    });
  }
}

/**
 * Quota 1000, 400 settled; Redis loses that event's settled mark, and the
 * event is delivered again with a new 500-byte one. Redis counts the old
 * event again (200 left) and would block the new one; the ledger refuses the
 * commit, since it holds the old event.
 */
async function lostMarkThenRedelivery(invoke: ReturnType<typeof container>) {
  const f = await family(1_000);
  const old = record(usage(`${f}-old`, f, 11, 400));
  await env.invoke(batch(old));
  await env.redis.redis.del(env.cache.keys.settled(f, `${f}-old`));
  const records = [old, record(usage(`${f}-new`, f, 12, 500))];
  const response = await invoke(batch(...records));
  /** What the mapping delivers again: the partition from its first unfinished offset. */
  const redelivery = () => {
    const from = Math.min(...response.batchItemFailures.map((b) => Number(b.itemIdentifier.offset)));
    return batch(...records.filter((r) => r.offset >= from));
  };
  return { f, response, redelivery };
}

describe('a period state found stale', () => {
  it('is not decided from again when dropping it fails once', async () => {
    const { f, response } = await lostMarkThenRedelivery(container(failingDrops(1)));

    expect(response).toEqual({ batchItemFailures: [] });
    expect(await decisions(f)).toEqual({ [`${f}-old`]: 'NORMAL', [`${f}-new`]: 'WARNING_30' });
    expect(await notificationsOf(f)).not.toContain('CUSTOMER_BLOCKED');
    await expectRedisOnLedger(f, 1_000);
  });

  it('is not decided from again when every drop of the batch fails', async () => {
    const { f, response, redelivery } = await lostMarkThenRedelivery(container(failingDrops(1_000)));

    // The lane may stop and wait for redelivery; whatever it settles is what the ledger says.
    const settled = await decisions(f);
    expect(settled[`${f}-new`] ?? 'WARNING_30').toBe('WARNING_30');
    expect(await notificationsOf(f)).not.toContain('CUSTOMER_BLOCKED');
    if (response.batchItemFailures.length > 0) {
      expect(await env.invoke(redelivery())).toEqual({ batchItemFailures: [] });
    }
    expect(await decisions(f)).toEqual({ [`${f}-old`]: 'NORMAL', [`${f}-new`]: 'WARNING_30' });
    await expectRedisOnLedger(f, 1_000);
  });

  it('is not decided from again when the breaker kept Redis out while it was to be dropped', async () => {
    // The refused commit opens the breaker (a Redis failure at that moment), so the drop goes to the
    // in-memory states; the cooldown has passed by the next pass, which tries Redis again.
    let clockMs = Date.now();
    const breaker = new RedisBreaker({ failureThreshold: 1, cooldownMs: 1_000 }, { now: () => clockMs });
    const { degradation: _shared, ledger, ...base } = env.deps;
    const invoke = env.handlerWith({
      ...base,
      ledger: {
        ...ledger,
        loadSnapshots: (...a) => ledger.loadSnapshots(...a),
        findFates: (...a) => ledger.findFates(...a),
        commit: async (units) => {
          const result = await ledger.commit(units);
          if ([...result.outcomes.values()].some((o) => o.kind === 'stale')) breaker.failure();
          return result;
        },
      },
      degradation: {
        breaker,
        inMemory: () => {
          const memory = new SettleLaneTwin();
          const drop = memory.invalidate.bind(memory);
          memory.invalidate = async (...a) => {
            clockMs += 1_000;
            return drop(...a);
          };
          return memory;
        },
      },
    });
    const { f, response } = await lostMarkThenRedelivery(invoke);

    expect(response).toEqual({ batchItemFailures: [] });
    expect(await decisions(f)).toEqual({ [`${f}-old`]: 'NORMAL', [`${f}-new`]: 'WARNING_30' });
    expect(await notificationsOf(f)).not.toContain('CUSTOMER_BLOCKED');
    const next = record(usage(`${f}-next`, f, 11, 50));
    expect(await env.invoke(batch(next))).toEqual({ batchItemFailures: [] });
    expect((await decisions(f))[`${f}-next`]).toBe('WARNING_10');
    await expectRedisOnLedger(f, 1_000);
  });
});

/** A ledger whose commits fail (transiently, every retry) while `failing` says so. */
function flakyLedger(failing: () => boolean): SettlementDeps['ledger'] {
  const { ledger } = env.deps;
  return {
    loadSnapshots: (...a) => ledger.loadSnapshots(...a),
    findFates: (...a) => ledger.findFates(...a),
    commit: async (units) => {
      if (failing()) throw new TransientError('simulated: the ledger is unreachable');
      return ledger.commit(units);
    },
  };
}

describe('pending decisions of a batch the mapping gave up on', () => {
  it('are not counted against the events after it', async () => {
    const f = await family(1_000);
    const { degradation: _shared, ...base } = env.deps;
    const gaveUp = await env.handlerWith({ ...base, ledger: flakyLedger(() => true) })(
      batch(record(usage(`${f}-skipped`, f, 11, 600))),
    );
    // The mapping retried the batch until its limit, sent it to the failure queue and moved on.
    expect(gaveUp.batchItemFailures).toHaveLength(1);
    expect((await (env.cache as RedisUsageCache).periodState(f, period()))?.pendingDecisions).toBe(1);

    expect(await env.invoke(batch(record(usage(`${f}-next`, f, 12, 600))))).toEqual({
      batchItemFailures: [],
    });

    // The ledger never had the skipped 600 bytes: the next 600 fit the pool (40% left).
    expect(await decisions(f)).toEqual({ [`${f}-next`]: 'WARNING_50' });
    await expectRedisOnLedger(f, 1_000);
  });
});

describe('a period state replaced between two rounds of a lane', () => {
  it('is dropped even when it comes back at the same version with as many pending decisions', async () => {
    const f = await family(1_000);
    const { degradation: _shared, ...base } = env.deps;
    let failing = true;
    const first = record(usage(`${f}-a`, f, 11, 600));
    // Older than the dedup window: the lane stops at it, for the ledger to say whether it was settled.
    const old = {
      ...record(usage(`${f}-b`, f, 11, 300, { timestamp: twentyMinutesAgo() })),
      timestamp: Date.parse(twentyMinutesAgo()),
    };
    let replaceAfterNextCall = false;
    const invoke = env.handlerWith({
      ...base,
      ledger: flakyLedger(() => failing),
      cache: {
        ...env.cache,
        decideLane: async (...a) => {
          const reply = await env.cache.decideLane(...a);
          if (replaceAfterNextCall) {
            replaceAfterNextCall = false;
            // Redis loses the state; another writer loads it afresh at the same version and decides an event
            // of its own in it: one pending decision, as the lane's own first round left in the lost state.
            await env.cache.invalidate(f, [period()]);
            const [snapshot] = await env.deps.ledger.loadSnapshots(f, [period()]);
            if (snapshot) await env.cache.hydrate(snapshot);
            const other = usageEvent({ eventId: `${f}-other`, familyId: f, customerId: 12, bytesUsed: 100 });
            const lane = await env.cache.decideLane(
              f,
              [{ event: other, recordTimestampMs: Date.now(), checked: false }],
              a[2],
            );
            expect(lane.replies[0]?.kind).toBe('new');
          }
          return reply;
        },
        hydrate: (...a) => env.cache.hydrate(...a),
        confirm: (...a) => env.cache.confirm(...a),
        invalidate: (...a) => env.cache.invalidate(...a),
      },
    });
    // The first delivery decides a (600 bytes, pending) but cannot commit.
    expect((await invoke(batch(first))).batchItemFailures).toHaveLength(1);

    failing = false;
    replaceAfterNextCall = true;
    expect(await invoke(batch(first, old))).toEqual({ batchItemFailures: [] });

    // From the replacement, which lacks a's 600 bytes, b would be NORMAL; in order, it leaves 100 of 1000 (10%).
    expect(await decisions(f)).toEqual({ [`${f}-a`]: 'WARNING_50', [`${f}-b`]: 'WARNING_30' });
    expect(await env.usage(f, period())).toBe(900);
  });
});
