import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MskEvent, MskRecord } from '../../functions/core/kafka-record';
import type { Clock } from '../../functions/core/ports';
import { MAX_RECORD_AGE_MS, periodOf } from '../../functions/core/time';
import { changeRecord, familyEvent, mskEvent, mskRecord, usage } from '../helpers/msk';
import { type SettlementEnv, startSettlementEnv } from '../helpers/settlement-env';

/**
 * Which events are accepted is decided from the record alone, so every
 * delivery of a record reaches the same fate; and family and policy changes
 * reach every period whose events are still accepted, so no decision depends
 * on which period states Redis happens to hold.
 */
const ZONE = 'Asia/Seoul';
let env: SettlementEnv;
let nextFamily = 73_000;
let offset = 0;
const at = (iso: string) => Date.parse(iso);

beforeAll(async () => {
  env = await startSettlementEnv('accepted-window');
});
afterAll(() => env.stop());

/** The usage function with its clock set by the test. */
function usageFunction(clock: { ms: number }) {
  const { degradation: _breaker, ...deps } = env.deps;
  return env.handlerWith({ ...deps, clock: { now: () => clock.ms } satisfies Clock });
}

/** The change-events function with its clock set by the test. */
function changeFunction(clock: { ms: number }) {
  return env.changeHandlerWith({ ...env.changeDeps, clock: { now: () => clock.ms } });
}

async function family(members = [11, 12]) {
  const familyId = ++nextFamily;
  await env.families.putFamily({
    familyId,
    quotaBytes: 1_000_000,
    members: members.map((customerId) => ({ customerId })),
  });
  return familyId;
}

/** A usage record written (Kafka timestamp) at `writtenMs`, about an event at `eventIso`. */
function written(writtenMs: number, event: ReturnType<typeof usage>): MskRecord {
  return { ...mskRecord(0, offset++, event), timestamp: writtenMs };
}

async function fates(invoke: (e: MskEvent) => Promise<unknown>, records: MskRecord[]) {
  expect(await invoke(mskEvent(records))).toEqual({ batchItemFailures: [] });
  const letters = await env.drainDeadLetters();
  const eventIdOf = (r: MskRecord) =>
    (JSON.parse(Buffer.from(r.value ?? '', 'base64').toString()) as { eventId: string }).eventId;
  return {
    letters: letters.map((l) => `${eventIdOf(l.record)}:${l.reason}`),
    ids: letters.map((l) => l.letterId),
  };
}

describe('the accepted window', () => {
  it('refuses an event stamped beyond the skew after its record on every delivery', async () => {
    const f = await family();
    const writtenAt = at('2026-11-20T10:00:00+09:00');
    const clock = { ms: writtenAt };
    const invoke = usageFunction(clock);
    const skewMs = env.config.settlement.futureSkewMs;
    const ahead = new Date(writtenAt + skewMs + 60_000).toISOString();
    const record = written(writtenAt, usage(`${f}-ahead`, f, 11, 100, { timestamp: ahead }));

    const first = await fates(invoke, [record]);
    // The partition was held up by another record; the batch comes again two minutes later.
    clock.ms = writtenAt + 120_000;
    const again = await fates(invoke, [record]);

    expect(first.letters).toEqual([`${f}-ahead:OUT_OF_WINDOW`]);
    expect(again).toEqual(first);
    expect(await env.settlements(f, '202611')).toEqual([]);
  });

  it('keeps the fate a record got when it was young once it is too old to be decided', async () => {
    const f = await family();
    const writtenAt = at('2026-11-20T10:00:00+09:00');
    const clock = { ms: writtenAt + 1_000 };
    const invoke = usageFunction(clock);
    const settled = written(
      writtenAt,
      usage(`${f}-settled`, f, 11, 100, { timestamp: '2026-11-20T09:59:00+09:00' }),
    );
    expect((await fates(invoke, [settled])).letters).toEqual([]);

    // Replayed after the replay bound: the ledger's fate stands; a record it never saw is refused.
    clock.ms = writtenAt + MAX_RECORD_AGE_MS + 86_400_000;
    const unseen = written(
      writtenAt,
      usage(`${f}-unseen`, f, 11, 100, { timestamp: '2026-11-20T09:59:30+09:00' }),
    );
    const late = await fates(invoke, [settled, unseen]);

    expect(late.letters).toEqual([`${f}-unseen:OUT_OF_WINDOW`]);
    expect((await env.settlements(f, '202611')).map((s) => s.eventId)).toEqual([`${f}-settled`]);
  });
});

describe('the oldest accepted month', () => {
  it('follows a member who left, whichever of its states Redis holds', async () => {
    // The first day of a month: a record written yesterday about the month before is still accepted.
    const f = await family();
    const now = { ms: at('2027-03-01T10:00:00+09:00') };
    const writtenYesterday = at('2027-02-28T23:00:00+09:00');
    const january = '2027-01-31T22:00:00+09:00';
    const invoke = usageFunction(now);

    const before = await fates(invoke, [
      written(writtenYesterday, usage(`${f}-before`, f, 12, 100, { timestamp: january })),
    ]);
    expect(before.letters).toEqual([]);
    // January's state is in Redis now; the member leaves.
    const left = familyEvent(
      `${f}-left`,
      'MEMBER_LEFT',
      { familyId: f, customerId: 12 },
      new Date(now.ms).toISOString(),
    );
    expect(await changeFunction(now)(mskEvent([changeRecord(left)]))).toEqual({ batchItemFailures: [] });

    const after = await fates(invoke, [
      written(writtenYesterday, usage(`${f}-after`, f, 12, 100, { timestamp: january })),
    ]);

    expect(after.letters).toEqual([`${f}-after:NOT_A_MEMBER`]);
    expect(periodOf(at(january), ZONE)).toBe('202701');
    expect((await env.settlements(f, '202701')).map((s) => s.eventId)).toEqual([`${f}-before`]);
  });
});
