import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Summary } from '../../local/summary';

/** `npm start -- --json` in its own process (the handlers read their environment once per process). */
function start(args: string[]): Promise<{ code: number | null; summary: Summary; events: string }> {
  const out = mkdtempSync(join(tmpdir(), 'us-seed-'));
  const { REDIS_URL: _ignored, ...env } = process.env;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'local/start.ts', '--json', '--out', out, ...args],
    {
      env,
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  return new Promise((resolve) => {
    child.on('exit', (code) => {
      const [runDir = ''] = readdirSync(out);
      resolve({
        code,
        summary: JSON.parse(stdout) as Summary,
        events: readFileSync(join(out, runDir, 'events.jsonl'), 'utf8'),
      });
    });
  });
}

/**
 * The summary without what a clock or a path decides: timings, file and folder
 * names, snapshot times and versions (commit stamps), and how many snapshots
 * went out (a stream batch folds the commits it holds into one per member, so
 * the count follows how the stream was read; the last one shown does not).
 */
function counted(summary: Summary) {
  const { throughput: _timings, ...rest } = summary;
  return {
    ...rest,
    families: rest.families.map((f) => ({
      ...f,
      snapshots: {
        count: 0,
        last: f.snapshots.last && { ...f.snapshots.last, asOf: '', version: 0 },
      },
    })),
    events: { ...rest.events, rejected: { ...rest.events.rejected, file: '' } },
    notifications: { ...rest.notifications, file: '' },
    usageSnapshots: { ...rest.usageSnapshots, published: 0 },
    archive: { ...rest.archive, dir: '' },
  };
}

describe('npm start --seed', () => {
  it('runs the same events to the same summary, twice', async () => {
    // Big enough for a change consumed out of its place in the timeline to show in the counts.
    const args = ['--events', '5000', '--seed', '9'];
    const first = await start(args);
    const second = await start(args);

    expect([first.code, second.code]).toEqual([0, 0]);
    expect(second.events).toBe(first.events);
    expect(counted(second.summary)).toEqual(counted(first.summary));
    expect(first.summary.config.applied.total).toBeGreaterThan(0);
  }, 300_000);
});
