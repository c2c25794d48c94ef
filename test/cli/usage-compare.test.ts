import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UsageComparison } from '../../cli/usage-compare';
import { shiftPeriod } from '../../functions/core/time';
import { usage } from '../helpers/msk';
import { type CliEnv, currentPeriod, MB, nextFamilyId, startCliEnv } from './support/cli-env';

let env: CliEnv;

beforeAll(async () => {
  env = await startCliEnv('cli-usage-compare');
});
afterAll(() => env?.stopAll());

async function familyWithUsage(...bytes: number[]) {
  const familyId = nextFamilyId();
  const file = await env.file({ familyId, quotaBytes: 100 * MB, members: [{ customerId: 81 }] });
  await env.cliJson(['family', 'put', '--file', file]);
  await env.settle(...bytes.map((b, i) => usage(`cmp-${familyId}-${i}`, familyId, 81, b)));
  return familyId;
}

describe('usage compare', () => {
  it("prints the family periods whose ledger usage differs from the file's figures, exit 1", async () => {
    const same = await familyWithUsage(2 * MB, 3 * MB);
    const more = await familyWithUsage(4 * MB);
    const period = currentPeriod();
    const earlier = shiftPeriod(period, -1);
    const file = await env.file(
      [
        'familyId,period,usedBytes',
        `${same},${period},${5 * MB}`,
        `${more},${period},${3 * MB}`,
        '',
        // No settlement in that period: the ledger holds 0.
        `${same},${earlier},1000`,
      ].join('\n'),
    );

    const json = await env.cli(['usage', 'compare', '--file', file, '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout) as UsageComparison).toEqual({
      compared: 3,
      matching: 1,
      differences: [
        { familyId: same, period: earlier, figureBytes: 1000, ledgerBytes: 0, differenceBytes: -1000 },
        { familyId: more, period, figureBytes: 3 * MB, ledgerBytes: 4 * MB, differenceBytes: MB },
      ].sort((a, b) => a.familyId - b.familyId),
    });

    const text = await env.cli(['usage', 'compare', '--file', file]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('3 family periods compared: 1 match, 2 differ');
    expect(text.stdout).toMatch(new RegExp(`${more}\\s+${period}\\s+3000000\\s+4000000\\s+1000000`));
  });

  it('exits 0 when every figure matches', async () => {
    const familyId = await familyWithUsage(MB);
    const file = await env.file(`${familyId},${currentPeriod()},${MB}\n`);
    const result = await env.cli(['usage', 'compare', '--file', file]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain('1 family period compared: 1 match, 0 differ');
  });

  it.each([
    ['1001,202703', 'line 1: expected familyId,period,usedBytes, got 2 fields: "1001,202703"'],
    ['familyId,period,usedBytes\n0,202703,5', 'line 2: familyId must be a positive integer, got "0"'],
    ['1001,2027-03,5', 'line 1: period must be yyyyMM (e.g. 202703), got "2027-03"'],
    ['1001,202713,5', 'line 1: period must be yyyyMM'],
    ['1001,202703,5 GB', 'line 1: usedBytes must be a whole number of bytes, got "5 GB"'],
    ['1001,202703,-5', 'line 1: usedBytes must be a whole number of bytes, got "-5"'],
    ['1001,202703,5\n\n1001,202703,6', 'line 3: family 1001 period 202703 is already on line 1'],
  ])('refuses %j with one line naming the file and line, exit 2', async (content, message) => {
    const file = await env.file(content);
    const result = await env.cli(['usage', 'compare', '--file', file]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const [first, ...rest] = result.stderr.trimEnd().split('\n');
    expect(first).toContain(`${file} ${message}`);
    expect(rest).toEqual(["Run 'usage-settlement usage compare --help' for usage."]);
  });

  it('needs --file, and a file that exists', async () => {
    expect((await env.cli(['usage', 'compare'])).stderr).toContain('--file is required');
    const missing = await env.cli(['usage', 'compare', '--file', '/nonexistent/figures.csv']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read --file /nonexistent/figures.csv: no such file');
  });
});
