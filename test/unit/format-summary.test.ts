import { describe, expect, it } from 'vitest';
import { formatSummary } from '../../local/format-summary';
import type { Summary } from '../../local/summary';

const summary: Summary = {
  events: {
    received: 3,
    settled: { total: 2, byDecision: { NORMAL: 2 }, byStore: { redis: 2, ledger: 0 } },
    corrected: { applied: 0, superseded: 0 },
    duplicates: 0,
    rejected: { total: 1, byReason: { MALFORMED_JSON: 1 }, file: 'dead-letters.jsonl' },
    skipped: 0,
    lost: 0,
  },
  config: {
    received: 4,
    applied: { total: 2, byType: { POLICY_UPDATED: 1, MEMBER_LEFT: 1 } },
    stale: 1,
    rejected: { total: 1, byReason: { UNKNOWN_POLICY_KEY: 1 } },
    skipped: 0,
    notificationsStaged: 2,
    topups: { applied: 0, bytes: 0 },
  },
  notifications: {
    due: 0,
    staged: 0,
    sent: 0,
    pending: 0,
    failed: 0,
    published: 0,
    publishedByType: {},
    file: 'n.jsonl',
  },
  usageSnapshots: { published: 3, topic: 'usage-realtime' },
  archive: { fates: 2, dir: 'archive' },
  throughput: { seconds: 1, eventsPerSecond: 3, invocations: 1, redeliveredRecords: 0 },
  period: { id: '202612', unit: 'month', timeZone: 'Asia/Seoul' },
  families: [
    {
      familyId: 101,
      period: '202612',
      quotaBytes: 2 * 1024 ** 2,
      topupBytes: 0,
      usedBytes: 1024 ** 2,
      remainingBytes: 1024 ** 2,
      remainingPercent: 50,
      snapshots: {
        count: 3,
        last: {
          familyId: 101,
          customerId: 1011,
          period: '202612',
          familyQuotaBytes: 2 * 1024 ** 2,
          familyTopupBytes: 0,
          familyPoolBytes: 2 * 1024 ** 2,
          familyUsedBytes: 1024 ** 2,
          familyRemainingBytes: 1024 ** 2,
          familyUsedPercent: 50,
          memberUsedBytes: 512 * 1024,
          memberZeroRatedBytes: 0,
          memberLimitBytes: null,
          memberUsedPercent: null,
          blocked: true,
          blockReason: 'MANUAL',
          version: 202612000000004,
          asOf: '2026-12-01T00:00:00.000Z',
        },
      },
    },
  ],
  consistency: { status: 'consistent', checked: 1, outdated: 0, differences: [] },
};

describe('the npm start summary', () => {
  it('names the period of the family usage and the zone its month is counted in', () => {
    expect(formatSummary(summary)).toContain('Top 1 families by usage, period 202612 (month in Asia/Seoul)');
  });

  it('reports the usage snapshots: how many went out, and per top family the count and the newest', () => {
    const text = formatSummary(summary);
    expect(text).toMatch(
      /Live usage snapshots \(USAGE_UPDATED\)\n\s+produced to the topic\s+3 {2}\(usage-realtime\)/,
    );
    expect(text).toContain(
      '3 snapshots, last: member 1011 512.0 KiB, family 50% used, blocked (MANUAL), version 202612000000004',
    );
  });

  it("shows bytes in the CLI's unit, binary with its IEC name", () => {
    expect(formatSummary(summary)).toMatch(
      /family 101\s+1\.00 MiB used of\s+2\.00 MiB,\s+1\.00 MiB left \(50%\)/,
    );
  });

  it('counts top-ups in the pool a family uses', () => {
    const [family] = summary.families;
    const toppedUp = { ...summary, families: [{ ...family, topupBytes: 1024 ** 2 } as typeof family] };
    expect(formatSummary(toppedUp as Summary)).toMatch(
      /family 101\s+1\.00 MiB used of\s+3\.00 MiB \(with 1\.00 MiB of top-ups\),/,
    );
  });

  it('says how many family periods Redis and DynamoDB were compared on, and when none was', () => {
    const line = (consistency: Partial<Summary['consistency']>) =>
      formatSummary({ ...summary, consistency: { ...summary.consistency, ...consistency } })
        .split('\n')
        .find((l) => l.startsWith('Consistency'));
    expect(line({ checked: 3 })).toBe('Consistency (Redis vs DynamoDB, 3 family periods): consistent');
    expect(line({ checked: 3, outdated: 1 })).toBe(
      'Consistency (Redis vs DynamoDB, 2 family periods, 1 outdated in Redis (reloaded at their next event)): consistent',
    );
    expect(line({ checked: 0 })).toBe(
      'Consistency (Redis vs DynamoDB): nothing compared: Redis holds no family period state',
    );
    expect(line({ checked: 2, outdated: 2 })).toBe(
      'Consistency (Redis vs DynamoDB): nothing compared: the 2 family periods Redis holds are outdated (reloaded at their next event)',
    );
    expect(
      line({ checked: 0, status: 'inconsistent', differences: ['1 errors in the outbox delivery loop'] }),
    ).toBe('Consistency (Redis vs DynamoDB, nothing compared): inconsistent');
  });

  it('says how many events have their fate in the settlement archive, and where it is', () => {
    expect(formatSummary(summary)).toMatch(
      /Settlement archive\n\s+events with their fate archived\s+2 {2}\(archive\)/,
    );
  });

  it('says whether every received record is accounted for', () => {
    expect(formatSummary(summary)).toContain('yes: received = settled + duplicates + rejected + skipped');
    expect(formatSummary({ ...summary, events: { ...summary.events, lost: 1 } })).toMatch(
      /accounted for\s+NO/,
    );
  });

  it('counts corrections applied and superseded among the records accounted for', () => {
    const text = formatSummary({
      ...summary,
      events: { ...summary.events, received: 6, corrected: { applied: 2, superseded: 1 } },
    });
    expect(text).toMatch(/corrections applied\s+2\n/);
    expect(text).toMatch(/corrections superseded \(a newer one was applied\)\s+1\n/);
    expect(text).toContain('yes: received = settled + corrections + duplicates + rejected + skipped');
    expect(formatSummary(summary)).not.toContain('corrections');
  });

  it('counts policy and family events: applied by type, stale, rejected by reason', () => {
    const text = formatSummary(summary);
    expect(text).toMatch(/Family and policy events\n\s+received\s+4\n\s+applied\s+2\n\s+POLICY_UPDATED\s+1/);
    expect(text).toMatch(/stale \(a newer value was there, or a top-up already taken\)\s+1/);
    expect(text).toMatch(/UNKNOWN_POLICY_KEY\s+1/);
    expect(text).toContain('yes: received = applied + stale + rejected + skipped');
    expect(text).not.toContain('top-ups applied');
    const topups = { ...summary.config, topups: { applied: 2, bytes: 3 * 1024 ** 3 } };
    expect(formatSummary({ ...summary, config: topups })).toMatch(
      /top-ups applied\s+2 {2}\(3\.00 GiB added\)/,
    );
    const unbalanced = formatSummary({ ...summary, config: { ...summary.config, stale: 0 } });
    expect(unbalanced.slice(unbalanced.indexOf('Family and policy events'))).toMatch(/accounted for\s+NO/);
  });
});
