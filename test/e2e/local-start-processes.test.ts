import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
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

describe('npm start stops everything it started', () => {
  it('on a normal exit', async () => {
    const result = await start(['--events', '200', '--families', '5', '--json']);

    expect(result.code).toBe(0);
    expect(result.pids).toHaveLength(2);
    expect(result.pids.filter(isAlive)).toEqual([]);
    expect(JSON.parse(result.stdout).consistency.status).toBe('consistent');
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

  it('with a clear message and exit code 2 on bad input', async () => {
    const result = await start(['--events', 'many']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--events must be a positive integer');
  }, 60_000);
});
