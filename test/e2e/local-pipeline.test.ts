import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readArchivePartition } from '../../cli/archive-folder-source';
import { archivePartition } from '../../functions/core/archive/archive';
import type { DeadLetter } from '../../functions/core/ports';
import { USAGE_EVENTS_TOPIC } from '../../local/kafka/topics';
import { runPipeline } from '../../local/pipeline';

function notMemberEventIds(deadLetters: string): Set<string> {
  const letters = readFileSync(deadLetters, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as DeadLetter);
  return new Set(
    letters
      .filter((l) => l.record.topic === USAGE_EVENTS_TOPIC && l.reason === 'NOT_A_MEMBER')
      .map((l) => String(l.eventId)),
  );
}

/** Every line of the archive folder, with the partition its path names. */
function archiveLines(root: string) {
  return readdirSync(root)
    .filter((d) => d.startsWith('period='))
    .flatMap((periodDir) =>
      readdirSync(join(root, periodDir)).map((bucketDir) => ({
        period: periodDir.slice('period='.length),
        bucket: Number(bucketDir.slice('bucket='.length)),
      })),
    )
    .flatMap((partition) => readArchivePartition(root, partition).map((line) => ({ partition, line })));
}

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
    // The archive holds every fate the ledger recorded: each settlement, and each event rejected from the family
    // state (once per event, however often it was delivered).
    const strangers = notMemberEventIds(events.rejected.file);
    expect(strangers.size).toBeGreaterThan(0);
    const fates = events.settled.total + strangers.size;
    expect(summary.archive.fates).toBe(fates);
    const archived = archiveLines(summary.archive.dir);
    expect(new Set(archived.map(({ line }) => line.eventId)).size).toBe(fates);
    for (const { partition, line } of archived) {
      expect(partition).toEqual(archivePartition(line));
      expect(line.kind === 'SETTLEMENT' ? line.decision : line.reason).toBeTruthy();
    }
    const { config } = summary;
    expect(config.received).toBe(25);
    expect(config.applied.total).toBeGreaterThan(0);
    expect(config.applied.total + config.stale + config.rejected.total + config.skipped).toBe(
      config.received,
    );
  }, 180_000);
});
