import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoHeldChanges } from '../../functions/adapters/dynamodb/held-changes';
import { expireHeldChanges } from '../../functions/core/changes/held-changes';
import type { MskRecord } from '../../functions/core/kafka-record';
import { periodOf } from '../../functions/core/time';
import { changeRecord, familyEvent, mskEvent, mskRecord, policyUpdated, usage } from '../helpers/msk';
import { type SettlementEnv, startSettlementEnv } from '../helpers/settlement-env';

/**
 * policy-updated and family-updated are two topics with no order between
 * them: a change that arrives before its member or family waits for it, is
 * applied when it appears (versions still decide which value wins), and is
 * dead-lettered only when its wait runs out.
 */
const ZONE = 'Asia/Seoul';
const MB = 1_000_000;
let env: SettlementEnv;
let held: DynamoHeldChanges;
let nextFamily = 82_000;
let seq = 0;

beforeAll(async () => {
  env = await startSettlementEnv('held-changes');
  held = new DynamoHeldChanges(env.tables.doc, env.tables.names.ledger);
});
afterAll(() => env.stop());

const id = (what: string) => `${what}-${++seq}-${Math.random().toString(36).slice(2, 6)}`;
const at = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();
const apply = (...events: unknown[]) =>
  env.applyChange(mskEvent(events.map((e) => changeRecord(e as Parameters<typeof changeRecord>[0]))));
const upsert = (familyId: number, members: number[], msAgo = 60_000) =>
  familyEvent(
    id('fam'),
    'FAMILY_UPSERTED',
    {
      familyId,
      totalQuotaBytes: 100 * MB,
      members: members.map((customerId) => ({ customerId, role: 'MEMBER' })),
    },
    at(msAgo),
  );
const joined = (familyId: number, customerId: number, msAgo = 30_000) =>
  familyEvent(id('join'), 'MEMBER_JOINED', { familyId, customerId }, at(msAgo));
const limit = (familyId: number, customerId: number | null, bytes: number, msAgo: number) =>
  policyUpdated(id('lim'), { familyId, customerId }, 'LIMIT:DATA:MONTHLY', String(bytes), {
    timestamp: at(msAgo),
  });

async function decide(familyId: number, customerId: number, bytes: number) {
  const envelope = usage(id('use'), familyId, customerId, bytes);
  expect(await env.invoke(mskEvent([mskRecord(0, ++seq, envelope)]))).toEqual({ batchItemFailures: [] });
  const settled = await env.settlements(familyId, periodOf(Date.now(), ZONE));
  return settled.find((s) => s.eventId === envelope.eventId)?.decision;
}

const letters = async () => (await env.drainDeadLetters()).map((l) => `${l.eventId}:${l.reason}`);

describe('a policy change that arrives before its member or family', () => {
  it("waits for the member: 'add a member, then set their limit' delivered the other way round", async () => {
    const familyId = ++nextFamily;
    expect(await apply(upsert(familyId, [11]))).toEqual({ batchItemFailures: [] });
    const early = limit(familyId, 13, 2 * MB, 10_000);

    expect(await apply(early)).toEqual({ batchItemFailures: [] });
    expect(await letters()).toEqual([]);
    expect((await held.heldFor(familyId)).map((h) => h.eventId)).toEqual([early.eventId]);

    expect(await apply(joined(familyId, 13))).toEqual({ batchItemFailures: [] });
    expect(await held.heldFor(familyId)).toEqual([]);
    expect(await decide(familyId, 13, 3 * MB)).toBe('MONTHLY_LIMIT_EXCEEDED');
    expect(await decide(familyId, 11, 3 * MB)).toBe('NORMAL');
  });

  it('waits for the family: a family-wide value before FAMILY_UPSERTED', async () => {
    const familyId = ++nextFamily;
    expect(await apply(limit(familyId, null, 2 * MB, 10_000))).toEqual({ batchItemFailures: [] });
    expect(await letters()).toEqual([]);

    expect(await apply(upsert(familyId, [11, 12]))).toEqual({ batchItemFailures: [] });
    expect(await decide(familyId, 12, 3 * MB)).toBe('MONTHLY_LIMIT_EXCEEDED');
  });

  it('is applied in version order: a value set after it, but newer, still wins', async () => {
    const familyId = ++nextFamily;
    expect(await apply(upsert(familyId, [11]))).toEqual({ batchItemFailures: [] });
    const older = limit(familyId, 13, 2 * MB, 20_000);
    const newer = limit(familyId, 13, 8 * MB, 5_000);
    expect(await apply(newer, older)).toEqual({ batchItemFailures: [] });

    expect(await apply(joined(familyId, 13))).toEqual({ batchItemFailures: [] });
    // 3 MB is over the older limit, not the newer: the newer one is what holds.
    expect(await decide(familyId, 13, 3 * MB)).toBe('NORMAL');
    expect(await held.heldFor(familyId)).toEqual([]);
  });

  it('is dead-lettered with its record when no member comes before its wait runs out', async () => {
    const familyId = ++nextFamily;
    expect(await apply(upsert(familyId, [11]))).toEqual({ batchItemFailures: [] });
    const early = limit(familyId, 14, 2 * MB, 10_000);
    const record: MskRecord = changeRecord(early);
    expect(await env.applyChange(mskEvent([record]))).toEqual({ batchItemFailures: [] });

    const expired = await expireHeldChanges({
      held,
      deadLetters: env.changeDeps.deadLetters,
      clock: { now: () => Date.now() + env.config.heldChanges.waitMs + 1_000 },
      retry: env.changeDeps.retry,
      log: { warn: () => {} },
    });

    expect(expired).toBeGreaterThanOrEqual(1);
    const sent = await env.drainDeadLetters();
    const letter = sent.find((l) => l.eventId === early.eventId);
    expect(letter).toMatchObject({ reason: 'NOT_A_MEMBER', record });
    expect(letter?.message).toMatch(/waited until/);
    expect(await held.heldFor(familyId)).toEqual([]);
    // The member who comes later does not get the expired value.
    expect(await apply(joined(familyId, 14))).toEqual({ batchItemFailures: [] });
    expect(await decide(familyId, 14, 3 * MB)).toBe('NORMAL');
  });

  it('is dead-lettered at once when its family already holds as many changes as it may', async () => {
    const familyId = ++nextFamily;
    expect(await apply(upsert(familyId, [11]))).toEqual({ batchItemFailures: [] });
    const waiting = Array.from({ length: env.config.heldChanges.maxPerFamily }, (_, i) =>
      limit(familyId, 100 + i, MB, 10_000),
    );
    expect(await apply(...waiting)).toEqual({ batchItemFailures: [] });
    const oneTooMany = limit(familyId, 99, MB, 10_000);

    expect(await apply(oneTooMany)).toEqual({ batchItemFailures: [] });

    expect(await letters()).toEqual([`${oneTooMany.eventId}:NOT_A_MEMBER`]);
    expect(await held.heldFor(familyId)).toHaveLength(env.config.heldChanges.maxPerFamily);
  });

  it('changes nothing when delivered again while it waits', async () => {
    const familyId = ++nextFamily;
    expect(await apply(upsert(familyId, [11]))).toEqual({ batchItemFailures: [] });
    const early = changeRecord(limit(familyId, 15, 2 * MB, 10_000));
    expect(await env.applyChange(mskEvent([early]))).toEqual({ batchItemFailures: [] });
    expect(await env.applyChange(mskEvent([early]))).toEqual({ batchItemFailures: [] });

    expect(await held.heldFor(familyId)).toHaveLength(1);
    expect(await letters()).toEqual([]);
  });
});
