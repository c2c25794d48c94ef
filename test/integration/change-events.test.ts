import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoChangeStore } from '../../functions/adapters/dynamodb/change-store';
import { notificationIdFor } from '../../functions/core/outbox/item';
import { periodOf, shiftPeriod } from '../../functions/core/time';
import { changeRecord, familyEvent, mskEvent, mskRecord, policyUpdated, usage } from '../helpers/msk';
import { recordingChangeStore } from '../helpers/recording-change-store';
import { type SettlementEnv, startSettlementEnv } from '../helpers/settlement-env';

/**
 * Policy and family events through the change-events function, against real
 * Redis and DynamoDB Local: each takes effect for the next usage event, in
 * the order of its version, exactly once.
 */
const ZONE = 'Asia/Seoul';
const MB = 1_000_000;
let env: SettlementEnv;
let nextFamily = 80_000;
let seq = 0;

beforeAll(async () => {
  env = await startSettlementEnv('config');
});
afterAll(() => env.stop());

const period = () => periodOf(Date.now(), ZONE);
const id = (what: string) => `${what}-${++seq}-${Math.random().toString(36).slice(2, 6)}`;
const at = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();

async function family(members = [11, 12], quotaBytes = 100 * MB) {
  const familyId = ++nextFamily;
  const result = await env.applyChange(
    mskEvent([
      changeRecord(
        familyEvent(
          id('fam'),
          'FAMILY_UPSERTED',
          {
            familyId,
            totalQuotaBytes: quotaBytes,
            members: members.map((customerId, i) => ({ customerId, role: i === 0 ? 'OWNER' : 'MEMBER' })),
          },
          at(3_600_000),
        ),
      ),
    ]),
  );
  expect(result).toEqual({ batchItemFailures: [] });
  return familyId;
}

const apply = (...events: unknown[]) =>
  env.applyChange(mskEvent(events.map((e) => changeRecord(e as Parameters<typeof changeRecord>[0]))));

/** Settles one usage event and answers its decision. */
async function decide(
  familyId: number,
  customerId: number,
  bytes = MB,
  extra: Parameters<typeof usage>[4] = {},
) {
  const envelope = usage(id('use'), familyId, customerId, bytes, extra);
  expect(await env.invoke(mskEvent([mskRecord(0, ++seq, envelope)]))).toEqual({ batchItemFailures: [] });
  const settled = await env.settlements(familyId, periodOf(Date.parse(envelope.timestamp), ZONE));
  return settled.find((s) => s.eventId === envelope.eventId)?.decision;
}

describe('every policy key, in both forms, at every level, takes effect on the next event', () => {
  it.each([
    ['LIMIT:DATA:MONTHLY', String(2 * MB), { limitBytes: 2 * MB }, 'MONTHLY_LIMIT_EXCEEDED', {}],
    ['BLOCK:ACCESS', '1', { reason: 'exam week' }, 'MANUAL', {}],
    ['BLOCK:TIME', '0000-0000', { start: '00:00', end: '00:00' }, 'TIME_BLOCK', {}],
    [
      'BLOCK:APP',
      'Com.Game.One, other',
      { blockedApps: ['COM.game.one'] },
      'APP_BLOCK',
      { appId: 'com.GAME.one' },
    ],
    [
      'ZERO_RATE:APP',
      'Com.Kakao.Talk, other',
      { apps: ['COM.kakao.talk'] },
      'ZERO_RATED',
      { appId: 'com.KAKAO.talk' },
    ],
  ] as const)('%s', async (key, plain, object, blocked, usageExtra) => {
    for (const form of [plain, JSON.stringify(object)]) {
      for (const level of ['member', 'family', 'global'] as const) {
        const familyId = await family();
        const target =
          level === 'member' ? { familyId, customerId: 11 } : level === 'family' ? { familyId } : {};
        expect(await apply(policyUpdated(id('pol'), target, key, form))).toEqual({ batchItemFailures: [] });
        const bytes = key === 'LIMIT:DATA:MONTHLY' ? 3 * MB : MB;
        expect(await decide(familyId, 11, bytes, usageExtra), `${level} ${form}`).toBe(blocked);
        if (level === 'member') expect(await decide(familyId, 12, bytes, usageExtra)).toBe('NORMAL');
        if (level === 'global') {
          // The global default is everyone's: take it back for the next case.
          await apply(policyUpdated(id('pol'), {}, key, null, { isActive: false }));
        }
      }
    }
  });

  it('removes a value with isActive false, a blank value, or null, and the level below shows through', async () => {
    for (const removal of [
      { value: String(MB), isActive: false },
      { value: '  ', isActive: true },
      { value: null, isActive: true },
    ]) {
      const familyId = await family();
      await apply(
        policyUpdated(id('pol'), { familyId }, 'LIMIT:DATA:MONTHLY', String(5 * MB), {
          timestamp: at(2_000),
        }),
        policyUpdated(id('pol'), { familyId, customerId: 11 }, 'LIMIT:DATA:MONTHLY', String(MB), {
          timestamp: at(1_000),
        }),
      );
      expect(await decide(familyId, 11, 2 * MB)).toBe('MONTHLY_LIMIT_EXCEEDED');
      await apply(
        policyUpdated(id('pol'), { familyId, customerId: 11 }, 'LIMIT:DATA:MONTHLY', removal.value, {
          isActive: removal.isActive,
        }),
      );
      expect(await decide(familyId, 11, 2 * MB)).toBe('NORMAL');
      expect(await decide(familyId, 11, 4 * MB)).toBe('MONTHLY_LIMIT_EXCEEDED');
    }
  });

  it('ranks the member over the family over the global default', async () => {
    const familyId = await family();
    await apply(
      policyUpdated(id('pol'), {}, 'LIMIT:DATA:MONTHLY', String(MB)),
      policyUpdated(id('pol'), { familyId }, 'LIMIT:DATA:MONTHLY', String(3 * MB)),
      policyUpdated(id('pol'), { familyId, customerId: 11 }, 'LIMIT:DATA:MONTHLY', String(10 * MB)),
    );
    expect(await decide(familyId, 11, 5 * MB)).toBe('NORMAL');
    expect(await decide(familyId, 12, 2 * MB)).toBe('NORMAL');
    expect(await decide(familyId, 12, 2 * MB)).toBe('MONTHLY_LIMIT_EXCEEDED');
    await apply(policyUpdated(id('pol'), {}, 'LIMIT:DATA:MONTHLY', null, { isActive: false }));
  });

  it('replaces the whole blocked-app set, not adds to it', async () => {
    const familyId = await family();
    const member = { familyId, customerId: 11 };
    await apply(
      policyUpdated(id('pol'), member, 'BLOCK:APP', 'com.a,com.b', { timestamp: at(2_000) }),
      policyUpdated(id('pol'), member, 'BLOCK:APP', '{"blockedApps":["com.c"]}', { timestamp: at(1_000) }),
    );
    expect(await decide(familyId, 11, MB, { appId: 'com.a' })).toBe('NORMAL');
    expect(await decide(familyId, 11, MB, { appId: 'com.c' })).toBe('APP_BLOCK');
  });
});

describe('versions', () => {
  it('converges to the newest value whatever order the events arrive in', async () => {
    const familyId = await family();
    const member = { familyId, customerId: 11 };
    const newer = policyUpdated(id('pol-b'), member, 'BLOCK:ACCESS', '1', { timestamp: at(1_000) });
    const older = policyUpdated(id('pol-a'), member, 'BLOCK:ACCESS', '0', { timestamp: at(5_000) });

    await apply(newer);
    await apply(older);

    expect(await decide(familyId, 11)).toBe('MANUAL');
  });

  it('orders equal timestamps by eventId', async () => {
    const familyId = await family();
    const member = { familyId, customerId: 11 };
    const timestamp = at(1_000);
    await apply(policyUpdated(`z-${id('pol')}`, member, 'BLOCK:ACCESS', '1', { timestamp }));
    await apply(policyUpdated(`a-${id('pol')}`, member, 'BLOCK:ACCESS', '0', { timestamp }));
    expect(await decide(familyId, 11)).toBe('MANUAL');
  });

  it('changes nothing when an event is replayed, and notifies once', async () => {
    const familyId = await family();
    const event = policyUpdated(id('pol'), { familyId, customerId: 12 }, 'BLOCK:ACCESS', '1');
    const record = changeRecord(event);

    await env.applyChange(mskEvent([record]));
    const store = env.changeDeps.store as DynamoChangeStore;
    const before = await store.readFamily(familyId, [period()]);
    await env.applyChange(mskEvent([record]));
    await env.applyChange(mskEvent([changeRecord(event)]));

    expect(await store.readFamily(familyId, [period()])).toEqual(before);
    expect(await decide(familyId, 12)).toBe('MANUAL');
  });

  it('keeps a history of the changes it applied, and none of those it ignored', async () => {
    const familyId = await family();
    const member = { familyId, customerId: 11 };
    const newer = policyUpdated(id('pol-b'), member, 'LIMIT:DATA:MONTHLY', '500', { timestamp: at(1_000) });
    const older = policyUpdated(id('pol-a'), member, 'LIMIT:DATA:MONTHLY', '900', { timestamp: at(5_000) });

    await apply(newer, older, newer);

    const history = await (env.changeDeps.store as DynamoChangeStore).recentChanges(familyId, 10);
    expect(history.map((c) => [c.eventId, c.summary, c.notifications])).toEqual([
      [newer.eventId, 'LIMIT:DATA:MONTHLY = 500 for customer 11', 1],
      [expect.stringMatching(/^fam-/), expect.stringMatching(/^family set/), 0],
    ]);
  });
});

describe('retroactive notifications, in the same transaction as the change', () => {
  const notification = async (
    originEventId: string,
    type: string,
    reason: string,
    customerId: number | null,
  ) => {
    const { DynamoOutboxStore } = await import('../../functions/adapters/dynamodb/outbox-store');
    const store = new DynamoOutboxStore(env.tables.doc, env.tables.names.outbox);
    return store.get(notificationIdFor(`${originEventId}/${type}/${reason}/${customerId ?? 'family'}`));
  };

  it('blocks a member now with a manual block, lifts it, and a later block is notified again', async () => {
    const familyId = await family();
    const member = { familyId, customerId: 11 };
    const on = policyUpdated(id('pol'), member, 'BLOCK:ACCESS', '1', { timestamp: at(3_000) });
    await apply(on);
    expect(await notification(on.eventId, 'CUSTOMER_BLOCKED', 'MANUAL', 11)).toMatchObject({
      type: 'CUSTOMER_BLOCKED',
      data: { reason: 'MANUAL', policyKey: 'BLOCK:ACCESS', level: 'MEMBER' },
    });
    expect(await notification(on.eventId, 'POLICY_CHANGED', '', 11)).toMatchObject({
      type: 'POLICY_CHANGED',
    });
    // The member was told already: a blocked event does not notify again.
    expect(await decide(familyId, 11)).toBe('MANUAL');
    const blockedEvents = (await env.settlements(familyId, period())).filter((s) => s.decision === 'MANUAL');
    expect(blockedEvents.every((s) => s.notify === false)).toBe(true);

    const off = policyUpdated(id('pol'), member, 'BLOCK:ACCESS', '0', { timestamp: at(2_000) });
    await apply(off);
    expect(await notification(off.eventId, 'CUSTOMER_UNBLOCKED', 'MANUAL', 11)).toMatchObject({
      type: 'CUSTOMER_UNBLOCKED',
    });
    expect((await env.memberUsage(familyId, period(), 11))?.alerts).not.toContain('11:MANUAL');

    const again = policyUpdated(id('pol'), { familyId }, 'BLOCK:ACCESS', '{"reason":"dinner"}', {
      timestamp: at(1_000),
    });
    await apply(again);
    expect(await notification(again.eventId, 'CUSTOMER_BLOCKED', 'MANUAL', 11)).not.toBeNull();
    expect(await notification(again.eventId, 'CUSTOMER_BLOCKED', 'MANUAL', 12)).not.toBeNull();
    expect(await notification(again.eventId, 'POLICY_CHANGED', '', null)).toMatchObject({
      familyId,
      customerId: null,
      data: { level: 'FAMILY' },
    });
  });

  it('blocks a member whose limit drops to their usage this period, and unblocks when it rises again', async () => {
    const familyId = await family();
    expect(await decide(familyId, 12, 3 * MB)).toBe('NORMAL');
    const member = { familyId, customerId: 12 };
    const lower = policyUpdated(id('pol'), member, 'LIMIT:DATA:MONTHLY', String(3 * MB), {
      timestamp: at(2_000),
    });
    await apply(lower);
    expect(
      await notification(lower.eventId, 'CUSTOMER_BLOCKED', 'MONTHLY_LIMIT_EXCEEDED', 12),
    ).not.toBeNull();
    expect(await decide(familyId, 12, 1)).toBe('MONTHLY_LIMIT_EXCEEDED');

    const raise = policyUpdated(id('pol'), member, 'LIMIT:DATA:MONTHLY', String(10 * MB), {
      timestamp: at(1_000),
    });
    await apply(raise);
    expect(
      await notification(raise.eventId, 'CUSTOMER_UNBLOCKED', 'MONTHLY_LIMIT_EXCEEDED', 12),
    ).not.toBeNull();
    expect(await decide(familyId, 12, MB)).toBe('NORMAL');
  });
});

describe('family events', () => {
  it('creates a family, adds and removes members, and a member who left is rejected from the next event on', async () => {
    const familyId = await family([11]);
    expect(await decide(familyId, 12)).toBeUndefined();
    await apply(familyEvent(id('fam'), 'MEMBER_JOINED', { familyId, customerId: 12 }));
    expect(await decide(familyId, 12)).toBe('NORMAL');
    await env.drainDeadLetters();

    await apply(familyEvent(id('fam'), 'MEMBER_LEFT', { familyId, customerId: 12 }));
    expect(await decide(familyId, 12)).toBeUndefined();
    expect((await env.drainDeadLetters()).map((l) => l.reason)).toEqual(['NOT_A_MEMBER']);
  });

  it('replaces the member list with FAMILY_UPSERTED, but not with an older one', async () => {
    const familyId = await family([11, 12]);
    const list = (members: number[], timestamp: string) =>
      familyEvent(
        id('fam'),
        'FAMILY_UPSERTED',
        {
          familyId,
          totalQuotaBytes: 100 * MB,
          members: members.map((customerId) => ({ customerId, role: 'MEMBER' })),
        },
        timestamp,
      );
    await apply(list([11, 13], at(1_000)));
    await apply(list([11, 12, 13], at(2_000)));
    expect(await decide(familyId, 13)).toBe('NORMAL');
    expect(await decide(familyId, 12)).toBeUndefined();
  });

  it("recomputes the remaining pool of the current period with a new quota, and keeps the previous period's", async () => {
    const familyId = await family([11], 10 * MB);
    const lastMonth = new Date(
      Date.parse(
        `${shiftPeriod(period(), -1).slice(0, 4)}-${shiftPeriod(period(), -1).slice(4)}-15T12:00:00+09:00`,
      ),
    ).toISOString();
    expect(await decide(familyId, 11, 6 * MB)).toBe('WARNING_50');
    expect(await decide(familyId, 11, MB, { timestamp: lastMonth })).toBe('NORMAL');

    await apply(familyEvent(id('fam'), 'QUOTA_CHANGED', { familyId, totalQuotaBytes: 6 * MB }));

    expect(await decide(familyId, 11, 1)).toBe('FAMILY_QUOTA_EXCEEDED');
    expect(await decide(familyId, 11, MB, { timestamp: lastMonth })).toBe('NORMAL');
    expect((await env.cache.periodState(familyId, period()))?.remaining).toBe(0);
  });
});

describe('bad policy and family events go to the dead-letter queue with their reason', () => {
  it.each([
    [
      'an unknown key',
      (f: number) => policyUpdated(id('bad'), { familyId: f }, 'LIMIT:VOICE', '1'),
      'UNKNOWN_POLICY_KEY',
    ],
    [
      'a malformed value',
      (f: number) => policyUpdated(id('bad'), { familyId: f }, 'BLOCK:TIME', '25:00-26:00'),
      'INVALID_POLICY_VALUE',
    ],
    [
      'a negative limit',
      (f: number) => policyUpdated(id('bad'), { familyId: f }, 'LIMIT:DATA:MONTHLY', '{"limitBytes": -1}'),
      'INVALID_POLICY_VALUE',
    ],
    // A policy change for a family or member that does not exist yet waits for it (held-changes.test.ts).
    [
      'a customer without a family',
      () => policyUpdated(id('bad'), { customerId: 11 }, 'BLOCK:ACCESS', '1'),
      'CUSTOMER_WITHOUT_FAMILY',
    ],
    [
      'a join to an unknown family',
      () => familyEvent(id('bad'), 'MEMBER_JOINED', { familyId: 99_999_999, customerId: 1 }),
      'UNKNOWN_FAMILY',
    ],
    [
      'a quota that is not a number',
      (f: number) => familyEvent(id('bad'), 'QUOTA_CHANGED', { familyId: f, totalQuotaBytes: 'lots' }),
      'SCHEMA_VIOLATION',
    ],
  ] as const)('%s', async (_case, build, reason) => {
    const familyId = await family();
    await env.drainDeadLetters();
    const event = build(familyId);
    const good = policyUpdated(id('good'), { familyId }, 'BLOCK:TIME', '0000-0000');

    expect(await apply(event, good)).toEqual({ batchItemFailures: [] });

    const letters = await env.drainDeadLetters();
    expect(letters.map((l) => [l.reason, l.eventId])).toEqual([[reason, event.eventId]]);
    expect(letters[0]?.message.length).toBeGreaterThan(0);
    expect(await decide(familyId, 11)).toBe('TIME_BLOCK');
  });
});

describe('the samples of the contract', () => {
  let own: SettlementEnv;
  beforeAll(async () => {
    own = await startSettlementEnv('samples');
  });
  afterAll(() => own.stop());

  it('applies every sample: each key, form and target, and the four family event types', async () => {
    const lines = readFileSync(
      new URL('../fixtures/policy-and-family-events.sample.jsonl', import.meta.url),
      'utf8',
    )
      .split('\n')
      .filter((l) => l.trim() !== '');
    const setUp = await own.applyChange(
      mskEvent([
        changeRecord(
          familyEvent(
            id('fam'),
            'FAMILY_UPSERTED',
            {
              familyId: 100,
              totalQuotaBytes: 10 * MB,
              members: [12345, 12346, 12347].map((customerId) => ({ customerId, role: 'MEMBER' })),
            },
            '2026-02-01T00:00:00Z',
          ),
        ),
      ]),
    );
    expect(setUp).toEqual({ batchItemFailures: [] });

    expect(await own.applyChange(mskEvent(lines.map((line) => changeRecord(line))))).toEqual({
      batchItemFailures: [],
    });

    expect(await own.drainDeadLetters()).toEqual([]);
    const store = own.changeDeps.store as DynamoChangeStore;
    const kim = await store.readFamily(100, [period()]);
    expect(kim.members.get(12345)?.policy).toMatchObject({
      monthlyLimitBytes: 1_073_741_824,
      blockWindow: null,
    });
    expect(kim.members.get(12346)?.policy.manualBlock).toBe(false);
    expect(kim.members.get(12347)?.policy.blockedApps).toEqual(['com.game.one']);
    expect(kim.policy.blockWindow).toEqual({ start: '2200', end: '0700' });
    const family200 = await store.readFamily(200, [period()]);
    expect(
      [...family200.members.values()]
        .filter((m) => m.active)
        .map((m) => m.customerId)
        .sort(),
    ).toEqual([20001, 20003]);
    expect(family200.quotaBytes).toBe(21_474_836_480);
    expect((await store.readGlobal()).policy.blockWindow).toEqual({ start: '0100', end: '0500' });
  });
});

describe('Redis follows a change under the same version check', () => {
  it("moves a period state to the change's version in place: nothing is loaded again", async () => {
    const familyId = await family();
    expect(await decide(familyId, 11)).toBe('NORMAL');
    const key = env.cache.keys.period(familyId, period());
    const [incarnation, version] = await env.redis.redis.hmget(key, 'i', 'v');

    await apply(policyUpdated(id('pol'), { familyId, customerId: 11 }, 'BLOCK:ACCESS', '1'));

    expect(await env.redis.redis.hmget(key, 'i', 'v', 'P:11:man')).toEqual([
      incarnation,
      String(Number(version) + 1),
      '1',
    ]);
    expect(await decide(familyId, 11)).toBe('MANUAL');
  });

  it('drops a state that holds decisions not yet committed: they were made under the old values', async () => {
    const familyId = await family();
    expect(await decide(familyId, 11)).toBe('NORMAL');
    const pending = usage(id('use'), familyId, 11, MB);
    const [partition] = (await import('../../functions/core/kafka-record')).decodeMskEvent(
      mskEvent([mskRecord(0, ++seq, pending)]),
    );
    const { validateRecord, isCorrection } = await import('../../functions/core/settlement/usage-event');
    const validated = validateRecord(partition?.records[0] as never, {
      timeZone: ZONE,
      nowMs: Date.now(),
      futureSkewMs: 300_000,
      maxBytesPerEvent: 10 ** 12,
    });
    if (validated.kind !== 'event' || isCorrection(validated.event)) throw new Error('invalid test event');
    const global = await env.deps.globalPolicy.current();
    const reply = await env.cache.decideLane(
      familyId,
      [{ event: validated.event, recordTimestampMs: Date.now(), checked: false }],
      { verifyBeforeMs: 0, clockMarginMs: 0, globalPolicy: global.policy, globalRevision: global.revision },
    );
    expect(reply.replies.map((r) => r.kind)).toEqual(['new']);

    await apply(policyUpdated(id('pol'), { familyId, customerId: 11 }, 'BLOCK:ACCESS', '1'));

    expect(await env.cache.periodState(familyId, period())).toBeNull();
    // Delivered again, the event is decided under the new value.
    expect(await env.invoke(mskEvent([mskRecord(0, ++seq, pending)]))).toEqual({ batchItemFailures: [] });
    const settled = await env.settlements(familyId, period());
    expect(settled.find((s) => s.eventId === pending.eventId)?.decision).toBe('MANUAL');
  });

  it('lets the next event see a change Redis could not follow', async () => {
    const familyId = await family();
    expect(await decide(familyId, 11)).toBe('NORMAL');
    const unreachable = env.changeHandlerWith({
      ...env.changeDeps,
      cache: { applyChange: () => Promise.reject(new Error('connect ECONNREFUSED (simulated)')) },
    });

    expect(
      await unreachable(
        mskEvent([changeRecord(policyUpdated(id('pol'), { familyId, customerId: 11 }, 'BLOCK:ACCESS', '1'))]),
      ),
    ).toEqual({ batchItemFailures: [] });

    expect(await decide(familyId, 11)).toBe('MANUAL');
  });
});

describe('policy and usage events on the same family at once', () => {
  it('loses no change and decides each event with the policy of one version, old or new', async () => {
    const familyId = await family([11]);
    const applied: Array<{ version: number; blocked: boolean }> = [];
    const watched = env.changeHandlerWith({
      ...env.changeDeps,
      store: recordingChangeStore(env.changeDeps.store, ({ plan }) => {
        const edit = plan.periods.find((p) => p.period === period());
        const value = plan.change.kind === 'policy' ? plan.change.value : null;
        if (edit && value?.key === 'BLOCK:ACCESS')
          applied.push({ version: edit.versionBefore + 1, blocked: value.blocked });
      }),
    });
    const start = Date.now() - 60_000;
    const toggles = Array.from({ length: 12 }, (_, i) =>
      policyUpdated(id('pol'), { familyId, customerId: 11 }, 'BLOCK:ACCESS', i % 2 === 0 ? '1' : '0', {
        timestamp: new Date(start + i * 1_000).toISOString(),
      }),
    );
    const events = Array.from({ length: 24 }, () => usage(id('use'), familyId, 11, 1_000));

    // As the mappings would: a batch the other writer kept overtaking is delivered again until it finishes.
    const untilFinished = async (send: () => Promise<{ batchItemFailures: unknown[] }>) => {
      for (let attempt = 0; attempt < 10; attempt++)
        if ((await send()).batchItemFailures.length === 0) return;
      throw new Error('a batch never finished');
    };
    await Promise.all([
      (async () => {
        for (const toggle of toggles) await untilFinished(() => watched(mskEvent([changeRecord(toggle)])));
      })(),
      (async () => {
        for (const event of events) {
          const record = mskRecord(0, ++seq, event);
          await untilFinished(() => env.invoke(mskEvent([record])));
        }
      })(),
    ]);

    expect(applied).toHaveLength(toggles.length);
    const settled = await env.settlements(familyId, period());
    const blockedAt = (version: number) => {
      const last = applied.filter((a) => a.version <= version).pop();
      return last?.blocked ?? false;
    };
    for (const event of events) {
      const record = settled.find((s) => s.eventId === event.eventId);
      expect(record, event.eventId).toBeDefined();
      const expected = blockedAt(Number(record?.decidedAtVersion)) ? 'MANUAL' : 'NORMAL';
      expect(record?.decision, `${event.eventId} decided at version ${record?.decidedAtVersion}`).toBe(
        expected,
      );
    }
    // The last toggle (blocked: "0" at an odd index) stands.
    expect(await decide(familyId, 11)).toBe('NORMAL');
  });
});
