import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** `npm run bench` and `npm run chaos` as npm runs them (node --import tsx <script>), without npm's own lines. */
const run = (script: string, args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { encoding: 'utf8', timeout: 60_000 });

const SCRIPTS = [
  { name: 'bench', script: 'bench/run.ts', usage: /^npm run bench -- \[--workload w1\|w2\] \[options\]\n/ },
  { name: 'chaos', script: 'test/chaos/run.ts', usage: /^npm run chaos -- \[options\]\n/ },
] as const;

describe.each(SCRIPTS)('npm run $name', ({ name, script, usage }) => {
  it('prints its usage on stdout for --help and -h, exit 0, before starting anything', () => {
    for (const flag of ['--help', '-h']) {
      const result = run(script, [flag]);
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(usage);
      expect(result.stdout).toContain('-h, --help');
      expect(result.stderr).toBe('');
    }
  });

  it.each([
    [['--evnts', '5'], "Unknown option '--evnts'"],
    [['--events', '-5'], '--events must be'],
    [['--events', 'many'], '--events must be'],
  ])('rejects %j with one line on stderr and exit 2', (args, message) => {
    const result = run(script, args);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(new RegExp(`^npm run ${name}: `));
    expect(result.stderr).toContain(message);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});

describe('npm run bench -- --workload', () => {
  it('lists the options of W2 with --workload w2 --help, and rejects an unknown workload', () => {
    const w2 = run('bench/run.ts', ['--workload', 'w2', '--help']);
    expect(w2.status).toBe(0);
    expect(w2.stdout).toMatch(/^npm run bench -- --workload w2 \[options\]\n/);
    const w3 = run('bench/run.ts', ['--workload=w3']);
    expect(w3.status).toBe(2);
    expect(w3.stderr).toContain('--workload must be w1 or w2, got "w3"');
  });
});
