import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../functions/adapters/dynamodb/client';
import { DynamoLedger } from '../../functions/adapters/dynamodb/ledger';
import { decodeMskEvent } from '../../functions/core/kafka-record';
import type { Decision } from '../../functions/core/settlement/decision';
import type { CommitUnit } from '../../functions/core/settlement/ports';
import { buildRejection, buildSettlement } from '../../functions/core/settlement/records';
import { createTestTables, type TestTables } from '../helpers/local-aws';
import { mskEvent, mskRecord, usage } from '../helpers/msk';
import { usageEvent } from '../helpers/usage-event-factory';

/**
 * Commits packed into shared transactions: what one family's conflict costs
 * the others, and what throttling does.
 */
let tables: TestTables;
let nextFamily = 90_000;

beforeAll(async () => {
  tables = await createTestTables('commit');
});
afterAll(() => tables.client.destroy());

const RETRY = { maxAttempts: 3, baseDelayMs: 1 };

function ledgerWith(fault?: (input: { TransactItems?: unknown[] }) => Error | null) {
  const doc = createDocumentClient({ endpoint: tables.endpoint });
  let transactions = 0;
  if (fault) {
    doc.middlewareStack.add(
      (next, context) => async (args) => {
        if (
          context.commandName === 'TransactWriteCommand' ||
          context.commandName === 'TransactWriteItemsCommand'
        ) {
          transactions++;
          const error = fault(args.input as { TransactItems?: unknown[] });
          if (error) throw error;
        }
        return next(args);
      },
      { step: 'initialize', name: 'testFault' },
    );
  }
  return {
    ledger: new DynamoLedger(doc, tables.names, { retry: RETRY, concurrency: 4 }),
    sent: () => transactions,
  };
}

/** A unit of one family with `events` allowed settlements of one period. */
function unit(familyId: number, events: number, versionBefore = 0, eventIds?: string[]): CommitUnit {
  const writes = Array.from({ length: events }, (_, i) => {
    const event = usageEvent({ familyId, customerId: 1, bytesUsed: 10, eventId: eventIds?.[i] });
    const decision: Decision = {
      status: 'NORMAL',
      counted: true,
      notify: false,
      bytes: 10,
      customerId: 1,
      payloadHash: event.payloadHash,
      markers: [],
    };
    const [partition] = decodeMskEvent(mskEvent([mskRecord(0, i, usage(event.eventId, familyId, 1, 10))]));
    const record = partition?.records[0];
    if (!record) throw new Error('no record');
    return buildSettlement({
      event,
      record,
      decision,
      decidedAtVersion: versionBefore,
      globalRevision: 0,
      decidedFrom: 'redis',
      nowMs: Date.now(),
      outboxGraceMs: 0,
    });
  });
  const period = writes[0]?.record.period ?? '202601';
  return {
    familyId,
    periods: [
      {
        period,
        versionBefore,
        quotaBytes: 1_000_000,
        incarnation: 'i',
        stampMs: 1,
        globalRevision: 0,
        writes,
        rejections: [],
      },
    ],
  };
}

const throttled = () =>
  Object.assign(new Error('ThrottlingException (injected)'), {
    name: 'ThrottlingException',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
  });

describe('packed commits', () => {
  it('puts several families in one transaction and moves each period version by one', async () => {
    const { ledger } = ledgerWith();
    const units = Array.from({ length: 10 }, () => unit(++nextFamily, 3));

    const { outcomes, transactions } = await ledger.commit(units);

    expect(transactions).toBe(1);
    expect([...outcomes.values()].every((o) => o.kind === 'committed')).toBe(true);
    const first = units[0] as CommitUnit;
    const usage = await ledger.periodUsage(first.familyId, first.periods[0]?.period ?? '');
    expect(usage).toMatchObject({ version: 1, usedBytes: 30, quotaBytes: 1_000_000 });
  });

  it('answers a unit with an outdated version as stale and commits the others with one retry', async () => {
    const { ledger } = ledgerWith();
    const fresh = [unit(++nextFamily, 2), unit(++nextFamily, 2)];
    const outdated = unit(++nextFamily, 2, 5);

    const { outcomes, transactions } = await ledger.commit([
      fresh[0] as CommitUnit,
      outdated,
      fresh[1] as CommitUnit,
    ]);

    expect(outcomes.get(outdated)).toEqual({ kind: 'stale', fates: [] });
    expect(fresh.map((u) => outcomes.get(u)?.kind)).toEqual(['committed', 'committed']);
    expect(transactions).toBe(2);
  });

  it('lists the settlements that already exist when it answers stale', async () => {
    const { ledger } = ledgerWith();
    const familyId = ++nextFamily;
    const first = unit(familyId, 2);
    await ledger.commit([first]);
    const ids = first.periods[0]?.writes.map((w) => w.record.eventId) ?? [];
    const again = unit(familyId, 2, 1, ids);

    const { outcomes } = await ledger.commit([again]);

    const outcome = outcomes.get(again);
    expect(outcome?.kind).toBe('stale');
    expect(outcome?.kind === 'stale' && outcome.fates.map((f) => f.record.eventId).sort()).toEqual(
      [...ids].sort(),
    );
  });

  it("records a rejection from the family state as the event's fate, which a later settlement cannot replace", async () => {
    const { ledger } = ledgerWith();
    const familyId = ++nextFamily;
    const event = usageEvent({ familyId, customerId: 9, bytesUsed: 10 });
    const [partition] = decodeMskEvent(mskEvent([mskRecord(0, 1, usage(event.eventId, familyId, 9, 10))]));
    const record = partition?.records[0];
    if (!record) throw new Error('no record');
    const rejected: CommitUnit = {
      familyId,
      periods: [
        {
          period: event.period,
          versionBefore: 0,
          stampMs: 1,
          globalRevision: 0,
          quotaBytes: 100,
          incarnation: 'i',
          writes: [],
          rejections: [buildRejection({ event, record, decidedAtVersion: 0, nowMs: 1 })],
        },
      ],
    };
    expect((await ledger.commit([rejected])).outcomes.get(rejected)).toEqual({ kind: 'committed' });

    const fate = (await ledger.findFates([event.eventId])).get(event.eventId);
    expect(fate).toMatchObject({ kind: 'rejected', record: { reason: 'NOT_A_MEMBER', decidedAtVersion: 0 } });
    expect(await ledger.getSettlement(event.eventId)).toBeNull();
    expect((await ledger.periodUsage(familyId, event.period)).usedBytes).toBe(0);

    const settle = unit(familyId, 1, 1, [event.eventId]);
    const outcome = (await ledger.commit([settle])).outcomes.get(settle);
    expect(outcome?.kind === 'stale' && outcome.fates.map((f) => f.kind)).toEqual(['rejected']);
  });

  it('checks the version of a period that writes nothing (only conflicts)', async () => {
    const { ledger } = ledgerWith();
    const familyId = ++nextFamily;
    const period = unit(familyId, 1).periods[0]?.period ?? '';
    const check = (versionBefore: number): CommitUnit => ({
      familyId,
      periods: [
        {
          period,
          versionBefore,
          quotaBytes: 0,
          incarnation: 'i',
          stampMs: 1,
          globalRevision: 0,
          writes: [],
          rejections: [],
        },
      ],
    });

    const ok = check(0);
    const wrong = check(3);
    expect((await ledger.commit([ok])).outcomes.get(ok)).toEqual({ kind: 'committed' });
    expect((await ledger.commit([wrong])).outcomes.get(wrong)).toEqual({ kind: 'stale', fates: [] });
  });

  it('splits units that do not fit in one transaction, and never writes one eventId twice in one', async () => {
    const { ledger } = ledgerWith();
    const big = [unit(++nextFamily, 60), unit(++nextFamily, 60)];
    const shared = `shared-${nextFamily}`;
    const twins = [unit(++nextFamily, 1, 0, [shared]), unit(++nextFamily, 1, 0, [shared])];

    const { outcomes, transactions } = await ledger.commit([...big, ...twins]);

    expect(transactions).toBeGreaterThanOrEqual(3);
    expect(big.map((u) => outcomes.get(u)?.kind)).toEqual(['committed', 'committed']);
    expect(twins.map((u) => outcomes.get(u)?.kind).sort()).toEqual(['committed', 'stale']);
  });

  it('retries throttling with backoff, then gives up with a transient failure', async () => {
    let left = 1;
    const once = ledgerWith(() => (left-- > 0 ? throttled() : null));
    const u = unit(++nextFamily, 1);
    expect((await once.ledger.commit([u])).outcomes.get(u)).toEqual({ kind: 'committed' });
    expect(once.sent()).toBe(2);

    const always = ledgerWith(() => throttled());
    const v = unit(++nextFamily, 1);
    const outcome = (await always.ledger.commit([v])).outcomes.get(v);
    expect(outcome?.kind).toBe('failed');
    expect(always.sent()).toBe(RETRY.maxAttempts);
  });
});
