import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMMANDS, run } from '../../cli/main';

const REPO_ROOT = new URL('../../', import.meta.url);
const BIN_PATH = JSON.parse(readFileSync(new URL('package.json', REPO_ROOT), 'utf8')).bin['usage-settlement'];

/** Runs the installed launcher as an operator would, in a child process without any service configured. */
function spawnBin(args: string[]) {
  return spawnSync(process.execPath, [BIN_PATH, ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 60_000,
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
  });
}

async function inProcess(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await run(args, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    env: {},
  });
  return { code, stdout, stderr };
}

describe('the usage-settlement bin', () => {
  it('is declared in package.json and prints help from a child process', () => {
    expect(BIN_PATH).toBe('cli/usage-settlement.mjs');
    const result = spawnBin(['--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Usage: usage-settlement <command> [options]');
    for (const command of COMMANDS) expect(result.stdout).toContain(command.path);
  });

  it('exits 2 with one clear message and no stack trace on bad input', () => {
    const result = spawnBin(['family', 'show', 'abc']);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(
      'usage-settlement: family ID must be a positive integer, got "abc"\n' +
        "Run 'usage-settlement family show --help' for usage.\n",
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('help and dispatch', () => {
  it.each(COMMANDS.map((c) => c.path))('%s --help needs no configuration or service', async (path) => {
    const result = await inProcess([...path.split(' '), '--help']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(new RegExp(`^Usage: usage-settlement ${path}`));
    expect(result.stdout).toContain('-h, --help');
  });

  it('lists a group, and rejects a missing or unknown command with exit 2', async () => {
    expect((await inProcess(['outbox', '--help'])).stdout).toContain('outbox requeue');
    expect(await inProcess([])).toMatchObject({ code: 2, stdout: '' });
    expect(await inProcess(['family'])).toMatchObject({
      code: 2,
      stderr: "usage-settlement: a command is required\nRun 'usage-settlement family --help' for usage.\n",
    });
    expect((await inProcess(['deploy'])).stderr).toContain('unknown command "deploy"');
    expect((await inProcess(['dlq', 'purge'])).stderr).toContain('unknown command "dlq purge"');
  });

  it('reports invalid configuration with exit 2 before touching any service', async () => {
    let stderr = '';
    const code = await run(['family', 'show', '1'], {
      stdout: () => {},
      stderr: (t) => {
        stderr += t;
      },
      env: { REDIS_URL: 'http://nope' },
    });
    expect(code).toBe(2);
    expect(stderr).toContain('invalid configuration: REDIS_URL: must start with redis:// or rediss://');
  });
});
