import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPipeline } from '../../local/pipeline';

// A file of its own: the handler modules read their environment once per process, as in Lambda.
describe('npm start -- --example limit-lowered', () => {
  it('takes policy events from the same file, on their own topic, in the order the file gives', async () => {
    const example = await import('../../local/examples/limit-lowered');
    const outDir = mkdtempSync(join(tmpdir(), 'usage-settlement-e2e-'));
    const summary = await runPipeline({
      events: 1,
      families: 1,
      partitions: 2,
      batchSize: 100,
      top: 1,
      seed: 1,
      outDir,
      logLevel: 'SILENT',
      settleTimeoutMs: 60_000,
      familyList: example.families,
      eventLines: example.lines(Date.now()),
    });

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
