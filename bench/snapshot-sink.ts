import type { SnapshotPublisher } from '../functions/core/snapshots/ports';
import type { SnapshotReport } from '../functions/core/snapshots/publish';
import { DelayLine } from './delay-line';
import { percentile } from './stats';

/**
 * Where the usage snapshots go in an open-loop step with them on: a topic
 * stand-in that takes each produce request after a fixed delay (a produce to
 * MSK), and the report of every invocation of usage-snapshots.
 */
export interface SnapshotSink {
  readonly publisher: SnapshotPublisher;
  record(report: SnapshotReport): void;
  figures(): SnapshotFigures;
}

export interface SnapshotFigures {
  readonly published: number;
  readonly failed: number;
  readonly superseded: number;
  /** From the commit (the period item's lastSettledAt) to the produce request taking the entry, every entry. */
  readonly commitToPublishMs: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly produceLatencyMs: { readonly configured: number; readonly realisedMean: number };
  /** A produced record's value (the snapshot as JSON, as the Kafka publisher sends it), for the topic's storage. */
  readonly valueBytes: { readonly mean: number; readonly max: number };
  /** CPU seconds of the usage-snapshots process over the step (absent from the sink itself). */
  readonly cpuSeconds?: number;
  /** Reads of the stream its mapping made in the step, as the archiver's (absent from the sink). */
  readonly streamReads?: number;
  /** Families whose limits the step's snapshots took from what the process kept, families read, and the items read for them (absent from the sink). */
  readonly limits?: { readonly cached: number; readonly read: number; readonly items: number };
}

export function openSnapshotSink(latencyMs: number): SnapshotSink {
  const delay = new DelayLine(latencyMs);
  const reports: SnapshotReport[] = [];
  const sizes: number[] = [];
  return {
    publisher: {
      async publish(snapshots) {
        for (const s of snapshots) sizes.push(Buffer.byteLength(JSON.stringify(s), 'utf8'));
        await delay.wait();
        return snapshots.map(() => ({ ok: true }));
      },
    },
    record: (report) => reports.push(report),
    figures() {
      const latencies = reports.flatMap((r) => r.commitToPublishMs);
      const sum = (pick: (r: SnapshotReport) => number) => reports.reduce((n, r) => n + pick(r), 0);
      return {
        published: sum((r) => r.published),
        failed: sum((r) => r.failed),
        superseded: sum((r) => r.superseded),
        commitToPublishMs: {
          p50: percentile(latencies, 50),
          p99: percentile(latencies, 99),
          max: latencies.length > 0 ? Math.max(...latencies) : Number.NaN,
        },
        produceLatencyMs: { configured: latencyMs, realisedMean: delay.realisedMeanMs() },
        valueBytes: {
          mean: sizes.length > 0 ? sizes.reduce((a, b) => a + b, 0) / sizes.length : Number.NaN,
          max: sizes.length > 0 ? Math.max(...sizes) : Number.NaN,
        },
      };
    },
  };
}
