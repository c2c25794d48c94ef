import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPipeline } from '../../local/pipeline';

describe('npm start: the local pipeline', () => {
  it('settles a generated stream of a few thousand events, delivers every notification and ends consistent', async () => {
    const summary = await runPipeline({
      events: 2_500,
      families: 25,
      partitions: 4,
      batchSize: 300,
      top: 3,
      seed: 7,
      outDir: mkdtempSync(join(tmpdir(), 'usage-settlement-e2e-')),
      logLevel: 'SILENT',
      settleTimeoutMs: 60_000,
    });

    const { events, notifications } = summary;
    expect(events.received).toBe(2_500);
    expect(events.lost).toBe(0);
    expect(events.settled.total + events.rejected.total + events.skipped + events.duplicates).toBe(
      events.received,
    );
    expect(events.duplicates).toBeGreaterThan(0);
    expect(events.rejected.total).toBeGreaterThan(0);
    expect(events.skipped).toBeGreaterThan(0);
    expect(Object.keys(events.settled.byDecision)).toEqual(
      expect.arrayContaining(['NORMAL', 'WARNING_50', 'MANUAL', 'TIME_BLOCK', 'APP_BLOCK']),
    );
    expect(notifications.due).toBeGreaterThan(0);
    expect(notifications.sent).toBe(notifications.due);
    expect(notifications.staged).toBe(notifications.due);
    expect(notifications.published).toBeGreaterThanOrEqual(notifications.sent);
    expect(notifications.pending + notifications.failed).toBe(0);
    expect(summary.consistency).toMatchObject({ status: 'consistent', differences: [] });
    // Every top family that used data had its members' screens updated, the newest with the final figures.
    expect(summary.usageSnapshots.published).toBeGreaterThan(0);
    for (const family of summary.families.filter((f) => f.usedBytes > 0)) {
      expect(family.snapshots.count).toBeGreaterThan(0);
      expect(family.snapshots.last).toMatchObject({
        familyId: family.familyId,
        familyUsedBytes: family.usedBytes,
        familyQuotaBytes: family.quotaBytes,
      });
    }
    expect(summary.consistency.checked).toBeGreaterThan(0);
    const { config } = summary;
    expect(config.received).toBe(25);
    expect(config.applied.total).toBeGreaterThan(0);
    expect(config.applied.total + config.stale + config.rejected.total + config.skipped).toBe(
      config.received,
    );
  }, 180_000);
});
