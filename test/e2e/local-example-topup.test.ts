import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runExample } from './run-example';

const MB = 1024 * 1024;

// A file of its own: the handler modules read their environment once per process, as in Lambda.
describe('npm start -- --example topup', () => {
  it('blocks the family when it runs out, keeps the zero-rated app going, and a top-up unblocks it once', async () => {
    const example = await import('../../local/examples/topup');
    const summary = await runExample(example);

    expect(summary.events.settled.byDecision).toEqual({
      WARNING_50: 1,
      WARNING_10: 1,
      FAMILY_QUOTA_EXCEEDED: 2,
      ZERO_RATED: 2,
      NORMAL: 1,
    });
    expect(summary.config).toMatchObject({
      received: 3,
      applied: { byType: { POLICY_UPDATED: 1, TOPUP_ADDED: 1 } },
      stale: 1,
      topups: { applied: 1, bytes: 2048 * MB },
    });
    expect(summary.notifications.publishedByType).toEqual({
      POLICY_CHANGED: 1,
      THRESHOLD_ALERT: 2,
      CUSTOMER_BLOCKED: 2,
      CUSTOMER_UNBLOCKED: 2,
      TOPUP_APPLIED: 1,
    });
    // Both unblocks and the family's TOPUP_APPLIED come from the top-up itself, in its transaction.
    const published = readFileSync(summary.notifications.file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { DetailType: string; Detail: { data: Record<string, unknown> } });
    const fromTopup = published.filter((n) => n.Detail.data.originEventId === 'example-topup');
    expect(fromTopup.map((n) => n.DetailType).sort()).toEqual([
      'CUSTOMER_UNBLOCKED',
      'CUSTOMER_UNBLOCKED',
      'TOPUP_APPLIED',
    ]);
    expect(published.find((n) => n.DetailType === 'TOPUP_APPLIED')?.Detail.data).toMatchObject({
      topupId: 'example-order-1',
      bytes: 2048 * MB,
      poolBytes: 3072 * MB,
      remainingBytes: 2048 * MB + 74 * MB,
    });
    expect(summary.families[0]).toMatchObject({
      quotaBytes: 1024 * MB,
      topupBytes: 2048 * MB,
      // What the top-up left (2,122 MiB), less the child's next 200 MiB.
      remainingBytes: 1922 * MB,
    });
    expect(summary.consistency.status).toBe('consistent');
  }, 120_000);
});
