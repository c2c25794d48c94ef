import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPipeline } from '../../local/pipeline';

describe('npm start -- --kafka: the local pipeline on its own broker', () => {
  it('produces the workload through a real broker, settles it and accounts for every record the topic holds', async () => {
    const started: string[] = [];
    const summary = await runPipeline({
      events: 800,
      families: 10,
      partitions: 4,
      batchSize: 200,
      top: 3,
      seed: 11,
      outDir: mkdtempSync(join(tmpdir(), 'usage-settlement-kafka-e2e-')),
      logLevel: 'SILENT',
      settleTimeoutMs: 60_000,
      kafka: true,
      onServiceStarted: (name, endpoint) => started.push(`${name} ${endpoint}`),
    });

    expect(started.some((s) => /^Kafka broker 127\.0\.0\.1:\d+$/.test(s))).toBe(true);
    const { events } = summary;
    expect(events.received).toBe(800);
    expect(events.lost).toBe(0);
    expect(events.settled.total + events.rejected.total + events.skipped + events.duplicates).toBe(800);
    expect(events.rejected.total).toBeGreaterThan(0);
    expect(summary.notifications.pending).toBe(0);
    expect(summary.consistency).toMatchObject({ status: 'consistent', differences: [] });
    // The usage-snapshots module produced to the broker's usage-realtime topic with the Kafka client.
    expect(summary.usageSnapshots.published).toBeGreaterThan(0);
    for (const family of summary.families.filter((f) => f.usedBytes > 0)) {
      expect(family.snapshots.last).toMatchObject({
        familyId: family.familyId,
        familyUsedBytes: family.usedBytes,
      });
    }
  }, 180_000);
});
