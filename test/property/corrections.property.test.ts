import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { periodOf } from '../../functions/core/time';
import { decisionModes } from '../helpers/decision-modes';
import {
  correction,
  familyEvent,
  uniqueId as id,
  mskEvent,
  mskRecord,
  policyUpdated,
  usage,
} from '../helpers/msk';
import { type SettlementEnv, startSettlementEnv } from '../helpers/settlement-env';
import { NO_MODEL_POLICY, SettlementModel } from '../model/settlement-model';

/**
 * Random mixes of usage and corrections of it, delivered in random batches
 * (some delivered twice) through the usage-events function against real
 * Redis and DynamoDB Local, with Redis and with Redis out; every decision,
 * every correction's fate and every block it lifted is judged against the
 * reference model deciding the same sequence in delivery order.
 */
const ZONE = 'Asia/Seoul';
const MB = 1_000_000;
const QUOTA = 10 * MB;
const MEMBERS = [11, 12];
/** 11 may use 5 MB a month, so corrections also lift monthly-limit blocks, at the limit's very edge too. */
const LIMITED = 11;
const LIMIT = 5 * MB;
let env: SettlementEnv;
let nextFamily = 97_000 + Math.floor(Math.random() * 1_000) * 10;
let offset = 0;

beforeAll(async () => {
  env = await startSettlementEnv('corrections-model');
});
afterAll(() => env.stop());

const MODES = decisionModes(() => env);

type Step =
  | { readonly kind: 'usage'; readonly customer: number; readonly mb: number }
  /** Of the `target`-th usage so far (modulo), to `share` of it (above 1: more than it counted). */
  | {
      readonly kind: 'correction';
      readonly customer: number;
      readonly target: number;
      readonly share: number;
      readonly ageMs: number;
    };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('usage' as const),
      customer: fc.constantFrom(...MEMBERS),
      mb: fc.integer({ min: 1, max: 4 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('correction' as const),
      customer: fc.constantFrom(...MEMBERS),
      target: fc.nat(20),
      share: fc.constantFrom(0, 0.25, 0.5, 0.75, 1, 1.5),
      ageMs: fc.constantFrom(1_000, 2_000, 3_000),
    }),
  },
);

describe.each(Object.keys(MODES) as Array<keyof typeof MODES>)('corrections decided from %s', (mode) => {
  it('decide every event, correction and unblock as the reference model does', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(stepArb, { minLength: 2, maxLength: 14 }),
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        async (steps, cuts, replay) => {
          const familyId = ++nextFamily;
          const members = MEMBERS.map((customerId) => ({ customerId, role: 'MEMBER' }));
          const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
          await env.applyChanges(
            familyEvent(
              id('fam'),
              'FAMILY_UPSERTED',
              { familyId, totalQuotaBytes: QUOTA, members },
              ago(60_000),
            ),
            policyUpdated(id('pol'), { familyId, customerId: LIMITED }, 'LIMIT:DATA:MONTHLY', String(LIMIT), {
              timestamp: ago(50_000),
            }),
          );
          const period = periodOf(Date.now(), ZONE);
          const model = new SettlementModel([
            {
              period,
              quota: QUOTA,
              familyUsedBytes: 0,
              members: MEMBERS.map((customerId) => ({
                customerId,
                policy: customerId === LIMITED ? { ...NO_MODEL_POLICY, limit: LIMIT } : NO_MODEL_POLICY,
                usedBytes: 0,
                alerts: [],
              })),
            },
          ]);
          const usages: Array<ReturnType<typeof usage>> = [];
          const envelopes: Array<ReturnType<typeof usage> | ReturnType<typeof correction>> = [];
          const expected = new Map<string, string>();
          const expectedUnblocks: string[] = [];
          const expectedTold: string[] = [];
          const now = Date.now();
          for (const step of steps) {
            if (step.kind === 'usage') {
              const event = usage(id('use'), familyId, step.customer, step.mb * MB, {
                timestamp: new Date(now - 10_000).toISOString(),
              });
              const time = Date.parse(event.timestamp);
              const result = model.decide({
                eventId: event.eventId,
                customerId: step.customer,
                appId: null,
                bytes: step.mb * MB,
                eventTimeMs: time,
                period,
                hhmm: '1200',
              });
              usages.push(event);
              envelopes.push(event);
              if (result.kind === 'new') {
                expected.set(event.eventId, result.decision.status);
                if (result.decision.notify) expectedTold.push(`${event.eventId}:${result.decision.status}`);
              }
              continue;
            }
            const target = usages.length === 0 ? null : usages[step.target % usages.length];
            const correctsEventId = target?.eventId ?? id('nothing');
            const counted = target?.payload.bytesUsed ?? MB;
            const bytes = Math.round(counted * step.share);
            const c = correction(
              id('cor'),
              familyId,
              step.customer,
              correctsEventId,
              bytes,
              new Date(now - step.ageMs).toISOString(),
            );
            const result = model.correct({
              eventId: c.eventId,
              customerId: step.customer,
              correctsEventId,
              bytes,
              timeMs: Date.parse(c.timestamp),
            });
            envelopes.push(c);
            expected.set(c.eventId, result.kind === 'rejected' ? result.reason : result.kind);
            if (result.kind === 'applied' || result.kind === 'superseded') {
              for (const u of result.unblocked)
                expectedUnblocks.push(`${c.eventId}:${u.customerId}:${u.reason}`);
            }
          }

          const records = envelopes.map((e) => mskRecord(0, ++offset, e));
          const invoke = MODES[mode]();
          let at = 0;
          for (const cut of [...cuts, records.length]) {
            const batch = records.slice(at, at + cut);
            if (batch.length === 0) break;
            expect(await invoke(mskEvent(batch))).toEqual({ batchItemFailures: [] });
            if (replay) expect(await invoke(mskEvent(batch))).toEqual({ batchItemFailures: [] });
            at += batch.length;
          }

          const letters = new Map((await env.drainDeadLetters()).map((l) => [l.eventId, l.reason]));
          const settled = new Map(
            (await env.settlements(familyId, period)).map((s) => [String(s.eventId), s]),
          );
          const actual = new Map<string, string>();
          for (const e of envelopes) {
            const letter = letters.get(e.eventId);
            const settlement = settled.get(e.eventId);
            if (letter) actual.set(e.eventId, letter);
            else if (settlement) actual.set(e.eventId, String(settlement.decision));
          }
          const corrections = await env.corrections(familyId);
          for (const [eventId, c] of corrections) actual.set(eventId, c.applied ? 'applied' : 'superseded');
          expect(actual).toEqual(expected);

          const notifications = await env.pendingNotifications(familyId);
          const unblocks = notifications
            .filter((n) => n.type === 'CUSTOMER_UNBLOCKED')
            .map((n) => `${n.data.originEventId}:${n.customerId}:${n.data.reason}`);
          expect(unblocks.sort()).toEqual(expectedUnblocks.sort());
          // Re-armed warnings and lifted blocks are told again when crossed again.
          const told = notifications
            .filter((n) => n.type === 'THRESHOLD_ALERT' || n.type === 'CUSTOMER_BLOCKED')
            .map((n) => `${n.data.originEventId}:${n.data.status}`);
          expect(told.sort()).toEqual(expectedTold.sort());
          const view = model.period(period);
          expect(await env.usage(familyId, period)).toBe(QUOTA + view.topups - view.remaining);
        },
      ),
      { numRuns: 20 },
    );
  }, 300_000);
});
