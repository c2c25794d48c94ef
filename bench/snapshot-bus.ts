import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { createEventBridgeClient } from '../functions/adapters/eventbridge/client';
import type { SnapshotReport } from '../functions/core/snapshots/publish';
import { startEventSink } from '../local/services/event-sink';
import { DelayLine } from './delay-line';
import { percentile } from './stats';

/**
 * The bus the product's usage snapshots go to in a run: the local PutEvents
 * sink, behind a fixed delay per PutEvents request (as DynamoDB's), and the
 * snapshot reports of every invocation, for the commit-to-publish latency.
 */
export interface SnapshotBus {
  readonly client: EventBridgeClient;
  readonly delay: DelayLine;
  record(report: SnapshotReport): void;
  figures(): SnapshotFigures;
  stop(): Promise<void>;
}

export interface SnapshotFigures {
  readonly published: number;
  readonly failed: number;
  readonly superseded: number;
  /** From the commit's answer to the entry's acceptance, over every published entry. */
  readonly commitToPublishMs: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly putEventsLatencyMs: { readonly configured: number; readonly realisedMean: number };
}

export async function openSnapshotBus(label: string, latencyMs: number): Promise<SnapshotBus> {
  const stem = join(tmpdir(), `bench-${label}`);
  const sink = await startEventSink({
    notifications: `${stem}-notifications.jsonl`,
    snapshots: `${stem}-snapshots.jsonl`,
  });
  const client = createEventBridgeClient({ endpoint: sink.endpoint, maxAttempts: 1 });
  const delay = new DelayLine(latencyMs);
  client.middlewareStack.add(
    (next) => async (args) => {
      await delay.wait();
      return next(args);
    },
    { step: 'finalizeRequest', name: 'benchPutEventsLatency' },
  );
  const reports: SnapshotReport[] = [];
  return {
    client,
    delay,
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
        putEventsLatencyMs: { configured: latencyMs, realisedMean: delay.realisedMeanMs() },
      };
    },
    async stop() {
      client.destroy();
      await sink.stop();
    },
  };
}
