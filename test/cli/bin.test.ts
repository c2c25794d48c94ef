import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS, run } from '../../cli/main';

const REPO_ROOT = new URL('../../', import.meta.url);
const BIN_PATH = JSON.parse(readFileSync(new URL('package.json', REPO_ROOT), 'utf8')).bin['usage-settlement'];

/**
 * Runs the installed launcher as an operator would, in a child process without any service
 * configured: an empty HOME (no ~/.aws), and the EC2 metadata service off so the SDK's
 * credential chain ends on this machine.
 */
function spawnBin(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [BIN_PATH, ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 60_000,
    env: {
      PATH: process.env.PATH,
      HOME: mkdtempSync(join(tmpdir(), 'cli-home-')),
      AWS_EC2_METADATA_DISABLED: 'true',
      ...env,
    },
  });
}

const NO_STACK = /\n\s+at /;

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
    expect(result.stderr).not.toMatch(NO_STACK);
  });

  it('names the variables it is missing, not the SDK\'s "Region is missing", and no SDK notice', () => {
    const result = spawnBin(['family', 'show', '1']);

    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      "usage-settlement: AWS_REGION is not set (the stack's region, e.g. ap-northeast-2); " +
        "LEDGER_TABLE_NAME is not set (the ledger table, the stack's output LedgerTableName)\n" +
        "Run 'usage-settlement family show --help' for its configuration.\n",
    );
    expect(spawnBin(['family', 'show', '--help']).stdout).toMatch(/AWS_REGION\s+the stack's region/);
  });

  it("says how to give credentials when there are none, instead of the SDK's provider chain error", () => {
    const result = spawnBin(['family', 'show', '1'], {
      AWS_REGION: 'ap-northeast-2',
      LEDGER_TABLE_NAME: 'ledger',
      DYNAMODB_ENDPOINT: 'http://127.0.0.1:9',
    });

    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(
      /^usage-settlement: no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID/,
    );
    expect(result.stderr).not.toContain('NodeVersionSupportWarning');
    expect(result.stderr).not.toMatch(NO_STACK);
  });

  it.each([
    [['family', 'put', '--file', 'no-such.json'], 'cannot read --file no-such.json: no such file'],
    [['family', 'put', '--file', 'test'], 'cannot read --file test: is a directory, not a file'],
  ])('rejects the file of %j with one line and exit 2, before any service', (args, message) => {
    const result = spawnBin(args);

    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      `usage-settlement: ${message}\nRun 'usage-settlement family put --help' for usage.\n`,
    );
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

  it.each([
    [
      ['family', 'quota', '--family', '1', '--bytes', '-5'],
      '--bytes must be a whole number of bytes, got "-5"',
    ],
    [
      ['family', 'join', '--family', '-1', '--customer', '2'],
      '--family must be a positive integer, got "-1"',
    ],
    [['family', 'show', '-5'], 'family ID must be a positive integer, got "-5"'],
    [
      ['policy', 'set', '--family', '1', '--limit', '-1'],
      '--limit must be a whole number of bytes, got "-1"',
    ],
    [
      ['outbox', 'list', '--status', 'FAILED', '--limit', '-1'],
      '--limit must be an integer from 1 to 1000, got "-1"',
    ],
    [['dlq', 'list', '--limit', '-10'], '--limit must be an integer from 1 to 10000, got "-10"'],
    [['reconcile', '-1'], 'unexpected argument: -1'],
  ])(
    'rejects the negative number of %j by its own rule, exit 2, before any service',
    async (args, message) => {
      const result = await inProcess(args);
      const path = args.filter((a) => /^[a-z]/.test(a)).join(' ');
      expect(result).toMatchObject({ code: 2, stdout: '' });
      expect(result.stderr).toBe(
        `usage-settlement: ${message}\nRun 'usage-settlement ${path} --help' for usage.\n`,
      );
    },
  );

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
