import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive, reportedPids, servedFrom } from './serve-session';
import { openTerminal, tmuxMissing, until } from './terminal';

/**
 * `npm start -- --serve` in a real terminal (tmux): Ctrl-C reaches every
 * process of the foreground job, so the services must be out of its reach
 * until the summary is printed, then stopped by their pids; npm start then
 * exits 0 and nothing it started is left, nor when the terminal closes.
 */
const skip = tmuxMissing();
let terminal: ReturnType<typeof openTerminal> | undefined;
afterEach(() => terminal?.close());

describe.skipIf(skip)(`npm start -- --serve in a terminal${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('prints the summary on Ctrl-C, stops every service by its pid and exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'us-terminal-'));
    // Its own Redis, as a user without REDIS_URL gets one.
    terminal = openTerminal(
      dir,
      `cd ${process.cwd()} && env -u REDIS_URL npm start -- --serve --events 200 --families 5 --out ${join(dir, 'out')}`,
    );
    const served = await until(() => servedFrom(terminal?.read('stdout') ?? ''), 'API_URL', 120_000);
    const pids = reportedPids(terminal.read('stderr'));
    expect(pids).toHaveLength(2);
    expect((await fetch(`${served.apiUrl}/v1/families/101/usage`)).status).toBe(200);

    terminal.ctrlC();
    const status = await until(() => terminal?.status() ?? null, 'npm start to exit', 60_000);

    expect(status).toBe(0);
    expect(terminal.read('stdout').match(/^Consistency .*: consistent$/gm)).toHaveLength(2);
    expect(terminal.read('stderr')).toContain('stopping: settling what was consumed, then the summary');
    expect(terminal.read('stderr')).not.toContain('quitting now');
    expect(pids.filter(isAlive)).toEqual([]);
  }, 200_000);

  it('stops every service when the terminal closes under it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'us-terminal-'));
    terminal = openTerminal(
      dir,
      `cd ${process.cwd()} && env -u REDIS_URL npm start -- --serve --events 100 --families 2 --out ${join(dir, 'out')}`,
    );
    await until(() => servedFrom(terminal?.read('stdout') ?? ''), 'API_URL', 120_000);
    const pids = reportedPids(terminal.read('stderr'));
    expect(pids.filter(isAlive)).toHaveLength(2);

    terminal.close();

    await until(() => (pids.some(isAlive) ? null : true), 'the services to stop', 30_000);
  }, 200_000);
});
