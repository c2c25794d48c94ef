import type { PartitionBatch } from '../core/kafka-record';
import type { Clock } from '../core/ports';
import type { CommitResult, CommitUnit, Ledger } from '../core/settlement/ports';

const coordinates = (c: { readonly topic: string; readonly partition: number; readonly offset: number }) =>
  `${c.topic}\u0000${c.partition}\u0000${c.offset}`;

/**
 * The latency the product promises (p99 at most 100 ms): for each event a
 * commit settles, from its Kafka record's timestamp to the ledger's answer
 * that committed it. Wraps the ledger for one invocation; `settled` gets one
 * value per settlement, none for rejections, stale or failed units. The
 * DecisionLatencyMs metric and the benchmark's open loop both take their
 * values from here.
 */
export function timeDecisions(
  ledger: Ledger,
  batches: ReadonlyArray<PartitionBatch>,
  clock: Clock,
  settled: (latencyMs: number) => void,
): Ledger {
  const timestamps = new Map<string, number>();
  for (const batch of batches) {
    for (const { raw } of batch.records) timestamps.set(coordinates(raw), raw.timestamp);
  }
  return {
    loadSnapshots: (familyId, periods) => ledger.loadSnapshots(familyId, periods),
    findFates: (eventIds) => ledger.findFates(eventIds),
    async commit(units: ReadonlyArray<CommitUnit>): Promise<CommitResult> {
      const result = await ledger.commit(units);
      const answeredAt = clock.now();
      for (const [unit, outcome] of result.outcomes) {
        if (outcome.kind !== 'committed') continue;
        for (const period of unit.periods) {
          for (const write of period.writes) {
            const timestamp = timestamps.get(coordinates(write.record.kafka));
            if (timestamp !== undefined) settled(answeredAt - timestamp);
          }
        }
      }
      return result;
    },
  };
}
