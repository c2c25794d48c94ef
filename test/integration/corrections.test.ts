import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { periodOf } from '../../functions/core/time';
import { decisionModes } from '../helpers/decision-modes';
import {
  msAgo as at,
  correction,
  familyEvent,
  uniqueId as id,
  mskEvent,
  mskRecord,
  policyUpdated,
  usage,
} from '../helpers/msk';
import { type SettlementEnv, startSettlementEnv } from '../helpers/settlement-env';

/**
 * Corrections of settled usage through the usage-events function, against
 * real Redis and DynamoDB Local, and again with Redis out: decided in
 * delivery order with the family's usage, applied once, only ever lowering
 * what an event counts, and lifting the blocks the refund ends.
 */
const ZONE = 'Asia/Seoul';
const MB = 1_000_000;
let env: SettlementEnv;
let nextFamily = 95_000 + Math.floor(Math.random() * 1_000) * 10;
let offset = 0;

beforeAll(async () => {
  env = await startSettlementEnv('corrections');
});
afterAll(() => env.stop());

const period = () => periodOf(Date.now(), ZONE);

const MODES = decisionModes(() => env);

/** A family of two with a 10 MB pool; 11 may use 5 MB a month. */
async function family() {
  const familyId = ++nextFamily;
  const members = [
    { customerId: 11, role: 'OWNER' },
    { customerId: 12, role: 'MEMBER' },
  ];
  expect(
    await env.applyChanges(
      familyEvent(id('fam'), 'FAMILY_UPSERTED', { familyId, totalQuotaBytes: 10 * MB, members }, at(60_000)),
      policyUpdated(id('pol'), { familyId, customerId: 11 }, 'LIMIT:DATA:MONTHLY', String(5 * MB), {
        timestamp: at(50_000),
      }),
    ),
  ).toEqual({ batchItemFailures: [] });
  return familyId;
}

type Envelope = ReturnType<typeof usage> | ReturnType<typeof correction>;

async function deliver(invoke: (e: ReturnType<typeof mskEvent>) => Promise<unknown>, events: Envelope[]) {
  expect(await invoke(mskEvent(events.map((e) => mskRecord(0, ++offset, e))))).toEqual({
    batchItemFailures: [],
  });
}

async function decisions(familyId: number, events: Envelope[]) {
  const settled = new Map((await env.settlements(familyId, period())).map((s) => [s.eventId, s]));
  return events.filter((e) => e.eventType === 'DATA_USAGE').map((e) => settled.get(e.eventId)?.decision);
}

const told = async (familyId: number) =>
  (await env.pendingNotifications(familyId))
    .filter((n) => n.type !== 'POLICY_CHANGED')
    .map((n) => `${n.type}:${n.customerId}:${n.data.reason ?? n.data.threshold ?? ''}`)
    .sort();

describe.each(Object.keys(MODES) as Array<keyof typeof MODES>)('a correction, decided from %s', (mode) => {
  it('refunds a double-counted event in delivery order: the events before it see the old amount, those after the new, and the blocks it ends are lifted', async () => {
    const f = await family();
    const double = usage(id('double'), f, 12, 6 * MB);
    const events: Envelope[] = [
      double,
      usage(id('use'), f, 11, 4 * MB),
      usage(id('blocked'), f, 12, MB),
      usage(id('blocked'), f, 11, MB),
      correction(id('cor'), f, 12, double.eventId, 0),
      usage(id('after'), f, 12, MB),
    ];
    await deliver(MODES[mode](), events);

    expect(await decisions(f, events)).toEqual([
      'WARNING_50',
      'WARNING_10',
      'FAMILY_QUOTA_EXCEEDED',
      'FAMILY_QUOTA_EXCEEDED',
      // 6 MB came back: 5 of 10 MB are left after it, not below any warning level.
      'NORMAL',
    ]);
    expect(await env.usage(f, period())).toBe(5 * MB);
    expect((await env.memberUsage(f, period(), 12))?.usedBytes).toBe(MB);
    const record = (await env.settlements(f, period())).find((s) => s.eventId === double.eventId);
    expect(record).toMatchObject({ decision: 'WARNING_50', bytesUsed: 6 * MB, correctedBytes: 0 });
    expect(await told(f)).toEqual([
      'CUSTOMER_BLOCKED:11:FAMILY_QUOTA_EXCEEDED',
      'CUSTOMER_BLOCKED:12:FAMILY_QUOTA_EXCEEDED',
      'CUSTOMER_UNBLOCKED:11:FAMILY_QUOTA_EXCEEDED',
      'CUSTOMER_UNBLOCKED:12:FAMILY_QUOTA_EXCEEDED',
      'THRESHOLD_ALERT:11:10',
      'THRESHOLD_ALERT:12:50',
    ]);

    // Delivered again, nothing moves: the correction is found in the ledger, the usage is settled.
    await deliver(MODES[mode](), events);
    expect(await env.usage(f, period())).toBe(5 * MB);
    expect((await told(f)).length).toBe(6);
    expect(await env.drainDeadLetters()).toEqual([]);
  });

  it("lifts the member's monthly-limit block when the refund takes it back under the limit, and re-arms the warnings", async () => {
    const f = await family();
    const big = usage(id('big'), f, 11, 5 * MB);
    await deliver(MODES[mode](), [usage(id('use'), f, 12, 5 * MB), big, usage(id('over'), f, 11, MB)]);
    expect(await told(f)).toEqual(['CUSTOMER_BLOCKED:11:MONTHLY_LIMIT_EXCEEDED', 'THRESHOLD_ALERT:11:10']);
    await deliver(MODES[mode](), [correction(id('cor'), f, 11, big.eventId, 2 * MB)]);

    expect((await env.memberUsage(f, period(), 11))?.usedBytes).toBe(2 * MB);
    expect((await told(f)).filter((t) => t.startsWith('CUSTOMER_UNBLOCKED'))).toEqual([
      'CUSTOMER_UNBLOCKED:11:MONTHLY_LIMIT_EXCEEDED',
    ]);
    // 3 MB left: no longer below 30%, so crossing it again is told again; still below 50%, which is not.
    const again = usage(id('again'), f, 11, MB);
    await deliver(MODES[mode](), [again]);
    expect(await decisions(f, [again])).toEqual(['WARNING_30']);
    expect((await told(f)).filter((t) => t.startsWith('THRESHOLD_ALERT'))).toEqual([
      'THRESHOLD_ALERT:11:10',
      'THRESHOLD_ALERT:11:30',
    ]);
  });

  it('keeps the monthly-limit block when the refund leaves the member at its limit, and lifts it below', async () => {
    const f = await family();
    const big = usage(id('big'), f, 11, 4 * MB);
    await deliver(MODES[mode](), [big]);
    // The limit lowered under what 11 used: blocked at once, by the change.
    await env.applyChanges(
      policyUpdated(id('pol'), { familyId: f, customerId: 11 }, 'LIMIT:DATA:MONTHLY', String(3 * MB)),
    );
    const unblocks = async () => (await told(f)).filter((t) => t.startsWith('CUSTOMER_UNBLOCKED'));
    await deliver(MODES[mode](), [correction(id('cor'), f, 11, big.eventId, 3 * MB, at(2_000))]);
    expect(await unblocks()).toEqual([]);
    await deliver(MODES[mode](), [correction(id('cor'), f, 11, big.eventId, 3 * MB - 1, at(1_000))]);
    expect(await unblocks()).toEqual(['CUSTOMER_UNBLOCKED:11:MONTHLY_LIMIT_EXCEEDED']);
  });

  it('takes the newest of several corrections of one event and lets an older one change nothing', async () => {
    const f = await family();
    const event = usage(id('use'), f, 12, 4 * MB, { timestamp: at(10_000) });
    await deliver(MODES[mode](), [event]);
    await deliver(MODES[mode](), [
      correction(id('newer'), f, 12, event.eventId, 2 * MB, at(1_000)),
      correction(id('older'), f, 12, event.eventId, MB, at(5_000)),
    ]);
    expect(await env.usage(f, period())).toBe(2 * MB);
    const record = (await env.settlements(f, period())).find((s) => s.eventId === event.eventId);
    expect(record?.correctedBytes).toBe(2 * MB);
    expect(await env.drainDeadLetters()).toEqual([]);
  });

  it('dead-letters what cannot be corrected, with the reason', async () => {
    const f = await family();
    const counted = usage(id('use'), f, 12, 4 * MB);
    const blocked = usage(id('blocked'), f, 11, 6 * MB);
    await deliver(MODES[mode](), [counted, blocked]);
    await deliver(MODES[mode](), [
      correction(id('up'), f, 12, counted.eventId, 5 * MB),
      correction(id('blocked'), f, 11, blocked.eventId, 0),
      correction(id('unknown'), f, 12, id('never-settled'), 0),
      correction(id('other'), f, 11, counted.eventId, 0),
      correction(id('family'), f + 1, 12, counted.eventId, 0),
    ]);
    const letters = await env.drainDeadLetters();
    expect(letters.map((l) => l.reason).sort()).toEqual([
      'CORRECTION_INCREASES',
      'CORRECTION_MISMATCH',
      'CORRECTION_MISMATCH',
      'NOT_CORRECTABLE',
      'UNKNOWN_EVENT',
    ]);
    expect(letters.find((l) => l.reason === 'CORRECTION_INCREASES')?.message).toContain(
      `counts ${4 * MB} bytes`,
    );
    expect(await env.usage(f, period())).toBe(4 * MB);
  });
});
