import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { periodOf } from '../../functions/core/time';
import { decisionModes } from '../helpers/decision-modes';
import {
  msAgo as at,
  familyEvent,
  uniqueId as id,
  mskEvent,
  mskRecord,
  policyUpdated,
  usage,
} from '../helpers/msk';
import { type SettlementEnv, startSettlementEnv } from '../helpers/settlement-env';

/**
 * Zero-rated apps through the shipped functions, against real Redis and
 * DynamoDB Local, and again with Redis out (the degraded-mode twin deciding
 * from the ledger): their usage goes on when the pool is empty or the member
 * is over its limit, is recorded as the member's free usage, and is never
 * charged or notified; the policy blocks still win.
 */
const ZONE = 'Asia/Seoul';
const MB = 1_000_000;
let env: SettlementEnv;
let nextFamily = 91_000 + Math.floor(Math.random() * 1_000) * 10;
let offset = 0;

beforeAll(async () => {
  env = await startSettlementEnv('zero-rated');
});
afterAll(() => env.stop());

const period = () => periodOf(Date.now(), ZONE);
const changes = (...events: Parameters<SettlementEnv['applyChanges']>) => env.applyChanges(...events);

const MODES = decisionModes(() => env);

/** A family of two (11 with a 3 MB limit), 10 MB pool, messaging and the carrier's app free for everyone. */
async function family() {
  const familyId = ++nextFamily;
  expect(
    await changes(
      familyEvent(
        id('fam'),
        'FAMILY_UPSERTED',
        {
          familyId,
          totalQuotaBytes: 10 * MB,
          members: [
            { customerId: 11, role: 'OWNER' },
            { customerId: 12, role: 'MEMBER' },
          ],
        },
        at(60_000),
      ),
      policyUpdated(id('pol'), { familyId }, 'ZERO_RATE:APP', 'com.kakao.talk, COM.Carrier.App', {
        timestamp: at(50_000),
      }),
      policyUpdated(id('pol'), { familyId, customerId: 11 }, 'LIMIT:DATA:MONTHLY', String(3 * MB), {
        timestamp: at(40_000),
      }),
      policyUpdated(id('pol'), { familyId, customerId: 11 }, 'BLOCK:APP', 'com.carrier.app', {
        timestamp: at(30_000),
      }),
    ),
  ).toEqual({ batchItemFailures: [] });
  return familyId;
}

describe.each(Object.keys(MODES) as Array<keyof typeof MODES>)('zero-rated apps, decided from %s', (mode) => {
  it('go on over the limit and with the pool empty, are recorded as free usage, and never charged or told', async () => {
    const familyId = await family();
    const events = [
      usage(id('limit'), familyId, 11, 3 * MB, { appId: 'com.youtube.app' }),
      usage(id('free-over-limit'), familyId, 11, 5 * MB, { appId: ' Com.Kakao.Talk ' }),
      usage(id('pool-used-up'), familyId, 12, 7 * MB, { appId: 'com.youtube.app' }),
      usage(id('pool-empty'), familyId, 12, MB, { appId: 'com.youtube.app' }),
      usage(id('free-pool-empty'), familyId, 12, 2 * MB, { appId: 'com.kakao.talk' }),
      usage(id('no-app'), familyId, 12, MB),
      usage(id('blocked-and-free'), familyId, 11, MB, { appId: 'com.carrier.app' }),
      usage(id('free-for-12'), familyId, 12, MB, { appId: 'com.carrier.app' }),
    ];
    const invoke = MODES[mode]();
    expect(await invoke(mskEvent(events.map((e) => mskRecord(0, ++offset, e))))).toEqual({
      batchItemFailures: [],
    });

    const settled = await env.settlements(familyId, period());
    const byId = new Map(settled.map((s) => [s.eventId, s]));
    expect(events.map((e) => byId.get(e.eventId)?.decision)).toEqual([
      'NORMAL',
      'ZERO_RATED',
      'WARNING_10',
      'FAMILY_QUOTA_EXCEEDED',
      'ZERO_RATED',
      'FAMILY_QUOTA_EXCEEDED',
      'APP_BLOCK',
      'ZERO_RATED',
    ]);
    expect(new Set(settled.map((s) => s.decidedFrom))).toEqual(new Set([mode]));
    expect(byId.get(events[1]?.eventId as string)?.bytesUsed).toBe(5 * MB);

    // The pool and the limit hold exactly the charged usage; the free usage is the members' own.
    expect(await env.usage(familyId, period())).toBe(10 * MB);
    const member11 = await env.memberUsage(familyId, period(), 11);
    const member12 = await env.memberUsage(familyId, period(), 12);
    expect([member11?.usedBytes, member11?.zeroRatedBytes]).toEqual([3 * MB, 5 * MB]);
    expect([member12?.usedBytes, member12?.zeroRatedBytes]).toEqual([7 * MB, 3 * MB]);

    // Only the threshold, the empty pool and the app block are told; nothing about free usage.
    const told = (await env.pendingNotifications(familyId))
      .filter((n) => n.type !== 'POLICY_CHANGED')
      .map((n) => `${n.customerId}:${n.type}`)
      .sort();
    expect(told).toEqual(['11:CUSTOMER_BLOCKED', '12:CUSTOMER_BLOCKED', '12:THRESHOLD_ALERT']);
  });

  it('lose to a manual block and a block window, and never apply to an event without an app', async () => {
    const familyId = await family();
    await changes(
      policyUpdated(id('pol'), { familyId, customerId: 11 }, 'BLOCK:ACCESS', '1'),
      policyUpdated(id('pol'), { familyId, customerId: 12 }, 'BLOCK:TIME', '0000-0000'),
    );
    const events = [
      usage(id('manual'), familyId, 11, MB, { appId: 'com.kakao.talk' }),
      usage(id('window'), familyId, 12, MB, { appId: 'com.kakao.talk' }),
    ];
    const invoke = MODES[mode]();
    await invoke(mskEvent(events.map((e) => mskRecord(0, ++offset, e))));
    const settled = await env.settlements(familyId, period());
    expect(events.map((e) => settled.find((s) => s.eventId === e.eventId)?.decision)).toEqual([
      'MANUAL',
      'TIME_BLOCK',
    ]);
  });
});

describe('a member’s zero-rated set', () => {
  it('replaces the family’s, and removing it lets the family’s show through again', async () => {
    const familyId = await family();
    const member = { familyId, customerId: 12 };
    await changes(policyUpdated(id('pol'), member, 'ZERO_RATE:APP', '{"apps": ["net.chat"]}'));
    const decide = async (appId: string) => {
      const event = usage(id('use'), familyId, 12, MB, { appId });
      await env.invoke(mskEvent([mskRecord(0, ++offset, event)]));
      return (await env.settlements(familyId, period())).find((s) => s.eventId === event.eventId)?.decision;
    };
    expect([await decide('net.chat'), await decide('com.kakao.talk')]).toEqual(['ZERO_RATED', 'NORMAL']);
    await changes(policyUpdated(id('pol'), member, 'ZERO_RATE:APP', null, { isActive: false }));
    expect([await decide('net.chat'), await decide('com.kakao.talk')]).toEqual(['NORMAL', 'ZERO_RATED']);
  });

  it('dead-letters a malformed app list with its reason', async () => {
    const familyId = await family();
    const bad = policyUpdated(id('pol'), { familyId }, 'ZERO_RATE:APP', '{"apps": "com.kakao.talk"}');
    expect(await changes(bad)).toEqual({ batchItemFailures: [] });
    const letters = await env.drainDeadLetters();
    const letter = letters.find((l) => l.eventId === bad.eventId);
    expect([letter?.reason, letter?.message]).toEqual([
      'INVALID_POLICY_VALUE',
      'ZERO_RATE:APP JSON form needs "apps": [...]',
    ]);
  });
});
