import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MskEvent } from '../../functions/core/kafka-record';
import {
  type KafkaTestEnv,
  offsetsByPartition,
  SESSION_TIMEOUT_MS,
  startKafkaTestEnv,
} from './support/kafka-test-env';

const PARTITIONS = 4;
const CRASHING_CONSUMER = fileURLToPath(new URL('./support/crashing-consumer.ts', import.meta.url));
let env: KafkaTestEnv;
let child: ChildProcess | undefined;

beforeAll(async () => {
  env = await startKafkaTestEnv('crash', PARTITIONS);
});
afterEach(async () => {
  child?.kill('SIGKILL');
  await env.closeMappings();
});
afterAll(() => env.stop());

interface Settled {
  settled: Array<{ partition: number; offset: number }>;
}

/** Starts the crashing consumer and resolves with what it settled before it hung. */
function crashMidBatch(): Promise<Settled> {
  child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      CRASHING_CONSUMER,
      JSON.stringify({
        bootstrap: env.bootstrap,
        topic: env.topic,
        group: env.group,
        sessionTimeoutMs: SESSION_TIMEOUT_MS,
      }),
    ],
    { env: { ...process.env, ...env.settlement.environment }, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve, reject) => {
    child?.on('message', (message: Partial<Settled>) => {
      if (message.settled) resolve(message as Settled);
    });
    child?.once('exit', (code) =>
      reject(new Error(`the consumer exited (${code}) before crashing: ${stderr}`)),
    );
  });
}

describe('a consumer that crashes mid-batch, then a restarted consumer in the same group', () => {
  it('redelivers the whole uncommitted batch to the restarted consumer, which settles the rest, each event once', async () => {
    const envelopes = env.usageEvents(await env.families(8), 12);
    await env.produce(envelopes);

    const crashed = await crashMidBatch();
    // Half of each partition's batch is in the ledger, yet the mapping committed nothing: it never got an answer.
    expect(crashed.settled.length).toBeGreaterThan(0);
    expect(crashed.settled.length).toBeLessThan(envelopes.length);
    expect(await env.committed()).toEqual(Array.from({ length: PARTITIONS }, () => -1));
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    child?.kill('SIGKILL');
    await exited;

    const events: MskEvent[] = [];
    const restarted = await env.mapping(async (event) => {
      events.push(event);
      return env.settlement.invoke(event);
    });
    await restarted.drain();

    const firstDelivered = new Map<number, number>();
    for (const event of events) {
      for (const [partition, offsets] of offsetsByPartition(event)) {
        if (!firstDelivered.has(partition)) firstDelivered.set(partition, offsets[0]!);
      }
    }
    const ends = await env.endOffsets();
    for (let p = 0; p < PARTITIONS; p++) {
      if (ends[p]! > 0) expect(firstDelivered.get(p), `partition ${p} restarts at 0`).toBe(0);
    }
    expect(restarted.stats.recordsDelivered).toBe(envelopes.length);
    await env.expectCommittedToTheEnd();
    await env.expectSettledOnce(envelopes);
    expect(await env.settlement.drainDeadLetters()).toEqual([]);
  }, 60_000);
});
