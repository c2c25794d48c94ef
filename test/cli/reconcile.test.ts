import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReconcileReport } from '../../cli/reconcile';
import { shiftPeriod } from '../../functions/core/time';
import { usage } from '../helpers/msk';
import { type CliEnv, currentPeriod, MB, nextFamilyId, startCliEnv } from './support/cli-env';

let env: CliEnv;

beforeAll(async () => {
  env = await startCliEnv('cli-reconcile');
});
afterAll(() => env?.stopAll());

async function familyWithUsage(bytes: number) {
  const familyId = nextFamilyId();
  const file = await env.file({
    familyId,
    quotaBytes: 10 * MB,
    members: [{ customerId: 71 }, { customerId: 72 }],
  });
  await env.cliJson(['family', 'put', '--file', file]);
  await env.settle(usage(`rec-${familyId}`, familyId, 71, bytes));
  return familyId;
}

const reconcile = async (...args: string[]) => {
  const result = await env.cli(['reconcile', ...args, '--json']);
  return { code: result.code, report: JSON.parse(result.stdout) as ReconcileReport };
};

describe('reconcile', () => {
  it('reports drift (exit 1), repairs it with --fix, and is clean afterwards', async () => {
    const clean = await familyWithUsage(MB);
    const drifting = await familyWithUsage(2 * MB);
    expect(await reconcile()).toMatchObject({ code: 0, report: { drifted: [] } });

    const periodKey = env.cache.keys.period(drifting, currentPeriod());
    await env.redis.redis.hincrby(periodKey, 'r', 5000);
    await env.redis.redis.hset(periodKey, 'u:71', '123');

    const found = await reconcile();
    expect(found.code).toBe(1);
    expect(found.report.drifted).toEqual([
      {
        familyId: drifting,
        drift: [
          { field: 'remaining', redis: 8 * MB + 5000, ledger: 8 * MB },
          { field: 'used:71', redis: 123, ledger: 2 * MB },
        ],
      },
    ]);
    expect(found.report.checked).toBeGreaterThanOrEqual(2);
    const text = await env.cli(['reconcile']);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(
      `family ${drifting}: remaining redis=8005000 ledger=8000000; used:71 redis=123`,
    );
    expect(text.stdout).toContain("run 'reconcile --fix'");

    const fixed = await reconcile('--fix');
    expect(fixed.code).toBe(0);
    expect(fixed.report.drifted).toEqual([expect.objectContaining({ familyId: drifting, fixed: true })]);
    const repaired = await env.cache.periodState(drifting, currentPeriod());
    expect(repaired?.remaining).toBe(8 * MB);
    expect(repaired?.used.get(71)).toBe(2 * MB);
    expect(await reconcile()).toMatchObject({ code: 0, report: { drifted: [] } });
    expect((await env.cache.periodState(clean, currentPeriod()))?.remaining).toBe(9 * MB);
  });

  it('does not count a family without Redis state as drift, and reports a stale quota', async () => {
    const absent = await familyWithUsage(MB);
    const stale = await familyWithUsage(MB);
    await env.redis.redis.del(env.cache.keys.period(absent, currentPeriod()));
    await env.redis.redis.hset(env.cache.keys.period(stale, currentPeriod()), 'q', String(20 * MB));

    const { code, report } = await reconcile();

    expect(code).toBe(1);
    expect(report.notCached).toBe(1);
    expect(report.drifted).toEqual([
      { familyId: stale, drift: [{ field: 'quota', redis: 20 * MB, ledger: 10 * MB }] },
    ]);
    expect((await reconcile('--fix')).code).toBe(0);
  });

  it('checks another period and rejects bad input', async () => {
    const empty = await reconcile('--period', shiftPeriod(currentPeriod(), -13));
    expect(empty).toMatchObject({ code: 0, report: { checked: 0, drifted: [] } });
    expect((await env.cli(['reconcile', '--period', '202613'])).code).toBe(2);
    expect((await env.cli(['reconcile', 'now'])).stderr).toContain('unexpected argument: now');
    expect((await env.cli(['reconcile', '--fix=yes'])).code).toBe(2);
  });
});
