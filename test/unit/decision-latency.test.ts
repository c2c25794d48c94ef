import type { Metrics } from '@aws-lambda-powertools/metrics';
import { describe, expect, it } from 'vitest';
import { decodeMskEvent, type MskRecord } from '../../functions/core/kafka-record';
import type { CommitOutcome, CommitResult, CommitUnit, Ledger } from '../../functions/core/settlement/ports';
import type { RejectionRecord, SettlementWrite } from '../../functions/core/settlement/records';
import { METRIC } from '../../functions/runtime/metric-names';
import { emitDecisionLatencies } from '../../functions/usage-events/batch-metrics';
import { timeDecisions } from '../../functions/usage-events/decision-latency';

const record = (partition: number, offset: number, timestamp: number): MskRecord => ({
  topic: 'usage-events',
  partition,
  offset,
  timestamp,
  timestampType: 'CREATE_TIME',
  key: null,
  value: null,
  headers: [],
});

const kafka = (partition: number, offset: number) => ({ topic: 'usage-events', partition, offset });
// Only the Kafka coordinates matter to the clock; the rest of a settlement is not read.
const write = (partition: number, offset: number) =>
  ({ record: { kafka: kafka(partition, offset) }, outbox: null }) as unknown as SettlementWrite;
const rejection = (partition: number, offset: number) =>
  ({ kafka: kafka(partition, offset) }) as unknown as RejectionRecord;
const unit = (writes: SettlementWrite[], rejections: RejectionRecord[] = []): CommitUnit => ({
  familyId: 1,
  periods: [
    {
      period: '202703',
      versionBefore: 1,
      quotaBytes: 1,
      incarnation: 'i',
      stampMs: 1,
      globalRevision: 0,
      writes,
      rejections,
    },
  ],
});

/** A ledger whose commit answers with the given outcome per unit, at `answeredAt` on the clock. */
function ledgerAnswering(
  clock: { t: number },
  answeredAt: number,
  outcome: (u: CommitUnit) => CommitOutcome,
): Ledger {
  return {
    loadSnapshots: async () => [],
    findFates: async () => new Map(),
    async commit(units): Promise<CommitResult> {
      clock.t = answeredAt;
      return { outcomes: new Map(units.map((u) => [u, outcome(u)])), transactions: 1 };
    },
  };
}

const batches = decodeMskEvent({
  eventSource: 'aws:kafka',
  records: {
    'usage-events-0': [record(0, 10, 1_000), record(0, 11, 1_030)],
    'usage-events-1': [record(1, 10, 1_010)],
  },
});

describe('decision latency', () => {
  it("runs from each settled event's Kafka timestamp to the commit's answer, matched by partition and offset", async () => {
    const clock = { t: 0, now: () => clock.t };
    const seen: number[] = [];
    const ledger = timeDecisions(
      ledgerAnswering(clock, 1_080, () => ({ kind: 'committed' })),
      batches,
      clock,
      (ms) => seen.push(ms),
    );
    await ledger.commit([unit([write(0, 11), write(1, 10)]), unit([write(0, 10)])]);
    expect(seen).toEqual([50, 70, 80]);
  });

  it('counts settlements only: no value for rejections, nor for units the ledger refused or failed', async () => {
    const clock = { t: 0, now: () => clock.t };
    const seen: number[] = [];
    const committed = unit([], [rejection(0, 10)]);
    const stale = unit([write(0, 11)]);
    const failed = unit([write(1, 10)]);
    const ledger = timeDecisions(
      ledgerAnswering(clock, 2_000, (u) =>
        u === committed
          ? { kind: 'committed' }
          : u === stale
            ? { kind: 'stale', fates: [] }
            : { kind: 'failed', error: new Error('x') },
      ),
      batches,
      clock,
      (ms) => seen.push(ms),
    );
    await ledger.commit([committed, stale, failed]);
    expect(seen).toEqual([]);
  });

  it('is emitted as DecisionLatencyMs with one value per settled event, for CloudWatch percentiles', () => {
    const added: [string, string, number][] = [];
    const metrics = {
      addMetric: (name: string, unit: string, value: number) => added.push([name, unit, value]),
    };
    emitDecisionLatencies(metrics as unknown as Metrics, [50, 70, 80]);
    expect(added).toEqual([
      [METRIC.decisionLatency, 'Milliseconds', 50],
      [METRIC.decisionLatency, 'Milliseconds', 70],
      [METRIC.decisionLatency, 'Milliseconds', 80],
    ]);
  });
});
