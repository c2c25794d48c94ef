import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FamilyPutResult } from '../../cli/family-refresh';
import type { FamilyView } from '../../cli/family-view';
import { shiftPeriod } from '../../functions/core/time';
import { correction, usage } from '../helpers/msk';
import { type CliEnv, currentPeriod, MB, nextFamilyId, startCliEnv } from './support/cli-env';

let env: CliEnv;

beforeAll(async () => {
  env = await startCliEnv('cli-family');
});
afterAll(() => env?.stopAll());

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

describe('family put', () => {
  it('creates families from an array and shows them', async () => {
    const [a, b] = [nextFamilyId(), nextFamilyId()];
    const file = await env.file([
      {
        familyId: a,
        name: 'Kim',
        quotaBytes: 10 * MB,
        members: [
          { customerId: 11, role: 'OWNER' },
          { customerId: 12, policy: { blockedApps: [' Com.Game.App '], monthlyLimitBytes: 2 * MB } },
        ],
      },
      { familyId: b, quotaBytes: 5 * MB, members: [{ customerId: 21 }] },
    ]);

    const result = await env.cli(['family', 'put', '--file', file]);

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain(`family ${a} created: 2 members, quota 9.54 MiB`);
    expect(result.stdout).toContain(`family ${b} created: 1 member, quota 4.77 MiB`);
    const view = await env.cliJson<FamilyView>(['family', 'show', String(a)]);
    expect(view).toMatchObject({ familyId: a, name: 'Kim', quotaBytes: 10 * MB, usedBytes: 0 });
    expect(view.members.find((m) => m.customerId === 12)?.policy).toEqual({
      monthlyLimitBytes: 2 * MB,
      manualBlock: false,
      blockWindow: null,
      blockedApps: ['com.game.app'],
      zeroRatedApps: [],
    });
  });

  it('replaces an existing family as the file states it, updating Redis in place without losing usage', async () => {
    const familyId = nextFamilyId();
    const family = {
      familyId,
      quotaBytes: 10 * MB,
      members: [{ customerId: 11 }, { customerId: 12 }, { customerId: 14 }],
    };
    await env.cliJson(['family', 'put', '--file', await env.file(family)]);
    expect(await env.settle(usage(`put-${familyId}-1`, familyId, 11, 3 * MB))).toEqual({
      batchItemFailures: [],
    });
    const periodKey = env.cache.keys.period(familyId, currentPeriod());
    const incarnation = await env.redis.redis.hget(periodKey, 'i');

    const [result] = await env.cliJson<FamilyPutResult[]>([
      'family',
      'put',
      '--file',
      await env.file({
        ...family,
        quotaBytes: 20 * MB,
        members: [{ customerId: 11 }, { customerId: 12, policy: { manualBlock: true } }, { customerId: 13 }],
      }),
    ]);

    expect(result).toMatchObject({
      created: false,
      previousQuotaBytes: 10 * MB,
      quotaBytes: 20 * MB,
      policiesChanged: ['12:BLOCK:ACCESS'],
      redisUpdated: true,
    });
    // The same state, moved to the new versions: quota, members and the policy changed in place.
    expect(await env.redis.redis.hmget(periodKey, 'i', 'q', 'r', 'P:12:man', 'u:14', 'u:13')).toEqual([
      incarnation,
      String(20 * MB),
      String(17 * MB),
      '1',
      null,
      '0',
    ]);
    await env.settle(usage(`put-${familyId}-2`, familyId, 12, MB));
    const view = await env.cliJson<FamilyView>(['family', 'show', String(familyId)]);
    expect(view.members.find((m) => m.customerId === 12)).toMatchObject({
      lastBlockReason: 'MANUAL',
      blockReasons: ['MANUAL'],
      policySources: { 'BLOCK:ACCESS': 'MEMBER' },
    });
    expect(view.members.map((m) => m.customerId).sort()).toEqual([11, 12, 13]);
    expect(view).toMatchObject({ quotaBytes: 20 * MB, usedBytes: 3 * MB, remainingBytes: 17 * MB });
  });

  it('adds and removes members and changes the quota with one command each', async () => {
    const familyId = nextFamilyId();
    await env.cliJson([
      'family',
      'put',
      '--file',
      await env.file({ familyId, quotaBytes: 10 * MB, members: [{ customerId: 11 }] }),
    ]);

    const joined = await env.cli(['family', 'join', '--family', String(familyId), '--customer', '12']);
    expect(joined).toMatchObject({ code: 0, stderr: '' });
    expect(joined.stdout).toContain('customer 12 joined as MEMBER; 0 notifications staged; Redis updated');
    expect(await env.settle(usage(`join-${familyId}`, familyId, 12, MB))).toEqual({ batchItemFailures: [] });
    expect(
      (await env.cli(['family', 'quota', '--family', String(familyId), '--bytes', String(MB)])).code,
    ).toBe(0);
    expect(
      await env.cli(['family', 'leave', '--family', String(familyId), '--customer', '12']),
    ).toMatchObject({ code: 0 });

    const view = await env.cliJson<FamilyView>(['family', 'show', String(familyId)]);
    expect(view).toMatchObject({ quotaBytes: MB, usedBytes: MB, remainingBytes: 0 });
    expect(view.members.map((m) => m.customerId)).toEqual([11]);
    expect((await env.cli(['family', 'join', '--family', String(familyId)])).stderr).toContain(
      '--customer is required',
    );
    expect((await env.cli(['family', 'quota', '--family', String(familyId), '--bytes', 'x'])).code).toBe(2);
    expect(await env.cli(['family', 'join', '--family', '987654321', '--customer', '1'])).toMatchObject({
      code: 1,
      stderr: 'usage-settlement: family 987654321 does not exist\n',
    });
  });

  it('refuses to remove a non-member or add a member, exit 1, and writes no change', async () => {
    const familyId = nextFamilyId();
    const id = String(familyId);
    await env.cliJson([
      'family',
      'put',
      '--file',
      await env.file({ familyId, quotaBytes: 10 * MB, members: [{ customerId: 11 }, { customerId: 12 }] }),
    ]);
    expect(await env.cli(['family', 'leave', '--family', id, '--customer', '12'])).toMatchObject({ code: 0 });
    const before = await env.cliJson<FamilyView>(['family', 'show', id]);

    expect(await env.cli(['family', 'leave', '--family', id, '--customer', '99'])).toEqual({
      code: 1,
      stdout: '',
      stderr: `usage-settlement: customer 99 is not a member of family ${id}: nothing changed\n`,
    });
    expect(await env.cli(['family', 'leave', '--family', id, '--customer', '12'])).toMatchObject({
      code: 1,
      stderr: `usage-settlement: customer 12 is not a member of family ${id}: nothing changed\n`,
    });
    expect(await env.cli(['family', 'join', '--family', id, '--customer', '11', '--role', 'OWNER'])).toEqual({
      code: 1,
      stdout: '',
      stderr:
        `usage-settlement: customer 11 is already a member of family ${id} (MEMBER): nothing changed ` +
        "('family put' changes a member's role)\n",
    });
    expect(await env.cliJson<FamilyView>(['family', 'show', id])).toEqual(before);
  });

  it('applies the change when Redis is unreachable, and says the next event loads it', async () => {
    const familyId = nextFamilyId();
    const file = await env.file({ familyId, quotaBytes: MB, members: [{ customerId: 1 }] });

    const result = await env.cli(['family', 'put', '--file', file], { REDIS_URL: 'redis://127.0.0.1:1' });

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain('(Redis not reachable: the next event loads the change)');
    expect((await env.cliJson<FamilyView>(['family', 'show', String(familyId)])).quotaBytes).toBe(MB);
  });

  it('rejects invalid files and writes nothing', async () => {
    const familyId = nextFamilyId();
    const cases: Array<[unknown, string]> = [
      ['{ not json', 'is not valid JSON'],
      [{ familyId, quotaBytes: -1 }, '.quotaBytes:'],
      [
        [
          { familyId, quotaBytes: 1 },
          { familyId: 0, quotaBytes: 1 },
        ],
        '[1].familyId:',
      ],
      [
        { familyId, quotaBytes: 1, members: [{ customerId: 5 }, { customerId: 5 }] },
        'customer 5 is listed twice',
      ],
      [
        {
          familyId,
          quotaBytes: 1,
          members: [{ customerId: 5, policy: { blockWindow: { start: '2500', end: '0100' } } }],
        },
        'blockWindow.start',
      ],
      [[], 'empty array'],
    ];
    for (const [content, message] of cases) {
      const result = await env.cli(['family', 'put', '--file', await env.file(content)]);
      expect(result.code, message).toBe(2);
      expect(result.stderr).toContain(message);
      expect(result.stderr).toContain("Run 'usage-settlement family put --help' for usage.");
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
    expect((await env.cli(['family', 'show', String(familyId)])).code).toBe(1);
    expect((await env.cli(['family', 'put'])).stderr).toContain('--file is required');
    expect((await env.cli(['family', 'put', '--file', 'missing.json'])).stderr).toContain(
      'cannot read --file missing.json: no such file',
    );
  });
});

describe('family show', () => {
  it('shows usage per member, block states and the 10 most recent settlements', async () => {
    const familyId = nextFamilyId();
    await env.cliJson([
      'family',
      'put',
      '--file',
      await env.file({
        familyId,
        name: 'Lee',
        quotaBytes: 100 * MB,
        members: [
          { customerId: 31, role: 'OWNER' },
          { customerId: 32, policy: { blockedApps: ['video'] } },
        ],
      }),
    ]);
    const events = Array.from({ length: 12 }, (_, i) =>
      usage(`show-${familyId}-${i}`, familyId, 31 + (i % 2), MB, {
        appId: 'VIDEO',
        timestamp: minutesAgo(30 - i),
      }),
    );
    await env.settle(...events);

    const view = await env.cliJson<FamilyView>(['family', 'show', String(familyId)]);

    expect(view).toMatchObject({ period: currentPeriod(), usedBytes: 6 * MB, remainingBytes: 94 * MB });
    expect(view.members).toEqual([
      expect.objectContaining({ customerId: 31, role: 'OWNER', usedBytes: 6 * MB, blockedEvents: 0 }),
      expect.objectContaining({
        customerId: 32,
        usedBytes: 0,
        blockedEvents: 6,
        lastBlockReason: 'APP_BLOCK',
        blockReasons: ['APP_BLOCK'],
        blockedApps: ['video'],
        alerts: ['32:APP_BLOCK:video'],
      }),
    ]);
    expect(view.recentChanges.map((c) => [c.eventType, c.summary])).toEqual([
      ['POLICY_UPDATED', 'BLOCK:APP = video for customer 32'],
      ['FAMILY_UPSERTED', `family set: quota ${100 * MB} bytes, members 31, 32`],
    ]);
    const text = await env.cli(['family', 'show', String(familyId)]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/recent family and policy changes[\s\S]*FAMILY_UPSERTED\s+family set/);
    expect(text.stdout).toContain(`family ${familyId} (Lee), period ${currentPeriod()}`);
    expect(text.stdout).toMatch(/used\s+5\.72 MiB \(6%\)/);
    expect(text.stdout).toMatch(/32\s+MEMBER\s+0 B\s+0 B\s+-\s+apps video \(member\)\s+6\s+APP_BLOCK/);
    expect(text.stdout).toContain(
      `settlements: usage-settlement usage settlements ${familyId} --period ${currentPeriod()}`,
    );
  });

  it("shows what corrections gave back of each member's usage", async () => {
    const familyId = nextFamilyId();
    await env.cliJson([
      'family',
      'put',
      '--file',
      await env.file({ familyId, quotaBytes: 100 * MB, members: [{ customerId: 1 }] }),
    ]);
    const [first, second] = [1, 2].map((i) =>
      usage(`corrected-${familyId}-${i}`, familyId, 1, 3 * MB, { timestamp: minutesAgo(10 - i) }),
    );
    await env.settle(first as ReturnType<typeof usage>, second as ReturnType<typeof usage>);
    await env.settle(correction(`cor-${familyId}`, familyId, 1, String(first?.eventId), MB));

    const view = await env.cliJson<FamilyView>(['family', 'show', String(familyId)]);
    expect(view.members).toEqual([
      expect.objectContaining({ customerId: 1, usedBytes: 4 * MB, refundedBytes: 2 * MB }),
    ]);
    const text = await env.cli(['family', 'show', String(familyId)]);
    expect(text.stdout).toMatch(/CORRECTED[\s\S]*\n\s+1\s+MEMBER\s+3\.81 MiB\s+0 B\s+-1\.91 MiB/);
  });

  it('shows another period and reports bad input', async () => {
    const familyId = nextFamilyId();
    await env.cliJson(['family', 'put', '--file', await env.file({ familyId, quotaBytes: MB })]);
    const previous = shiftPeriod(currentPeriod(), -1);
    const view = await env.cliJson<FamilyView>(['family', 'show', String(familyId), '--period', previous]);
    expect(view).toMatchObject({ period: previous, usedBytes: 0 });

    expect(await env.cli(['family', 'show', 'abc'])).toMatchObject({ code: 2 });
    expect(await env.cli(['family', 'show'])).toMatchObject({ code: 2 });
    const badPeriod = await env.cli(['family', 'show', String(familyId), '--period', '2026-11']);
    expect(badPeriod).toMatchObject({ code: 2 });
    expect(badPeriod.stderr).toContain('--period must be yyyyMM');
    const missing = await env.cli(['family', 'show', '999999999']);
    expect(missing).toMatchObject({ code: 1, stderr: 'usage-settlement: family 999999999 does not exist\n' });
  });

  it('names the table variable when the table does not exist, with exit 2', async () => {
    const result = await env.cli(['family', 'show', '1'], { LEDGER_TABLE_NAME: 'no-such-ledger' });

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^usage-settlement: a DynamoDB table was not found in ap-northeast-2: check LEDGER_TABLE_NAME=no-such-ledger, OUTBOX_TABLE_NAME=\S+ and DYNAMODB_ENDPOINT=http:/,
    );
    expect(result.stderr).toContain("Run 'usage-settlement family show --help' for its configuration.");
  });
});

describe('family topup', () => {
  it('adds to the pool at once, unblocks the family, takes an id once and refuses it with other bytes', async () => {
    const familyId = nextFamilyId();
    await env.cliJson([
      'family',
      'put',
      '--file',
      await env.file({ familyId, quotaBytes: MB, members: [{ customerId: 11 }] }),
    ]);
    await env.settle(usage(`topup-${familyId}-1`, familyId, 11, MB));
    await env.settle(usage(`topup-${familyId}-2`, familyId, 11, 1000));
    const topup = ['family', 'topup', '--family', String(familyId), '--bytes', String(2 * MB)];

    const added = await env.cli([...topup, '--topup-id', `order-${familyId}`]);

    expect(added).toMatchObject({ code: 0, stderr: '' });
    expect(added.stdout).toContain('2 notifications staged; Redis updated');
    await env.settle(usage(`topup-${familyId}-3`, familyId, 11, 1000));
    expect(await env.cliJson<FamilyView>(['family', 'show', String(familyId)])).toMatchObject({
      quotaBytes: MB,
      topupBytes: 2 * MB,
      usedBytes: MB + 1000,
      remainingBytes: 2 * MB - 1000,
    });
    expect((await env.cli(['family', 'show', String(familyId)])).stdout).toMatch(
      /top-ups\s+1\.91 MiB\npool\s+2\.86 MiB\nused\s+977\.5 KiB \(33%\)/,
    );
    expect((await env.cli([...topup, '--topup-id', `order-${familyId}`])).stdout).toContain('not applied');
    expect(
      await env.cli([
        'family',
        'topup',
        '--family',
        String(familyId),
        '--bytes',
        '5',
        '--topup-id',
        `order-${familyId}`,
      ]),
    ).toMatchObject({ code: 1, stderr: expect.stringContaining(`order-${familyId}`) });
    expect((await env.cli([...topup.slice(0, 4), '--bytes', '0'])).code).toBe(2);
  });
});
