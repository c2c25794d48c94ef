import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ARCHIVE_BUCKETS, type ArchiveLine } from '../../functions/core/archive/archive';
import { appendArchiveLines } from '../../local/archive/archive-folder';
import { runCli } from './support/cli-env';

const FAMILY = 1_001;
/** Another family in the same bucket: the listing must still leave its lines out. */
const NEIGHBOUR = FAMILY + ARCHIVE_BUCKETS;

const line = (over: Partial<ArchiveLine>): ArchiveLine => ({
  eventId: 'evt',
  kind: 'SETTLEMENT',
  correctedBytes: null,
  correctsEventId: null,
  familyId: FAMILY,
  customerId: 12,
  period: '202612',
  bytesUsed: 1_000_000,
  appId: null,
  eventTime: '2026-12-05T01:00:00.000Z',
  decision: 'NORMAL',
  counted: true,
  notify: false,
  reason: null,
  alertMarkers: [],
  payloadHash: 'h',
  decidedAtVersion: 1,
  decidedFrom: 'redis',
  kafkaTopic: 'usage-events',
  kafkaPartition: 0,
  kafkaOffset: 1,
  recordedAt: 1_796_000_000_000,
  notificationId: null,
  ...over,
});

function archive(): string {
  const root = mkdtempSync(join(tmpdir(), 'cli-archive-'));
  appendArchiveLines(root, 'part-1.jsonl', [
    line({ eventId: 'a', eventTime: '2026-12-05T01:00:00.000Z' }),
    line({
      eventId: 'b',
      customerId: 13,
      eventTime: '2026-12-05T02:00:00.000Z',
      appId: 'video',
      decision: 'APP_BLOCK',
      counted: false,
    }),
    // Delivered twice: listed once.
    line({ eventId: 'a', eventTime: '2026-12-05T01:00:00.000Z' }),
    line({ eventId: 'c', eventTime: '2026-12-05T03:00:00.000Z' }),
    // Corrected later: archived again, and that line is the one listed.
    line({
      eventId: 'c',
      eventTime: '2026-12-05T03:00:00.000Z',
      correctedBytes: 250_000,
      recordedAt: 1_796_000_100_000,
    }),
    line({
      eventId: 'cor',
      kind: 'CORRECTION',
      correctsEventId: 'c',
      decision: 'CORRECTED',
      bytesUsed: 250_000,
    }),
    line({
      eventId: 'r',
      kind: 'REJECTION',
      customerId: 99,
      decision: null,
      eventTime: null,
      reason: 'NOT_A_MEMBER',
    }),
    line({ eventId: 'n', familyId: NEIGHBOUR }),
    line({ eventId: 'old', period: '202611', eventTime: '2026-11-30T01:00:00.000Z' }),
  ]);
  return root;
}

const run = (root: string, args: string[]) =>
  runCli(['usage', 'settlements', ...args], {
    ...process.env,
    ARCHIVE_DIR: root,
    SETTLEMENT_TIME_ZONE: 'Asia/Seoul',
  });

describe('usage settlements (from the settlement archive)', () => {
  it("lists a family's settlements of a period once each, newest first, without rejections or other families", async () => {
    const root = archive();
    const result = await run(root, [String(FAMILY), '--period', '202612', '--json']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const listed = JSON.parse(result.stdout) as { total: number; settlements: { eventId: string }[] };
    expect(listed.total).toBe(3);
    expect(listed.settlements.map((s) => s.eventId)).toEqual(['c', 'b', 'a']);
    expect(listed.settlements[0]).toMatchObject({ bytesUsed: 1_000_000, correctedBytes: 250_000 });

    const text = await run(root, [String(FAMILY), '--period', '202612', '--limit', '2']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(
      `3 settlements of family ${FAMILY} in 202612 in the archive, newest 2 shown`,
    );
    expect(text.stdout).toMatch(/2026-12-05 11:00:00\s+b\s+13\s+976\.6 KiB\s+-\s+video\s+APP_BLOCK/);
    expect(text.stdout).not.toMatch(/\ba\s+12/);
  });

  it("lists one member's settlements with --customer, and an empty period as none", async () => {
    const root = archive();
    const member = JSON.parse(
      (await run(root, [String(FAMILY), '--period', '202612', '--customer', '13', '--json'])).stdout,
    );
    expect(member.settlements.map((s: { eventId: string }) => s.eventId)).toEqual(['b']);
    const empty = await run(root, [String(FAMILY), '--period', '202510']);
    expect(empty).toMatchObject({ code: 0 });
    expect(empty.stdout).toContain(`0 settlements of family ${FAMILY} in 202510`);
  });

  it('refuses bad input with one line and exit 2', async () => {
    const root = archive();
    for (const args of [
      ['abc'],
      [String(FAMILY), '--period', '2026-12'],
      [String(FAMILY), '--limit', '0'],
      [],
    ]) {
      const result = await run(root, args);
      expect(result.code).toBe(2);
      // One line saying what is wrong, then the pointer to --help every usage error has.
      expect(result.stderr).toMatch(
        /^usage-settlement: [^\n]+\nRun 'usage-settlement usage settlements --help' for usage\.\n$/,
      );
    }
  });

  it('names the variables it needs to query the archive with Athena when no folder is given', async () => {
    const result = await runCli(['usage', 'settlements', String(FAMILY)], {
      PATH: process.env.PATH,
      AWS_REGION: 'ap-northeast-2',
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /ARCHIVE_DATABASE is not set.*ARCHIVE_TABLE is not set.*ARCHIVE_WORKGROUP is not set/,
    );
  });
});
