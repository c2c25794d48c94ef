import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StreamFunction, startStreamFunction } from '../../bench/stream-function-process';
import { mskEvent, mskRecord, usage } from '../helpers/msk';
import { type SettlementEnv, startSettlementEnv } from '../helpers/settlement-env';

const MB = 1024 ** 2;

// The benchmark runs the ledger stream's functions in processes of their own beside the settling one, as on AWS.
describe("the benchmark's stream function processes", () => {
  let env: SettlementEnv;
  beforeAll(async () => {
    env = await startSettlementEnv('bench-stream-functions');
  });
  afterAll(async () => {
    await env?.stop();
  });
  const start = <F extends StreamFunction>(fn: F) =>
    startStreamFunction({ fn, endpoint: env.tables.endpoint, table: env.tables.names.ledger, latencyMs: 1 });

  it('publishes from the ledger stream what the step settled, not what was written before it started', async () => {
    const familyId = 8_000_000 + Math.floor(Math.random() * 1_000_000);
    await env.families.putFamily({
      familyId,
      quotaBytes: 1024 * MB,
      members: [{ customerId: familyId * 10 + 1 }, { customerId: familyId * 10 + 2 }],
    });
    let offset = 0;
    const settle = (ids: string[], customer: number) =>
      env.invoke(mskEvent(ids.map((id) => mskRecord(0, offset++, usage(id, familyId, customer, MB)))));
    await settle([`before-${familyId}`], familyId * 10 + 1);

    const snapshots = await start('usage-snapshots');
    try {
      // Field 19 of /proc/<pid>/stat, the 17th after the command name: only idle CPU, as if on other hosts.
      const stat = readFileSync(`/proc/${snapshots.pid}/stat`, 'utf8');
      expect(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]).toBe('19');
      await snapshots.arm();
      snapshots.begin();
      await settle([`during-${familyId}`], familyId * 10 + 2);
      const figures = await snapshots.finish();
      // The member settled before the step had its snapshot then: only the step's member is published.
      expect(figures).toMatchObject({ published: 1, failed: 0, limits: { cached: 0, read: 1 } });
      expect(figures.cpuSeconds).toBeGreaterThan(0);

      // Between steps nothing is read; the next step reads on from its start, with the limits kept.
      await settle([`between-${familyId}`], familyId * 10 + 1);
      await snapshots.arm();
      snapshots.begin();
      await settle([`next-${familyId}`], familyId * 10 + 2);
      expect(await snapshots.finish()).toMatchObject({ published: 1, limits: { cached: 1, read: 0 } });
      await snapshots.close();
    } finally {
      snapshots.kill();
    }
  });

  it('archives the fates the step settled with the archiver, from where it was armed', async () => {
    const familyId = 8_000_000 + Math.floor(Math.random() * 1_000_000);
    await env.families.putFamily({
      familyId,
      quotaBytes: 1024 * MB,
      members: [{ customerId: familyId * 10 + 1 }],
    });
    let offset = 1_000;
    const settle = (id: string) =>
      env.invoke(mskEvent([mskRecord(0, offset++, usage(id, familyId, familyId * 10 + 1, MB))]));
    await settle(`before-${familyId}`);
    const archiver = await start('settlement-archiver');
    try {
      await archiver.arm();
      archiver.begin();
      await settle(`during-a-${familyId}`);
      await settle(`during-b-${familyId}`);
      const figures = await archiver.finish();
      expect(figures.archived).toBe(2);
      expect(figures.cpuSeconds).toBeGreaterThan(0);
      // One read or more that handed the fates over, and the empty read that ended the step's drain.
      expect(figures.streamReads).toBeGreaterThanOrEqual(2);
      await archiver.close();
    } finally {
      archiver.kill();
    }
  });

  it('answers a step finished without being armed with a failure, not with silence', async () => {
    const archiver = await start('settlement-archiver');
    try {
      await expect(archiver.finish()).rejects.toThrow(/finish without a step armed/);
    } finally {
      archiver.kill();
    }
  });

  it('reports a process that died during the step as the step failing, not as a crash of the bench', async () => {
    const snapshots = await start('usage-snapshots');
    await snapshots.arm();
    snapshots.begin();
    process.kill(snapshots.pid as number, 'SIGKILL');
    // Once the channel is closed, a message sent without care would throw from an 'error' event.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await expect(snapshots.finish()).rejects.toThrow(/usage-snapshots process exited \(SIGKILL\)/);
  });
});
