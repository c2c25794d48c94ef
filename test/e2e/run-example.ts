import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Family } from '../../functions/core/family';
import { runPipeline } from '../../local/pipeline';

/** `npm start -- --example NAME` as the tests run it: the example's families and timeline, nothing generated. */
export function runExample(example: {
  readonly families: ReadonlyArray<Family>;
  readonly lines: (nowMs: number) => string[];
}) {
  return runPipeline({
    events: 1,
    families: 1,
    partitions: 2,
    batchSize: 100,
    top: 1,
    seed: 1,
    outDir: mkdtempSync(join(tmpdir(), 'usage-settlement-e2e-')),
    logLevel: 'SILENT',
    settleTimeoutMs: 60_000,
    familyList: example.families,
    eventLines: example.lines(Date.now()),
  });
}
