import { beforeEach, describe, expect, it } from 'vitest';
import { SettleLaneTwin } from '../../functions/core/degraded/settle-lane-twin';
import { InvariantError, TransientError } from '../../functions/core/errors';
import { decodeMskEvent, type MskRecord } from '../../functions/core/kafka-record';
import { noGlobalPolicy } from '../../functions/core/ports';
import { type SettlementDeps, settleBatch } from '../../functions/core/settlement/settle-batch';
import { MAX_RECORD_AGE_MS, periodOf } from '../../functions/core/time';
import { MemoryLedger, memoryDeadLetters } from '../helpers/memory-ledger';
import { mskEvent, mskRecord, usage } from '../helpers/msk';

/**
 * The settlement orchestration (lanes, rounds, stops, packed commits, fates)
 * with in-memory ports: the degraded-mode twin of the script as the cache and
 * the ledger's commit semantics in memory. Fast, no services; the same paths
 * run against Redis and DynamoDB Local in test/integration.
 */
const ZONE = 'Asia/Seoul';
const NOW = Date.parse('2026-12-05T12:00:00+09:00');
const PERIOD = periodOf(NOW, ZONE);
const at = (minutesAgo: number) => new Date(NOW - minutesAgo * 60_000).toISOString();

let ledger: MemoryLedger;
let letters: ReturnType<typeof memoryDeadLetters>;
let cache: SettleLaneTwin;
let clock: { ms: number };
let offset: number;

beforeEach(() => {
  ledger = new MemoryLedger();
  letters = memoryDeadLetters();
  cache = new SettleLaneTwin();
  clock = { ms: NOW };
  offset = 0;
  ledger.family(1, 1_000, { 11: {}, 12: {} });
  ledger.family(2, 500, { 21: { manualBlock: true }, 22: {} });
});

function deps(over: Partial<SettlementDeps> = {}): SettlementDeps {
  return {
    cache,
    ledger,
    corrections: {
      commit: async () => {
        throw new Error('no correction in these tests');
      },
    },
    deadLetters: letters,
    globalPolicy: noGlobalPolicy,
    globalChanges: {
      store: {
        readFamily: async () => {
          throw new Error('no global change in these tests');
        },
        readTopup: async () => null,
        readGlobal: async () => ({
          policy: { ...(await noGlobalPolicy.current()).policy },
          policyVersions: {},
          revision: 0,
        }),
        globalRevisions: async () => [],
        commit: async () => false,
      },
      clock: { now: () => clock.ms },
      settings: { timeZone: ZONE, futureSkewMs: 300_000, outboxGraceMs: 0 },
    },
    clock: { now: () => clock.ms },
    settings: {
      timeZone: ZONE,
      futureSkewMs: 300_000,
      maxBytesPerEvent: 10 ** 12,
      familyConcurrency: 4,
      retry: { maxAttempts: 2, baseDelayMs: 1 },
      outboxGraceMs: 0,
      dedupWindowMs: 600_000,
      clockMarginMs: 60_000,
    },
    log: { warn: () => {}, error: () => {} },
    ...over,
  };
}

/** A usage event that happened `minutesAgo` before the test's now. */
const use = (eventId: string, familyId: number, customerId: number, bytes: number, minutesAgo = 1) =>
  usage(eventId, familyId, customerId, bytes, { timestamp: at(minutesAgo) });
const record = (partition: number, event: ReturnType<typeof usage>, writtenMs = NOW): MskRecord => ({
  ...mskRecord(partition, offset++, event),
  timestamp: writtenMs,
});
const settle = (records: MskRecord[], over: Partial<SettlementDeps> = {}) =>
  settleBatch(decodeMskEvent(mskEvent(records)), deps(over));
const decisions = () =>
  Object.fromEntries(
    [...ledger.fates.values()].map((f) => [
      f.record.eventId,
      f.kind === 'settled' ? f.record.decision.status : 'REJECTED',
    ]),
  );

describe('settleBatch', () => {
  it('decides each family in delivery order and commits what it decided', async () => {
    const result = await settle([
      record(0, use('a', 1, 11, 600, 3)),
      record(1, use('b', 2, 21, 100, 3)),
      record(0, use('c', 1, 12, 300, 2)),
      record(1, use('d', 2, 22, 450, 1)),
    ]);

    expect(result.batchItemFailures).toEqual([]);
    // c leaves 100 of 1000 and d 50 of 500: exactly 10% is not below it.
    expect(decisions()).toEqual({ a: 'WARNING_50', b: 'MANUAL', c: 'WARNING_30', d: 'WARNING_30' });
    expect(result.report).toMatchObject({ received: 4, duplicates: 0, unfinished: 0 });
    expect(ledger.period(1, PERIOD).usedBytes).toBe(900);
  });

  it('settles nothing twice when the batch comes again', async () => {
    const batch = [record(0, use('a', 1, 11, 600)), record(0, use('b', 1, 12, 100))];
    await settle(batch);
    const again = await settle(batch);

    expect(again.report).toMatchObject({ duplicates: 2, settled: {} });
    expect(ledger.period(1, PERIOD).usedBytes).toBe(700);
  });

  it('decides a lane again from the ledger when its commit is refused: the ledger moved meanwhile', async () => {
    await settle([record(0, use('a', 1, 11, 600))]);
    // A change elsewhere moved the family's period: the state the cache holds is outdated.
    ledger.bump(1, PERIOD);
    const result = await settle([record(0, use('b', 1, 12, 300))]);

    expect(result.report.staleStates).toBe(1);
    // 900 of 1000 used in all: b is decided after a, from a state loaded again.
    expect(decisions()).toMatchObject({ b: 'WARNING_30' });
    expect(ledger.period(1, PERIOD).usedBytes).toBe(900);
  });

  it('reloads a state that holds decisions of a batch the mapping gave up on', async () => {
    ledger.failCommits = new TransientError('ledger unreachable');
    const skipped = await settle([record(0, use('skipped', 1, 11, 700))]);
    expect(skipped.batchItemFailures).toHaveLength(1);
    ledger.failCommits = null;

    await settle([record(0, use('next', 1, 12, 700))]);

    // The ledger never had the skipped 700: the next 700 fit (300 left of 1000, not below 30%).
    expect(decisions()).toEqual({ next: 'WARNING_50' });
  });

  it('reports the first unfinished offset of a partition whose commit failed, and finishes the others', async () => {
    const first = record(0, use('a', 1, 11, 100));
    const later = record(0, use('b', 1, 12, 100));
    const other = record(1, use('c', 2, 22, 100));
    const failing: SettlementDeps['ledger'] = {
      ...ledger,
      loadSnapshots: (...a) => ledger.loadSnapshots(...a),
      findFates: (...a) => ledger.findFates(...a),
      // The family's transaction is throttled; the other family's, packed with it, commits.
      commit: async (units) => {
        const result = await ledger.commit(units.filter((u) => u.familyId !== 1));
        const outcomes = new Map(result.outcomes);
        for (const u of units.filter((u) => u.familyId === 1))
          outcomes.set(u, { kind: 'failed', error: new TransientError('throttled') });
        return { outcomes, transactions: result.transactions };
      },
    };
    const result = await settle([first, later, other], { ledger: failing });

    expect(result.batchItemFailures).toEqual([
      { itemIdentifier: { partition: 'usage-events-0', offset: first.offset } },
    ]);
    expect(decisions()).toEqual({ c: 'NORMAL' });
  });

  it('stops a partition at a record whose decision broke an invariant, and counts a bug', async () => {
    const broken: SettlementDeps['ledger'] = {
      ...ledger,
      loadSnapshots: (...a) => ledger.loadSnapshots(...a),
      findFates: (...a) => ledger.findFates(...a),
      commit: async () => {
        throw new InvariantError('LEDGER_INVARIANT', 'a write the ledger refuses for good');
      },
    };
    const result = await settle([record(0, use('a', 1, 11, 100))], { ledger: broken });

    expect(result.report.bugs).toBe(1);
    expect(result.batchItemFailures).toHaveLength(1);
  });

  it('rejects a customer who is not a member, and records the rejection as the event fate', async () => {
    ledger.leave(1, 12);
    const result = await settle([record(0, use('gone', 1, 12, 100))]);

    expect(letters.letters.map((l) => [l.reason, l.decidedAtVersion])).toEqual([['NOT_A_MEMBER', 0]]);
    expect(ledger.fates.get('gone')?.kind).toBe('rejected');
    expect(result.report.rejected).toEqual({ NOT_A_MEMBER: 1 });
  });

  it('asks the ledger about a record older than the dedup window before deciding it', async () => {
    const old = record(0, use('old', 1, 11, 100, 30), NOW - 30 * 60_000);
    await settle([old]);
    // Redis (here: the cache) forgets; the record comes again: the ledger says it was settled.
    cache = new SettleLaneTwin();
    const again = await settle([old]);

    expect(again.report).toMatchObject({ duplicates: 1, ledgerChecks: 1 });
    expect(ledger.period(1, PERIOD).usedBytes).toBe(100);
  });

  it('keeps the fate of a record too old to be decided, and refuses one the ledger never saw', async () => {
    const written = NOW - 60_000;
    const settled = record(0, use('kept', 1, 11, 100, 2), written);
    await settle([settled]);
    clock.ms = written + MAX_RECORD_AGE_MS + 1;
    const unseen = record(0, use('unseen', 1, 11, 100, 2), written);

    const late = await settle([settled, unseen]);

    expect(late.report).toMatchObject({ duplicates: 1, rejected: { OUT_OF_WINDOW: 1 } });
    expect(letters.letters.map((l) => l.eventId)).toEqual(['unseen']);
  });
});
