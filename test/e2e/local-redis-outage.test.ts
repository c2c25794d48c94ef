import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPipeline } from '../../local/pipeline';

// A file of its own: the handler modules read their environment once per process, as in Lambda.
describe('npm start -- --redis-outage', () => {
  it('keeps settling from DynamoDB alone while its Redis is down, loses nothing and ends consistent', async () => {
    const notices: string[] = [];
    const summary = await runPipeline({
      events: 2_000,
      families: 20,
      partitions: 4,
      batchSize: 200,
      top: 1,
      seed: 11,
      outDir: mkdtempSync(join(tmpdir(), 'usage-settlement-e2e-')),
      logLevel: 'SILENT',
      settleTimeoutMs: 60_000,
      redisOutage: true,
      onNotice: (message) => notices.push(message),
    });

    expect(notices).toEqual([expect.stringMatching(/^Redis outage/), expect.stringMatching(/^Redis back/)]);
    const { events } = summary;
    expect(events.lost).toBe(0);
    expect(events.settled.byStore.redis).toBeGreaterThan(0);
    expect(events.settled.byStore.ledger).toBeGreaterThan(0);
    expect(events.settled.byStore.redis + events.settled.byStore.ledger).toBe(events.settled.total);
    expect(summary.notifications.pending + summary.notifications.failed).toBe(0);
    expect(summary.consistency).toMatchObject({ status: 'consistent', differences: [] });
  }, 180_000);
});
