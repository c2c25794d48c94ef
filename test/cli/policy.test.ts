import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FamilyView } from '../../cli/family-view';
import { localParts, periodOf } from '../../functions/core/time';
import { usage } from '../helpers/msk';
import { type CliEnv, currentPeriod, MB, nextFamilyId, startCliEnv, ZONE } from './support/cli-env';

let env: CliEnv;

beforeAll(async () => {
  env = await startCliEnv('cli-policy');
});
afterAll(() => env?.stopAll());

async function familyWithMember(customerId: number, policy: Record<string, unknown> = {}) {
  const familyId = nextFamilyId();
  const file = await env.file({ familyId, quotaBytes: 100 * MB, members: [{ customerId, policy }] });
  await env.cliJson(['family', 'put', '--file', file]);
  return familyId;
}

/** A recent time whose local hour is outside the 2300-0600 window, so the app block decides. */
function outsideNightWindow(): string {
  for (let hoursAgo = 0; ; hoursAgo++) {
    const at = Date.now() - hoursAgo * 3_600_000;
    const { hour } = localParts(at, ZONE);
    if (hour >= 7 && hour < 23) return new Date(at).toISOString();
  }
}

const policyOf = async (familyId: number, customerId: number) =>
  (await env.cliJson<FamilyView>(['family', 'show', String(familyId)])).members.find(
    (m) => m.customerId === customerId,
  )?.policy;

describe('policy set', () => {
  it('changes only the given fields, drops the family state from Redis, and the next event obeys it', async () => {
    const familyId = await familyWithMember(41, { monthlyLimitBytes: 50 * MB });
    await env.settle(usage(`pol-${familyId}-1`, familyId, 41, MB, { appId: 'com.tube.app' }));
    const policyKey = env.cache.keys.period(familyId, currentPeriod());
    expect(await env.redis.redis.exists(policyKey)).toBe(1);

    const result = await env.cli([
      'policy',
      'set',
      '--family',
      String(familyId),
      '--customer',
      '41',
      '--block-apps',
      ' Com.Tube.App ,other',
      '--window',
      '2300-0600',
    ]);

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain('before: limit 50.0 MB');
    expect(result.stdout).toContain('after:  limit 50.0 MB, window 2300-0600, apps com.tube.app,other');
    expect(await policyOf(familyId, 41)).toEqual({
      monthlyLimitBytes: 50 * MB,
      manualBlock: false,
      blockWindow: { start: '2300', end: '0600' },
      blockedApps: ['com.tube.app', 'other'],
    });
    expect(await env.redis.redis.exists(policyKey)).toBe(0);
    const timestamp = outsideNightWindow();
    const blocked = usage(`pol-${familyId}-2`, familyId, 41, MB, { appId: 'COM.TUBE.APP', timestamp });
    await env.settle(blocked);
    const settled = await env.settlements(familyId, periodOf(Date.parse(timestamp), ZONE));
    expect(settled.find((s) => s.eventId === blocked.eventId)?.decision).toBe('APP_BLOCK');
  });

  it('resets fields with none and sets the manual block', async () => {
    const familyId = await familyWithMember(42, {
      monthlyLimitBytes: MB,
      blockWindow: { start: '0000', end: '0000' },
      blockedApps: ['x'],
    });

    const json = await env.cliJson<{ after: unknown }>([
      'policy',
      'set',
      '--family',
      String(familyId),
      '--customer',
      '42',
      '--limit',
      'none',
      '--window',
      'none',
      '--block-apps',
      'none',
      '--manual-block',
      'true',
    ]);

    const expected = { monthlyLimitBytes: null, manualBlock: true, blockWindow: null, blockedApps: [] };
    expect(json.after).toEqual(expected);
    expect(await policyOf(familyId, 42)).toEqual(expected);
    const limited = await env.cliJson<{ after: unknown }>([
      'policy',
      'set',
      '--family',
      String(familyId),
      '--customer',
      '42',
      '--limit',
      '2000000',
      '--manual-block',
      'false',
    ]);
    expect(limited.after).toEqual({ ...expected, manualBlock: false, monthlyLimitBytes: 2 * MB });
  });

  it('rejects bad input with exit 2 and a non-member with exit 1', async () => {
    const familyId = await familyWithMember(43);
    const base = ['policy', 'set', '--family', String(familyId), '--customer', '43'];
    const cases: Array<[string[], string]> = [
      [base, 'nothing to change'],
      [[...base, '--limit=-5'], '--limit must be a whole number of bytes'],
      [[...base, '--limit', '-5'], "Option '--limit' argument is ambiguous. Did you forget"],
      [[...base, '--limit', '1.5'], '--limit must be a whole number of bytes'],
      [[...base, '--manual-block', 'yes'], '--manual-block must be true or false'],
      [[...base, '--window', '2400-0100'], '--window must be HHmm-HHmm'],
      [[...base, '--window', '2300'], '--window must be HHmm-HHmm'],
      [[...base, '--block-apps', ' , '], '--block-apps needs app ids'],
      [['policy', 'set', '--customer', '43', '--limit', '1'], '--family is required'],
      [
        ['policy', 'set', '--family', 'x', '--customer', '43', '--limit', '1'],
        '--family must be a positive integer',
      ],
      [[...base, '--limits', '1'], "Unknown option '--limits'"],
    ];
    for (const [args, message] of cases) {
      const result = await env.cli(args);
      expect(result.code, message).toBe(2);
      expect(result.stderr).toContain(message);
      expect(result.stderr).toContain("Run 'usage-settlement policy set --help' for usage.");
    }
    expect(await policyOf(familyId, 43)).toMatchObject({ monthlyLimitBytes: null, manualBlock: false });

    const stranger = await env.cli([
      'policy',
      'set',
      '--family',
      String(familyId),
      '--customer',
      '99',
      '--limit',
      '1',
    ]);
    expect(stranger).toMatchObject({
      code: 1,
      stderr: `usage-settlement: customer 99 is not a member of family ${familyId}\n`,
    });
  });
});
