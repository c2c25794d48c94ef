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

const memberOf = async (familyId: number, customerId: number) =>
  (await env.cliJson<FamilyView>(['family', 'show', String(familyId)])).members.find(
    (m) => m.customerId === customerId,
  );

describe('policy set', () => {
  it('changes only the given values, updates Redis in place, and the next event obeys them', async () => {
    const familyId = await familyWithMember(41, { monthlyLimitBytes: 50 * MB });
    await env.settle(usage(`pol-${familyId}-1`, familyId, 41, MB, { appId: 'com.tube.app' }));
    const periodKey = env.cache.keys.period(familyId, currentPeriod());
    const incarnation = await env.redis.redis.hget(periodKey, 'i');

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
      '--free-apps',
      'Com.Kakao.Talk',
    ]);

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain('ZERO_RATE:APP = com.kakao.talk for customer 41');
    expect(result.stdout).toContain(
      'BLOCK:TIME = 2300-0600 for customer 41; 1 notification staged; Redis updated',
    );
    expect(result.stdout).toContain('BLOCK:APP = com.tube.app,other for customer 41');
    expect((await memberOf(familyId, 41))?.policy).toEqual({
      monthlyLimitBytes: 50 * MB,
      manualBlock: false,
      blockWindow: { start: '2300', end: '0600' },
      blockedApps: ['com.tube.app', 'other'],
      zeroRatedApps: ['com.kakao.talk'],
    });
    expect(
      await env.redis.redis.hmget(periodKey, 'i', 'P:41:a:com.tube.app', 'P:41:win', 'P:41:z:com.kakao.talk'),
    ).toEqual([incarnation, '1', '2300-0600', '1']);
    const timestamp = outsideNightWindow();
    const blocked = usage(`pol-${familyId}-2`, familyId, 41, MB, { appId: 'COM.TUBE.APP', timestamp });
    await env.settle(blocked);
    const settled = await env.settlements(familyId, periodOf(Date.parse(timestamp), ZONE));
    expect(settled.find((s) => s.eventId === blocked.eventId)?.decision).toBe('APP_BLOCK');
  });

  it('sets a family-wide and a global value, and shows where each effective value comes from', async () => {
    const familyId = await familyWithMember(44, { monthlyLimitBytes: 5 * MB });
    expect(
      (await env.cli(['policy', 'set', '--family', String(familyId), '--window', '0100-0200'])).code,
    ).toBe(0);
    expect((await env.cli(['policy', 'set', '--global', '--manual-block', 'true'])).code).toBe(0);

    const member = await memberOf(familyId, 44);
    expect(member).toMatchObject({
      effectivePolicy: {
        monthlyLimitBytes: 5 * MB,
        manualBlock: true,
        blockWindow: { start: '0100', end: '0200' },
      },
      policySources: {
        'LIMIT:DATA:MONTHLY': 'MEMBER',
        'BLOCK:TIME': 'FAMILY',
        'BLOCK:ACCESS': 'GLOBAL',
        'BLOCK:APP': null,
      },
    });
    const text = await env.cli(['family', 'show', String(familyId)]);
    expect(text.stdout).toContain(
      'limit 4.77 MiB (member), manual block (global), window 0100-0200 (family)',
    );
    expect((await env.cli(['policy', 'set', '--global', '--manual-block', 'false'])).code).toBe(0);
  });

  it('removes values with none and false', async () => {
    const familyId = await familyWithMember(42, {
      monthlyLimitBytes: MB,
      blockWindow: { start: '0000', end: '0000' },
      blockedApps: ['x'],
      zeroRatedApps: [],
    });

    const json = await env.cliJson<Array<{ kind: string }>>([
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

    expect(json.map((o) => o.kind)).toEqual(['applied', 'applied', 'applied', 'applied']);
    expect((await memberOf(familyId, 42))?.policy).toEqual({
      monthlyLimitBytes: null,
      manualBlock: true,
      blockWindow: null,
      blockedApps: [],
      zeroRatedApps: [],
    });
  });

  it('rejects bad input with exit 2 and a non-member with exit 1', async () => {
    const familyId = await familyWithMember(43);
    const base = ['policy', 'set', '--family', String(familyId), '--customer', '43'];
    const cases: Array<[string[], string]> = [
      [base, 'nothing to change'],
      [[...base, '--limit=-5'], '--limit must be a whole number of bytes'],
      [[...base, '--limit', '-5'], '--limit must be a whole number of bytes, got "-5"'],
      [[...base, '--limit', '1.5'], '--limit must be a whole number of bytes'],
      [[...base, '--limit', '0'], '--limit: LIMIT:DATA:MONTHLY needs a positive whole number of bytes'],
      [[...base, '--manual-block', 'yes'], '--manual-block must be true or false'],
      [[...base, '--window', '2400-0100'], '--window: BLOCK:TIME is HHmm-HHmm'],
      [[...base, '--window', '2300'], '--window: BLOCK:TIME is HHmm-HHmm'],
      [[...base, '--block-apps', ' , '], '--block-apps needs app ids'],
      [['policy', 'set', '--customer', '43', '--limit', '1'], '--customer needs --family'],
      [['policy', 'set', '--limit', '1'], '--family (or --global) is required'],
      [
        ['policy', 'set', '--global', '--family', '1', '--limit', '1'],
        '--global sets the default for everyone',
      ],
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
    expect((await memberOf(familyId, 43))?.policy).toMatchObject({
      monthlyLimitBytes: null,
      manualBlock: false,
    });

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
