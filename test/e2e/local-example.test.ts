import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runExample } from './run-example';

// A file of its own: the handler modules read their environment once per process, as in Lambda.
describe('npm start -- --example limit-lowered', () => {
  it('takes policy events from the same file, on their own topic, in the order the file gives', async () => {
    const example = await import('../../local/examples/limit-lowered');
    const summary = await runExample(example);

    expect(summary.events.settled.byDecision).toEqual({ NORMAL: 6, MONTHLY_LIMIT_EXCEEDED: 1 });
    expect(summary.config).toMatchObject({
      received: 2,
      applied: { byType: { POLICY_UPDATED: 2 } },
      stale: 0,
    });
    expect(summary.notifications.publishedByType).toEqual({
      POLICY_CHANGED: 2,
      CUSTOMER_BLOCKED: 1,
      CUSTOMER_UNBLOCKED: 1,
    });
    // The block is notified by the change itself, in its transaction.
    const decided = readFileSync(summary.notifications.file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { DetailType: string; Detail: { data: { originEventId: string } } });
    expect(decided.find((n) => n.DetailType === 'CUSTOMER_BLOCKED')?.Detail.data.originEventId).toBe(
      'example-limit-lowered',
    );
    expect(summary.consistency.status).toBe('consistent');
  }, 120_000);
});
