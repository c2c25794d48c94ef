import { afterAll, describe, expect, it } from 'vitest';
import { contractErrors } from '../helpers/usage-api';
import { cli, isAlive, reportedPids, startServing } from './serve-session';

/**
 * `npm start -- --serve` end to end, over real HTTP: after the workload the
 * usage API answers from the run's ledger with the figures the operator CLI
 * shows through the variables the run printed, every answer as the OpenAPI
 * document describes it; Ctrl-C (SIGINT to the job's process group, as a
 * terminal sends it) prints the summary, stops every service and exits 0.
 */
const run = startServing(['--events', '300', '--families', '5', '--seed', '7']);
afterAll(async () => {
  if (run.child.exitCode !== null) return;
  // A failed test: SIGTERM lets npm start stop what it started; anything left goes by its pid.
  process.kill(-(run.child.pid as number), 'SIGTERM');
  await run.exited;
  for (const pid of reportedPids(run.output().stderr).filter(isAlive)) process.kill(pid, 'SIGKILL');
});

async function get(apiUrl: string, path: string) {
  const response = await fetch(`${apiUrl}${path}`);
  const answer = { status: response.status, body: (await response.json()) as Record<string, unknown> };
  expect(contractErrors(path.split('?')[0] as string, answer)).toEqual([]);
  return answer;
}

describe('npm start -- --serve', () => {
  it('serves the usage API and the operator CLI from the same ledger until Ctrl-C, then stops everything', async () => {
    const { apiUrl, environment } = await run.served();

    const family = JSON.parse(await cli(['family', 'show', '101', '--json'], environment));
    const usage = await get(apiUrl, '/v1/families/101/usage');
    expect(usage.status).toBe(200);
    expect(usage.body).toMatchObject({
      familyId: 101,
      period: family.period,
      quotaBytes: family.quotaBytes,
      usedBytes: family.usedBytes,
      remainingBytes: family.remainingBytes,
    });
    const members = usage.body.members as Array<{ customerId: number; usedBytes: number }>;
    expect(members.map((m) => [m.customerId, m.usedBytes])).toEqual(
      family.members.map((m: { customerId: number; usedBytes: number }) => [m.customerId, m.usedBytes]),
    );
    const busiest = [...members].sort((a, b) => b.usedBytes - a.usedBytes)[0]?.customerId;
    const page = await get(apiUrl, `/v1/families/101/members/${busiest}/settlements?limit=3`);
    expect(page.status).toBe(200);
    expect((page.body.settlements as unknown[]).length).toBeGreaterThan(0);
    expect((await get(apiUrl, `/v1/families/101/members/${busiest}/usage`)).status).toBe(200);
    expect(await get(apiUrl, '/v1/families/101/usage?period=2026-12')).toMatchObject({ status: 400 });
    expect((await get(apiUrl, '/v1/families/999999/usage')).status).toBe(404);

    run.interrupt();
    const code = await run.exited;

    const { stdout, stderr } = run.output();
    expect(code).toBe(0);
    // The summary when it began serving, and the last one.
    expect(stdout.match(/^Consistency .*: consistent$/gm)).toHaveLength(2);
    const pids = reportedPids(stderr);
    expect(pids).toHaveLength(2);
    expect(pids.filter(isAlive)).toEqual([]);
  }, 180_000);
});
