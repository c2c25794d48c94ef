import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** What `npm start -- --serve` printed once it serves: the API's URL and the CLI's variables. */
export interface Served {
  readonly apiUrl: string;
  readonly environment: Record<string, string>;
}

export const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The service pids a run reported on stderr (`started ... (pid N)`). */
export const reportedPids = (stderr: string) =>
  [...stderr.matchAll(/\(pid (\d+)\)/g)].map((m) => Number(m[1]));

/** The `API_URL=` line and the `export NAME=value` lines of a run's output, once all are there. */
export function servedFrom(stdout: string): Served | null {
  const apiUrl = /^API_URL=(\S+)$/m.exec(stdout)?.[1];
  const environment = Object.fromEntries(
    [...stdout.matchAll(/^export (\w+)=(\S+)$/gm)].map((m) => [m[1] as string, m[2] as string]),
  );
  return apiUrl && environment.ARCHIVE_DIR ? { apiUrl, environment } : null;
}

/** A fresh output folder for one run. */
export const outDir = () => mkdtempSync(join(tmpdir(), 'us-serve-'));

/**
 * `npm start -- --serve ...` in a process group of its own, as a terminal
 * runs its foreground job: `interrupt` sends SIGINT to the whole group, as
 * Ctrl-C does. A private redis-server, whatever the caller's REDIS_URL.
 */
export function startServing(args: string[]) {
  const { REDIS_URL: _ignored, ...env } = process.env;
  const child = spawn('npm', ['start', '--silent', '--', '--serve', '--out', outDir(), ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child: child as ChildProcess,
    output: () => ({ stdout, stderr }),
    /** Resolves when the run serves; rejects if it exits first. */
    served: () =>
      new Promise<Served>((resolve, reject) => {
        const look = () => {
          const served = servedFrom(stdout);
          if (served) return resolve(served);
          if (child.exitCode !== null)
            return reject(new Error(`npm start exited ${child.exitCode}: ${stderr}`));
          setTimeout(look, 200);
        };
        look();
      }),
    interrupt: () => process.kill(-(child.pid as number), 'SIGINT'),
    exited,
  };
}

/** The operator CLI, run as `npx usage-settlement` runs it, with the given variables. */
export async function cli(args: string[], environment: Record<string, string>) {
  const { stdout } = await promisify(execFile)(process.execPath, ['cli/usage-settlement.mjs', ...args], {
    env: { ...process.env, ...environment },
  });
  return stdout;
}
