import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Runs `npm start`'s command (node --import tsx local/start.ts) as a child process, collecting the pids it reports for the services it starts. */
function start(args: string[], onStarted?: (child: ReturnType<typeof spawn>, pids: number[]) => void) {
  const { REDIS_URL: _ignored, ...env } = process.env;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'local/start.ts', '--out', mkdtempSync(join(tmpdir(), 'us-start-')), ...args],
    {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const pids: number[] = [];
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    for (const m of d.toString().matchAll(/\(pid (\d+)\)/g)) pids.push(Number(m[1]));
    if (pids.length === 2) onStarted?.(child, pids);
  });
  return new Promise<{ code: number | null; pids: number[]; stdout: string; stderr: string }>((resolve) => {
    child.on('exit', (code) => resolve({ code, pids, stdout, stderr }));
  });
}

/** Usage of a family that is neither a demo family nor in a families file. */
const strangers = join(mkdtempSync(join(tmpdir(), 'us-events-')), 'strangers.jsonl');
writeFileSync(
  strangers,
  `${JSON.stringify({ eventId: 'e1', eventType: 'DATA_USAGE', payload: { familyId: 7001 } })}\n`,
);

describe('npm start stops everything it started', () => {
  it('on a normal exit, with the summary as JSON on stdout and in the --json-out file', async () => {
    const jsonOut = join(mkdtempSync(join(tmpdir(), 'us-summary-')), 'runs', 'summary.json');

    const result = await start(['--events', '200', '--families', '5', '--json', '--json-out', jsonOut]);

    expect(result.code).toBe(0);
    expect(result.pids).toHaveLength(2);
    expect(result.pids.filter(isAlive)).toEqual([]);
    const summary = JSON.parse(result.stdout);
    expect(summary.consistency.status).toBe('consistent');
    expect(summary.period).toMatchObject({ id: expect.stringMatching(/^\d{6}$/), timeZone: 'Asia/Seoul' });
    expect(JSON.parse(readFileSync(jsonOut, 'utf8'))).toEqual(summary);
    // Piped, the progress is a line per phase and every few seconds, not a bar.
    expect(result.stderr).toMatch(/^settling events: [\d,]+ of 200$/m);
    expect(result.stderr).not.toContain('\r');
  }, 120_000);

  it('on Ctrl-C (SIGINT) in the middle of a run', async () => {
    let interrupted = false;
    const result = await start(['--events', '20000', '--families', '50'], (child, pids) => {
      if (interrupted || pids.length < 2) return;
      interrupted = true;
      setTimeout(() => child.kill('SIGINT'), 1_500);
    });

    expect(interrupted).toBe(true);
    expect(result.code).toBe(130);
    expect(result.pids.filter(isAlive)).toEqual([]);
  }, 120_000);

  it.each([
    [['--events', 'many'], 'npm start: --events must be a positive integer, got "many"'],
    [['--events-file', 'no-such.jsonl'], 'npm start: cannot read --events-file no-such.jsonl: no such file'],
    [['--families-file', 'test'], 'npm start: cannot read --families-file test: is a directory, not a file'],
    [['--json-out', 'test'], 'npm start: cannot write --json-out test: is a directory, not a file'],
    [
      ['--events-file', strangers],
      `npm start: --events-file ${strangers}: no family its usage events name exists (7001); without ` +
        '--families-file only the demo families 101-140 exist: give yours with --families-file',
    ],
  ])(
    'rejects %j with one line and exit code 2, before starting any service',
    async (args, message) => {
      const result = await start(args);

      expect(result.code).toBe(2);
      expect(result.stderr).toBe(`${message}\n`);
      expect(result.stdout).toBe('');
      expect(result.pids).toEqual([]);
    },
    60_000,
  );
});
