import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runExample } from './run-example';

const MB = 1024 * 1024;

// A file of its own: the handler modules read their environment once per process, as in Lambda.
describe('npm start -- --example correction', () => {
  it('refunds a double-counted event once, unblocks both members, and the next event is allowed', async () => {
    const example = await import('../../local/examples/correction');
    const summary = await runExample(example);

    expect(summary.events).toMatchObject({
      received: 8,
      settled: { byDecision: { NORMAL: 1, WARNING_50: 1, WARNING_30: 2, FAMILY_QUOTA_EXCEEDED: 2 } },
      corrected: { applied: 1, superseded: 0 },
      // The correction delivered a second time.
      duplicates: 1,
      lost: 0,
    });
    expect(summary.notifications.publishedByType).toEqual({
      THRESHOLD_ALERT: 3,
      CUSTOMER_BLOCKED: 2,
      CUSTOMER_UNBLOCKED: 2,
    });
    const published = readFileSync(summary.notifications.file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { DetailType: string; Detail: { data: Record<string, unknown> } });
    const fromCorrection = published.filter((n) => n.Detail.data.originEventId === 'example-correction');
    expect(fromCorrection.map((n) => n.DetailType)).toEqual(['CUSTOMER_UNBLOCKED', 'CUSTOMER_UNBLOCKED']);
    expect(fromCorrection[0]?.Detail.data).toMatchObject({
      correctsEventId: 'example-double-counted',
      bytes: 300 * MB,
      reason: 'FAMILY_QUOTA_EXCEEDED',
    });
    // 1 GiB less 300 + 300 counted (the copy refunded) and the child's next 200 MiB.
    expect(summary.families[0]).toMatchObject({ usedBytes: 800 * MB, remainingBytes: 224 * MB });
    // Six settlements and the correction reach the archive; the corrected settlement is archived again.
    expect(summary.archive.fates).toBe(7);
    expect(summary.consistency.status).toBe('consistent');
  }, 120_000);
});
